//! Plot rendering for Oddity.
//!
//! This crate only *renders* what it is given: callers compute bin edges,
//! bin contents and category counts elsewhere and hand them over as a
//! [`Hist1D`] or [`Bars`]. Two entry points write a picture to disk:
//!
//! * [`render_hist1d`] draws one or more binned series over shared bin edges.
//!   A single series is drawn as filled bars with an outline; several series
//!   are drawn as coloured step outlines with a legend.
//! * [`render_bars`] draws a categorical bar chart (e.g. event counts per
//!   process, or per object multiplicity).
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
//! values name the offending series and bin, bin edges must be finite and
//! strictly increasing, and series lengths must match the number of bins.
//! A log-scaled y axis with no positive value falls back to a linear axis;
//! non-positive values on a log axis are drawn at the axis floor.
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

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of every rendered picture, in pixels.
pub const WIDTH: u32 = 800;
/// Height of every rendered picture, in pixels.
pub const HEIGHT: u32 = 600;

/// The embedded font (DejaVu Sans, Bitstream Vera licence).
static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// Family name the embedded font is registered under.
const FONT: &str = "sans-serif";

/// A one-dimensional histogram: shared bin edges and one or more series.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hist1D {
    /// Caption drawn above the plot.
    pub title: String,
    /// X-axis description.
    pub x_label: String,
    /// Y-axis description.
    pub y_label: String,
    /// Bin edges, finite and strictly increasing; `edges.len() - 1` bins.
    pub edges: Vec<f64>,
    /// Series to draw; each has one value per bin. May be empty (axes only).
    pub series: Vec<Series>,
    /// Logarithmic y axis.
    pub log_y: bool,
}

/// One binned series of a [`Hist1D`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Legend entry (shown when the histogram has more than one series).
    pub label: String,
    /// One value per bin (`len == edges.len() - 1`).
    pub values: Vec<f64>,
}

/// A categorical bar chart: one bar per category.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bars {
    /// Caption drawn above the plot.
    pub title: String,
    /// X-axis description.
    pub x_label: String,
    /// Y-axis description.
    pub y_label: String,
    /// Category names, drawn as x tick labels. May be empty (axes only).
    pub categories: Vec<String>,
    /// One value per category.
    pub values: Vec<f64>,
    /// Logarithmic y axis.
    pub log_y: bool,
}

/// Errors from rendering; every message names the output path.
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

/// Render a histogram to `path` (`.png` or `.svg`, 800×600), atomically.
///
/// # Errors
/// See [`PlotError`]: unsupported extension, invalid edges, series length
/// mismatch, non-finite values, drawing or I/O failure.
pub fn render_hist1d(h: &Hist1D, path: &Path) -> Result<(), PlotError> {
    let format = Format::from_path(path)?;
    validate_hist(h, path)?;
    ensure_font(path)?;
    let headroom = if h.series.len() > 1 { 0.3 } else { 0.1 };
    let yaxis = YAxis::new(h.series.iter().flat_map(|s| s.values.iter().copied()), h.log_y, headroom);
    let bytes = render_with(format, path, |root| draw_hist(root, h, &yaxis))?;
    write_atomic(path, &bytes)
}

/// Render a categorical bar chart to `path` (`.png` or `.svg`, 800×600), atomically.
///
/// # Errors
/// See [`PlotError`]: unsupported extension, category/value count mismatch,
/// non-finite values, drawing or I/O failure.
pub fn render_bars(b: &Bars, path: &Path) -> Result<(), PlotError> {
    let format = Format::from_path(path)?;
    validate_bars(b, path)?;
    ensure_font(path)?;
    let yaxis = YAxis::new(b.values.iter().copied(), b.log_y, 0.1);
    let bytes = render_with(format, path, |root| draw_bars(root, b, &yaxis))?;
    write_atomic(path, &bytes)
}

// ---------------------------------------------------------------------------
// Validation

