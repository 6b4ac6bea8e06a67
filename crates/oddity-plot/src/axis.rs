//! Custom plotters axes: categories (bar charts, box plots) and a
//! linear-or-log continuous scale with explicit ticks (line plots, box plots).

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::WIDTH;
use crate::render::{FONT, err};
use crate::style::{TICK_SIZE, log_ticks, truncate_label};

// ---------------------------------------------------------------------------
// Categories

/// X axis of a categorical chart: category `i` occupies `[i, i + 1)`, with
/// its tick (and label) at the centre `i + 0.5`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CategoryAxis {
    n: usize,
}

impl Ranged for CategoryAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let frac = value / self.n.max(1) as f64;
        let px = f64::from(limit.0) + frac * f64::from(limit.1 - limit.0);
        px.round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        (0..self.n).map(|i| i as f64 + 0.5).collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.n.max(1) as f64
    }
}

/// Category tick labels, truncated, and rotated when they would not fit
/// side by side.
#[derive(Debug, Clone)]
pub(crate) struct CategoryLabels {
    labels: Vec<String>,
    rotate: bool,
    /// Height of the x label area that fits the labels.
    pub(crate) x_area: u32,
}

impl CategoryLabels {
    /// Lay out labels for `categories` on `root` (whose text metrics are used).
    pub(crate) fn layout<DB: DrawingBackend>(
        root: &DrawingArea<DB, Shift>,
        categories: &[String],
    ) -> Result<Self, String> {
        let n = categories.len();
        let labels: Vec<String> = categories.iter().map(|c| truncate_label(c, 24)).collect();
        let widest = labels
            .iter()
            .map(|l| root.estimate_text_size(l, &tick_style()).map(|(w, _)| w))
            .try_fold(0u32, |acc, w| w.map(|w| acc.max(w)))
            .map_err(err)?;
        let plot_width = f64::from(WIDTH) - 140.0;
        let slot = plot_width / n.max(1) as f64;
        let rotate = n > 0 && f64::from(widest) > slot * 0.9;
        let x_area = if rotate { (widest + 45).min(260) } else { 55 };
        Ok(Self { labels, rotate, x_area })
    }

    /// The matching x axis.
    pub(crate) fn axis(&self) -> CategoryAxis {
        CategoryAxis { n: self.labels.len() }
    }

    /// Mesh label formatter: the category name, or nothing when the labels
    /// are rotated (they are drawn by [`Self::draw_rotated`] instead).
    pub(crate) fn format(&self, v: &f64) -> String {
        let i = v.floor();
        if self.rotate || i < 0.0 { String::new() } else { self.labels.get(i as usize).cloned().unwrap_or_default() }
    }

    /// Draw rotated labels (if rotation is needed): reading upwards, ending
    /// just below the axis at pixel row `axis_px`; `x_px` maps a category
    /// coordinate to its pixel column.
    pub(crate) fn draw_rotated<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x_px: impl Fn(f64) -> i32,
        axis_px: i32,
    ) -> Result<(), String> {
        if !self.rotate {
            return Ok(());
        }
        // plotters anchors mesh labels for unrotated text, so draw rotated
        // labels ourselves.
        let style = tick_style().pos(Pos::new(HPos::Right, VPos::Center)).transform(FontTransform::Rotate270);
        for (i, label) in self.labels.iter().enumerate() {
            let px = x_px(i as f64 + 0.5);
            root.draw(&Text::new(label.as_str(), (px, axis_px + 8), style.clone())).map_err(err)?;
        }
        Ok(())
    }
}

fn tick_style() -> TextStyle<'static> {
    TextStyle::from((FONT, TICK_SIZE).into_font()).color(&BLACK)
}

// ---------------------------------------------------------------------------
// Continuous linear or log scale

/// A continuous axis from `lo` to `hi`, linear or logarithmic, with
/// precomputed tick positions. Values are in data units; a log scale maps
/// `log10(v)`, so callers must only map positive values onto it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
}

impl Scale {
    /// An explicit range (`lo < hi`, both positive when `log`; checked by the caller).
    pub(crate) fn fixed(lo: f64, hi: f64, log: bool) -> Self {
        let ticks = if log { log_scale_ticks(lo, hi) } else { linear_ticks(lo, hi) };
        Self { lo, hi, log, ticks }
    }

