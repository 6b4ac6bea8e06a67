//! Oddity's evaluation of anomaly detectors (physics-spec §8), in f64 and without libtorch.
//!
//! - [`ScoredSample`]: validated, weighted, labelled scores sorted once by score descending
//!   (NaN scores and negative or non-finite weights are errors). Everything else is computed
//!   from it in linear time.
//! - [`Roc`]: the weighted ROC with ties grouped exactly as §8.1, a polyline through (0,0),
//!   one point per distinct score, (1,1); [`Roc::auc`] is the trapezoidal area under it (equal
//!   to the weighted Mann-Whitney statistic with ties counted ½).
//! - [`WorkingPoint`]: the signal efficiency at a fixed background efficiency by linear
//!   interpolation on that polyline (§8.2), with the unweighted background count above the
//!   threshold and a low-statistics flag; [`significance_improvement`] and [`max_si`] (§8.3).
//! - [`ti`]: the DarkMachines total improvement per model and signal and the per-model
//!   Min/Median/Max (§8.4).
//! - [`table`]: the DarkMachines submission CSV and TI table, read and written exactly
//!   (shortest round-trip decimals, as Python's `repr`), also as Markdown (§8.5).
//! - [`mod@bootstrap`]: seeded Poisson(1) bootstrap uncertainties of the AUC and eS(eB)
//!   ([`fn@bootstrap`], [`BootstrapConfig`]).
//! - [`combine`]: score combination (physics-spec §7.8): a [`Calibration`] per member maps its
//!   score to a background efficiency ε on held-out background (with an exponential tail
//!   beyond the largest calibration score) and u = 1 − ε; a [`Combination`] joins the members'
//!   u per event as AND (min), OR (max), AVG (mean) or PROD (product) ([`CombineMode`]);
//!   [`mean_scores`] averages the runs of an ensemble first. Both are serde types, stored with
//!   the combined scores and applied to new events later.
//!
//! A typical evaluation:
//!
//! ```
//! use oddity_eval::{ScoredSample, DARKMACHINES_WORKING_POINTS};
//! let scores = [0.9, 0.8, 0.8, 0.3, 0.1];
//! let is_signal = [true, true, false, false, false];
//! let sample = ScoredSample::new(&scores, &is_signal, None)?;
//! let roc = sample.roc();
//! // Mann-Whitney: 0.9 beats all three background events, 0.8 beats two and ties one.
//! assert!((roc.auc() - 5.5 / 6.0).abs() < 1e-15);
//! // eB = 1e-2 lies on the segment (0, 0.5) -> (1/3, 1): eS = 0.5 + 0.5 * 0.03.
//! let wp = roc.working_point(1e-2)?;
//! assert!((wp.es - 0.515).abs() < 1e-15);
//! assert!(wp.low_statistics); // 3 background events * 1e-2 < 10
//! let si = wp.si;
//! assert_eq!(si, wp.es / 1e-2_f64.sqrt());
//! # let _ = DARKMACHINES_WORKING_POINTS;
//! # Ok::<(), oddity_eval::EvalError>(())
//! ```

pub mod bootstrap;
pub mod combine;
mod error;
mod format;
mod roc;
pub mod table;
pub mod ti;
mod working_point;

pub use bootstrap::{BootstrapConfig, BootstrapResult, Uncertainty, bootstrap};
pub use combine::{Calibration, Combination, CombineMode, mean_scores};
pub use error::{Class, EvalError};
pub use format::format_float;
pub use roc::{Roc, ScoredSample};
pub use working_point::{
    DARKMACHINES_WORKING_POINTS, Evaluation, FOUR_TOP_WORKING_POINT, LOW_STATISTICS_MIN_EVENTS, WorkingPoint, evaluate,
    max_si, significance_improvement,
};