fn validate_hist(h: &Hist1D, path: &Path) -> Result<(), PlotError> {
    let invalid = |reason: String| PlotError::InvalidEdges { path: path.to_path_buf(), reason };
    if h.edges.len() < 2 {
        return Err(invalid(format!("need at least 2 edges (1 bin), got {}", h.edges.len())));
    }
    if let Some((i, e)) = h.edges.iter().enumerate().find(|(_, e)| !e.is_finite()) {
        return Err(invalid(format!("edge {i} is not finite ({e})")));
    }
    if let Some(i) = h.edges.windows(2).position(|w| w[0] >= w[1]) {
        return Err(invalid(format!(
            "edges are not strictly increasing at index {} ({} >= {})",
            i + 1,
            h.edges[i],
            h.edges[i + 1]
        )));
    }
    let nbins = h.edges.len() - 1;
    for s in &h.series {
        if s.values.len() != nbins {
            return Err(PlotError::LengthMismatch {
                path: path.to_path_buf(),
                series: s.label.clone(),
                got: s.values.len(),
                expected: nbins,
            });
        }
        if let Some((bin, &value)) = s.values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(PlotError::NonFinite { path: path.to_path_buf(), series: s.label.clone(), bin, value });
        }
    }
    Ok(())
}

fn validate_bars(b: &Bars, path: &Path) -> Result<(), PlotError> {
    if b.categories.len() != b.values.len() {
        return Err(PlotError::CategoryMismatch {
            path: path.to_path_buf(),
            categories: b.categories.len(),
            values: b.values.len(),
        });
    }
    if let Some((index, &value)) = b.values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(PlotError::NonFiniteBar {
            path: path.to_path_buf(),
            category: b.categories[index].clone(),
            index,
            value,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Output plumbing

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Png,
    Svg,
}

impl Format {
    fn from_path(path: &Path) -> Result<Self, PlotError> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("png") => Ok(Self::Png),
            Some("svg") => Ok(Self::Svg),
            _ => Err(PlotError::UnsupportedFormat { path: path.to_path_buf() }),
        }
    }
}

/// Register the embedded font once per process.
fn ensure_font(path: &Path) -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok { Ok(()) } else { Err(PlotError::Font { path: path.to_path_buf() }) }
}

/// Run `draw` on an in-memory backend of the requested format and return the
/// encoded file contents.
fn render_with<F>(format: Format, path: &Path, draw: F) -> Result<Vec<u8>, PlotError>
where
    F: for<'a> FnOnce(DrawArea<'a>) -> Result<(), String>,
{
    let draw_err = |message: String| PlotError::Draw { path: path.to_path_buf(), message };
    match format {
        Format::Png => {
            let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
                draw(DrawArea::Bitmap(root)).map_err(draw_err)?;
            }
            let mut out = Vec::new();
            image::ImageEncoder::write_image(
                image::codecs::png::PngEncoder::new(&mut out),
                &pixels,
                WIDTH,
                HEIGHT,
                image::ColorType::Rgb8,
            )
            .map_err(|e| draw_err(format!("PNG encoding failed: {e}")))?;
            Ok(out)
        }
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
                draw(DrawArea::Svg(root)).map_err(draw_err)?;
            }
            Ok(svg.into_bytes())
        }
    }
}

