//! Bootstrap uncertainties of the AUC and of eS at fixed eB.
//!
//! Method: the Poisson bootstrap (Hanley & MacGibbon, Comput. Methods Programs Biomed. 83
//! (2006) 57; the "Poisson(1) weights" of Chamandy et al. 2012). Replica r gives every event
//! i an independent multiplicity k_i ~ Poisson(1), i.e. weight w_i·k_i, and recomputes the
//! ROC, AUC and eS(eB*) from the already sorted sample (no re-sort: O(n) per replica). This
//! is the large-n limit of multinomial resampling with replacement, lets signal and
//! background counts fluctuate independently, and needs no event to be drawn twice
//! explicitly. A replica in which a class gets zero total weight is skipped and counted in
//! [`BootstrapResult::skipped`] (only likely for tiny samples).
//!
//! Reproducibility: replica r draws from ChaCha8 seeded with `seed` on stream r, so the
//! result depends only on (sample, seed, replicas), not on the thread count. Poisson(1)
//! counts are drawn by inversion of the exact CDF (P(k) = e⁻¹/k!, tabulated to k = 20).
//!
//! Reported per quantity: the nominal value, the replica mean and standard deviation
//! (n − 1 denominator), and the central 68.27 % percentile interval (linear interpolation
//! between order statistics, numpy's default).

use crate::error::EvalError;
use crate::roc::{ScoredSample, build_roc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

/// Bootstrap settings.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapConfig {
    /// Number of replicas (≥ 2).
    pub replicas: usize,
    /// Seed of the random streams.
    pub seed: u64,
    /// Background efficiencies eB* ∈ (0, 1] at which eS is resampled.
    pub working_points: Vec<f64>,
}

impl Default for BootstrapConfig {
    /// 200 replicas, seed 0, the DarkMachines working points.
    fn default() -> Self {
        Self { replicas: 200, seed: 0, working_points: crate::DARKMACHINES_WORKING_POINTS.to_vec() }
    }
}

/// A resampled quantity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uncertainty {
    /// The value on the original sample.
    pub nominal: f64,
    pub mean: f64,
    /// Standard deviation over the replicas (n − 1 denominator).
    pub std: f64,
    /// 15.87 % percentile of the replicas.
    pub low: f64,
    /// 84.13 % percentile of the replicas.
    pub high: f64,
    /// The replica values, in replica order (skipped replicas left out).
    pub replicas: Vec<f64>,
}

impl Uncertainty {
    fn new(nominal: f64, replicas: Vec<f64>) -> Self {
        let n = replicas.len() as f64;
        let mean = replicas.iter().sum::<f64>() / n;
        let var = replicas.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        let mut sorted = replicas.clone();
        sorted.sort_by(f64::total_cmp);
        Self {
            nominal,
            mean,
            std: var.sqrt(),
            low: percentile(&sorted, 0.158_655_253_931_457_05),
            high: percentile(&sorted, 0.841_344_746_068_542_9),
            replicas,
        }
    }
}

/// Percentile `p` ∈ [0, 1] of an ascending non-empty slice, linear between order statistics.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Bootstrap result: the AUC and eS at each requested working point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BootstrapResult {
    pub auc: Uncertainty,
    /// (eB*, eS uncertainty), in the order of [`BootstrapConfig::working_points`].
    pub efficiencies: Vec<(f64, Uncertainty)>,
    /// Replicas used.
    pub used: usize,
    /// Replicas skipped because a class had zero total weight.
    pub skipped: usize,
}

/// Cumulative Poisson(1) probabilities P(K ≤ k), k = 0..=20.
fn poisson1_cdf() -> [f64; 21] {
    let mut cdf = [0.0; 21];
    let (mut p, mut acc) = ((-1.0f64).exp(), 0.0);
    for (k, c) in cdf.iter_mut().enumerate() {
        if k > 0 {
            p /= k as f64;
        }
        acc += p;
        *c = acc;
    }
    cdf
}

