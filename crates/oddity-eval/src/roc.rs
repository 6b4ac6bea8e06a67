//! The weighted ROC curve with ties, and its AUC (physics-spec §8.1).
//!
//! Inputs: scores s (higher = more anomalous), labels (signal or background) and non-negative
//! weights w (all 1 when none are given). Events are sorted by score descending and equal
//! scores are grouped. After each group k with score t_k:
//!
//! - eS_k = (Σ signal weight with s ≥ t_k) / W_S,
//! - eB_k = (Σ background weight with s ≥ t_k) / W_B,
//!
//! and the ROC is the polyline through (0,0), (eB_k, eS_k), ..., (1,1): a tie group is one
//! straight segment, never a staircase. The AUC is the trapezoidal area under the polyline,
//! which equals the weighted Mann-Whitney statistic
//! Σ_{i∈S} Σ_{j∈B} w_i w_j [1(s_i > s_j) + ½·1(s_i = s_j)] / (W_S W_B).
//! This is what scikit-learn's `roc_curve(..., drop_intermediate=False)` and `roc_auc_score`
//! compute with `sample_weight` (checked by the golden test `tests/sklearn.rs`).
//!
//! Edge cases: NaN scores, negative, NaN or infinite weights, and a class without events or
//! with zero total weight are errors; ±inf scores are ordinary (extreme) scores; -0.0 and 0.0
//! are the same score. Zero-weight events are kept: they add points that repeat the previous
//! one (scikit-learn drops them) and they count in the unweighted event counts.
//!
//! Numerics: one O(n log n) sort (rayon, parallel) on an integer key derived from the score,
//! then linear passes. Cumulative weights and the area use compensated (Neumaier) summation,
//! and the totals W_S, W_B are the last cumulative sums, so the curve ends at (1,1) exactly.
//! Within a tie group events are ordered by label and weight, so the result is bit-for-bit
//! independent of the input order.

use crate::error::{Class, EvalError};
use rayon::prelude::*;

/// One event of a [`ScoredSample`], 24 bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    /// Sort key: ascending key = descending score (see [`desc_key`]).
    pub(crate) key: u64,
    pub(crate) weight: f64,
    pub(crate) signal: bool,
}

/// Maps a non-NaN score to a u64 whose ascending order is the score's descending order, with
/// -0.0 and 0.0 mapped to the same key.
fn desc_key(score: f64) -> u64 {
    // -0.0 + 0.0 = +0.0 under round-to-nearest; every other value is unchanged.
    let bits = (score + 0.0).to_bits();
    let ascending = if bits >> 63 == 1 { !bits } else { bits | (1 << 63) };
    !ascending
}

/// Inverse of [`desc_key`].
fn key_score(key: u64) -> f64 {
    let ascending = !key;
    let bits = if ascending >> 63 == 1 { ascending & !(1 << 63) } else { !ascending };
    f64::from_bits(bits)
}

/// Neumaier compensated running sum.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sum {
    sum: f64,
    comp: f64,
}

impl Sum {
    #[inline]
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }

    #[inline]
    pub(crate) fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

/// Validated, labelled, weighted scores, sorted once by score descending.
///
/// Build it once and derive the [`Roc`], any number of working points and bootstrap replicas
/// from it without sorting again.
#[derive(Debug, Clone)]
pub struct ScoredSample {
    entries: Vec<Entry>,
    n_signal: u64,
    n_background: u64,
}

impl ScoredSample {
    /// Validates and sorts the events.
    ///
    /// `scores[i]`, `is_signal[i]` and `weights[i]` (1 when `weights` is `None`) describe event
    /// i. Errors: slices of different lengths, a NaN score, a negative or non-finite weight, a
    /// class with no events or with zero total weight.
    pub fn new(scores: &[f64], is_signal: &[bool], weights: Option<&[f64]>) -> Result<Self, EvalError> {
        let n = scores.len();
        if is_signal.len() != n {
            return Err(EvalError::LengthMismatch { what: "labels", len: is_signal.len(), expected: n });
        }
        if let Some(w) = weights
            && w.len() != n
        {
            return Err(EvalError::LengthMismatch { what: "weights", len: w.len(), expected: n });
        }
        let mut entries = Vec::with_capacity(n);
        let (mut n_signal, mut n_background) = (0u64, 0u64);
        let (mut w_signal, mut w_background) = (0.0f64, 0.0f64);
        for (index, (&score, &signal)) in scores.iter().zip(is_signal).enumerate() {
            if score.is_nan() {
                return Err(EvalError::NanScore { index });
            }
            let weight = weights.map_or(1.0, |w| w[index]);
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(EvalError::InvalidWeight { index, value: weight });
            }
            if signal {
                n_signal += 1;
                w_signal += weight;
            } else {
                n_background += 1;
                w_background += weight;
            }
            entries.push(Entry { key: desc_key(score), weight, signal });
        }
        for (class, count, total) in
            [(Class::Signal, n_signal, w_signal), (Class::Background, n_background, w_background)]
        {
            if count == 0 {
                return Err(EvalError::EmptyClass { class });
            }
            if total <= 0.0 {
                return Err(EvalError::ZeroWeightClass { class, count });
            }
            if !total.is_finite() {
                return Err(EvalError::WeightOverflow { class });
            }
        }
        // Canonical order inside a tie group (label, then weight; weights are non-negative so
        // their bit patterns order like their values): results do not depend on input order.
        entries.par_sort_unstable_by(|a, b| {
            a.key.cmp(&b.key).then(a.signal.cmp(&b.signal)).then(a.weight.to_bits().cmp(&b.weight.to_bits()))
        });
        Ok(Self { entries, n_signal, n_background })
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always false: a valid sample has signal and background events.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Unweighted number of signal events.
    pub fn n_signal(&self) -> u64 {
        self.n_signal
    }

