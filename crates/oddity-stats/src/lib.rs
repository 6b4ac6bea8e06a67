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
//!
//! No libtorch here: statistics build and test in seconds.

mod hist;
pub mod regions;

pub use hist::{ATLAS_MASS_EDGES_GEV, Hist1D, HistError};
pub use regions::{AnomalyRegion, RegionError, RegionYield, ScoreRanking, anomaly_regions, region_yield};
