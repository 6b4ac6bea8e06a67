//! Binned spectra with data points, model curves, a highlighted window and a pull panel
//! ([`Spectrum`]): an invariant-mass spectrum with its fit and pulls, BumpHunter's data against
//! the reference with the bump window, or a test-statistic distribution with the observed value.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::PlotError;
use crate::hist::{Series, validate_binned};
use crate::render::{DrawArea, FONT, Plot, err, render_file, render_svg_string};
use crate::style::{DESC_SIZE, TICK_SIZE, TITLE_SIZE, YAxis, colour, fmt_tick};

/// A binned spectrum: optional data points with error bars, step curves (fits, references),
/// an optional shaded window and vertical marker, and an optional lower panel of pulls.
///
/// ```no_run
/// use oddity_plot::{Points, Series, Spectrum, render_spectrum};
/// let s = Spectrum {
///     title: "m_jj".into(),
///     x_label: "m_jj [GeV]".into(),
///     y_label: "Events / bin".into(),
///     edges: vec![300.0, 400.0, 550.0, 750.0],
///     data: Some(Points::poisson("data", vec![120.0, 60.0, 9.0])),
///     curves: vec![Series { label: "fit".into(), values: vec![118.0, 63.0, 8.5] }],
///     window: Some((400.0, 550.0)),
///     pulls: Some(vec![0.18, -0.38, 0.17]),
///     log_y: true,
///     ..Spectrum::default()
/// };
/// render_spectrum(&s, std::path::Path::new("mjj.png"))?;
/// # Ok::<(), oddity_plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Spectrum {
    /// Caption drawn above the plot.
    pub title: String,
    /// X-axis description.
    pub x_label: String,
    /// Y-axis description.
    pub y_label: String,
    /// Bin edges, finite and strictly increasing.
    pub edges: Vec<f64>,
    /// Data drawn as points with vertical error bars at the bin centres.
    pub data: Option<Points>,
    /// Curves drawn as coloured step outlines (fit, alternative fit, reference).
    pub curves: Vec<Series>,
    /// A shaded x interval `(lo, hi)` (the bump window).
    pub window: Option<(f64, f64)>,
    /// A labelled vertical line (e.g. the observed test statistic).
    pub marker: Option<(String, f64)>,
    /// Logarithmic y axis of the main panel.
    pub log_y: bool,
    /// One pull per bin for a lower panel; NaN marks bins outside the fit (not drawn).
    pub pulls: Option<Vec<f64>>,
}

/// Data points of a [`Spectrum`]: one value and one symmetric error per bin.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Points {
    /// Legend entry.
    pub label: String,
    /// One value per bin.
    pub values: Vec<f64>,
    /// One error per bin (half-length of the error bar).
    pub errors: Vec<f64>,
}

impl Points {
    /// Counts with Poisson errors √n.
    pub fn poisson(label: impl Into<String>, values: Vec<f64>) -> Self {
        let errors = values.iter().map(|v| v.max(0.0).sqrt()).collect();
        Self { label: label.into(), values, errors }
    }
}

impl Spectrum {
    /// Render as SVG text (800×600, no external references) for inline embedding.
    ///
    /// # Errors
    /// As [`render_spectrum`] (except format and I/O errors).
    pub fn to_svg_string(&self) -> Result<String, PlotError> {
        render_svg_string(self)
    }
}

/// Render a spectrum to `path` (`.png` or `.svg`, 800×600), atomically.
///
/// # Errors
/// See [`PlotError`]: unsupported extension, invalid edges, a series, the data, its errors or
/// the pulls without one value per bin, non-finite values (pulls may be NaN), an invalid
/// window, drawing or I/O failure.
pub fn render_spectrum(s: &Spectrum, path: &Path) -> Result<(), PlotError> {
    render_file(s, path)
}

impl Plot for Spectrum {
    fn validate(&self, path: &Path) -> Result<(), PlotError> {
        let data = self
            .data
            .iter()
            .flat_map(|d| [(d.label.as_str(), d.values.as_slice()), ("data errors", d.errors.as_slice())]);
        let curves = self.curves.iter().map(|c| (c.label.as_str(), c.values.as_slice()));
        validate_binned(&self.edges, data.chain(curves), path)?;
        if let Some(p) = &self.pulls {
            let finite_or_nan: Vec<f64> = p.iter().map(|v| if v.is_nan() { 0.0 } else { *v }).collect();
            validate_binned(&self.edges, std::iter::once(("pulls", finite_or_nan.as_slice())), path)?;
        }
        for (axis, what, v) in [
            ("x", "window", self.window.map(|w| [w.0, w.1])),
            ("x", "marker", self.marker.as_ref().map(|m| [m.1, m.1])),
        ] {
            if let Some([lo, hi]) = v
                && !(lo.is_finite() && hi.is_finite() && lo <= hi)
            {
                return Err(PlotError::InvalidRange {
                    path: path.to_path_buf(),
                    axis,
                    reason: format!("{what} ({lo}, {hi}) must be finite and ordered"),
                });
            }
        }
        Ok(())
    }

