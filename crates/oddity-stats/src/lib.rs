//! Oddity's statistics toolkit.
//!
//! - [`Hist1D`]: a weighted 1D histogram with fixed or variable binning that keeps the sum of
//!   weights and the sum of squared weights per bin, and underflow/overflow bins (as
//!   scikit-hep `hist` does), so bin errors and effective counts are available downstream.
//!
//! No libtorch here: statistics build and test in seconds.

pub mod fit;
mod hist;
pub mod limits;

pub use fit::{DijetFunction, FitConfig, FitError, FitMethod, FitResult, FitStatus, fit_spectrum};
pub use hist::{Hist1D, HistError};
pub use limits::{Limit, LimitConfig, upper_limit};
