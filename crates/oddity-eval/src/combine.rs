//! Combination of several detectors' scores through calibrated background efficiencies
//! (physics-spec §7.8, the project's definition; arXiv 2105.14027 sec. 4.10 and 4.13 is the
//! method's source, but its published orientation is not followed).
//!
//! # Calibration of one member
//!
//! A [`Calibration`] is built from the member's scores on a held-out background set B (the
//! validation split, N events). For a score s it gives the background efficiency
//!
//! ε(s) = (1 + #{b ∈ B: s_b ≥ s}) / (N + 1) ∈ (0, 1]
//!
//! (the conformal p-value: the fraction of background at least as anomalous, counting the
//! evaluated event itself) and the calibrated score u(s) = 1 − ε(s) ∈ [0, 1], higher = more
//! anomalous and uniform on background (u = 1 only for s = +inf or where f64 rounds, below).
//! Edges:
//!
//! - **below the range**, s ≤ s_min (smallest calibration score): every calibration event
//!   counts, ε = 1 and u = 0, its minimum;
//! - **inside the range**, u is a step function of s that jumps at every distinct calibration
//!   score; events of the calibration set itself get u ∈ {0, 1/(N+1), …, (N−1)/(N+1)}, a tie
//!   group sharing the value of its lowest rank (a discrete uniform distribution, ties
//!   handled conservatively: P_B(ε ≤ α) ≤ α);
//! - **beyond the range**, s > s_max (largest calibration score): ε = exp(−(s − s_max)/σ)/(N + 1)
//!   with σ the standard deviation of the calibration scores (population form, 1/N), so u
//!   keeps increasing strictly with s instead of saturating, and ε(s) < ε(s_max) for every
//!   s > s_max. In f64, u = 1 − ε rounds to 1 once ε < 2⁻⁵⁴, i.e. about 37 − ln(N + 1) σ beyond
//!   s_max; [`Calibration::efficiency`] keeps the tail resolved down to ε ≈ 1e-308.
//!
//! Scores are in the member's own units (whatever the detector returns); ε and u are
//! dimensionless. A zero spread (σ = 0: every calibration score is equal) makes the tail
//! undefined and is rejected when the calibration is built, since any new event may need it.
//!
//! **Weights** (opt-in, as weighted ROCs in §2.5): with background weights w_b, the count is
//! replaced by the weighted sum and N by the effective count N_eff = (Σw)²/Σw²:
//! ε(s) = (1 + N_eff · Σ_{s_b ≥ s} w_b / Σw) / (N_eff + 1), tail exp(−(s − s_max)/σ_w)/(N_eff + 1)
//! with σ_w the weighted standard deviation. This is the weighted conformal p-value of
//! Tibshirani et al. (arXiv 1904.06019) with the evaluated event given the weight Σw²/Σw; for
//! unit weights it is the unweighted formula exactly. Events of weight 0 influence no weighted
//! sum and are left out of the calibration set (also out of s_min, s_max and σ).
//!
//! Evaluating M events costs O(log N) each (binary search in the sorted calibration scores,
//! with suffix sums of the weights precomputed), O((N + M) log N) with the O(N log N) sort;
//! batches run in parallel (rayon) and the searches of 32 events advance in lockstep, so
//! their cache misses overlap.
//!
//! # Combination
//!
//! A [`Combination`] holds one [`Calibration`] per member and a [`CombineMode`]; per event the
//! members' u-values are combined as AND = min_i u_i, OR = max_i u_i, AVG = (1/n) Σ_i u_i,
//! PROD = ∏_i u_i (higher = more anomalous for all four; AND ≤ AVG ≤ OR and PROD ≤ AND).
//! An ensemble of runs of one detector (the DeepSVDD ensemble, §7.1) is averaged first with
//! [`mean_scores`] and calibrated as one member, as the paper did.
//!
//! Both types are `Serialize + Deserialize`: a combination is stored as JSON with each
//! member's calibration set (sorted scores, optional weights) and N, N_eff and σ, and
//! deserialising re-validates the set and checks the stored N, N_eff and σ against the
//! recomputed ones, so a stored combination can be applied to new score tables later.

use crate::error::EvalError;
use crate::roc::Sum;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Events per rayon task when evaluating many events.
const MIN_EVENTS_PER_TASK: usize = 1 << 14;

/// Events whose binary searches advance in lockstep (see [`Calibration::u_into`]).
const LANES: usize = 32;