    fn draw(&self, area: DrawArea<'_>) -> Result<(), String> {
        let data = self.data.iter().flat_map(|d| d.values.iter().zip(&d.errors).map(|(v, e)| v + e));
        // On a log axis with data, curves only extend the range down to a tenth of the
        // smallest positive data value: a fit extrapolated over empty bins would otherwise
        // squeeze the data into the top of the picture.
        let floor = match (&self.data, self.log_y) {
            (Some(d), true) => d.values.iter().copied().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min) * 0.1,
            _ => f64::NEG_INFINITY,
        };
        let curves = self.curves.iter().flat_map(|c| c.values.iter().copied()).filter(move |v| *v >= floor);
        let values = data.chain(curves);
        let headroom = if self.curves.len() + usize::from(self.data.is_some()) > 1 { 0.3 } else { 0.1 };
        let yaxis = YAxis::new(values, self.log_y, headroom);
        match area {
            DrawArea::Bitmap(root) => draw_panels(&root, self, &yaxis),
            DrawArea::Svg(root) => draw_panels(&root, self, &yaxis),
        }
    }
}

fn draw_panels<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, s: &Spectrum, y: &YAxis) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let (main, lower) = match s.pulls {
        Some(_) => {
            let (a, b) = root.split_vertically(430);
            (a, Some(b))
        }
        None => (root.clone(), None),
    };
    match y {
        YAxis::Linear { lo, hi } => draw_main(&main, s, y, *lo..*hi, lower.is_some())?,
        YAxis::Log { floor, hi, ticks } => {
            draw_main(&main, s, y, (*floor..*hi).log_scale().with_key_points(ticks.clone()), lower.is_some())?
        }
    }
    if let (Some(area), Some(pulls)) = (lower, &s.pulls) {
        draw_pulls(&area, s, pulls)?;
    }
    root.present().map_err(err)
}

fn x_range(s: &Spectrum) -> Range<f64> {
    s.edges[0]..s.edges[s.edges.len() - 1]
}

fn draw_main<DB, Y>(
    area: &DrawingArea<DB, Shift>,
    s: &Spectrum,
    yaxis: &YAxis,
    y: Y,
    has_pulls: bool,
) -> Result<(), String>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut builder = ChartBuilder::on(area);
    builder.margin(15).margin_right(25).x_label_area_size(if has_pulls { 20 } else { 55 }).y_label_area_size(80);
    if !s.title.is_empty() {
        builder.caption(&s.title, (FONT, TITLE_SIZE));
    }
    let mut chart = builder.build_cartesian_2d(x_range(s), y).map_err(err)?;
    let mut mesh = chart.configure_mesh();
    mesh.y_desc(s.y_label.as_str())
        .axis_desc_style((FONT, DESC_SIZE))
        .label_style((FONT, TICK_SIZE))
        .x_label_formatter(&fmt_tick)
        .y_label_formatter(&fmt_tick)
        .x_labels(8)
        .y_labels(8)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08));
    if has_pulls {
        mesh.x_label_formatter(&|_| String::new());
    } else {
        mesh.x_desc(s.x_label.as_str());
    }
    mesh.draw().map_err(err)?;

    let lo = yaxis.baseline();
    let top = match yaxis {
        YAxis::Linear { hi, .. } | YAxis::Log { hi, .. } => *hi,
    };
    if let Some((a, b)) = s.window {
        chart
            .draw_series(std::iter::once(Rectangle::new([(a, lo), (b, top)], RGBColor(255, 215, 0).mix(0.35).filled())))
            .map_err(err)?
            .label(format!("window [{}, {}]", fmt_tick(&a), fmt_tick(&b)))
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 22, y + 6)], RGBColor(255, 215, 0).mix(0.6).filled()));
    }
    for (i, c) in s.curves.iter().enumerate() {
        let col = colour(i + 1);
        let mut pts = Vec::with_capacity(2 * c.values.len());
        for (e, &v) in s.edges.windows(2).zip(&c.values) {
            let v = yaxis.clamp(v);
            pts.push((e[0], v));
            pts.push((e[1], v));
        }
        chart
            .draw_series(std::iter::once(PathElement::new(pts, col.stroke_width(2))))
            .map_err(err)?
            .label(c.label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], col.stroke_width(3)));
    }
    if let Some(d) = &s.data {
        let col = BLACK;
        let visible: Vec<(f64, f64, f64)> = s
            .edges
            .windows(2)
            .zip(d.values.iter().zip(&d.errors))
            .filter(|(_, (v, _))| !(matches!(yaxis, YAxis::Log { .. }) && **v <= 0.0))
            .map(|(e, (v, err))| (0.5 * (e[0] + e[1]), *v, *err))
            .collect();
        chart
            .draw_series(visible.iter().map(|&(x, v, e)| {
                ErrorBar::new_vertical(x, yaxis.clamp(v - e), v, yaxis.clamp(v + e), col.stroke_width(1), 4)
            }))
            .map_err(err)?;
        chart
            .draw_series(visible.iter().map(|&(x, v, _)| Circle::new((x, v), 3, col.filled())))
            .map_err(err)?
            .label(d.label.as_str())
            .legend(|(x, y)| Circle::new((x + 11, y), 3, BLACK.filled()));
    }
    if let Some((label, x)) = &s.marker {
        let x = *x;
        let col = colour(3);
        chart
            .draw_series(std::iter::once(PathElement::new(vec![(x, lo), (x, top)], col.stroke_width(2))))
            .map_err(err)?
            .label(format!("{label} = {}", fmt_tick(&x)))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], col.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, TICK_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .margin(12)
        .draw()
        .map_err(err)
}

