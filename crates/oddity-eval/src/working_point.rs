//! Signal efficiency at fixed background efficiency (physics-spec §8.2), SI and maxSI (§8.3).
//!
//! eS(eB*) is the ROC polyline evaluated at eB = eB* by linear interpolation between its two
//! neighbouring points. Where the polyline is vertical at eB* (groups of signal-only events
//! with eB_k = eB*), the highest eS is taken: the best signal efficiency reachable without
//! exceeding eB*. With each value comes the unweighted number of background events selected
//! by the last fully included tie group (score ≥ its threshold), and a *low statistics* flag
//! when N_B·eB* < 10, N_B being the unweighted number of background events (the channel-2a
//! test set has ~2000 background events, so eB* = 1e-4 there means a fraction of one event).
//!
//! SI(eB*) = eS(eB*)/√eB* with the f64 square root and a division (not a multiplication by
//! 10, 31.62…, 100: only the division reproduces the published TI table bit for bit, §8.6).
//! maxSI is the largest SI over the working points.

use crate::error::EvalError;
use crate::roc::{Roc, ScoredSample};
use serde::Serialize;

/// The DarkMachines working points eB* (arXiv 2105.14027).
pub const DARKMACHINES_WORKING_POINTS: [f64; 3] = [1e-2, 1e-3, 1e-4];

/// The 4-top working point of the DDD study (seed 001).
pub const FOUR_TOP_WORKING_POINT: f64 = 0.1;

/// Below this expected number of selected background events (N_B·eB*) a working point is
/// flagged as low statistics.
pub const LOW_STATISTICS_MIN_EVENTS: f64 = 10.0;

/// eS at one fixed background efficiency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WorkingPoint {
    /// The requested background efficiency eB*.
    pub eb: f64,
    /// The interpolated signal efficiency eS(eB*).
    pub es: f64,
    /// SI = eS/√eB*.
    pub si: f64,
    /// Score threshold of the last tie group fully included below eB* (+inf when none is).
    pub threshold: f64,
    /// Unweighted number of background events with score ≥ `threshold`.
    pub n_background_selected: u64,
    /// N_B·eB* < 10.
    pub low_statistics: bool,
}

/// SI = eS/√eB (dimensionless; eB > 0).
pub fn significance_improvement(es: f64, eb: f64) -> f64 {
    es / eb.sqrt()
}

/// maxSI: the largest SI over `(eB, eS)` pairs (NaN values are ignored; −inf when empty).
pub fn max_si(points: impl IntoIterator<Item = (f64, f64)>) -> f64 {
    points.into_iter().map(|(eb, es)| significance_improvement(es, eb)).fold(f64::NEG_INFINITY, f64::max)
}

impl Roc {
    /// eS at background efficiency `eb` ∈ (0, 1] by linear interpolation on the polyline.
    pub fn working_point(&self, eb: f64) -> Result<WorkingPoint, EvalError> {
        if !(eb > 0.0 && eb <= 1.0) {
            return Err(EvalError::InvalidWorkingPoint(eb));
        }
        let (x, y) = (self.eb(), self.es());
        // Last point with eB_k ≤ eB* (the top of a vertical segment at eB*); x[0] = 0 < eb.
        let k = x.partition_point(|v| *v <= eb).saturating_sub(1);
        let es = if x[k] == eb || k + 1 >= x.len() {
            y[k]
        } else {
            let t = (eb - x[k]) / (x[k + 1] - x[k]);
            (y[k] + t * (y[k + 1] - y[k])).min(1.0)
        };
        Ok(WorkingPoint {
            eb,
            es,
            si: significance_improvement(es, eb),
            threshold: self.thresholds()[k],
            n_background_selected: self.n_background_selected()[k],
            low_statistics: (self.n_background() as f64) * eb < LOW_STATISTICS_MIN_EVENTS,
        })
    }
}

/// AUC, working points and maxSI of one detector on one signal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub auc: f64,
    pub working_points: Vec<WorkingPoint>,
    /// maxSI over `working_points` (§8.3).
    pub max_si: f64,
    pub n_signal: u64,
    pub n_background: u64,
}

