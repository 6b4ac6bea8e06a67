//! Properties of the score combination (physics-spec §7.8): u uniform on the calibration set
//! (ties handled), monotone and strictly increasing beyond the calibration range,
//! AND ≤ AVG ≤ OR, PROD ≤ AND, monotone in every member, and an exact serde round trip.
#![allow(clippy::unwrap_used)]

use oddity_eval::{Calibration, Combination, CombineMode};
use proptest::prelude::*;

/// A calibration set of 2..120 scores, continuous or on a coarse grid (many ties), not all equal.
fn calibration_set() -> impl Strategy<Value = Vec<f64>> {
    let continuous = prop::collection::vec(-50.0f64..50.0, 2..120);
    let tied = prop::collection::vec((-6i32..6).prop_map(|k| f64::from(k) * 0.5), 2..120);
    prop_oneof![continuous, tied].prop_filter("not all equal", |s| s.iter().any(|&x| x != s[0]))
}

/// Optional weights 10^U(−2, 2) for `n` events.
fn weights(n: usize) -> impl Strategy<Value = Option<Vec<f64>>> {
    prop::option::of(prop::collection::vec((-2.0f64..2.0).prop_map(|e| 10f64.powf(e)), n))
}

fn weighted_calibration() -> impl Strategy<Value = Calibration> {
    calibration_set()
        .prop_flat_map(|s| {
            let n = s.len();
            (Just(s), weights(n))
        })
        .prop_map(|(s, w)| Calibration::new(&s, w.as_deref()).unwrap())
}

/// 1..=4 members calibrated on their own sets, and `events` scores per member spanning the
/// calibration ranges and beyond.
fn combination_and_events() -> impl Strategy<Value = (Vec<Calibration>, Vec<Vec<f64>>)> {
    (prop::collection::vec(weighted_calibration(), 1..=4), 1usize..40).prop_flat_map(|(members, events)| {
        let k = members.len();
        (Just(members), prop::collection::vec(prop::collection::vec(-80.0f64..200.0, events), k))
    })
}

fn combine(members: &[Calibration], mode: CombineMode, events: &[Vec<f64>]) -> Vec<f64> {
    let refs: Vec<&[f64]> = events.iter().map(Vec::as_slice).collect();
    Combination { mode, members: members.to_vec() }.combine(&refs).unwrap()
}

/// Number of calibration scores ≥ s.
fn count_at_least(set: &[f64], s: f64) -> usize {
    set.iter().filter(|&&b| b >= s).count()
}

#[test]
fn u_is_the_discrete_uniform_grid_on_distinct_calibration_scores() {
    let set: Vec<f64> = (0..50).map(|k| f64::from((k * 37) % 50) * 0.1).collect();
    let c = Calibration::new(&set, None).unwrap();
    let mut u = c.u_values(&set).unwrap();
    u.sort_by(f64::total_cmp);
    for (k, &v) in u.iter().enumerate() {
        assert!((v - k as f64 / 51.0).abs() < 1e-15, "rank {k}: u {v}");
    }
}

