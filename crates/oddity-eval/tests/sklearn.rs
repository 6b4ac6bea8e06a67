//! Golden test against scikit-learn (physics-spec §8.1): `roc_curve(drop_intermediate=False)`
//! and `roc_auc_score` with `sample_weight`, written by `tools/reference/roc_reference.py` into
//! `tests/data/roc_reference.json`. Numbers are stored as shortest round-trip strings, so the
//! inputs are bit-identical here.
#![allow(clippy::unwrap_used)]

use oddity_eval::Roc;
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().parse::<f64>().unwrap()).collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    a == b || (a - b).abs() <= rel * a.abs().max(b.abs())
}

#[test]
fn roc_and_auc_match_sklearn() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/roc_reference.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let labels: Vec<bool> = case["signal"].as_array().unwrap().iter().map(|b| b.as_bool().unwrap()).collect();
        let scores = floats(&case["scores"]);
        let weights = (!case["weights"].is_null()).then(|| floats(&case["weights"]));
        let roc = Roc::new(&scores, &labels, weights.as_deref()).unwrap();

        let auc: f64 = case["auc"].as_str().unwrap().parse().unwrap();
        let mw: f64 = case["auc_mann_whitney"].as_str().unwrap().parse().unwrap();
        assert!(close(roc.auc(), auc, 1e-12), "{name}: AUC {} vs sklearn {auc}", roc.auc());
        assert!(close(roc.auc(), mw, 1e-12), "{name}: AUC {} vs Mann-Whitney {mw}", roc.auc());

        // Every threshold point: sklearn's first point is (0, 0) at threshold +inf, like ours.
        let (fpr, tpr, thr) = (floats(&case["fpr"]), floats(&case["tpr"]), floats(&case["thresholds"]));
        assert_eq!(roc.len(), fpr.len(), "{name}: number of points");
        assert_eq!(roc.thresholds(), thr.as_slice(), "{name}: thresholds");
        let dev =
            (0..fpr.len()).map(|k| (roc.eb()[k] - fpr[k]).abs().max((roc.es()[k] - tpr[k]).abs())).fold(0.0, f64::max);
        eprintln!(
            "{name}: {} points, max |ROC - sklearn| {dev:e}, AUC rel. diff {:e}",
            fpr.len(),
            (roc.auc() - auc).abs() / auc
        );
        for k in 0..fpr.len() {
            assert!((roc.eb()[k] - fpr[k]).abs() <= 1e-12, "{name} point {k}: eB {} vs {}", roc.eb()[k], fpr[k]);
            assert!((roc.es()[k] - tpr[k]).abs() <= 1e-12, "{name} point {k}: eS {} vs {}", roc.es()[k], tpr[k]);
        }
    }
}