/// Evaluates `sample` at the given working points (e.g. [`DARKMACHINES_WORKING_POINTS`]).
pub fn evaluate(sample: &ScoredSample, working_points: &[f64]) -> Result<Evaluation, EvalError> {
    let roc = sample.roc();
    let working_points = working_points.iter().map(|eb| roc.working_point(*eb)).collect::<Result<Vec<_>, _>>()?;
    Ok(Evaluation {
        auc: roc.auc(),
        max_si: working_points.iter().map(|wp| wp.si).fold(f64::NEG_INFINITY, f64::max),
        working_points,
        n_signal: sample.n_signal(),
        n_background: sample.n_background(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roc() -> Roc {
        // Sorted: S(0.9) | S(0.8) B(0.8) | B(0.3) | B(0.1); W_S = 2, W_B = 3.
        Roc::new(&[0.9, 0.8, 0.8, 0.3, 0.1], &[true, true, false, false, false], None).unwrap()
    }

    #[test]
    fn interpolates_on_the_polyline() {
        let wp = roc().working_point(1.0 / 6.0).unwrap();
        assert!((wp.es - 0.75).abs() < 1e-15);
        assert_eq!(wp.threshold, 0.9);
        assert_eq!(wp.n_background_selected, 0);
        assert!(wp.low_statistics);
        let wp = roc().working_point(0.5).unwrap();
        assert_eq!(wp.es, 1.0);
        assert_eq!(wp.threshold, 0.8);
        assert_eq!(wp.n_background_selected, 1);
        assert_eq!(roc().working_point(1.0).unwrap().es, 1.0);
    }

    #[test]
    fn vertical_segment_takes_the_top() {
        // (0,0) -> (0,0.5) is vertical at eB = 0; at eB* exactly 1/3 the point (1/3, 1) is hit.
        let wp = roc().working_point(1.0 / 3.0).unwrap();
        assert_eq!(wp.es, 1.0);
        assert_eq!(wp.n_background_selected, 1);
    }

    #[test]
    fn low_statistics_flag() {
        let scores: Vec<f64> = (0..2000).map(f64::from).collect();
        let mut labels = vec![false; 2000];
        labels[1999] = true;
        let roc = Roc::new(&scores, &labels, None).unwrap();
        assert!(roc.working_point(1e-4).unwrap().low_statistics);
        assert!(roc.working_point(1e-3).unwrap().low_statistics); // 1999e-3 < 10
        assert!(!roc.working_point(1e-2).unwrap().low_statistics);
        let wp = roc.working_point(1e-2).unwrap();
        assert_eq!(wp.es, 1.0);
        assert_eq!(wp.n_background_selected, 19);
    }

    #[test]
    fn rejects_bad_working_points() {
        for eb in [0.0, -0.1, 1.5, f64::NAN] {
            assert!(matches!(roc().working_point(eb), Err(EvalError::InvalidWorkingPoint(_))));
        }
    }

    #[test]
    fn si_and_max_si() {
        assert_eq!(significance_improvement(0.3, 1e-2), 0.3 / 0.1);
        assert_eq!(max_si([(1e-2, 0.72), (1e-3, 0.3), (1e-4, 0.3)]), 0.3 / 1e-4_f64.sqrt());
        assert_eq!(max_si([(1e-2, 0.72), (1e-3, 0.3), (1e-4, 0.3)]), 30.0);
        assert_eq!(max_si([]), f64::NEG_INFINITY);
    }

    #[test]
    fn evaluate_collects_everything() {
        let s = ScoredSample::new(&[0.9, 0.8, 0.8, 0.3, 0.1], &[true, true, false, false, false], None).unwrap();
        let ev = evaluate(&s, &DARKMACHINES_WORKING_POINTS).unwrap();
        assert_eq!(ev.working_points.len(), 3);
        assert_eq!(ev.max_si, ev.working_points.iter().map(|w| w.si).fold(f64::MIN, f64::max));
        assert_eq!((ev.n_signal, ev.n_background), (2, 3));
    }
}