/// The background calibration of one member's score (see the [module docs](self)).
///
/// Serialised as [`CalibrationFile`]; deserialising validates it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CalibrationFile", into = "CalibrationFile")]
pub struct Calibration {
    /// Calibration scores of positive weight, ascending, -0.0 normalised to 0.0.
    scores: Vec<f64>,
    /// Their weights (`None`: all 1), in the order of `scores`.
    weights: Option<Vec<f64>>,
    /// `above[k]` = Σ of the weights of `scores[k..]`; one more entry, 0, at the end.
    /// Without weights it is N − k exactly (sums of ones), which is used instead.
    above: Vec<f64>,
    /// Weight given to the evaluated event, Σw²/Σw (1 without weights).
    own_weight: f64,
    /// Standard deviation of the calibration scores (weighted, 1/Σw form).
    sigma: f64,
}

/// The stored form of a [`Calibration`] (JSON field names as below).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationFile {
    /// Number of calibration events N (of positive weight).
    pub n_events: usize,
    /// Effective number of events (Σw)²/Σw²; equal to N without weights.
    pub n_effective: f64,
    /// Standard deviation σ of the calibration scores, the tail's scale.
    pub sigma: f64,
    /// The calibration scores, ascending.
    pub scores: Vec<f64>,
    /// Their weights, or `null` for an unweighted calibration.
    #[serde(default)]
    pub weights: Option<Vec<f64>>,
}

