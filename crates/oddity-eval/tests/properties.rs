//! Property tests of the ROC (architecture §7): monotone, AUC in [0,1] and equal to the
//! weighted Mann-Whitney statistic, permutation invariance (bit for bit), score reversal.
#![allow(clippy::unwrap_used)]

use oddity_eval::{Roc, ScoredSample};
use proptest::prelude::*;

/// Weighted Mann-Whitney AUC with ties counted ½, O(n_S n_B).
fn mann_whitney(scores: &[f64], labels: &[bool], weights: &[f64]) -> f64 {
    let (mut num, mut ws, mut wb) = (0.0, 0.0, 0.0);
    for i in 0..scores.len() {
        if labels[i] {
            ws += weights[i];
        } else {
            wb += weights[i];
        }
    }
    for i in (0..scores.len()).filter(|i| labels[*i]) {
        for j in (0..scores.len()).filter(|j| !labels[*j]) {
            let h = if scores[i] > scores[j] {
                1.0
            } else if scores[i] == scores[j] {
                0.5
            } else {
                0.0
            };
            num += weights[i] * weights[j] * h;
        }
    }
    num / (ws * wb)
}

fn events() -> impl Strategy<Value = (Vec<f64>, Vec<bool>, Vec<f64>)> {
    (2usize..60).prop_flat_map(|n| {
        (
            prop::collection::vec((0i32..8).prop_map(|k| f64::from(k) * 0.5), n),
            prop::collection::vec(any::<bool>(), n),
            prop::collection::vec((-3.0f64..3.0).prop_map(|e| 10f64.powf(e)), n),
        )
            .prop_map(|(s, mut l, w)| {
                l[0] = true;
                l[1] = false;
                (s, l, w)
            })
    })
}

proptest! {
    #[test]
    fn roc_invariants((scores, labels, weights) in events(), rot in 0usize..60) {
        let roc = Roc::new(&scores, &labels, Some(&weights)).unwrap();
        let (eb, es) = (roc.eb(), roc.es());
        prop_assert_eq!((eb[0], es[0]), (0.0, 0.0));
        prop_assert_eq!((eb[eb.len() - 1], es[es.len() - 1]), (1.0, 1.0));
        prop_assert!(eb.windows(2).all(|w| w[0] <= w[1]) && es.windows(2).all(|w| w[0] <= w[1]));
        prop_assert!(roc.thresholds().windows(2).all(|w| w[0] > w[1]));
        let auc = roc.auc();
        prop_assert!((0.0..=1.0).contains(&auc));
        let mw = mann_whitney(&scores, &labels, &weights);
        prop_assert!((auc - mw).abs() <= 1e-12, "{} vs {}", auc, mw);

        // Permutation invariance, bit for bit.
        let r = rot % scores.len();
        let rotate = |v: &[f64]| [&v[r..], &v[..r]].concat();
        let labels_rot = [&labels[r..], &labels[..r]].concat();
        let roc2 = Roc::new(&rotate(&scores), &labels_rot, Some(&rotate(&weights))).unwrap();
        prop_assert_eq!(&roc, &roc2);

        // Reversing the score order gives 1 - AUC.
        let neg: Vec<f64> = scores.iter().map(|s| -s).collect();
        let rev = Roc::new(&neg, &labels, Some(&weights)).unwrap();
        prop_assert!((rev.auc() - (1.0 - auc)).abs() <= 1e-12);

        // Working points lie on the curve and are monotone in eB.
        let mut last = 0.0;
        for target in [1e-4, 1e-3, 1e-2, 0.1, 0.5, 1.0] {
            let wp = roc.working_point(target).unwrap();
            prop_assert!(wp.es >= last && wp.es <= 1.0);
            last = wp.es;
        }
    }

    #[test]
    fn unit_weights_equal_no_weights((scores, labels, _w) in events()) {
        let ones = vec![1.0; scores.len()];
        let a = ScoredSample::new(&scores, &labels, None).unwrap().roc();
        let b = ScoredSample::new(&scores, &labels, Some(&ones)).unwrap().roc();
        prop_assert_eq!(a, b);
    }
}