    /// Unweighted number of background events.
    pub fn n_background(&self) -> u64 {
        self.n_background
    }

    /// The weighted ROC (§8.1).
    pub fn roc(&self) -> Roc {
        // Cannot fail: `new` checked that both classes have positive total weight.
        build_roc(&self.entries, None).unwrap_or_else(|_| Roc::empty())
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

/// A weighted ROC curve: the polyline through (0,0), one point per distinct score (highest
/// score first), ending at (1,1).
///
/// Point 0 is the origin (threshold +inf, nothing selected); point k ≥ 1 selects every event
/// with score ≥ `thresholds()[k]`. All vectors have the same length.
#[derive(Debug, Clone, PartialEq)]
pub struct Roc {
    thresholds: Vec<f64>,
    eb: Vec<f64>,
    es: Vec<f64>,
    n_background: Vec<u64>,
    n_signal: Vec<u64>,
}

impl Roc {
    fn empty() -> Self {
        Self { thresholds: vec![f64::INFINITY], eb: vec![0.0], es: vec![0.0], n_background: vec![0], n_signal: vec![0] }
    }

    /// Weighted ROC of `scores` (convenience for [`ScoredSample::new`] then [`ScoredSample::roc`]).
    pub fn new(scores: &[f64], is_signal: &[bool], weights: Option<&[f64]>) -> Result<Self, EvalError> {
        Ok(ScoredSample::new(scores, is_signal, weights)?.roc())
    }

    /// Number of points, including the origin.
    pub fn len(&self) -> usize {
        self.eb.len()
    }

    /// Always false: a ROC has at least the origin and (1,1).
    pub fn is_empty(&self) -> bool {
        self.eb.is_empty()
    }

    /// Score thresholds t_k: +inf for the origin, then the distinct scores, descending.
    pub fn thresholds(&self) -> &[f64] {
        &self.thresholds
    }

    /// Background efficiencies eB_k (x axis), non-decreasing from 0 to 1.
    pub fn eb(&self) -> &[f64] {
        &self.eb
    }

    /// Signal efficiencies eS_k (y axis), non-decreasing from 0 to 1.
    pub fn es(&self) -> &[f64] {
        &self.es
    }

    /// Unweighted number of background events with score ≥ t_k.
    pub fn n_background_selected(&self) -> &[u64] {
        &self.n_background
    }

    /// Unweighted number of signal events with score ≥ t_k.
    pub fn n_signal_selected(&self) -> &[u64] {
        &self.n_signal
    }

    /// Unweighted number of background events.
    pub fn n_background(&self) -> u64 {
        self.n_background.last().copied().unwrap_or(0)
    }

    /// Area under the polyline by trapezoids: Σ_k (eB_k − eB_{k−1})(eS_k + eS_{k−1})/2.
    pub fn auc(&self) -> f64 {
        let mut area = Sum::default();
        for k in 1..self.eb.len() {
            area.add((self.eb[k] - self.eb[k - 1]) * (self.es[k] + self.es[k - 1]));
        }
        area.value() / 2.0
    }
}

/// Builds the ROC from sorted entries, with an optional integer multiplicity per entry (the
/// bootstrap's Poisson counts). Fails when a class ends up with zero total weight.
pub(crate) fn build_roc(entries: &[Entry], multiplicity: Option<&[u32]>) -> Result<Roc, EvalError> {
    let mut roc = Roc::empty();
    let (mut ws, mut wb) = (Sum::default(), Sum::default());
    let (mut ns, mut nb) = (0u64, 0u64);
    for (i, e) in entries.iter().enumerate() {
        let m = multiplicity.map_or(1, |m| m[i]);
        if m > 0 {
            let w = e.weight * f64::from(m);
            if e.signal {
                ws.add(w);
                ns += u64::from(m);
            } else {
                wb.add(w);
                nb += u64::from(m);
            }
        }
        let group_ends = entries.get(i + 1).is_none_or(|next| next.key != e.key);
        if group_ends {
            roc.thresholds.push(key_score(e.key));
            roc.es.push(ws.value());
            roc.eb.push(wb.value());
            roc.n_signal.push(ns);
            roc.n_background.push(nb);
        }
    }
    let (total_s, total_b) = (ws.value(), wb.value());
    if total_s <= 0.0 {
        return Err(EvalError::ZeroWeightClass { class: Class::Signal, count: ns });
    }
    if total_b <= 0.0 {
        return Err(EvalError::ZeroWeightClass { class: Class::Background, count: nb });
    }
    // The last cumulative sums are the totals, so the last point is (1, 1) exactly.
    roc.es.iter_mut().for_each(|x| *x /= total_s);
    roc.eb.iter_mut().for_each(|x| *x /= total_b);
    Ok(roc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_and_inverse() {
        let xs = [f64::NEG_INFINITY, -1e300, -1.0, -5e-324, 0.0, 5e-324, 0.5, 1.0, 1e300, f64::INFINITY];
        for w in xs.windows(2) {
            assert!(desc_key(w[0]) > desc_key(w[1]), "{} {}", w[0], w[1]);
        }
        for x in xs {
            assert_eq!(key_score(desc_key(x)).to_bits(), x.to_bits());
        }
        assert_eq!(desc_key(-0.0), desc_key(0.0));
    }

    #[test]
    fn simple_curve_with_a_tie() {
        let roc = Roc::new(&[0.9, 0.8, 0.8, 0.3, 0.1], &[true, true, false, false, false], None).unwrap();
        assert_eq!(roc.thresholds(), &[f64::INFINITY, 0.9, 0.8, 0.3, 0.1]);
        assert_eq!(roc.es(), &[0.0, 0.5, 1.0, 1.0, 1.0]);
        assert_eq!(roc.eb(), &[0.0, 0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0]);
        assert_eq!(roc.n_background_selected(), &[0, 0, 1, 2, 3]);
        assert_eq!(roc.n_signal_selected(), &[0, 1, 2, 2, 2]);
        assert!((roc.auc() - 5.5 / 6.0).abs() < 1e-15);
    }

    #[test]
    fn all_tied_is_the_diagonal() {
        let roc = Roc::new(&[1.0; 4], &[true, false, true, false], Some(&[1.0, 2.0, 3.0, 4.0])).unwrap();
        assert_eq!(roc.eb(), &[0.0, 1.0]);
        assert_eq!(roc.es(), &[0.0, 1.0]);
        assert_eq!(roc.auc(), 0.5);
    }

    #[test]
    fn signed_zero_and_infinities() {
        let roc = Roc::new(&[-0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY], &[true, false, true, false], None).unwrap();
        assert_eq!(roc.thresholds(), &[f64::INFINITY, f64::INFINITY, 0.0, f64::NEG_INFINITY]);
        // (0,0) -> (0,0.5) -> (0.5,1) -> (1,1).
        assert_eq!(roc.auc(), 0.875);
    }

    #[test]
    fn zero_weight_events_repeat_points() {
        let roc = Roc::new(&[3.0, 2.0, 1.0], &[true, false, false], Some(&[1.0, 0.0, 1.0])).unwrap();
        assert_eq!(roc.eb(), &[0.0, 0.0, 0.0, 1.0]);
        assert_eq!(roc.n_background_selected(), &[0, 0, 1, 2]);
        assert_eq!(roc.auc(), 1.0);
    }

    #[test]
    fn errors_are_clear() {
        let e = Roc::new(&[1.0, f64::NAN], &[true, false], None).unwrap_err();
        assert_eq!(e.to_string(), "score of event 1 is NaN; scores must be numbers (±inf is allowed)");
        let e = Roc::new(&[1.0, 2.0], &[true, false], Some(&[1.0, -1.0])).unwrap_err();
        assert_eq!(e.to_string(), "weight of event 1 is -1; weights must be finite and non-negative");
        let e = Roc::new(&[1.0, 2.0], &[true, false], Some(&[f64::INFINITY, 1.0])).unwrap_err();
        assert!(matches!(e, EvalError::InvalidWeight { index: 0, .. }));
        let e = Roc::new(&[1.0, 2.0], &[false, false], None).unwrap_err();
        assert_eq!(e.to_string(), "no signal events: a ROC needs both signal and background");
        let e = Roc::new(&[1.0, 2.0], &[true, false], Some(&[1.0, 0.0])).unwrap_err();
        assert_eq!(e.to_string(), "the 1 background events all have weight 0: the background efficiency is undefined");
        let e = Roc::new(&[1.0, 2.0], &[true], None).unwrap_err();
        assert_eq!(e.to_string(), "labels has 1 entries but there are 2 scores");
        let e = Roc::new(&[1.0, 2.0, 3.0], &[true, false, false], Some(&[1.0, 1e308, 1e308])).unwrap_err();
        assert_eq!(e.to_string(), "the total background weight overflows f64; rescale the weights");
        let e = Roc::new(&[], &[], None).unwrap_err();
        assert!(matches!(e, EvalError::EmptyClass { class: Class::Signal }));
    }
}
