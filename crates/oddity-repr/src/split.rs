//! Deterministic train / validation / test splits (physics-spec §5.6).
//!
//! The background events of one file, in file order, are split by a seeded permutation of
//! their indices (the DDD authors' split): after shuffling 0..n, the first round(f_train·n)
//! positions go to training, the next round(f_val·n) to validation and the rest to test.
//! The split depends only on (n, seed, fractions), so re-reading the same file gives the same
//! split, whatever the batching or thread count. Signals go to the test set only
//! ([`Part::Test`] for every event; see [`signal_parts`]). Several background files are
//! split each on its own with the same seed.

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// Which part of the data an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    Train,
    Validation,
    Test,
}

/// Split settings: seed and the train / validation / test fractions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitConfig {
    pub seed: u64,
    pub train: f64,
    pub validation: f64,
    pub test: f64,
}

impl Default for SplitConfig {
    /// 80/10/10 with seed 0.
    fn default() -> Self {
        Self { seed: 0, train: 0.8, validation: 0.1, test: 0.1 }
    }
}

/// The fractions are not a valid split.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("split fractions train {train}, validation {validation}, test {test} must be >= 0 and sum to 1")]
pub struct SplitError {
    pub train: f64,
    pub validation: f64,
    pub test: f64,
}

impl SplitConfig {
    /// Checks that the fractions are finite, non-negative and sum to 1 (within 1e-9).
    pub fn validate(&self) -> Result<(), SplitError> {
        let f = [self.train, self.validation, self.test];
        let ok = f.iter().all(|x| x.is_finite() && *x >= 0.0) && (f.iter().sum::<f64>() - 1.0).abs() < 1e-9;
        if ok { Ok(()) } else { Err(SplitError { train: self.train, validation: self.validation, test: self.test }) }
    }

    /// The part of each of `n` background events, in file order.
    pub fn assign(&self, n: usize) -> Result<Vec<Part>, SplitError> {
        self.validate()?;
        let n_train = (self.train * n as f64).round() as usize;
        let n_val = ((self.validation * n as f64).round() as usize).min(n - n_train);
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut crate::event_rng(self.seed, 0));
        let mut parts = vec![Part::Test; n];
        for &i in &perm[..n_train] {
            parts[i] = Part::Train;
        }
        for &i in &perm[n_train..n_train + n_val] {
            parts[i] = Part::Validation;
        }
        Ok(parts)
    }
}

/// Signals belong to the test set only.
pub fn signal_parts(n: usize) -> Vec<Part> {
    vec![Part::Test; n]
}

/// Indices of the events in `part`.
pub fn indices(parts: &[Part], part: Part) -> Vec<usize> {
    parts.iter().enumerate().filter(|(_, p)| **p == part).map(|(i, _)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_is_80_10_10_and_seeded() {
        let c = SplitConfig::default();
        let parts = c.assign(1000).expect("valid");
        assert_eq!(indices(&parts, Part::Train).len(), 800);
        assert_eq!(indices(&parts, Part::Validation).len(), 100);
        assert_eq!(indices(&parts, Part::Test).len(), 100);
        assert_eq!(parts, c.assign(1000).expect("valid"), "same seed, same split");
        let other = SplitConfig { seed: 1, ..c }.assign(1000).expect("valid");
        assert_ne!(parts, other);
        // Not a block split: the training set is spread over the file.
        let train = indices(&parts, Part::Train);
        assert!(train[0] < 20 && *train.last().expect("non-empty") > 980);
    }

    #[test]
    fn bad_fractions_are_rejected() {
        let c = SplitConfig { train: 0.8, validation: 0.3, ..SplitConfig::default() };
        assert!(c.assign(10).is_err());
        let c = SplitConfig { train: -0.1, validation: 0.6, test: 0.5, seed: 0 };
        assert!(c.validate().is_err());
        assert!(SplitConfig { train: f64::NAN, ..SplitConfig::default() }.validate().is_err());
    }

    proptest! {
        #[test]
        fn parts_cover_every_event_once(n in 0usize..500, seed in any::<u64>(), t in 0.0f64..1.0) {
            let v = (1.0 - t) / 2.0;
            let c = SplitConfig { seed, train: t, validation: v, test: 1.0 - t - v };
            let parts = c.assign(n).expect("valid");
            prop_assert_eq!(parts.len(), n);
            let n_train = indices(&parts, Part::Train).len();
            prop_assert!((n_train as f64 - t * n as f64).abs() <= 0.5 + 1e-9);
        }
    }
}