/// Write `bytes` to a temporary file next to `path`, then rename it over `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    let io_err = |source: std::io::Error| PlotError::Io { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".oddity-plot-").suffix(".tmp").tempfile_in(dir).map_err(io_err)?;
    tmp.write_all(bytes).map_err(io_err)?;
    tmp.as_file().sync_all().map_err(io_err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644)).map_err(io_err)?;
    }
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// A drawing area on one of the two supported in-memory backends.
enum DrawArea<'a> {
    Bitmap(DrawingArea<BitMapBackend<'a>, Shift>),
    Svg(DrawingArea<SVGBackend<'a>, Shift>),
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

// ---------------------------------------------------------------------------
// Axes and styling

/// Matplotlib's "tab10" palette.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

const TITLE_SIZE: u32 = 26;
const DESC_SIZE: u32 = 19;
const TICK_SIZE: u32 = 15;

/// The y axis chosen for a set of values.
#[derive(Debug, Clone, PartialEq)]
enum YAxis {
    Linear {
        lo: f64,
        hi: f64,
    },
    /// Logarithmic from `floor` (a power of ten below every positive value) to `hi`.
    Log {
        floor: f64,
        hi: f64,
        ticks: Vec<f64>,
    },
}

impl YAxis {
    /// `headroom` is the fraction of the axis span left free above the data.
    fn new(values: impl Iterator<Item = f64> + Clone, log_y: bool, headroom: f64) -> Self {
        if log_y {
            let positives = values.clone().filter(|v| *v > 0.0);
            let min_pos = positives.clone().fold(f64::INFINITY, f64::min);
            let max_pos = positives.fold(0.0_f64, f64::max);
            if max_pos > 0.0 {
                let mut floor = 10f64.powf((min_pos * 0.5).log10().floor());
                if !(floor > 0.0 && floor < min_pos) {
                    floor = min_pos * 0.5;
                }
                let decades = (max_pos / floor).log10().max(1.0);
                let hi = (max_pos * 10f64.powf(decades * headroom / (1.0 - headroom))).min(f64::MAX);
                return Self::Log { floor, hi, ticks: log_ticks(floor, hi) };
            }
            // No positive value: a log axis is meaningless, fall back to linear.
        }
        let lo = values.clone().fold(0.0_f64, f64::min);
        let mut hi = values.fold(0.0_f64, f64::max);
        if hi <= lo {
            hi = lo + 1.0;
        }
        let span = (hi - lo).min(f64::MAX);
        let hi = (hi + span * headroom / (1.0 - headroom)).min(f64::MAX);
        let lo = if lo < 0.0 { lo - span * 0.05 } else { 0.0 };
        Self::Linear { lo, hi }
    }

    /// Where bars start, and how a value is clamped onto the axis.
    fn baseline(&self) -> f64 {
        match self {
            Self::Linear { .. } => 0.0,
            Self::Log { floor, .. } => *floor,
        }
    }

    fn clamp(&self, v: f64) -> f64 {
        match self {
            Self::Linear { .. } => v,
            Self::Log { floor, .. } => v.max(*floor),
        }
    }
}

/// Tick positions for a log axis: every power of ten in range, plus 2× and
/// 5× when the range spans few decades; thinned out when it spans many.
fn log_ticks(floor: f64, hi: f64) -> Vec<f64> {
    let first = floor.log10().ceil() as i32;
    let last = hi.log10().floor() as i32;
    let ndec = (last - first + 1).max(1);
    let step = ((ndec + 9) / 10).max(1);
    let mut ticks = Vec::new();
    let mut k = first;
    while k <= last {
        let p = 10f64.powi(k);
        for m in [1.0, 2.0, 5.0] {
            if (m == 1.0 || ndec <= 3) && p * m >= floor * (1.0 - 1e-9) && p * m <= hi {
                ticks.push(p * m);
            }
        }
        k += step;
    }
    if ticks.is_empty() {
        ticks.push(floor);
    }
    ticks
}

/// Compact tick label: plain decimals for magnitudes in [1e-3, 1e4), `1.5e6` style otherwise.
fn fmt_tick(v: &f64) -> String {
    let v = *v;
    if v == 0.0 {
        return "0".to_owned();
    }
    let a = v.abs();
    if (1e-3..1e4).contains(&a) {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".to_owned() } else { s.to_owned() }
    } else {
        let s = format!("{v:.2e}");
        match s.split_once('e') {
            Some((mant, exp)) => {
                let mant = if mant.contains('.') { mant.trim_end_matches('0').trim_end_matches('.') } else { mant };
                format!("{mant}e{exp}")
            }
            None => s,
        }
    }
}

fn truncate_label(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

// ---------------------------------------------------------------------------
// Histogram drawing

fn draw_hist(area: DrawArea<'_>, h: &Hist1D, y: &YAxis) -> Result<(), String> {
    match area {
        DrawArea::Bitmap(root) => draw_hist_y(&root, h, y),
        DrawArea::Svg(root) => draw_hist_y(&root, h, y),
    }
}

fn draw_hist_y<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, h: &Hist1D, y: &YAxis) -> Result<(), String> {
    match y {
        YAxis::Linear { lo, hi } => draw_hist_on(root, h, y, *lo..*hi),
        YAxis::Log { floor, hi, ticks } => {
            draw_hist_on(root, h, y, (*floor..*hi).log_scale().with_key_points(ticks.clone()))
        }
    }
}

fn draw_hist_on<DB, Y>(root: &DrawingArea<DB, Shift>, h: &Hist1D, yaxis: &YAxis, y: Y) -> Result<(), String>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    root.fill(&WHITE).map_err(err)?;
    let x_range: Range<f64> = h.edges[0]..h.edges[h.edges.len() - 1];
    let mut builder = ChartBuilder::on(root);
    builder.margin(15).margin_right(25).x_label_area_size(55).y_label_area_size(80);
    if !h.title.is_empty() {
        builder.caption(&h.title, (FONT, TITLE_SIZE));
    }
    let mut chart = builder.build_cartesian_2d(x_range, y).map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(h.x_label.as_str())
        .y_desc(h.y_label.as_str())
        .axis_desc_style((FONT, DESC_SIZE))
        .label_style((FONT, TICK_SIZE))
        .x_label_formatter(&fmt_tick)
        .y_label_formatter(&fmt_tick)
        .x_labels(8)
        .y_labels(8)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()
        .map_err(err)?;

    let base = yaxis.baseline();
    let multi = h.series.len() > 1;
    for (i, s) in h.series.iter().enumerate() {
        let c = colour(i);
        if !multi {
            let bars = h.edges.windows(2).zip(&s.values).filter_map(|(e, &v)| {
                let top = yaxis.clamp(v);
                (top != base).then(|| Rectangle::new([(e[0], base), (e[1], top)], c.mix(0.45).filled()))
            });
            chart.draw_series(bars).map_err(err)?;
        }
        let mut pts = Vec::with_capacity(2 * s.values.len() + 2);
        pts.push((h.edges[0], base));
        for (e, &v) in h.edges.windows(2).zip(&s.values) {
            let top = yaxis.clamp(v);
            pts.push((e[0], top));
            pts.push((e[1], top));
        }
        pts.push((h.edges[h.edges.len() - 1], base));
        let anno = chart.draw_series(std::iter::once(PathElement::new(pts, c.stroke_width(2)))).map_err(err)?;
        if multi {
            anno.label(s.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(3)));
        }
    }
    if multi {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, TICK_SIZE))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .margin(12)
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)
}

