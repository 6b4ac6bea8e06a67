//! Anomaly regions at a fixed cross section or background efficiency (physics-spec §9.1; seed
//! 004, ATLAS arXiv 2307.01612).
//!
//! Scores s_i (higher = more anomalous) and weights w_i in expected events for the luminosity L
//! are ranked once ([`ScoreRanking`]). The anomaly region for a target cross section σ_AR is
//! {s ≥ t_σ}, where t_σ is the **largest** score value such that Σ_{s_i ≥ t} w_i ≥ σ_AR·L:
//! sort descending, accumulate, and stop at the first group of equal scores that reaches the
//! target; all events tied at t_σ pass. σ_AR is in pb and L in fb⁻¹ (1 pb = 1000 fb), so the
//! target is σ_AR·1000·L expected events: the ATLAS presets 10, 1 and 0.1 pb at 140 fb⁻¹ are
//! 1.4 M, 140 k and 14 k events. A target above the total weight is an error, never a silent
//! "select everything". The same threshold for a weighted background efficiency ε targets
//! ε·Σw.
//!
//! Thresholds are fixed on the background (or training data) and applied unchanged to data
//! with [`region_yield`]. Every region reports its Σw, its raw event count and its effective
//! sample size (Σw)²/Σw² (Kish), so a region held by a few large-weight events shows.

use rayon::prelude::*;
use serde::Serialize;

/// The ATLAS anomaly-region cross sections, pb (arXiv 2307.01612).
pub const ATLAS_CROSS_SECTIONS_PB: [f64; 3] = [10.0, 1.0, 0.1];

/// fb per pb: σ[pb]·L[fb⁻¹]·1000 = expected events.
pub const FB_PER_PB: f64 = 1000.0;

/// Invalid input to the anomaly-region functions; indices are 0-based event positions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegionError {
    #[error("no events: an anomaly region needs at least one scored event")]
    Empty,
    #[error("{scores} scores but {weights} weights")]
    Length { scores: usize, weights: usize },
    #[error("score of event {index} is NaN; expected a number (±inf allowed)")]
    NanScore { index: usize },
    #[error("weight of event {index} is {value}; expected a finite weight ≥ 0 (expected events)")]
    Weight { index: usize, value: f64 },
    #[error("target {what} is {value}; expected {expected}")]
    Target { what: &'static str, value: f64, expected: &'static str },
    #[error("target of {target} expected events exceeds the total weight {total}: no threshold selects that much")]
    AboveTotal { target: f64, total: f64 },
}

/// Σw, event count and effective sample size of a selection.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RegionYield {
    /// Σw of the selected events (expected events).
    pub sum_weights: f64,
    /// Σw² of the selected events.
    pub sum_weights2: f64,
    /// Number of selected events (raw, unweighted).
    pub events: u64,
    /// Kish effective sample size (Σw)²/Σw²; 0 when nothing (or only zero weight) is selected.
    pub effective_events: f64,
}

impl RegionYield {
    fn new(sum_weights: f64, sum_weights2: f64, events: u64) -> Self {
        let effective_events = if sum_weights2 > 0.0 { sum_weights * sum_weights / sum_weights2 } else { 0.0 };
        Self { sum_weights, sum_weights2, events, effective_events }
    }
}

/// What an anomaly region was asked to hold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RegionTarget {
    /// σ_AR in pb at luminosity L in fb⁻¹.
    CrossSection { sigma_pb: f64, luminosity_fb: f64 },
    /// A fraction of the total weight (weighted background efficiency).
    Efficiency { efficiency: f64 },
    /// A number of expected events.
    Weight { expected_events: f64 },
}

/// One anomaly region {s ≥ threshold} fixed on the ranked sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AnomalyRegion {
    pub target: RegionTarget,
    /// The target in expected events (σ·1000·L, ε·Σw or the weight asked for).
    pub target_weight: f64,
    /// t: the region is every event with score ≥ t.
    pub threshold: f64,
    /// What the sample puts in the region (Σw ≥ `target_weight`).
    pub selected: RegionYield,
    /// selected Σw / total Σw.
    pub efficiency: f64,
}

