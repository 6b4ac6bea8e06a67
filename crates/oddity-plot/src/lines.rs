//! Line plots ([`Lines`]): named curves with optional log axes, fixed ranges
//! and a dashed reference line.

use std::path::Path;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::PlotError;
use crate::axis::{Scale, clip_segment};
use crate::render::{DrawArea, FONT, Plot, err, render_file, render_svg_string};
use crate::style::{DESC_SIZE, TICK_SIZE, TITLE_SIZE, colour, fmt_tick};
use crate::{HEIGHT, WIDTH};

/// A line plot: several named curves on shared axes.
///
/// Typical uses: ROC curves with a logarithmic background efficiency
/// (`x` = εB with `log_x`, `y` = εS, `x_range`/`y_range` fixed), significance
/// improvement versus εB, training curves (epoch versus loss, optionally
/// `log_y`), AUC versus jet-energy-scale shift (with `markers`).
///
/// Points with a non-positive coordinate on a log axis are skipped and break
/// the curve; segments leaving the axis ranges are clipped at the frame. A
/// curve with nothing drawable still gets its legend entry.
///
/// ```no_run
/// use oddity_plot::{Curve, LegendPosition, Lines, render_lines};
/// let roc = Lines {
///     title: "ROC".into(),
///     x_label: "background efficiency".into(),
///     y_label: "signal efficiency".into(),
///     curves: vec![
///         Curve::new("AE", vec![1e-4, 1e-3, 1e-2, 0.1, 1.0], vec![0.05, 0.2, 0.5, 0.8, 1.0]),
///         Curve::new("VAE", vec![1e-4, 1e-3, 1e-2, 0.1, 1.0], vec![0.1, 0.3, 0.6, 0.9, 1.0]),
///     ],
///     log_x: true,
///     y_range: Some((0.0, 1.0)),
///     reference: Some(Curve::diagonal("random", 1e-4, 1.0)),
///     legend: LegendPosition::UpperLeft,
///     ..Lines::default()
/// };
/// render_lines(&roc, std::path::Path::new("roc.svg"))?;
/// # Ok::<(), oddity_plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lines {
    /// Caption drawn above the plot.
    pub title: String,
    /// X-axis description.
    pub x_label: String,
    /// Y-axis description.
    pub y_label: String,
    /// Curves, drawn in palette colours in order. May be empty (axes only).
    pub curves: Vec<Curve>,
    /// Logarithmic x axis (non-positive x values are skipped).
    pub log_x: bool,
    /// Logarithmic y axis (non-positive y values are skipped).
    pub log_y: bool,
    /// Fixed x range `(lo, hi)`, `lo < hi`, both positive with `log_x`;
    /// `None` covers the drawable points of the curves.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range `(lo, hi)`, `lo < hi`, both positive with `log_y`;
    /// `None` covers the drawable points of the curves, with 5% padding.
    pub y_range: Option<(f64, f64)>,
    /// Reference curve (e.g. the random-classifier diagonal, or SI = 1),
    /// drawn dashed in grey below the curves. It does not affect automatic
    /// ranges; it is listed in the legend when its label is not empty.
    pub reference: Option<Curve>,
    /// Draw a dot at every point (useful for a few points, e.g. JES shifts).
    pub markers: bool,
    /// Legend corner. The legend is drawn when there are at least two
    /// entries (curves, plus a labelled reference).
    pub legend: LegendPosition,
}

/// One curve of a [`Lines`] plot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Curve {
    /// Legend entry.
    pub label: String,
    /// X coordinates, finite, in drawing order (not necessarily sorted).
    pub x: Vec<f64>,
    /// Y coordinates, finite, one per x value.
    pub y: Vec<f64>,
}

impl Curve {
    /// A curve from a label and coordinates.
    pub fn new(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Self { label: label.into(), x, y }
    }

    /// The diagonal `y = x` from `lo` to `hi`, sampled densely enough to look
    /// straight on linear axes and curved correctly on log axes (points are
    /// spaced geometrically when `0 < lo < hi`, linearly otherwise). Use it as
    /// the random-classifier reference of a ROC curve: with `log_x`, pass the
    /// lower end of the x range as `lo`.
    pub fn diagonal(label: impl Into<String>, lo: f64, hi: f64) -> Self {
        const N: u32 = 128;
        let geometric = lo > 0.0 && hi > lo && lo.is_finite() && hi.is_finite();
        let x: Vec<f64> = (0..=N)
            .map(|i| {
                let f = f64::from(i) / f64::from(N);
                if geometric { lo * (hi / lo).powf(f) } else { lo + (hi - lo) * f }
            })
            .collect();
        Self { label: label.into(), y: x.clone(), x }
    }
}