/// Seeded Poisson bootstrap of `sample` (see the module documentation).
pub fn bootstrap(sample: &ScoredSample, config: &BootstrapConfig) -> Result<BootstrapResult, EvalError> {
    if config.replicas < 2 {
        return Err(EvalError::Bootstrap(format!("needs at least 2 replicas, got {}", config.replicas)));
    }
    let roc = sample.roc();
    let nominal_eff =
        config.working_points.iter().map(|eb| Ok(roc.working_point(*eb)?.es)).collect::<Result<Vec<f64>, _>>()?;
    let cdf = poisson1_cdf();
    let entries = sample.entries();
    let results: Vec<Option<(f64, Vec<f64>)>> = (0..config.replicas)
        .into_par_iter()
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
            rng.set_stream(r as u64);
            let counts: Vec<u32> = (0..entries.len())
                .map(|_| {
                    let u: f64 = rng.random();
                    cdf.iter().position(|c| u < *c).unwrap_or(cdf.len()) as u32
                })
                .collect();
            let roc = build_roc(entries, Some(&counts)).ok()?;
            let eff: Option<Vec<f64>> =
                config.working_points.iter().map(|eb| roc.working_point(*eb).map(|wp| wp.es).ok()).collect();
            Some((roc.auc(), eff?))
        })
        .collect();
    let used: Vec<&(f64, Vec<f64>)> = results.iter().flatten().collect();
    if used.len() < 2 {
        return Err(EvalError::Bootstrap(format!(
            "only {} of {} replicas had signal and background weight; the sample is too small",
            used.len(),
            config.replicas
        )));
    }
    let auc = Uncertainty::new(roc.auc(), used.iter().map(|(a, _)| *a).collect());
    let efficiencies = config
        .working_points
        .iter()
        .enumerate()
        .map(|(j, eb)| (*eb, Uncertainty::new(nominal_eff[j], used.iter().map(|(_, e)| e[j]).collect())))
        .collect();
    Ok(BootstrapResult { auc, efficiencies, used: used.len(), skipped: config.replicas - used.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> ScoredSample {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let labels: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        let scores: Vec<f64> =
            labels.iter().map(|s| ((rng.random::<f64>() + if *s { 0.5 } else { 0.0 }) * 100.0_f64).round()).collect();
        ScoredSample::new(&scores, &labels, None).unwrap()
    }

    #[test]
    fn poisson_table() {
        let cdf = poisson1_cdf();
        assert!((cdf[0] - (-1.0f64).exp()).abs() < 1e-16);
        assert!((cdf[1] - 2.0 * (-1.0f64).exp()).abs() < 1e-15);
        assert_eq!(cdf[20], 1.0);
    }

    #[test]
    fn reproducible_and_plausible() {
        let s = sample(3000);
        let cfg = BootstrapConfig { replicas: 64, seed: 42, working_points: vec![0.1, 0.01] };
        let a = bootstrap(&s, &cfg).unwrap();
        let b = bootstrap(&s, &cfg).unwrap();
        assert_eq!(a, b);
        assert_eq!((a.used, a.skipped), (64, 0));
        // Nominal AUC inside the spread; std of the AUC ~ 0.01 for 1000 signal, 2000 background.
        assert!(a.auc.std > 0.003 && a.auc.std < 0.02, "{}", a.auc.std);
        assert!((a.auc.mean - a.auc.nominal).abs() < 3.0 * a.auc.std);
        assert!(a.auc.low < a.auc.high);
        let c = bootstrap(&s, &BootstrapConfig { seed: 43, ..cfg.clone() }).unwrap();
        assert_ne!(a.auc.replicas, c.auc.replicas);
    }

    #[test]
    fn rejects_bad_settings() {
        let s = sample(30);
        assert!(bootstrap(&s, &BootstrapConfig { replicas: 1, ..Default::default() }).is_err());
        let cfg = BootstrapConfig { working_points: vec![0.0], ..Default::default() };
        assert!(matches!(bootstrap(&s, &cfg), Err(EvalError::InvalidWorkingPoint(_))));
    }

    #[test]
    fn percentiles() {
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 0.5), 2.0);
        assert_eq!(percentile(&[1.0, 2.0], 0.25), 1.25);
        assert_eq!(percentile(&[5.0], 0.9), 5.0);
    }
}