impl AnomalyRegion {
    /// Whether a score falls in the region (s ≥ t).
    pub fn contains(&self, score: f64) -> bool {
        score >= self.threshold
    }
}

/// Scores ranked descending with cumulative weights at the end of every group of equal scores.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRanking {
    /// Distinct scores, descending.
    scores: Vec<f64>,
    /// Σw, Σw², event count of all events with score ≥ `scores[k]`.
    cumulative: Vec<(f64, f64, u64)>,
}

impl ScoreRanking {
    /// Ranks `scores` with `weights` (expected events; `None` = weight 1 each).
    ///
    /// Errors: empty input, length mismatch, a NaN score, a negative or non-finite weight.
    pub fn new(scores: &[f64], weights: Option<&[f64]>) -> Result<Self, RegionError> {
        let mut pairs = validated(scores, weights)?;
        pairs.par_sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        let mut ranked = Self { scores: Vec::new(), cumulative: Vec::new() };
        let (mut sw, mut sw2, mut n) = (0.0, 0.0, 0u64);
        for (i, &(s, w)) in pairs.iter().enumerate() {
            sw += w;
            sw2 += w * w;
            n += 1;
            // Close a group at its last member; -0.0 and 0.0 are one group (total_cmp splits them).
            if pairs.get(i + 1).is_none_or(|next| next.0 != s) {
                ranked.scores.push(s);
                ranked.cumulative.push((sw, sw2, n));
            }
        }
        Ok(ranked)
    }

    /// Σw of the whole sample (expected events).
    pub fn total_weight(&self) -> f64 {
        self.cumulative.last().map_or(0.0, |c| c.0)
    }

    /// Yield of the whole sample.
    pub fn total(&self) -> RegionYield {
        self.cumulative.last().map_or(RegionYield::new(0.0, 0.0, 0), |&(w, w2, n)| RegionYield::new(w, w2, n))
    }

    /// The region for σ_AR (pb) at luminosity L (fb⁻¹): target σ_AR·1000·L expected events.
    pub fn at_cross_section(&self, sigma_pb: f64, luminosity_fb: f64) -> Result<AnomalyRegion, RegionError> {
        positive("cross section (pb)", sigma_pb)?;
        positive("luminosity (fb⁻¹)", luminosity_fb)?;
        let target = RegionTarget::CrossSection { sigma_pb, luminosity_fb };
        self.region(target, sigma_pb * FB_PER_PB * luminosity_fb)
    }

    /// The region holding a fraction ε ∈ (0, 1] of the total weight (weighted efficiency).
    pub fn at_efficiency(&self, efficiency: f64) -> Result<AnomalyRegion, RegionError> {
        if !(efficiency > 0.0 && efficiency <= 1.0) {
            return Err(RegionError::Target { what: "efficiency", value: efficiency, expected: "a value in (0, 1]" });
        }
        self.region(RegionTarget::Efficiency { efficiency }, efficiency * self.total_weight())
    }

    /// The region holding at least `expected_events` (> 0) of weight.
    pub fn at_weight(&self, expected_events: f64) -> Result<AnomalyRegion, RegionError> {
        positive("weight (expected events)", expected_events)?;
        self.region(RegionTarget::Weight { expected_events }, expected_events)
    }

    /// The largest threshold whose cumulative Σw reaches `target_weight`.
    fn region(&self, target: RegionTarget, target_weight: f64) -> Result<AnomalyRegion, RegionError> {
        let total = self.total_weight();
        if target_weight > total {
            return Err(RegionError::AboveTotal { target: target_weight, total });
        }
        // Cumulative Σw never decreases (weights ≥ 0): the first group reaching the target. It
        // exists because the last cumulative is the total and target_weight ≤ total.
        let k = self.cumulative.partition_point(|c| c.0 < target_weight);
        let (sw, sw2, n) = self.cumulative[k];
        Ok(AnomalyRegion {
            target,
            target_weight,
            threshold: self.scores[k],
            selected: RegionYield::new(sw, sw2, n),
            efficiency: if total > 0.0 { sw / total } else { 0.0 },
        })
    }
}

