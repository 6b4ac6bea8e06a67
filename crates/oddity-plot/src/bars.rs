//! Categorical bar charts ([`Bars`]).

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::PlotError;
use crate::axis::CategoryLabels;
use crate::render::{DrawArea, FONT, Plot, err, render_file, render_svg_string};
use crate::style::{DESC_SIZE, TICK_SIZE, TITLE_SIZE, YAxis, colour, fmt_tick};

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

impl Bars {
    /// Render as SVG text (800×600, no external references) for inline
    /// embedding, e.g. in an HTML report.
    ///
    /// # Errors
    /// As [`render_bars`] (except format and I/O errors); messages name
    /// [`INLINE_SVG`](crate::INLINE_SVG) instead of a path.
    pub fn to_svg_string(&self) -> Result<String, PlotError> {
        render_svg_string(self)
    }
}

/// Render a categorical bar chart to `path` (`.png` or `.svg`, 800×600), atomically.
///
/// # Errors
/// See [`PlotError`]: unsupported extension, category/value count mismatch,
/// non-finite values, drawing or I/O failure.
pub fn render_bars(b: &Bars, path: &Path) -> Result<(), PlotError> {
    render_file(b, path)
}

impl Plot for Bars {
    fn validate(&self, path: &Path) -> Result<(), PlotError> {
        validate_bars(self, path)
    }

    fn draw(&self, area: DrawArea<'_>) -> Result<(), String> {
        let yaxis = YAxis::new(self.values.iter().copied(), self.log_y, 0.1);
        draw_bars(area, self, &yaxis)
    }
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
    let labels = CategoryLabels::layout(root, &b.categories)?;
    let x = labels.axis();

    let mut builder = ChartBuilder::on(root);
    builder.margin(15).margin_right(25).x_label_area_size(labels.x_area).y_label_area_size(80);
    if !b.title.is_empty() {
        builder.caption(&b.title, (FONT, TITLE_SIZE));
    }
    let mut chart = builder.build_cartesian_2d(x, y).map_err(err)?;
    let x_fmt = |v: &f64| labels.format(v);
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
    let (_, y_px) = chart.plotting_area().get_pixel_range();
    labels.draw_rotated(root, |x| chart.backend_coord(&(x, yaxis.baseline())).0, y_px.end)?;

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