/// Corner of the plot that holds the legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LegendPosition {
    /// Top right (the default).
    #[default]
    UpperRight,
    /// Top left.
    UpperLeft,
    /// Bottom right (good for ROC curves with a log x axis).
    LowerRight,
    /// Bottom left.
    LowerLeft,
}

impl LegendPosition {
    fn to_plotters(self) -> SeriesLabelPosition {
        match self {
            Self::UpperRight => SeriesLabelPosition::UpperRight,
            Self::UpperLeft => SeriesLabelPosition::UpperLeft,
            Self::LowerRight => SeriesLabelPosition::LowerRight,
            Self::LowerLeft => SeriesLabelPosition::LowerLeft,
        }
    }
}

impl Lines {
    /// Render as SVG text (800×600, no external references) for inline
    /// embedding, e.g. in an HTML report.
    ///
    /// # Errors
    /// As [`render_lines`] (except format and I/O errors); messages name
    /// [`INLINE_SVG`](crate::INLINE_SVG) instead of a path.
    pub fn to_svg_string(&self) -> Result<String, PlotError> {
        render_svg_string(self)
    }

    /// Number of legend entries: every curve, plus the reference if labelled.
    fn legend_entries(&self) -> usize {
        self.curves.len() + self.reference.as_ref().map_or(0, |r| usize::from(!r.label.is_empty()))
    }
}

/// Render a line plot to `path` (`.png` or `.svg`, 800×600), atomically.
///
/// # Errors
/// See [`PlotError`]: unsupported extension, a curve with different numbers
/// of x and y values or a non-finite coordinate, an invalid fixed range,
/// drawing or I/O failure.
pub fn render_lines(l: &Lines, path: &Path) -> Result<(), PlotError> {
    render_file(l, path)
}

impl Plot for Lines {
    fn validate(&self, path: &Path) -> Result<(), PlotError> {
        validate_lines(self, path)
    }

    fn draw(&self, area: DrawArea<'_>) -> Result<(), String> {
        let xs = match self.x_range {
            Some((lo, hi)) => Scale::fixed(lo, hi, self.log_x),
            None => {
                let pad = if self.markers { 0.03 } else { 0.0 };
                Scale::auto(self.curves.iter().flat_map(|c| c.x.iter().copied()), self.log_x, pad)
            }
        };
        let ys = match self.y_range {
            Some((lo, hi)) => Scale::fixed(lo, hi, self.log_y),
            None => {
                // Only points whose x is drawable (and in a fixed x range) set the y range.
                let visible = self.curves.iter().flat_map(|c| {
                    c.x.iter().zip(&c.y).filter(|(x, _)| xs.drawable(**x) && xs.clamp(**x) == **x).map(|(_, y)| *y)
                });
                Scale::auto(visible, self.log_y, 0.05)
            }
        };
        match area {
            DrawArea::Bitmap(root) => draw_lines(&root, self, xs, ys),
            DrawArea::Svg(root) => draw_lines(&root, self, xs, ys),
        }
    }
}

// ---------------------------------------------------------------------------
// Validation

