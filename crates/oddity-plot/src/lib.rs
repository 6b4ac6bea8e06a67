//! Plot rendering for Oddity.
//!
//! This crate only *renders* what it is given: callers compute bin edges,
//! bin contents and category counts elsewhere and hand them over as a
//! [`Hist1D`], [`Bars`], [`Lines`], [`BoxPlot`] or [`Spectrum`]. Five entry points write a
//! picture to disk:
//!
//! * [`render_hist1d`] draws one or more binned series over shared bin edges.
//!   A single series is drawn as filled bars with an outline; several series
//!   are drawn as coloured step outlines with a legend.
//! * [`render_bars`] draws a categorical bar chart (e.g. event counts per
//!   process, or per object multiplicity).
//! * [`render_lines`] draws named curves with optional log x/y axes, fixed
//!   ranges and a dashed reference line (ROC curves, significance
//!   improvement, training curves, AUC versus JES shift).
//! * [`render_boxplot`] draws one box-and-whisker per category (e.g. the
//!   DarkMachines total-improvement distribution per model).
//! * [`render_spectrum`] draws a binned spectrum: data points with error bars,
//!   step curves (fits, references), a shaded window, a vertical marker and an
//!   optional pull panel (mass spectra with fits, BumpHunter windows,
//!   test-statistic distributions).
//!
//! Every plot type also has a `to_svg_string` method returning the SVG
//! document as text, for embedding inline in a self-contained HTML report.
//! The SVG has no external references: text uses a `font-family` attribute
//! and the only URI is the standard `xmlns` namespace declaration.
//!
//! The output format follows the file extension: `.png` (800×600 RGB) or
//! `.svg` (800×600); anything else is an error. Files are written atomically:
//! the picture is rendered in memory, written to a temporary file in the same
//! directory and then renamed over the destination, so a reader never sees a
//! half-written plot.
//!
//! Text is drawn with DejaVu Sans, embedded in the binary (see
//! `assets/fonts/LICENSE-DejaVu.txt`), so rendering needs no system fonts,
//! fontconfig or freetype.
//!
//! Edge cases are reported as [`PlotError`]s rather than panics: non-finite
//! values name the offending series and bin (or curve and point, or box and
//! statistic), bin edges must be finite and strictly increasing, series
//! lengths must match the number of bins and curves need as many x as y values.
//! In histograms, bar charts and box plots a log-scaled y axis with no
//! positive value falls back to a linear axis, and non-positive values on a
//! log axis are drawn at the axis floor; in line plots, points with a
//! non-positive coordinate on a log axis are skipped (the curve is broken
//! there).
//!
//! ```no_run
//! use oddity_plot::{Hist1D, Series, render_hist1d};
//! let h = Hist1D {
//!     title: "Leading jet pT".into(),
//!     x_label: "pT [GeV]".into(),
//!     y_label: "Events".into(),
//!     edges: vec![0.0, 50.0, 100.0, 150.0],
//!     series: vec![Series { label: "ttbar".into(), values: vec![10.0, 25.0, 7.0] }],
//!     log_y: false,
//! };
//! render_hist1d(&h, std::path::Path::new("jet_pt.png"))?;
//! # Ok::<(), oddity_plot::PlotError>(())
//! ```

mod axis;
mod bars;
mod boxplot;
mod error;
mod hist;
mod lines;
mod render;
mod spectrum;
mod style;

pub use bars::{Bars, render_bars};
pub use boxplot::{BoxPlot, BoxStats, render_boxplot};
pub use error::PlotError;
pub use hist::{Hist1D, Series, render_hist1d};
pub use lines::{Curve, LegendPosition, Lines, render_lines};
pub use spectrum::{Points, Spectrum, render_spectrum};

/// Width of every rendered picture, in pixels.
pub const WIDTH: u32 = 800;
/// Height of every rendered picture, in pixels.
pub const HEIGHT: u32 = 600;

/// Placeholder "path" named by errors from the `to_svg_string` methods,
/// which render in memory and have no output file.
pub const INLINE_SVG: &str = "<inline svg>";