/// The regions for several cross sections (e.g. [`ATLAS_CROSS_SECTIONS_PB`]) at one luminosity.
pub fn anomaly_regions(
    scores: &[f64],
    weights: Option<&[f64]>,
    sigmas_pb: &[f64],
    luminosity_fb: f64,
) -> Result<Vec<AnomalyRegion>, RegionError> {
    let ranking = ScoreRanking::new(scores, weights)?;
    sigmas_pb.iter().map(|&s| ranking.at_cross_section(s, luminosity_fb)).collect()
}

/// What a fixed threshold selects in another sample (data): every event with score ≥ t.
pub fn region_yield(scores: &[f64], weights: Option<&[f64]>, threshold: f64) -> Result<RegionYield, RegionError> {
    let pairs = validated_allow_empty(scores, weights)?;
    let (sw, sw2, n) = pairs
        .iter()
        .filter(|p| p.0 >= threshold)
        .fold((0.0, 0.0, 0u64), |(sw, sw2, n), &(_, w)| (sw + w, sw2 + w * w, n + 1));
    Ok(RegionYield::new(sw, sw2, n))
}

fn positive(what: &'static str, value: f64) -> Result<(), RegionError> {
    if value > 0.0 && value.is_finite() {
        return Ok(());
    }
    Err(RegionError::Target { what, value, expected: "a finite value > 0" })
}

fn validated(scores: &[f64], weights: Option<&[f64]>) -> Result<Vec<(f64, f64)>, RegionError> {
    if scores.is_empty() {
        return Err(RegionError::Empty);
    }
    validated_allow_empty(scores, weights)
}