proptest! {
    #[test]
    fn u_is_uniform_on_the_calibration_set_with_ties(set in calibration_set()) {
        let c = Calibration::new(&set, None).unwrap();
        let n = set.len() as f64;
        let eps: Vec<f64> = set.iter().map(|&s| c.efficiency(s)).collect();
        for (&s, &e) in set.iter().zip(&eps) {
            // (N + 1) ε − 1 is the number of calibration scores at least as high (tie group included).
            prop_assert_eq!(((n + 1.0) * e - 1.0).round() as usize, count_at_least(&set, s));
        }
        // Validity of the p-value on background: P_B(ε ≤ α) ≤ α, equality on the grid without ties.
        for j in 0..=40 {
            let alpha = f64::from(j) / 40.0;
            let below = eps.iter().filter(|&&e| e <= alpha).count() as f64;
            prop_assert!(below <= alpha * n + 1e-9, "alpha {}: {} of {} events", alpha, below, n);
        }
    }

    #[test]
    fn u_is_monotone_and_strictly_increasing_beyond_the_range(
        c in weighted_calibration(),
        a in -100.0f64..100.0,
        b in -100.0f64..100.0,
        x in 0.0f64..20.0,
        gap in 1e-3f64..5.0,
    ) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(c.u(lo) <= c.u(hi));
        prop_assert!((0.0..=1.0).contains(&c.u(lo)));
        prop_assert_eq!(c.u(c.min_score() - 1.0), 0.0);
        // Beyond s_max: strictly increasing u, strictly decreasing ε, below ε(s_max).
        let (s1, s2) = (c.max_score() + x * c.sigma(), c.max_score() + (x + gap) * c.sigma());
        prop_assume!(s1 > c.max_score());
        prop_assert!(c.u(s1) < c.u(s2), "u({}) = {} vs u({}) = {}", s1, c.u(s1), s2, c.u(s2));
        prop_assert!(c.efficiency(s1) > c.efficiency(s2));
        prop_assert!(c.efficiency(s1) < c.efficiency(c.max_score()));
    }

    #[test]
    fn and_avg_or_and_prod_are_ordered((members, events) in combination_and_events()) {
        let [and, or, avg, prod] = CombineMode::ALL.map(|m| combine(&members, m, &events));
        for e in 0..and.len() {
            prop_assert!(prod[e] <= and[e], "event {}: PROD {} > AND {}", e, prod[e], and[e]);
            // The mean as sum / n may round one ulp past the extremes when the members agree.
            prop_assert!(and[e] <= avg[e] + 1e-15 && avg[e] <= or[e] + 1e-15, "event {}: {} {} {}", e, and[e], avg[e], or[e]);
            prop_assert!((0.0..=1.0).contains(&prod[e]) && (0.0..=1.0).contains(&or[e]));
        }
    }

    #[test]
    fn combination_is_monotone_in_every_member(
        (members, events) in combination_and_events(),
        member in 0usize..4,
        raise in 0.0f64..30.0,
    ) {
        let member = member % members.len();
        let mut raised = events.clone();
        raised[member].iter_mut().for_each(|s| *s += raise);
        for mode in CombineMode::ALL {
            let (before, after) = (combine(&members, mode, &events), combine(&members, mode, &raised));
            for e in 0..before.len() {
                prop_assert!(before[e] <= after[e], "{} event {}: {} -> {}", mode, e, before[e], after[e]);
            }
        }
    }

    #[test]
    fn serde_round_trip_is_exact((members, events) in combination_and_events(), mode in 0usize..4) {
        let combination = Combination { mode: CombineMode::ALL[mode], members };
        let json = serde_json::to_string(&combination).unwrap();
        let back: Combination = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &combination);
        let refs: Vec<&[f64]> = events.iter().map(Vec::as_slice).collect();
        let (a, b) = (combination.combine(&refs).unwrap(), back.combine(&refs).unwrap());
        prop_assert_eq!(a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), b.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    }
}

#[test]
fn stored_calibration_is_checked_on_load() {
    let c = Calibration::new(&[0.5, 1.5, 4.0], Some(&[1.0, 2.0, 0.5])).unwrap();
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["n_events"], 3);
    assert_eq!(json["scores"], serde_json::json!([0.5, 1.5, 4.0]));

    let mut edited = json.clone();
    edited["scores"][2] = serde_json::json!(5.0);
    let err = serde_json::from_value::<Calibration>(edited).unwrap_err().to_string();
    assert!(err.contains("sigma is") && err.contains("the stored calibration set gives"), "{err}");

    let mut edited = json.clone();
    edited["scores"][0] = serde_json::Value::Null;
    assert!(serde_json::from_value::<Calibration>(edited).is_err());

    let mut edited = json;
    edited["extra"] = serde_json::json!(1);
    let err = serde_json::from_value::<Calibration>(edited).unwrap_err().to_string();
    assert!(err.contains("unknown field `extra`"), "{err}");

    let unweighted = serde_json::to_value(Calibration::new(&[0.0, 1.0], None).unwrap()).unwrap();
    assert!(unweighted["weights"].is_null());
    let err = serde_json::from_str::<Combination>(r#"{"mode": "mean", "members": []}"#).unwrap_err().to_string();
    assert!(err.contains("unknown variant `mean`"), "{err}");
}
