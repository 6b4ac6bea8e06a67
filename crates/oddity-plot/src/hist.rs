//! One-dimensional histograms ([`Hist1D`]).

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::PlotError;
use crate::render::{DrawArea, FONT, Plot, err, render_file, render_svg_string};
use crate::style::{DESC_SIZE, TICK_SIZE, TITLE_SIZE, YAxis, colour, fmt_tick};

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

impl Hist1D {
    /// Render as SVG text (800×600, no external references) for inline
    /// embedding, e.g. in an HTML report.
    ///
    /// # Errors
    /// As [`render_hist1d`] (except format and I/O errors); messages name
    /// [`INLINE_SVG`](crate::INLINE_SVG) instead of a path.
    pub fn to_svg_string(&self) -> Result<String, PlotError> {
        render_svg_string(self)
    }
}

/// Render a histogram to `path` (`.png` or `.svg`, 800×600), atomically.
///
/// # Errors
/// See [`PlotError`]: unsupported extension, invalid edges, series length
/// mismatch, non-finite values, drawing or I/O failure.
pub fn render_hist1d(h: &Hist1D, path: &Path) -> Result<(), PlotError> {
    render_file(h, path)
}

impl Plot for Hist1D {
    fn validate(&self, path: &Path) -> Result<(), PlotError> {
        validate_hist(self, path)
    }

    fn draw(&self, area: DrawArea<'_>) -> Result<(), String> {
        let headroom = if self.series.len() > 1 { 0.3 } else { 0.1 };
        let yaxis = YAxis::new(self.series.iter().flat_map(|s| s.values.iter().copied()), self.log_y, headroom);
        draw_hist(area, self, &yaxis)
    }
}

fn validate_hist(h: &Hist1D, path: &Path) -> Result<(), PlotError> {
    validate_binned(&h.edges, h.series.iter().map(|s| (s.label.as_str(), s.values.as_slice())), path)
}

/// Checks bin edges (at least two, finite, strictly increasing) and that every named series
/// has one finite value per bin; errors name `path`.
pub(crate) fn validate_binned<'a>(
    edges: &[f64],
    series: impl Iterator<Item = (&'a str, &'a [f64])>,
    path: &Path,
) -> Result<(), PlotError> {
    let invalid = |reason: String| PlotError::InvalidEdges { path: path.to_path_buf(), reason };
    if edges.len() < 2 {
        return Err(invalid(format!("need at least 2 edges (1 bin), got {}", edges.len())));
    }
    if let Some((i, e)) = edges.iter().enumerate().find(|(_, e)| !e.is_finite()) {
        return Err(invalid(format!("edge {i} is not finite ({e})")));
    }
    if let Some(i) = edges.windows(2).position(|w| w[0] >= w[1]) {
        return Err(invalid(format!(
            "edges are not strictly increasing at index {} ({} >= {})",
            i + 1,
            edges[i],
            edges[i + 1]
        )));
    }
    let nbins = edges.len() - 1;
    for (label, values) in series {
        if values.len() != nbins {
            return Err(PlotError::LengthMismatch {
                path: path.to_path_buf(),
                series: label.to_owned(),
                got: values.len(),
                expected: nbins,
            });
        }
        if let Some((bin, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(PlotError::NonFinite { path: path.to_path_buf(), series: label.to_owned(), bin, value });
        }
    }
    Ok(())
}

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
