//! Box-and-whisker plots ([`BoxPlot`]), one box per category.

use std::path::Path;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::PlotError;
use crate::axis::{CategoryLabels, Scale};
use crate::render::{DrawArea, FONT, Plot, err, render_file, render_svg_string};
use crate::style::{DESC_SIZE, TICK_SIZE, TITLE_SIZE, colour, fmt_tick};

/// A box plot: one vertical box-and-whisker per category.
///
/// Each box spans the quartiles `q1..q3` with a black line at the median;
/// whiskers with caps reach `min` and `max`. Typical use: the DarkMachines
/// total-improvement distribution per model (arXiv:2105.14027, Fig. 10).
///
/// With `log_y`, statistics that are not positive are drawn at the bottom of
/// the axis; without any positive value the axis falls back to linear.
///
/// ```no_run
/// use oddity_plot::{BoxPlot, BoxStats, render_boxplot};
/// let ti_ae = [1.2, 3.4, 2.2, 5.0, 0.8];
/// let ti_flow = [2.0, 2.5, 7.5, 3.1];
/// let plot = BoxPlot {
///     title: "Total improvement".into(),
///     y_label: "TI".into(),
///     categories: vec!["AE".into(), "Flow".into()],
///     boxes: [&ti_ae[..], &ti_flow[..]].iter().filter_map(|v| BoxStats::from_values(v)).collect(),
///     reference_y: Some(1.0),
///     ..BoxPlot::default()
/// };
/// render_boxplot(&plot, std::path::Path::new("ti.png"))?;
/// # Ok::<(), oddity_plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BoxPlot {
    /// Caption drawn above the plot.
    pub title: String,
    /// X-axis description.
    pub x_label: String,
    /// Y-axis description.
    pub y_label: String,
    /// Category names (e.g. models), drawn as x tick labels. May be empty (axes only).
    pub categories: Vec<String>,
    /// One box per category.
    pub boxes: Vec<BoxStats>,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// Fixed y range `(lo, hi)`, `lo < hi`, positive with `log_y`; boxes
    /// reaching outside are cut at the frame. `None` covers all statistics
    /// (and the reference line) with 5% padding.
    pub y_range: Option<(f64, f64)>,
    /// Horizontal dashed reference line (e.g. "no improvement" at 1); must
    /// be finite, and is not drawn if it is not positive on a log axis.
    pub reference_y: Option<f64>,
}

/// Five-number summary drawn as one box: `min <= q1 <= median <= q3 <= max`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BoxStats {
    /// Lower whisker end.
    pub min: f64,
    /// First quartile (lower box edge).
    pub q1: f64,
    /// Median (line inside the box).
    pub median: f64,
    /// Third quartile (upper box edge).
    pub q3: f64,
    /// Upper whisker end.
    pub max: f64,
}

impl BoxStats {
    /// Minimum, quartiles, median and maximum of `values`, ignoring NaN;
    /// quantiles interpolate linearly between order statistics (NumPy's
    /// default `linear` method). `None` when no value is left. Infinite
    /// values are kept (and rejected later by the renderer).
    pub fn from_values(values: &[f64]) -> Option<Self> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        Some(Self {
            min: v[0],
            q1: quantile(&v, 0.25),
            median: quantile(&v, 0.5),
            q3: quantile(&v, 0.75),
            max: v[v.len() - 1],
        })
    }

    fn named(&self) -> [(&'static str, f64); 5] {
        [("min", self.min), ("q1", self.q1), ("median", self.median), ("q3", self.q3), ("max", self.max)]
    }
}

/// Quantile `p` of non-empty sorted `v`, linear interpolation.
fn quantile(v: &[f64], p: f64) -> f64 {
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    let (a, b) = (v[lo], v[hi.min(v.len() - 1)]);
    if a == b { a } else { a + (h - lo as f64) * (b - a) }
}

impl BoxPlot {
    /// Render as SVG text (800×600, no external references) for inline
    /// embedding, e.g. in an HTML report.
    ///
    /// # Errors
    /// As [`render_boxplot`] (except format and I/O errors); messages name
    /// [`INLINE_SVG`](crate::INLINE_SVG) instead of a path.
    pub fn to_svg_string(&self) -> Result<String, PlotError> {
        render_svg_string(self)
    }
}

/// Render a box plot to `path` (`.png` or `.svg`, 800×600), atomically.
///
/// # Errors
/// See [`PlotError`]: unsupported extension, category/box count mismatch,
/// non-finite or unordered statistics, an invalid y range or reference
/// value, drawing or I/O failure.
pub fn render_boxplot(b: &BoxPlot, path: &Path) -> Result<(), PlotError> {
    render_file(b, path)
}

impl Plot for BoxPlot {
    fn validate(&self, path: &Path) -> Result<(), PlotError> {
        validate_boxplot(self, path)
    }

    fn draw(&self, area: DrawArea<'_>) -> Result<(), String> {
        let values = self.boxes.iter().flat_map(|b| b.named().map(|(_, v)| v)).chain(self.reference_y);
        let ys = match self.y_range {
            Some((lo, hi)) => Scale::fixed(lo, hi, self.log_y),
            None => {
                let log = self.log_y && values.clone().any(|v| v > 0.0);
                Scale::auto(values, log, 0.05)
            }
        };
        match area {
            DrawArea::Bitmap(root) => draw_boxplot(&root, self, ys),
            DrawArea::Svg(root) => draw_boxplot(&root, self, ys),
        }
    }
}

