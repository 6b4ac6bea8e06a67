//! The crate's error type.

use std::path::PathBuf;

/// Errors from rendering; every message names the output path.
///
/// For in-memory SVG rendering (`to_svg_string`) the "path" is the
/// placeholder [`INLINE_SVG`](crate::INLINE_SVG).
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The output path does not end in `.png` or `.svg`.
    #[error("{}: unsupported plot format (expected a .png or .svg extension)", path.display())]
    UnsupportedFormat {
        /// Requested output path.
        path: PathBuf,
    },
    /// Bin edges are missing, non-finite or not strictly increasing.
    #[error("{}: invalid bin edges: {reason}", path.display())]
    InvalidEdges {
        /// Requested output path.
        path: PathBuf,
        /// What is wrong with the edges.
        reason: String,
    },
    /// A series does not have exactly one value per bin.
    #[error("{}: series '{series}' has {got} values but the edges define {expected} bins", path.display())]
    LengthMismatch {
        /// Requested output path.
        path: PathBuf,
        /// Label of the offending series.
        series: String,
        /// Number of values in the series.
        got: usize,
        /// Number of bins (`edges.len() - 1`).
        expected: usize,
    },
    /// A histogram value is NaN or infinite.
    #[error("{}: series '{series}' bin {bin} has a non-finite value ({value})", path.display())]
    NonFinite {
        /// Requested output path.
        path: PathBuf,
        /// Label of the offending series.
        series: String,
        /// Zero-based bin index.
        bin: usize,
        /// The offending value.
        value: f64,
    },
    /// A bar chart has different numbers of categories and values.
    #[error("{}: bar chart has {categories} categories but {values} values", path.display())]
    CategoryMismatch {
        /// Requested output path.
        path: PathBuf,
        /// Number of categories.
        categories: usize,
        /// Number of values.
        values: usize,
    },
    /// A bar value is NaN or infinite.
    #[error("{}: bar '{category}' (index {index}) has a non-finite value ({value})", path.display())]
    NonFiniteBar {
        /// Requested output path.
        path: PathBuf,
        /// Name of the offending category.
        category: String,
        /// Zero-based category index.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A curve of a line plot has different numbers of x and y values.
    #[error("{}: curve '{curve}' has {x} x values but {y} y values", path.display())]
    CurveLengthMismatch {
        /// Requested output path.
        path: PathBuf,
        /// Label of the offending curve.
        curve: String,
        /// Number of x values.
        x: usize,
        /// Number of y values.
        y: usize,
    },
    /// A curve point has a NaN or infinite coordinate.
    #[error("{}: curve '{curve}' point {index} has a non-finite {axis} value ({value})", path.display())]
    NonFiniteCurve {
        /// Requested output path.
        path: PathBuf,
        /// Label of the offending curve.
        curve: String,
        /// Zero-based point index.
        index: usize,
        /// Which coordinate is bad: `"x"` or `"y"`.
        axis: &'static str,
        /// The offending value.
        value: f64,
    },
    /// An explicit axis range is non-finite, empty, or not positive on a log axis.
    #[error("{}: invalid {axis} axis range: {reason}", path.display())]
    InvalidRange {
        /// Requested output path.
        path: PathBuf,
        /// Which axis: `"x"` or `"y"`.
        axis: &'static str,
        /// What is wrong with the range.
        reason: String,
    },
    /// A box plot has different numbers of categories and boxes.
    #[error("{}: box plot has {categories} categories but {boxes} boxes", path.display())]
    BoxCountMismatch {
        /// Requested output path.
        path: PathBuf,
        /// Number of categories.
        categories: usize,
        /// Number of boxes.
        boxes: usize,
    },
    /// A box statistic is NaN or infinite.
    #[error("{}: box '{category}' (index {index}) has a non-finite {stat} ({value})", path.display())]
    NonFiniteBox {
        /// Requested output path.
        path: PathBuf,
        /// Name of the offending category.
        category: String,
        /// Zero-based category index.
        index: usize,
        /// Which statistic: `"min"`, `"q1"`, `"median"`, `"q3"` or `"max"`.
        stat: &'static str,
        /// The offending value.
        value: f64,
    },
    /// Box statistics are not ordered `min <= q1 <= median <= q3 <= max`.
    #[error(
        "{}: box '{category}' (index {index}) is not ordered min <= q1 <= median <= q3 <= max \
         ({min}, {q1}, {median}, {q3}, {max})",
        path.display()
    )]
    UnorderedBox {
        /// Requested output path.
        path: PathBuf,
        /// Name of the offending category.
        category: String,
        /// Zero-based category index.
        index: usize,
        /// Minimum.
        min: f64,
        /// First quartile.
        q1: f64,
        /// Median.
        median: f64,
        /// Third quartile.
        q3: f64,
        /// Maximum.
        max: f64,
    },
    /// The embedded font could not be loaded.
    #[error("{}: the embedded plot font could not be loaded", path.display())]
    Font {
        /// Requested output path.
        path: PathBuf,
    },
    /// The plotting backend failed while drawing or encoding.
    #[error("{}: drawing failed: {message}", path.display())]
    Draw {
        /// Requested output path.
        path: PathBuf,
        /// Backend error message.
        message: String,
    },
    /// Writing the output file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// Requested output path.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}