impl Calibration {
    /// Calibrates a member on its background scores `scores` (the validation split), with
    /// optional non-negative `weights` (`None`: unweighted, the spec's formula).
    ///
    /// Errors: `weights` of another length, a NaN or infinite score, a negative or non-finite
    /// weight, no event of positive weight, and a spread σ that is zero (all scores equal) or
    /// not finite.
    pub fn new(scores: &[f64], weights: Option<&[f64]>) -> Result<Self, EvalError> {
        if let Some(w) = weights
            && w.len() != scores.len()
        {
            return Err(EvalError::LengthMismatch {
                what: "calibration weights",
                len: w.len(),
                expected: scores.len(),
            });
        }
        let mut pairs = Vec::with_capacity(scores.len());
        for (index, &score) in scores.iter().enumerate() {
            if !score.is_finite() {
                return Err(EvalError::CalibrationScore { index, value: score });
            }
            let weight = weights.map_or(1.0, |w| w[index]);
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(EvalError::InvalidWeight { index, value: weight });
            }
            if weight > 0.0 {
                pairs.push((score + 0.0, weight));
            }
        }
        if pairs.is_empty() {
            return Err(EvalError::EmptyCalibration { events: scores.len() });
        }
        // Ties ordered by weight too, so the suffix sums do not depend on the input order.
        pairs.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let (scores, w): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        Self::from_sorted(scores, weights.map(|_| w))
    }

    /// Builds the calibration from ascending scores and their positive weights.
    fn from_sorted(scores: Vec<f64>, weights: Option<Vec<f64>>) -> Result<Self, EvalError> {
        let weight = |k: usize| weights.as_ref().map_or(1.0, |w| w[k]);
        let mut above = vec![0.0; scores.len() + 1];
        let (mut total, mut squares) = (Sum::default(), Sum::default());
        for k in (0..scores.len()).rev() {
            total.add(weight(k));
            squares.add(weight(k) * weight(k));
            above[k] = total.value();
        }
        let w_total = above[0];
        let mut first = Sum::default();
        (0..scores.len()).for_each(|k| first.add(weight(k) * scores[k]));
        let mean = first.value() / w_total;
        let mut second = Sum::default();
        (0..scores.len()).for_each(|k| second.add(weight(k) * (scores[k] - mean) * (scores[k] - mean)));
        let sigma = (second.value() / w_total).sqrt();
        let (min, max) = (scores[0], scores[scores.len() - 1]);
        if min == max || !(sigma > 0.0 && sigma.is_finite()) {
            return Err(EvalError::CalibrationSpread { events: scores.len(), min, max, sigma });
        }
        Ok(Self { own_weight: squares.value() / w_total, scores, weights, above, sigma })
    }

    /// Number N of calibration events (of positive weight).
    pub fn n_events(&self) -> usize {
        self.scores.len()
    }

    /// Effective number of calibration events (Σw)²/Σw², N when unweighted.
    pub fn n_effective(&self) -> f64 {
        self.above[0] / self.own_weight
    }

    /// Standard deviation σ of the calibration scores (score units), the tail's scale.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// Smallest calibration score s_min: u = 0 at and below it.
    pub fn min_score(&self) -> f64 {
        self.scores[0]
    }

    /// Largest calibration score s_max: the exponential tail starts above it.
    pub fn max_score(&self) -> f64 {
        self.scores[self.scores.len() - 1]
    }

    /// The calibration scores, ascending.
    pub fn scores(&self) -> &[f64] {
        &self.scores
    }

    /// Their weights (in the order of [`Self::scores`]), `None` when unweighted.
    pub fn weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }

    /// Background efficiency ε(s) ∈ [0, 1] of a score (see the [module docs](self)): 1 at
    /// and below s_min, the exponential tail above s_max (0 for s = +inf); NaN for NaN.
    pub fn efficiency(&self, score: f64) -> f64 {
        if score.is_nan() {
            return f64::NAN;
        }
        self.efficiency_at(score, self.scores.partition_point(|&t| t < score))
    }

    /// ε of a non-NaN `score` whose first calibration score ≥ it is `scores[k]` (k = N: none).
    #[inline]
    fn efficiency_at(&self, score: f64, k: usize) -> f64 {
        let n = self.scores.len();
        let denominator = self.own_weight + self.above[0];
        if k == n {
            self.own_weight * (-(score - self.max_score()) / self.sigma).exp() / denominator
        } else {
            let above = if self.weights.is_some() { self.above[k] } else { (n - k) as f64 };
            (self.own_weight + above) / denominator
        }
    }

    /// Writes u of every (non-NaN) score of `scores` to `out`, same length.
    ///
    /// The binary searches of [`LANES`] events advance in lockstep, branch-free: the loads of
    /// one step are independent, so the memory latency of a calibration set larger than the
    /// caches overlap instead of adding up (about 2× less CPU time than one search after the
    /// other at N = 10⁶ on the benchmark machine). Same result as [`Self::u`].
    fn u_into(&self, scores: &[f64], out: &mut [f64]) {
        for (queries, out) in scores.chunks(LANES).zip(out.chunks_mut(LANES)) {
            let mut base = [0usize; LANES];
            // Invariant: the first score ≥ q lies in [base, base + len]; len shrinks the same
            // way for every lane.
            let mut len = self.scores.len();
            while len > 1 {
                let half = len / 2;
                for (b, &q) in base.iter_mut().zip(queries) {
                    *b = if self.scores[*b + half] < q { *b + half } else { *b };
                }
                len -= half;
            }
            for ((o, &q), &b) in out.iter_mut().zip(queries).zip(&base) {
                let k = b + usize::from(self.scores[b] < q);
                *o = 1.0 - self.efficiency_at(q, k);
            }
        }
    }

    /// Calibrated score u(s) = 1 − ε(s) ∈ [0, 1], higher = more anomalous; NaN for NaN.
    pub fn u(&self, score: f64) -> f64 {
        1.0 - self.efficiency(score)
    }

    /// u for every event of `scores`, in parallel for large inputs. Error: a NaN score
    /// (the first one is named).
    pub fn u_values(&self, scores: &[f64]) -> Result<Vec<f64>, EvalError> {
        check_not_nan(scores)?;
        let mut out = vec![0.0; scores.len()];
        out.par_chunks_mut(MIN_EVENTS_PER_TASK)
            .zip(scores.par_chunks(MIN_EVENTS_PER_TASK))
            .for_each(|(out, scores)| self.u_into(scores, out));
        Ok(out)
    }
}

impl TryFrom<CalibrationFile> for Calibration {
    type Error = EvalError;

    /// Validates the stored set like [`Calibration::new`] and checks that the stored N, N_eff
    /// and σ are the recomputed ones, bit for bit.
    fn try_from(file: CalibrationFile) -> Result<Self, EvalError> {
        let calibration = Self::new(&file.scores, file.weights.as_deref())?;
        let checks = [
            ("n_events", file.n_events as f64, calibration.n_events() as f64),
            ("n_effective", file.n_effective, calibration.n_effective()),
            ("sigma", file.sigma, calibration.sigma()),
        ];
        for (field, stored, recomputed) in checks {
            if stored.to_bits() != recomputed.to_bits() {
                return Err(EvalError::CalibrationMismatch { field, stored, recomputed });
            }
        }
        Ok(calibration)
    }
}

impl From<Calibration> for CalibrationFile {
    fn from(c: Calibration) -> Self {
        Self {
            n_events: c.n_events(),
            n_effective: c.n_effective(),
            sigma: c.sigma,
            scores: c.scores,
            weights: c.weights,
        }
    }
}

