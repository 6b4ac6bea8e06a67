//! Oddity's statistics toolkit.
//!
//! - [`Hist1D`]: a weighted 1D histogram with fixed or variable binning that keeps the sum of
//!   weights and the sum of squared weights per bin, and underflow/overflow bins (as
//!   scikit-hep `hist` does), so bin errors and effective counts are available downstream.
//! - [`bumphunter`]: BumpHunter in 1D and 2D (arXiv 1101.0390, as pyBumpHunter 0.5.1):
//!   [`BumpHunter1D`] / [`BumpHunter2D`] scan settings whose `scan` finds the most
//!   significant window, `hunt` adds seeded, thread-count-independent pseudo-experiments and
//!   the global p-value, `inject` runs the signal-injection test, and 1D `hunt_channels`
//!   combines several channels.
//!
//! No libtorch here: statistics build and test in seconds.

pub mod bumphunter;
mod hist;

pub use bumphunter::{BumpHunter1D, BumpHunter2D, BumpHunterError};
pub use hist::{Hist1D, HistError};