    /// A range covering `values` (finite), padded by `pad` of the span on
    /// each side (in decades on a log scale). On a log scale non-positive
    /// values are ignored, and ranges spanning at least two decades are
    /// widened to whole powers of ten. Without usable values the range is
    /// `0..1` (linear) or `1..10` (log).
    pub(crate) fn auto(values: impl Iterator<Item = f64>, log: bool, pad: f64) -> Self {
        let (mut lo, mut hi) = values
            .filter(|v| v.is_finite() && (!log || *v > 0.0))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if log {
            if lo > hi {
                return Self::fixed(1.0, 10.0, true);
            }
            let (mut a, mut b) = (lo.log10(), hi.log10());
            if b - a < 1e-9 {
                a -= 0.5;
                b += 0.5;
            } else if b - a >= 2.0 {
                a = a.floor();
                b = b.ceil();
            } else {
                let p = (b - a) * pad;
                a -= p;
                b += p;
            }
            lo = 10f64.powf(a).max(f64::MIN_POSITIVE);
            hi = 10f64.powf(b).min(f64::MAX);
            if lo >= hi {
                return Self::fixed(1.0, 10.0, true);
            }
            return Self::fixed(lo, hi, true);
        }
        if lo > hi {
            return Self::fixed(0.0, 1.0, false);
        }
        let scale = lo.abs().max(hi.abs());
        if hi - lo <= 1e-12 * scale {
            let d = if scale > 0.0 { scale * 0.1 } else { 1.0 };
            lo -= d;
            hi += d;
        } else {
            let p = (hi - lo) * pad;
            lo -= p;
            hi += p;
        }
        let (lo, hi) = (lo.max(f64::MIN), hi.min(f64::MAX));
        if lo >= hi || (hi - lo).is_infinite() {
            return Self::fixed(-f64::MAX / 4.0, f64::MAX / 4.0, false);
        }
        Self::fixed(lo, hi, false)
    }

    /// Lower end of the axis.
    pub(crate) fn lo(&self) -> f64 {
        self.lo
    }

    /// Upper end of the axis.
    pub(crate) fn hi(&self) -> f64 {
        self.hi
    }

    /// Whether `v` can be placed on this scale (positive on a log scale).
    pub(crate) fn drawable(&self, v: f64) -> bool {
        v.is_finite() && (!self.log || v > 0.0)
    }

    /// Data value to axis coordinate (`log10` on a log scale).
    pub(crate) fn axis_coord(&self, v: f64) -> f64 {
        if self.log { v.log10() } else { v }
    }

    /// Axis coordinate back to a data value.
    pub(crate) fn data_value(&self, t: f64) -> f64 {
        if self.log { 10f64.powf(t) } else { t }
    }

    /// `v` clamped into `[lo, hi]`; non-positive values go to `lo` on a log scale.
    pub(crate) fn clamp(&self, v: f64) -> f64 {
        if self.log && v <= 0.0 { self.lo } else { v.clamp(self.lo, self.hi) }
    }
}

impl Ranged for Scale {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = (self.axis_coord(self.lo), self.axis_coord(self.hi));
        let frac = (self.axis_coord(*value) - a) / (b - a);
        let frac = if frac.is_nan() { 0.0 } else { frac.clamp(-10.0, 10.0) };
        let px = f64::from(limit.0) + frac * (f64::from(limit.1) - f64::from(limit.0));
        px.round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// "Nice" linear ticks (steps of 1, 2 or 5 × 10^k), about six of them.
pub(crate) fn linear_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        return vec![lo];
    }
    let raw = span / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step =
        [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * mag).find(|s| *s >= raw * (1.0 - 1e-9)).unwrap_or(mag * 10.0);
    let first = (lo / step - 1e-9).ceil();
    let last = (hi / step + 1e-9).floor();
    if !(first.is_finite() && last.is_finite()) || last - first > 100.0 {
        return vec![lo, hi];
    }
    let mut ticks = Vec::new();
    let mut k = first;
    while k <= last {
        // Multiply rather than accumulate, and snap exact zeros.
        let v = k * step;
        ticks.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        k += 1.0;
    }
    ticks
}

/// Log ticks (powers of ten, plus 2× and 5× over few decades); ranges within
/// a decade get linear ticks instead.
fn log_scale_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let ticks = log_ticks(lo, hi);
    let ticks: Vec<f64> = ticks.into_iter().filter(|t| *t >= lo * (1.0 - 1e-9) && *t <= hi * (1.0 + 1e-9)).collect();
    if ticks.len() >= 2 { ticks } else { linear_ticks(lo, hi).into_iter().filter(|t| *t > 0.0).collect() }
}