/// How the members' calibrated scores u_i are combined per event (all: higher = more anomalous).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CombineMode {
    /// min_i u_i: anomalous only if every member says so.
    And,
    /// max_i u_i: anomalous if any member says so.
    Or,
    /// (1/n) Σ_i u_i.
    Avg,
    /// ∏_i u_i.
    Prod,
}

impl CombineMode {
    /// Every mode, in the order of physics-spec §7.8.
    pub const ALL: [CombineMode; 4] = [CombineMode::And, CombineMode::Or, CombineMode::Avg, CombineMode::Prod];

    /// The lower-case name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            CombineMode::And => "and",
            CombineMode::Or => "or",
            CombineMode::Avg => "avg",
            CombineMode::Prod => "prod",
        }
    }

    fn identity(self) -> f64 {
        match self {
            CombineMode::And => f64::INFINITY,
            CombineMode::Or => f64::NEG_INFINITY,
            CombineMode::Avg => 0.0,
            CombineMode::Prod => 1.0,
        }
    }

    fn fold(self, acc: f64, u: f64) -> f64 {
        match self {
            CombineMode::And => acc.min(u),
            CombineMode::Or => acc.max(u),
            CombineMode::Avg => acc + u,
            CombineMode::Prod => acc * u,
        }
    }

    fn finish(self, acc: f64, members: usize) -> f64 {
        match self {
            CombineMode::Avg => acc / members as f64,
            _ => acc,
        }
    }
}

impl std::fmt::Display for CombineMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for CombineMode {
    type Err = EvalError;

    /// Parses `and`, `or`, `avg` or `prod` (any case).
    fn from_str(s: &str) -> Result<Self, EvalError> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| EvalError::UnknownCombineMode { given: s.to_owned() })
    }
}

/// Calibrated members and the rule that combines them (see the [module docs](self)).
///
/// `members[i]` calibrates the i-th score column passed to [`Combination::combine`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Combination {
    pub mode: CombineMode,
    pub members: Vec<Calibration>,
}

impl Combination {
    /// Calibrates every member on the same background events: `background[i][b]` is member
    /// i's score of event b, `weights[b]` its optional weight.
    ///
    /// Errors: no member, members with different numbers of events, and every error of
    /// [`Calibration::new`], wrapped with the member index.
    pub fn fit(mode: CombineMode, background: &[&[f64]], weights: Option<&[f64]>) -> Result<Self, EvalError> {
        check_members("combination", background)?;
        let members = background
            .iter()
            .enumerate()
            .map(|(member, scores)| Calibration::new(scores, weights).map_err(|e| e.in_member(member)))
            .collect::<Result<_, _>>()?;
        Ok(Self { mode, members })
    }

    /// The combined score of every event, in [0, 1], higher = more anomalous:
    /// `scores[i][e]` is member i's score of event e.
    ///
    /// Errors: no member, a number of score columns other than the number of members,
    /// columns of different lengths, a NaN score (member and event named).
    pub fn combine(&self, scores: &[&[f64]]) -> Result<Vec<f64>, EvalError> {
        check_members("combination", scores)?;
        if scores.len() != self.members.len() {
            return Err(EvalError::MemberCount { expected: self.members.len(), got: scores.len() });
        }
        let mut out = vec![self.mode.identity(); scores[0].len()];
        out.par_chunks_mut(MIN_EVENTS_PER_TASK).enumerate().for_each(|(chunk, out)| {
            let events = chunk * MIN_EVENTS_PER_TASK..chunk * MIN_EVENTS_PER_TASK + out.len();
            let mut u = vec![0.0; out.len()];
            for (calibration, member) in self.members.iter().zip(scores) {
                calibration.u_into(&member[events.clone()], &mut u);
                out.iter_mut().zip(&u).for_each(|(acc, &u)| *acc = self.mode.fold(*acc, u));
            }
            out.iter_mut().for_each(|acc| *acc = self.mode.finish(*acc, self.members.len()));
        });
        Ok(out)
    }
}

/// Event-wise arithmetic mean of several runs' scores, (1/n) Σ_r s_r (the DeepSVDD ensemble
/// score, physics-spec §7.1; score units unchanged), to be calibrated as one member.
///
/// Errors: no run, runs of different lengths, a NaN score (run and event named).
pub fn mean_scores(runs: &[&[f64]]) -> Result<Vec<f64>, EvalError> {
    check_members("ensemble", runs)?;
    let n = runs.len() as f64;
    Ok((0..runs[0].len())
        .into_par_iter()
        .with_min_len(MIN_EVENTS_PER_TASK)
        .map(|e| runs.iter().fold(0.0, |acc, r| acc + r[e]) / n)
        .collect())
}