/// (score, weight) pairs after checking lengths, NaN scores and weights.
fn validated_allow_empty(scores: &[f64], weights: Option<&[f64]>) -> Result<Vec<(f64, f64)>, RegionError> {
    if let Some(w) = weights.filter(|w| w.len() != scores.len()) {
        return Err(RegionError::Length { scores: scores.len(), weights: w.len() });
    }
    if let Some(index) = scores.iter().position(|s| s.is_nan()) {
        return Err(RegionError::NanScore { index });
    }
    let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
    if let Some(index) = (0..scores.len()).find(|&i| !(weight(i) >= 0.0 && weight(i).is_finite())) {
        return Err(RegionError::Weight { index, value: weight(index) });
    }
    Ok(scores.iter().enumerate().map(|(i, &s)| (s, weight(i))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_all_pass_and_the_threshold_is_the_largest_reaching_the_target() {
        // Descending: 5 (w 1), 4, 4 (w 2 + 3), 1 (w 4): cumulative 1, 6, 10.
        let scores = [4.0, 1.0, 5.0, 4.0];
        let weights = [2.0, 4.0, 1.0, 3.0];
        let r = ScoreRanking::new(&scores, Some(&weights)).unwrap();
        let at = |w: f64| r.at_weight(w).unwrap();
        assert_eq!((at(1.0).threshold, at(1.0).selected.sum_weights), (5.0, 1.0));
        assert_eq!((at(1.5).threshold, at(1.5).selected.events), (4.0, 3), "both 4s pass");
        assert_eq!(at(6.0).threshold, 4.0);
        assert_eq!((at(6.5).threshold, at(6.5).selected.sum_weights), (1.0, 10.0));
        assert_eq!(at(10.0).efficiency, 1.0);
        assert_eq!(r.at_weight(10.5), Err(RegionError::AboveTotal { target: 10.5, total: 10.0 }));
        // ESS of {5, 4, 4}: (1 + 2 + 3)² / (1 + 4 + 9) = 36/14.
        assert!((at(2.0).selected.effective_events - 36.0 / 14.0).abs() < 1e-12);
    }

    #[test]
    fn cross_section_target_is_sigma_times_1000_times_luminosity() {
        // 10, 1, 0.1 pb at 140 fb⁻¹ = 1.4 M, 140 k, 14 k expected events; 20 000 events that
        // each stand for 140 expected events hold 2.8 M.
        let scores: Vec<f64> = (0..20_000).map(f64::from).collect();
        let weights = vec![140.0; scores.len()];
        let regions = anomaly_regions(&scores, Some(&weights), &ATLAS_CROSS_SECTIONS_PB, 140.0).unwrap();
        let targets: Vec<f64> = regions.iter().map(|r| r.target_weight).collect();
        assert_eq!(targets, [1_400_000.0, 140_000.0, 14_000.0]);
        let selected: Vec<u64> = regions.iter().map(|r| r.selected.events).collect();
        assert_eq!(selected, [10_000, 1000, 100]);
        assert_eq!(regions[2].threshold, 19_900.0);
        assert!((regions[0].selected.effective_events - 10_000.0).abs() < 1e-6, "equal weights: ESS = events");
    }

    #[test]
    fn efficiency_target_and_applying_a_threshold_to_data() {
        let r = ScoreRanking::new(&[0.1, 0.2, 0.3, 0.4], Some(&[1.0, 1.0, 1.0, 1.0])).unwrap();
        let region = r.at_efficiency(0.5).unwrap();
        assert_eq!((region.threshold, region.efficiency), (0.3, 0.5));
        assert!(region.contains(0.3) && !region.contains(0.29));
        let data = region_yield(&[0.35, 0.1, 0.5], None, region.threshold).unwrap();
        assert_eq!((data.events, data.sum_weights, data.effective_events), (2, 2.0, 2.0));
        assert_eq!(region_yield(&[], None, 0.0).unwrap().effective_events, 0.0);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert_eq!(ScoreRanking::new(&[], None), Err(RegionError::Empty));
        assert_eq!(ScoreRanking::new(&[1.0, f64::NAN], None), Err(RegionError::NanScore { index: 1 }));
        assert_eq!(ScoreRanking::new(&[1.0, 2.0], Some(&[1.0])), Err(RegionError::Length { scores: 2, weights: 1 }));
        assert_eq!(
            ScoreRanking::new(&[1.0, 2.0], Some(&[1.0, -0.5])),
            Err(RegionError::Weight { index: 1, value: -0.5 })
        );
        assert!(matches!(ScoreRanking::new(&[1.0], Some(&[f64::INFINITY])), Err(RegionError::Weight { index: 0, .. })));
        let r = ScoreRanking::new(&[1.0, f64::INFINITY, f64::NEG_INFINITY], None).unwrap();
        assert_eq!(r.at_weight(1.0).unwrap().threshold, f64::INFINITY);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(r.at_cross_section(bad, 1.0), Err(RegionError::Target { .. })), "{bad}");
            assert!(matches!(r.at_weight(bad), Err(RegionError::Target { .. })), "{bad}");
        }
        assert!(matches!(r.at_efficiency(1.5), Err(RegionError::Target { .. })));
        let text = r.at_cross_section(1.0, 1.0).unwrap_err().to_string();
        assert!(text.contains("1000") && text.contains("total weight 3"), "{text}");
    }

    #[test]
    fn signed_zeros_are_one_tie_group() {
        let r = ScoreRanking::new(&[0.0, -0.0, 1.0], None).unwrap();
        assert_eq!(r.at_weight(2.0).unwrap().selected.events, 3);
    }

    #[test]
    fn results_serialize() {
        let r = ScoreRanking::new(&[1.0, 2.0], None).unwrap().at_cross_section(0.001, 1.0).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains(r#""kind":"cross_section""#) && json.contains(r#""effective_events":1.0"#), "{json}");
    }
}
