//! Anomaly-region properties (physics-spec §9.1) on random weighted samples with many ties: the
//! selected weight reaches the target, dropping the last passing tie group falls below it, the
//! threshold never rises when σ grows, and the threshold applied back to the sample selects
//! what the region reports.

use oddity_stats::regions::{ScoreRanking, region_yield};
use proptest::prelude::*;

/// Scores on a coarse grid (many ties) with weights in [0, 5), some exactly 0.
fn sample() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    proptest::collection::vec((0u8..20, prop_oneof![Just(0.0), 0.0f64..5.0]), 1..300).prop_map(|v| {
        let scores = v.iter().map(|p| f64::from(p.0) * 0.25 - 2.0).collect();
        let weights = v.iter().map(|p| p.1).collect();
        (scores, weights)
    })
}

/// Σw of the events with score strictly above `t`.
fn weight_above(scores: &[f64], weights: &[f64], t: f64) -> f64 {
    scores.iter().zip(weights).filter(|(s, _)| **s > t).map(|(_, w)| w).sum()
}

proptest! {
    #[test]
    fn region_reaches_the_target_and_the_last_tie_group_is_needed(
        (scores, weights) in sample(),
        fraction in 0.001f64..=1.0,
    ) {
        let ranking = ScoreRanking::new(&scores, Some(&weights)).unwrap();
        let total = ranking.total_weight();
        prop_assume!(total > 0.0);
        let target = fraction * total;
        let region = ranking.at_weight(target).unwrap();
        let t = region.threshold;
        prop_assert!(region.selected.sum_weights >= target);
        prop_assert!(weight_above(&scores, &weights, t) < target, "without the tie group at {} the target is missed", t);
        prop_assert!(scores.contains(&t), "the threshold is one of the scores");
        let applied = region_yield(&scores, Some(&weights), t).unwrap();
        prop_assert!((applied.sum_weights - region.selected.sum_weights).abs() <= 1e-9 * total);
        prop_assert_eq!(applied.events, region.selected.events);
        prop_assert_eq!(applied.events as usize, scores.iter().filter(|s| **s >= t).count());
        prop_assert!(region.selected.effective_events <= region.selected.events as f64 * (1.0 + 1e-12));
    }

    #[test]
    fn threshold_is_monotone_in_the_cross_section(
        (scores, weights) in sample(),
        lumi in 0.001f64..10.0,
        a in 0.0f64..=1.0,
        b in 0.0f64..=1.0,
    ) {
        let ranking = ScoreRanking::new(&scores, Some(&weights)).unwrap();
        let total = ranking.total_weight();
        prop_assume!(total > 0.0 && a > 0.0 && b > 0.0);
        let (lo, hi) = (a.min(b), a.max(b));
        // σ [pb] such that σ·1000·L is the fraction of the total.
        let sigma = |f: f64| f * total / (1000.0 * lumi);
        let small = ranking.at_cross_section(sigma(lo), lumi).unwrap();
        let large = ranking.at_cross_section(sigma(hi), lumi);
        match large {
            Ok(large) => {
                prop_assert!(large.threshold <= small.threshold);
                prop_assert!(large.selected.sum_weights >= small.selected.sum_weights);
            }
            // σ·1000·L can round one ulp above the total near hi = 1; then it is an error.
            Err(e) => prop_assert!(sigma(hi) * 1000.0 * lumi > total, "{}", e),
        }
    }
}

#[test]
fn target_above_total_and_bad_weights_name_what_is_wrong() {
    let ranking = ScoreRanking::new(&[0.5, 0.7], Some(&[1.0, 2.0])).unwrap();
    let text = ranking.at_cross_section(1.0, 1.0).unwrap_err().to_string();
    assert!(text.contains("1000 expected events") && text.contains("total weight 3"), "{text}");
    let text = ScoreRanking::new(&[0.5, 0.7], Some(&[1.0, -2.0])).unwrap_err().to_string();
    assert!(text.contains("event 1") && text.contains("-2"), "{text}");
    let text = ScoreRanking::new(&[f64::NAN], None).unwrap_err().to_string();
    assert!(text.contains("event 0") && text.contains("NaN"), "{text}");
}
