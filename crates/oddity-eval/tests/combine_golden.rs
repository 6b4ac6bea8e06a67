//! Golden test of the score combination (physics-spec §7.8) against the independent NumPy
//! implementation `tools/reference/combine_reference.py golden`, which computes ε by brute
//! force from the formulas and wrote `tests/data/combine_reference.json`. Numbers are stored
//! as shortest round-trip strings, so the inputs are bit-identical here.
#![allow(clippy::unwrap_used)]

use oddity_eval::{Calibration, Combination, CombineMode, mean_scores};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().parse::<f64>().unwrap()).collect()
}

fn columns(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(floats).collect()
}

/// Largest deviation beyond |a − b| ≤ 1e-15 + 1e-13 |b| (NumPy sums and the standard deviation
/// in another order: σ, hence the tail, may differ in the last bits), with the index.
fn assert_close(name: &str, what: &str, got: &[f64], expected: &[f64]) {
    assert_eq!(got.len(), expected.len(), "{name} {what}: length");
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        assert!((g - e).abs() <= 1e-15 + 1e-13 * e.abs(), "{name} {what}[{i}]: {g} vs NumPy {e}");
    }
}

fn reference() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/combine_reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn calibration_and_combination_match_numpy() {
    let doc = reference();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let calibration = columns(&case["calibration"]);
        let weights = (!case["weights"].is_null()).then(|| floats(&case["weights"]));
        let events = columns(&case["events"]);
        let (efficiency, u) = (columns(&case["efficiency"]), columns(&case["u"]));
        let cal_refs: Vec<&[f64]> = calibration.iter().map(Vec::as_slice).collect();
        let event_refs: Vec<&[f64]> = events.iter().map(Vec::as_slice).collect();

        for mode in CombineMode::ALL {
            let combination = Combination::fit(mode, &cal_refs, weights.as_deref()).unwrap();
            let combined = combination.combine(&event_refs).unwrap();
            assert_close(name, mode.name(), &combined, &floats(&case["combined"][mode.name()]));
        }
        for (i, cal) in calibration.iter().enumerate() {
            let c = Calibration::new(cal, weights.as_deref()).unwrap();
            assert_eq!(c.n_events() as u64, case["n_events"][i].as_u64().unwrap(), "{name} member {i}: N");
            let n_eff: f64 = case["n_effective"][i].as_str().unwrap().parse().unwrap();
            let sigma: f64 = case["sigma"][i].as_str().unwrap().parse().unwrap();
            assert_close(name, "n_effective", &[c.n_effective()], &[n_eff]);
            assert_close(name, "sigma", &[c.sigma()], &[sigma]);
            let eps: Vec<f64> = events[i].iter().map(|&s| c.efficiency(s)).collect();
            assert_close(name, &format!("efficiency of member {i}"), &eps, &efficiency[i]);
            assert_close(name, &format!("u of member {i}"), &c.u_values(&events[i]).unwrap(), &u[i]);
        }
    }
}

#[test]
fn unweighted_efficiencies_are_exact() {
    // Without weights inside the range ε = (1 + count)/(N + 1) is one correctly rounded
    // division on both sides: bit-identical.
    let doc = reference();
    let case = doc["cases"].as_array().unwrap().iter().find(|c| c["name"] == "ties_unweighted").unwrap();
    let (calibration, events, efficiency) =
        (columns(&case["calibration"]), columns(&case["events"]), columns(&case["efficiency"]));
    for i in 0..calibration.len() {
        let c = Calibration::new(&calibration[i], None).unwrap();
        for (s, e) in events[i].iter().zip(&efficiency[i]) {
            if *s <= c.max_score() {
                assert_eq!(c.efficiency(*s), *e, "member {i}, score {s}");
            }
        }
    }
}

#[test]
fn ensemble_mean_matches_numpy() {
    let doc = reference();
    let runs = columns(&doc["ensemble"]["runs"]);
    let refs: Vec<&[f64]> = runs.iter().map(Vec::as_slice).collect();
    assert_close("ensemble", "mean", &mean_scores(&refs).unwrap(), &floats(&doc["ensemble"]["mean"]));
}