// ---------------------------------------------------------------------------
// Bar chart drawing

/// X axis of a bar chart: category `i` occupies `[i, i + 1)`, with its tick
/// (and label) at the centre `i + 0.5`.
#[derive(Debug, Clone, Copy)]
struct CategoryAxis {
    n: usize,
}

impl Ranged for CategoryAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let frac = value / self.n.max(1) as f64;
        let px = f64::from(limit.0) + frac * f64::from(limit.1 - limit.0);
        px.round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        (0..self.n).map(|i| i as f64 + 0.5).collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.n.max(1) as f64
    }
}

fn draw_bars(area: DrawArea<'_>, b: &Bars, y: &YAxis) -> Result<(), String> {
    match area {
        DrawArea::Bitmap(root) => draw_bars_y(&root, b, y),
        DrawArea::Svg(root) => draw_bars_y(&root, b, y),
    }
}

fn draw_bars_y<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, b: &Bars, y: &YAxis) -> Result<(), String> {
    match y {
        YAxis::Linear { lo, hi } => draw_bars_on(root, b, y, *lo..*hi),
        YAxis::Log { floor, hi, ticks } => {
            draw_bars_on(root, b, y, (*floor..*hi).log_scale().with_key_points(ticks.clone()))
        }
    }
}

fn draw_bars_on<DB, Y>(root: &DrawingArea<DB, Shift>, b: &Bars, yaxis: &YAxis, y: Y) -> Result<(), String>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    root.fill(&WHITE).map_err(err)?;
    let n = b.categories.len();
    let labels: Vec<String> = b.categories.iter().map(|c| truncate_label(c, 24)).collect();
    let tick_style = TextStyle::from((FONT, TICK_SIZE).into_font()).color(&BLACK);
    let widest = labels
        .iter()
        .map(|l| root.estimate_text_size(l, &tick_style).map(|(w, _)| w))
        .try_fold(0u32, |acc, w| w.map(|w| acc.max(w)))
        .map_err(err)?;
    // Rotate the category labels when they would not fit side by side.
    let plot_width = f64::from(WIDTH) - 140.0;
    let slot = plot_width / n.max(1) as f64;
    let rotate = n > 0 && f64::from(widest) > slot * 0.9;
    let x_area = if rotate { (widest + 45).min(260) } else { 55 };
    let x = CategoryAxis { n };

    let mut builder = ChartBuilder::on(root);
    builder.margin(15).margin_right(25).x_label_area_size(x_area).y_label_area_size(80);
    if !b.title.is_empty() {
        builder.caption(&b.title, (FONT, TITLE_SIZE));
    }
    let mut chart = builder.build_cartesian_2d(x, y).map_err(err)?;
    let x_fmt = |v: &f64| {
        let i = v.floor();
        if rotate || i < 0.0 { String::new() } else { labels.get(i as usize).cloned().unwrap_or_default() }
    };
    chart
        .configure_mesh()
        .x_desc(b.x_label.as_str())
        .y_desc(b.y_label.as_str())
        .axis_desc_style((FONT, DESC_SIZE))
        .label_style((FONT, TICK_SIZE))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&fmt_tick)
        .y_labels(8)
        .disable_x_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()
        .map_err(err)?;
    if rotate {
        // plotters anchors mesh labels for unrotated text, so draw rotated
        // labels ourselves: reading upwards, ending just below the axis.
        let (_, y_px) = chart.plotting_area().get_pixel_range();
        let style = tick_style.pos(Pos::new(HPos::Right, VPos::Center)).transform(FontTransform::Rotate270);
        for (i, label) in labels.iter().enumerate() {
            let (px, _) = chart.backend_coord(&(i as f64 + 0.5, yaxis.baseline()));
            root.draw(&Text::new(label.as_str(), (px, y_px.end + 8), style.clone())).map_err(err)?;
        }
    }

    let base = yaxis.baseline();
    let c = colour(0);
    let bars = b.values.iter().enumerate().filter_map(|(i, &v)| {
        let top = yaxis.clamp(v);
        let x0 = i as f64 + 0.15;
        let x1 = i as f64 + 0.85;
        (top != base).then(|| Rectangle::new([(x0, base), (x1, top)], c.filled()))
    });
    chart.draw_series(bars).map_err(err)?;
    root.present().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_format() {
        assert_eq!(fmt_tick(&0.0), "0");
        assert_eq!(fmt_tick(&0.30000000000000004), "0.3");
        assert_eq!(fmt_tick(&250.0), "250");
        assert_eq!(fmt_tick(&1.5e6), "1.5e6");
        assert_eq!(fmt_tick(&1e-5), "1e-5");
        assert_eq!(fmt_tick(&-2.0), "-2");
    }

    #[test]
    fn log_axis_floor_below_min_positive() {
        let y = YAxis::new([0.0, 1.0, 300.0].into_iter(), true, 0.1);
        match y {
            YAxis::Log { floor, hi, ticks } => {
                assert!((floor - 0.1).abs() < 1e-12, "{floor}");
                assert!(hi > 300.0);
                assert!(ticks.contains(&1.0) && ticks.contains(&100.0), "{ticks:?}");
            }
            other => panic!("expected log axis, got {other:?}"),
        }
    }

    #[test]
    fn log_axis_all_zero_falls_back_to_linear() {
        let y = YAxis::new([0.0, 0.0].into_iter(), true, 0.1);
        assert!(matches!(y, YAxis::Linear { lo, hi } if lo == 0.0 && hi > 0.0), "{y:?}");
        let y = YAxis::new(std::iter::empty(), true, 0.1);
        assert!(matches!(y, YAxis::Linear { .. }));
    }

    #[test]
    fn linear_axis_with_negatives() {
        let y = YAxis::new([-5.0, 10.0].into_iter(), false, 0.1);
        match y {
            YAxis::Linear { lo, hi } => assert!(lo < -5.0 && hi > 10.0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn log_ticks_narrow_range_has_ticks() {
        let t = log_ticks(1.0, 8.0);
        assert_eq!(t, vec![1.0, 2.0, 5.0]);
        let t = log_ticks(1e-3, 1e30);
        assert!(t.len() <= 12, "{t:?}");
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate_label("abc", 5), "abc");
        assert_eq!(truncate_label("abcdefgh", 5), "abcd…");
    }
}