fn validate_boxplot(b: &BoxPlot, path: &Path) -> Result<(), PlotError> {
    if b.categories.len() != b.boxes.len() {
        return Err(PlotError::BoxCountMismatch {
            path: path.to_path_buf(),
            categories: b.categories.len(),
            boxes: b.boxes.len(),
        });
    }
    for (index, (category, s)) in b.categories.iter().zip(&b.boxes).enumerate() {
        if let Some((stat, value)) = s.named().into_iter().find(|(_, v)| !v.is_finite()) {
            return Err(PlotError::NonFiniteBox {
                path: path.to_path_buf(),
                category: category.clone(),
                index,
                stat,
                value,
            });
        }
        if !(s.min <= s.q1 && s.q1 <= s.median && s.median <= s.q3 && s.q3 <= s.max) {
            return Err(PlotError::UnorderedBox {
                path: path.to_path_buf(),
                category: category.clone(),
                index,
                min: s.min,
                q1: s.q1,
                median: s.median,
                q3: s.q3,
                max: s.max,
            });
        }
    }
    let invalid = |reason: String| PlotError::InvalidRange { path: path.to_path_buf(), axis: "y", reason };
    if let Some((lo, hi)) = b.y_range {
        if !(lo.is_finite() && hi.is_finite()) {
            return Err(invalid(format!("bounds must be finite, got ({lo}, {hi})")));
        }
        if lo >= hi {
            return Err(invalid(format!("lower bound {lo} is not below upper bound {hi}")));
        }
        if b.log_y && lo <= 0.0 {
            return Err(invalid(format!("a log axis needs a positive lower bound, got {lo}")));
        }
    }
    if let Some(r) = b.reference_y.filter(|r| !r.is_finite()) {
        return Err(invalid(format!("reference line value {r} is not finite")));
    }
    Ok(())
}

fn draw_boxplot<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, b: &BoxPlot, ys: Scale) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let labels = CategoryLabels::layout(root, &b.categories)?;
    let mut builder = ChartBuilder::on(root);
    builder.margin(15).margin_right(25).x_label_area_size(labels.x_area).y_label_area_size(80);
    if !b.title.is_empty() {
        builder.caption(&b.title, (FONT, TITLE_SIZE));
    }
    let mut chart = builder.build_cartesian_2d(labels.axis(), ys.clone()).map_err(err)?;
    let x_fmt = |v: &f64| labels.format(v);
    chart
        .configure_mesh()
        .x_desc(b.x_label.as_str())
        .y_desc(b.y_label.as_str())
        .axis_desc_style((FONT, DESC_SIZE))
        .label_style((FONT, TICK_SIZE))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&fmt_tick)
        .disable_x_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()
        .map_err(err)?;
    let (_, y_px) = chart.plotting_area().get_pixel_range();
    labels.draw_rotated(root, |x| chart.backend_coord(&(x, ys.lo())).0, y_px.end)?;

    if let Some(r) = b.reference_y.filter(|r| ys.drawable(*r) && *r >= ys.lo() && *r <= ys.hi()) {
        let n = b.categories.len().max(1) as f64;
        let line = DashedPathElement::new(vec![(0.0, r), (n, r)], 9u32, 6u32, RGBColor(110, 110, 110).stroke_width(2));
        chart.draw_series(std::iter::once(line)).map_err(err)?;
    }
    let whisker = BLACK.mix(0.75).stroke_width(2);
    for (i, s) in b.boxes.iter().enumerate() {
        let c = colour(i);
        let [min, q1, median, q3, max] = s.named().map(|(_, v)| ys.clamp(v));
        let (left, mid, right) = (i as f64 + 0.25, i as f64 + 0.5, i as f64 + 0.75);
        let (cap_l, cap_r) = (i as f64 + 0.38, i as f64 + 0.62);
        let lines = [
            vec![(mid, q3), (mid, max)],
            vec![(mid, q1), (mid, min)],
            vec![(cap_l, max), (cap_r, max)],
            vec![(cap_l, min), (cap_r, min)],
        ];
        chart.draw_series(lines.into_iter().map(|l| PathElement::new(l, whisker))).map_err(err)?;
        chart
            .draw_series(std::iter::once(Rectangle::new([(left, q1), (right, q3)], c.mix(0.45).filled())))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Rectangle::new([(left, q1), (right, q3)], c.stroke_width(2))))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(left, median), (right, median)],
                BLACK.stroke_width(3),
            )))
            .map_err(err)?;
    }
    root.present().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_match_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4, 10], [0, 25, 50, 75, 100]) = [1, 2, 3, 4, 10]
        let s = BoxStats::from_values(&[10.0, 3.0, f64::NAN, 1.0, 4.0, 2.0]).expect("stats");
        assert_eq!(s, BoxStats { min: 1.0, q1: 2.0, median: 3.0, q3: 4.0, max: 10.0 });
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) = [1.75, 2.5, 3.25]
        let s = BoxStats::from_values(&[4.0, 1.0, 3.0, 2.0]).expect("stats");
        assert_eq!((s.q1, s.median, s.q3), (1.75, 2.5, 3.25));
        let s = BoxStats::from_values(&[7.0]).expect("stats");
        assert_eq!(s, BoxStats { min: 7.0, q1: 7.0, median: 7.0, q3: 7.0, max: 7.0 });
        assert_eq!(BoxStats::from_values(&[]), None);
        assert_eq!(BoxStats::from_values(&[f64::NAN, f64::NAN]), None);
        // Infinities are kept, without producing NaN quantiles.
        let s = BoxStats::from_values(&[f64::INFINITY, f64::INFINITY, 1.0]).expect("stats");
        assert_eq!(s.max, f64::INFINITY);
        assert!(!s.median.is_nan());
    }
}