fn validate_lines(l: &Lines, path: &Path) -> Result<(), PlotError> {
    let reference = l.reference.iter().map(|r| (r, if r.label.is_empty() { "reference" } else { r.label.as_str() }));
    for (c, name) in l.curves.iter().map(|c| (c, c.label.as_str())).chain(reference) {
        if c.x.len() != c.y.len() {
            return Err(PlotError::CurveLengthMismatch {
                path: path.to_path_buf(),
                curve: name.to_owned(),
                x: c.x.len(),
                y: c.y.len(),
            });
        }
        for (index, (&x, &y)) in c.x.iter().zip(&c.y).enumerate() {
            for (axis, value) in [("x", x), ("y", y)] {
                if !value.is_finite() {
                    return Err(PlotError::NonFiniteCurve {
                        path: path.to_path_buf(),
                        curve: name.to_owned(),
                        index,
                        axis,
                        value,
                    });
                }
            }
        }
    }
    for (axis, range, log) in [("x", l.x_range, l.log_x), ("y", l.y_range, l.log_y)] {
        let Some((lo, hi)) = range else { continue };
        let invalid = |reason: String| PlotError::InvalidRange { path: path.to_path_buf(), axis, reason };
        if !(lo.is_finite() && hi.is_finite()) {
            return Err(invalid(format!("bounds must be finite, got ({lo}, {hi})")));
        }
        if lo >= hi {
            return Err(invalid(format!("lower bound {lo} is not below upper bound {hi}")));
        }
        if log && lo <= 0.0 {
            return Err(invalid(format!("a log axis needs a positive lower bound, got {lo}")));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Geometry

/// The drawable parts of a curve, in data coordinates.
#[derive(Debug, Default, PartialEq)]
struct Pieces {
    /// Connected polylines (each at least two points), clipped to the axes.
    lines: Vec<Vec<(f64, f64)>>,
    /// Points to mark: every visible point with `markers`, otherwise only
    /// visible points not joined to any neighbour.
    dots: Vec<(f64, f64)>,
}

/// Split a curve into clipped polylines: non-drawable points (non-positive
/// on a log axis) break it; segments are clipped to the axis ranges; points
/// closer than about half a pixel to the previous kept one are dropped.
fn pieces(c: &Curve, xs: &Scale, ys: &Scale, markers: bool) -> Pieces {
    let xr = (xs.axis_coord(xs.lo()), xs.axis_coord(xs.hi()));
    let yr = (ys.axis_coord(ys.lo()), ys.axis_coord(ys.hi()));
    // Half a pixel in axis units (the plotting area is smaller than the picture).
    let tol = ((xr.1 - xr.0) / (2.0 * f64::from(WIDTH)), (yr.1 - yr.0) / (2.0 * f64::from(HEIGHT)));
    let inside = |p: (f64, f64)| p.0 >= xr.0 && p.0 <= xr.1 && p.1 >= yr.0 && p.1 <= yr.1;
    let to_data = |p: (f64, f64)| (xs.data_value(p.0), ys.data_value(p.1));

    let mut out = Pieces::default();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let flush = |current: &mut Vec<(f64, f64)>, out: &mut Pieces| {
        if current.len() >= 2 {
            out.lines.push(current.iter().map(|&p| to_data(p)).collect());
        }
        current.clear();
    };
    let n = c.x.len().min(c.y.len());
    let drawable = |i: usize| xs.drawable(c.x[i]) && ys.drawable(c.y[i]);
    let mut prev: Option<(f64, f64)> = None;
    // Whether `current` reaches (up to decimation) the previous point.
    let mut open = false;
    for i in 0..n {
        if !drawable(i) {
            flush(&mut current, &mut out);
            prev = None;
            open = false;
            continue;
        }
        let p = (xs.axis_coord(c.x[i]), ys.axis_coord(c.y[i]));
        let run_ends = i + 1 == n || !drawable(i + 1);
        let joined = (i > 0 && drawable(i - 1)) || !run_ends;
        if inside(p) && (markers || !joined) {
            out.dots.push(to_data(p));
        }
        if let Some(a) = prev {
            match clip_segment(a, p, xr, yr) {
                Some((s, e)) => {
                    if !open || s != a {
                        flush(&mut current, &mut out);
                        current.push(s);
                    }
                    let end_clipped = e != p;
                    let near = current.last().is_some_and(|l| (e.0 - l.0).abs() < tol.0 && (e.1 - l.1).abs() < tol.1);
                    if !near || end_clipped || run_ends {
                        current.push(e);
                    }
                    open = !end_clipped;
                    if end_clipped {
                        flush(&mut current, &mut out);
                    }
                }
                None => {
                    flush(&mut current, &mut out);
                    open = false;
                }
            }
        }
        prev = Some(p);
    }
    flush(&mut current, &mut out);
    out
}

// ---------------------------------------------------------------------------
// Drawing

fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Lines,
    xs: Scale,
    ys: Scale,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let mut builder = ChartBuilder::on(root);
    builder.margin(15).margin_right(25).x_label_area_size(55).y_label_area_size(80);
    if !l.title.is_empty() {
        builder.caption(&l.title, (FONT, TITLE_SIZE));
    }
    let mut chart = builder.build_cartesian_2d(xs.clone(), ys.clone()).map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(l.x_label.as_str())
        .y_desc(l.y_label.as_str())
        .axis_desc_style((FONT, DESC_SIZE))
        .label_style((FONT, TICK_SIZE))
        .x_label_formatter(&fmt_tick)
        .y_label_formatter(&fmt_tick)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()
        .map_err(err)?;

    let legend = l.legend_entries() > 1;
    if let Some(r) = &l.reference {
        let grey = RGBColor(110, 110, 110);
        let style = grey.stroke_width(2);
        let p = pieces(r, &xs, &ys, false);
        let dashes = p.lines.into_iter().map(|line| DashedPathElement::new(line, 9u32, 6u32, style));
        chart.draw_series(p.dots.into_iter().map(|d| Circle::new(d, 2, grey.filled()))).map_err(err)?;
        let anno = chart.draw_series(dashes).map_err(err)?;
        if legend && !r.label.is_empty() {
            anno.label(r.label.as_str()).legend(move |(x, y)| {
                DashedPathElement::new(vec![(x, y), (x + 22, y)], 6u32, 4u32, grey.stroke_width(2))
            });
        }
    }
    for (i, c) in l.curves.iter().enumerate() {
        let colour = colour(i);
        let p = pieces(c, &xs, &ys, l.markers);
        chart.draw_series(p.dots.into_iter().map(|d| Circle::new(d, 4, colour.filled()))).map_err(err)?;
        let anno = chart
            .draw_series(p.lines.into_iter().map(|line| PathElement::new(line, colour.stroke_width(2))))
            .map_err(err)?;
        if legend {
            let markers = l.markers;
            anno.label(c.label.as_str()).legend(move |(x, y)| {
                let line = PathElement::new(vec![(x, y), (x + 22, y)], colour.stroke_width(3));
                let dot = Circle::new((x + 11, y), if markers { 4 } else { 0 }, colour.filled());
                EmptyElement::at((0, 0)) + line + dot
            });
        }
    }
    if legend {
        chart
            .configure_series_labels()
            .position(l.legend.to_plotters())
            .label_font((FONT, TICK_SIZE))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .margin(12)
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit() -> Scale {
        Scale::fixed(0.0, 1.0, false)
    }

    #[test]
    fn pieces_inside_are_kept() {
        let c = Curve::new("c", vec![0.1, 0.5, 0.9], vec![0.1, 0.6, 0.2]);
        let p = pieces(&c, &unit(), &unit(), false);
        assert_eq!(p.lines, vec![vec![(0.1, 0.1), (0.5, 0.6), (0.9, 0.2)]]);
        assert!(p.dots.is_empty());
        let p = pieces(&c, &unit(), &unit(), true);
        assert_eq!(p.dots.len(), 3);
    }

    #[test]
    fn pieces_clip_and_break() {
        // Leaves the frame at the top and comes back: two clipped pieces.
        let c = Curve::new("c", vec![0.0, 0.4, 0.5, 0.6, 1.0], vec![0.5, 0.5, 2.0, 0.5, 0.5]);
        let p = pieces(&c, &unit(), &unit(), false);
        assert_eq!(p.lines.len(), 2, "{p:?}");
        assert_eq!(p.lines[0][0], (0.0, 0.5));
        let top = p.lines[0][p.lines[0].len() - 1];
        assert!((top.1 - 1.0).abs() < 1e-12, "{top:?}");
        // Non-positive x on a log axis breaks the curve; an isolated point becomes a dot.
        let xs = Scale::fixed(1e-3, 1.0, true);
        let c = Curve::new("c", vec![0.0, 0.01, 0.1, -1.0, 0.5], vec![0.0, 0.2, 0.5, 0.7, 0.9]);
        let p = pieces(&c, &xs, &unit(), false);
        assert_eq!(p.lines.len(), 1, "{p:?}");
        assert_eq!(p.lines[0].len(), 2);
        assert!((p.lines[0][0].0 - 0.01).abs() < 1e-15);
        assert_eq!(p.dots.len(), 1);
        assert!((p.dots[0].0 - 0.5).abs() < 1e-15 && (p.dots[0].1 - 0.9).abs() < 1e-15);
    }

    #[test]
    fn pieces_decimate_dense_curves() {
        let n = 100_000;
        let x: Vec<f64> = (0..n).map(|i| f64::from(i) / f64::from(n - 1)).collect();
        let y: Vec<f64> = x.iter().map(|v| v * v).collect();
        let p = pieces(&Curve::new("dense", x, y), &unit(), &unit(), false);
        assert_eq!(p.lines.len(), 1);
        let line = &p.lines[0];
        assert!(line.len() < 3_000, "{} points kept", line.len());
        assert_eq!(line[0], (0.0, 0.0));
        assert_eq!(line[line.len() - 1], (1.0, 1.0));
    }

    #[test]
    fn nothing_drawable() {
        let xs = Scale::fixed(1e-3, 1.0, true);
        let c = Curve::new("c", vec![0.0, -1.0], vec![0.5, 0.5]);
        assert_eq!(pieces(&c, &xs, &unit(), true), Pieces::default());
        assert_eq!(pieces(&Curve::default(), &xs, &unit(), true), Pieces::default());
    }

    #[test]
    fn diagonal_reference() {
        let d = Curve::diagonal("random", 1e-4, 1.0);
        assert_eq!(d.x, d.y);
        assert!((d.x[0] - 1e-4).abs() < 1e-18 && (d.x[d.x.len() - 1] - 1.0).abs() < 1e-12);
        assert!(d.x[1] / d.x[0] > 1.0 && d.x[1] < 2e-4);
        let d = Curve::diagonal("", 0.0, 1.0);
        assert_eq!(d.x[0], 0.0);
        assert_eq!(d.x[d.x.len() - 1], 1.0);
    }
}