/// Clip the segment `p`–`q` to the rectangle `[x0, x1] × [y0, y1]`
/// (Liang–Barsky). Returns the clipped endpoints, or `None` when the segment
/// lies outside.
pub(crate) fn clip_segment(
    p: (f64, f64),
    q: (f64, f64),
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let mut t0 = 0.0_f64;
    let mut t1 = 1.0_f64;
    for (pk, qk) in [(-dx, p.0 - x0), (dx, x1 - p.0), (-dy, p.1 - y0), (dy, y1 - p.1)] {
        if pk == 0.0 {
            if qk < 0.0 {
                return None;
            }
        } else {
            let r = qk / pk;
            if pk < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    let at = |t: f64| (p.0 + t * dx, p.1 + t * dy);
    Some((if t0 == 0.0 { p } else { at(t0) }, if t1 == 1.0 { q } else { at(t1) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_nice() {
        assert_eq!(linear_ticks(0.0, 1.0), vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        let t = linear_ticks(-0.05, 1.05);
        assert_eq!(t.first().copied(), Some(0.0));
        assert_eq!(t.last().copied(), Some(1.0));
        let t = linear_ticks(0.81, 0.93);
        assert!(t.len() >= 4 && t.len() <= 13, "{t:?}");
        assert!(t.iter().all(|v| (0.81..=0.93).contains(v)), "{t:?}");
        assert_eq!(linear_ticks(1.0, 1.0), vec![1.0]);
    }

    #[test]
    fn auto_scale_linear_and_log() {
        let s = Scale::auto([0.2, 0.8].into_iter(), false, 0.05);
        assert!((s.lo() - 0.17).abs() < 1e-12 && (s.hi() - 0.83).abs() < 1e-12, "{s:?}");
        // Constant values get a non-empty range.
        let s = Scale::auto([0.85, 0.85].into_iter(), false, 0.05);
        assert!(s.lo() < 0.85 && s.hi() > 0.85, "{s:?}");
        let s = Scale::auto([0.0].into_iter(), false, 0.05);
        assert!(s.lo() < 0.0 && s.hi() > 0.0, "{s:?}");
        // Log: non-positive values ignored, wide ranges snapped to decades.
        let s = Scale::auto([0.0, -1.0, 3e-5, 0.7].into_iter(), true, 0.05);
        assert!((s.lo() - 1e-5).abs() < 1e-18 && (s.hi() - 1.0).abs() < 1e-12, "{s:?}");
        assert!(s.ticks.contains(&1e-3), "{s:?}");
        // Narrow log range: padded, still at least two ticks.
        let s = Scale::auto([0.3, 2.0].into_iter(), true, 0.05);
        assert!(s.lo() < 0.3 && s.hi() > 2.0 && s.ticks.len() >= 2, "{s:?}");
        let s = Scale::auto([0.4, 0.6].into_iter(), true, 0.05);
        assert!(s.ticks.len() >= 2, "{s:?}");
        // Nothing usable.
        assert_eq!(Scale::auto(std::iter::empty(), false, 0.05).range(), 0.0..1.0);
        assert_eq!(Scale::auto([0.0, -2.0].into_iter(), true, 0.05).range(), 1.0..10.0);
        // Extreme values stay finite.
        let s = Scale::auto([-f64::MAX, f64::MAX].into_iter(), false, 0.05);
        assert!(s.lo().is_finite() && s.hi().is_finite() && s.lo() < s.hi());
    }

    #[test]
    fn scale_maps_log_values() {
        let s = Scale::fixed(1e-4, 1.0, true);
        assert_eq!(s.map(&1e-4, (0, 400)), 0);
        assert_eq!(s.map(&1e-2, (0, 400)), 200);
        assert_eq!(s.map(&1.0, (0, 400)), 400);
        assert_eq!(s.clamp(-1.0), 1e-4);
        assert_eq!(s.clamp(5.0), 1.0);
        assert!(!s.drawable(0.0) && s.drawable(0.5));
        assert!((s.data_value(s.axis_coord(0.02)) - 0.02).abs() < 1e-15);
    }

    #[test]
    fn clipping() {
        let r = ((0.0, 1.0), (0.0, 1.0));
        assert_eq!(clip_segment((0.2, 0.2), (0.8, 0.8), r.0, r.1), Some(((0.2, 0.2), (0.8, 0.8))));
        assert_eq!(clip_segment((-1.0, 0.5), (2.0, 0.5), r.0, r.1), Some(((0.0, 0.5), (1.0, 0.5))));
        assert_eq!(clip_segment((-1.0, 2.0), (-0.5, 3.0), r.0, r.1), None);
        assert_eq!(clip_segment((0.5, 2.0), (0.5, 2.0), r.0, r.1), None);
        assert_eq!(clip_segment((0.5, 0.5), (0.5, 0.5), r.0, r.1), Some(((0.5, 0.5), (0.5, 0.5))));
    }
}