/// At least one member, all of the length of the first, no NaN.
fn check_members(what: &'static str, members: &[&[f64]]) -> Result<(), EvalError> {
    let first = members.first().ok_or(EvalError::NoMembers { what })?;
    for (member, scores) in members.iter().enumerate() {
        if scores.len() != first.len() {
            return Err(EvalError::MemberLength { member, len: scores.len(), expected: first.len() });
        }
        check_not_nan(scores).map_err(|e| e.in_member(member))?;
    }
    Ok(())
}

/// Error for the first NaN score.
fn check_not_nan(scores: &[f64]) -> Result<(), EvalError> {
    match scores.par_iter().with_min_len(MIN_EVENTS_PER_TASK).position_first(|s| s.is_nan()) {
        Some(index) => Err(EvalError::NanScore { index }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calibration(scores: &[f64]) -> Calibration {
        Calibration::new(scores, None).unwrap()
    }

    #[test]
    fn efficiency_counts_scores_at_least_as_high() {
        let c = calibration(&[3.0, 1.0, 2.0, 2.0]);
        // (1 + #{s_b ≥ s}) / (N + 1), N = 4.
        assert_eq!(c.efficiency(0.5), 1.0);
        assert_eq!(c.efficiency(1.0), 1.0);
        assert_eq!(c.efficiency(1.5), 4.0 / 5.0);
        assert_eq!(c.efficiency(2.0), 4.0 / 5.0);
        assert_eq!(c.efficiency(3.0), 2.0 / 5.0);
        assert_eq!(c.u(f64::NEG_INFINITY), 0.0);
        assert_eq!(c.u(f64::INFINITY), 1.0);
        assert!(c.u(f64::NAN).is_nan());
    }

    #[test]
    fn lockstep_search_equals_one_search_per_event() {
        // Heavy ties, queries on, between and beyond the scores, a partial last group of lanes,
        // set sizes around powers of two.
        for n in [3, 16, 17, 1000, 1024, 1025] {
            let set: Vec<f64> = (0..n).map(|k| f64::from((k * 7919) % n / 2)).collect();
            let c = calibration(&set);
            let queries: Vec<f64> = (-10..=n).map(|k| f64::from(k) * 0.35).collect();
            let mut u = vec![0.0; queries.len()];
            c.u_into(&queries, &mut u);
            let one_by_one: Vec<f64> = queries.iter().map(|&q| c.u(q)).collect();
            assert_eq!(u, one_by_one, "N = {n}");
        }
    }

    #[test]
    fn tail_is_exponential_in_sigma() {
        let c = calibration(&[0.0, 2.0]);
        assert_eq!(c.sigma(), 1.0);
        assert_eq!(c.efficiency(2.0), 2.0 / 3.0);
        assert_eq!(c.efficiency(3.0), (-1.0f64).exp() / 3.0);
        assert!(c.efficiency(2.0 + 1e-12) < 1.0 / 3.0);
    }

    #[test]
    fn weights_of_one_give_the_unweighted_calibration() {
        let s = [0.3, -1.0, 2.5, 0.3, 7.0];
        let points = [-2.0, 0.3, 1.0, 2.5, 7.0, 8.0];
        let (unit, plain) = (Calibration::new(&s, Some(&[1.0; 5])).unwrap(), calibration(&s));
        assert_eq!(unit.n_effective(), 5.0);
        assert_eq!(points.map(|x| unit.efficiency(x)), points.map(|x| plain.efficiency(x)));
        // Zero weight dropped; equal weights 2: N_eff = 4, the unweighted calibration of the rest.
        let weighted = Calibration::new(&s, Some(&[2.0, 0.0, 2.0, 2.0, 2.0])).unwrap();
        let rest = calibration(&[0.3, 2.5, 0.3, 7.0]);
        assert_eq!((weighted.n_events(), weighted.n_effective(), weighted.min_score()), (4, 4.0, 0.3));
        assert_eq!(points.map(|x| weighted.efficiency(x)), points.map(|x| rest.efficiency(x)));
        // Unequal weights: ε(2.5) = (w0 + 3 + 1) / (w0 + 5), w0 = Σw²/Σw = 11/5.
        let unequal = Calibration::new(&[0.0, 2.5, 7.0], Some(&[1.0, 3.0, 1.0])).unwrap();
        let w0 = 11.0 / 5.0;
        assert!((unequal.efficiency(2.5) - (w0 + 4.0) / (w0 + 5.0)).abs() < 1e-15);
        assert!((unequal.n_effective() - 25.0 / 11.0).abs() < 1e-14);
    }

    #[test]
    fn invalid_calibration_sets_are_rejected() {
        assert!(matches!(Calibration::new(&[], None), Err(EvalError::EmptyCalibration { events: 0 })));
        assert!(matches!(
            Calibration::new(&[1.0, 2.0], Some(&[0.0, 0.0])),
            Err(EvalError::EmptyCalibration { events: 2 })
        ));
        assert!(matches!(Calibration::new(&[1.0, f64::NAN], None), Err(EvalError::CalibrationScore { index: 1, .. })));
        assert!(matches!(Calibration::new(&[f64::INFINITY], None), Err(EvalError::CalibrationScore { index: 0, .. })));
        assert!(matches!(Calibration::new(&[1.0, 2.0], Some(&[1.0])), Err(EvalError::LengthMismatch { .. })));
        assert!(matches!(
            Calibration::new(&[1.0, 2.0], Some(&[1.0, -1.0])),
            Err(EvalError::InvalidWeight { index: 1, .. })
        ));
        let err = Calibration::new(&[4.0, 4.0, 4.0], None).unwrap_err();
        assert!(matches!(err, EvalError::CalibrationSpread { events: 3, sigma: 0.0, .. }), "{err}");
        // A single event has no spread either.
        assert!(matches!(Calibration::new(&[1.0], None), Err(EvalError::CalibrationSpread { .. })));
    }

    #[test]
    fn combination_errors_name_the_member() {
        let c = Combination::fit(CombineMode::Avg, &[&[0.0, 1.0], &[0.0, 2.0]], None).unwrap();
        let err = c.combine(&[&[0.5], &[f64::NAN]]).unwrap_err();
        assert_eq!(err.to_string(), "member 1: score of event 0 is NaN; scores must be numbers (±inf is allowed)");
        assert!(matches!(c.combine(&[&[0.5]]), Err(EvalError::MemberCount { expected: 2, got: 1 })));
        assert!(matches!(c.combine(&[&[0.5], &[]]), Err(EvalError::MemberLength { member: 1, len: 0, expected: 1 })));
        assert!(matches!(c.combine(&[]), Err(EvalError::NoMembers { what: "combination" })));
        let err = Combination::fit(CombineMode::And, &[&[0.0, 1.0], &[3.0, 3.0]], None).unwrap_err();
        assert!(err.to_string().starts_with("member 1: "), "{err}");
        assert!(matches!(mean_scores(&[]), Err(EvalError::NoMembers { what: "ensemble" })));
    }

    #[test]
    fn modes_combine_as_defined() {
        let background: [&[f64]; 2] = [&[0.0, 1.0, 2.0, 3.0], &[0.0, 10.0, 20.0, 30.0]];
        // Event: member 0 at 2.0 (u = 1 − 3/5), member 1 at 30.0 (u = 1 − 2/5).
        let (u0, u1): (f64, f64) = (1.0 - 3.0 / 5.0, 1.0 - 2.0 / 5.0);
        for (mode, expected) in [
            (CombineMode::And, u0.min(u1)),
            (CombineMode::Or, u0.max(u1)),
            (CombineMode::Avg, (u0 + u1) / 2.0),
            (CombineMode::Prod, u0 * u1),
        ] {
            let c = Combination::fit(mode, &background, None).unwrap();
            assert_eq!(c.combine(&[&[2.0], &[30.0]]).unwrap(), vec![expected], "{mode}");
        }
    }

    #[test]
    fn mean_scores_is_the_event_wise_mean() {
        assert_eq!(mean_scores(&[&[1.0, 2.0], &[3.0, 6.0], &[2.0, 1.0]]).unwrap(), vec![2.0, 3.0]);
    }

    #[test]
    fn modes_parse_and_print() {
        for mode in CombineMode::ALL {
            assert_eq!(mode.to_string().parse::<CombineMode>().unwrap(), mode);
        }
        assert_eq!("AVG".parse::<CombineMode>().unwrap(), CombineMode::Avg);
        let err = "mean".parse::<CombineMode>().unwrap_err();
        assert_eq!(err.to_string(), "unknown combination mode 'mean', expected one of and, or, avg, prod");
    }
}
