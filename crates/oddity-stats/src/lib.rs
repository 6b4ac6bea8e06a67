//! Oddity's statistics toolkit.
//!
//! - [`Hist1D`]: a weighted 1D histogram with fixed or variable binning that keeps the sum of
//!   weights and the sum of squared weights per bin, and underflow/overflow bins (as
//!   scikit-hep `hist` does), so bin errors and effective counts are available downstream.
//!   Its in-range bins are exactly numpy's (`np.histogram`), the BumpHunter input;
//!   [`ATLAS_MASS_EDGES_GEV`] is the invariant-mass binning of the ATLAS search.
//! - [`regions`]: anomaly regions {score ≥ t} holding a target cross section σ_AR·L (the
//!   ATLAS 10, 1, 0.1 pb presets) or a weighted background efficiency, with each region's Σw,
//!   event count and effective sample size; [`ScoreRanking`] ranks once for many targets.
//! - [`bumphunter`]: BumpHunter in 1D and 2D (arXiv 1101.0390, as pyBumpHunter 0.5.1):
//!   [`BumpHunter1D`] / [`BumpHunter2D`] scan settings whose `scan` finds the most
//!   significant window, `hunt` adds seeded, thread-count-independent pseudo-experiments and
//!   the global p-value, `inject` runs the signal-injection test, and 1D `hunt_channels`
//!   combines several channels.
//! - [`fit`]: background fits of invariant-mass spectra (physics-spec §9.3): the nominal and
//!   alternative dijet functions ([`DijetFunction`]), [`fit_spectrum`] (binned Poisson
//!   likelihood or Neyman χ², staged, several start points, exact-Hessian damped Newton) giving
//!   a [`FitResult`] with uncertainties, χ²/ndf and pulls, and the shape and spurious-signal
//!   systematics ([`fit::shape_uncertainty`], [`fit::spurious_signal`]).
//! - [`limits`]: CLs upper limits on Gaussian signals with the five fit parameters profiled
//!   (physics-spec §9.7; asymptotic formulae of arXiv 1007.1727, optional toys):
//!   [`upper_limit`] takes counts, bin edges, a [`FitConfig`] and a [`LimitConfig`] and returns a
//!   [`Limit`] with observed and expected (±1σ, ±2σ) limits. Fits and limits share [`FitError`].
//!
//! No libtorch here: statistics build and test in seconds.

pub mod bumphunter;
pub mod fit;
mod hist;
pub mod limits;
pub mod regions;

pub use bumphunter::{BumpHunter1D, BumpHunter2D, BumpHunterError};
pub use fit::{DijetFunction, FitConfig, FitError, FitMethod, FitResult, FitStatus, fit_spectrum};
pub use hist::{ATLAS_MASS_EDGES_GEV, Hist1D, HistError};
pub use limits::{Limit, LimitConfig, upper_limit};
pub use regions::{AnomalyRegion, RegionError, RegionYield, ScoreRanking, anomaly_regions, region_yield};