/// The pull panel: one bar per bin from 0, clipped at ±`PULL_LIMIT`, with ±1 and ±2 guides.
fn draw_pulls<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: &Spectrum, pulls: &[f64]) -> Result<(), String> {
    const PULL_LIMIT: f64 = 4.5;
    let mut chart = ChartBuilder::on(area)
        .margin(15)
        .margin_top(0)
        .margin_right(25)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(x_range(s), -PULL_LIMIT..PULL_LIMIT)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(s.x_label.as_str())
        .y_desc("pull")
        .axis_desc_style((FONT, DESC_SIZE))
        .label_style((FONT, TICK_SIZE))
        .x_label_formatter(&fmt_tick)
        .y_label_formatter(&fmt_tick)
        .x_labels(8)
        .y_labels(5)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()
        .map_err(err)?;
    let (x0, x1) = (s.edges[0], s.edges[s.edges.len() - 1]);
    for (level, alpha) in [(0.0, 0.6), (1.0, 0.25), (-1.0, 0.25), (2.0, 0.15), (-2.0, 0.15)] {
        chart
            .draw_series(std::iter::once(PathElement::new(vec![(x0, level), (x1, level)], BLACK.mix(alpha))))
            .map_err(err)?;
    }
    let bars = s.edges.windows(2).zip(pulls).filter(|(_, p)| p.is_finite()).map(|(e, p)| {
        let p = p.clamp(-PULL_LIMIT, PULL_LIMIT);
        Rectangle::new([(e[0], 0.0), (e[1], p)], colour(0).mix(0.6).filled())
    });
    chart.draw_series(bars).map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spectrum() -> Spectrum {
        Spectrum {
            title: "m_jj".into(),
            x_label: "m [GeV]".into(),
            y_label: "events".into(),
            edges: vec![0.0, 1.0, 2.0, 4.0],
            data: Some(Points::poisson("data", vec![10.0, 0.0, 3.0])),
            curves: vec![Series { label: "fit".into(), values: vec![9.0, 1.0, 2.5] }],
            window: Some((1.0, 2.0)),
            marker: Some(("t_obs".into(), 3.0)),
            log_y: true,
            pulls: Some(vec![0.3, f64::NAN, -0.2]),
        }
    }

    #[test]
    fn renders_svg_with_every_part() {
        let svg = spectrum().to_svg_string().expect("renders");
        for label in ["data", "fit", "window [1, 2]", "t_obs = 3", "pull"] {
            assert!(svg.contains(label), "missing {label}");
        }
    }

    #[test]
    fn renders_without_optional_parts_and_on_a_linear_axis() {
        let s = Spectrum { data: None, window: None, marker: None, pulls: None, log_y: false, ..spectrum() };
        assert!(s.to_svg_string().is_ok());
    }

    #[test]
    fn rejects_bad_lengths_and_windows() {
        let mut s = spectrum();
        s.pulls = Some(vec![0.0]);
        assert!(matches!(s.to_svg_string(), Err(PlotError::LengthMismatch { series, .. }) if series == "pulls"));
        let mut s = spectrum();
        s.window = Some((2.0, 1.0));
        assert!(matches!(s.to_svg_string(), Err(PlotError::InvalidRange { .. })));
        let mut s = spectrum();
        s.data.as_mut().expect("data").errors.pop();
        assert!(matches!(s.to_svg_string(), Err(PlotError::LengthMismatch { .. })));
    }

    #[test]
    fn writes_png() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.png");
        render_spectrum(&spectrum(), &path).expect("png");
        assert!(std::fs::metadata(&path).expect("written").len() > 1000);
    }
}
