//! Shared styling: palette, font sizes, the histogram/bar y axis, tick
//! positions and tick label formatting.

use plotters::prelude::RGBColor;

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

/// Palette colour number `i` (cycling).
pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Font size of plot titles.
pub(crate) const TITLE_SIZE: u32 = 26;
/// Font size of axis descriptions.
pub(crate) const DESC_SIZE: u32 = 19;
/// Font size of tick labels and legends.
pub(crate) const TICK_SIZE: u32 = 15;

/// The y axis chosen for a set of values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum YAxis {
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
    pub(crate) fn new(values: impl Iterator<Item = f64> + Clone, log_y: bool, headroom: f64) -> Self {
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
    pub(crate) fn baseline(&self) -> f64 {
        match self {
            Self::Linear { .. } => 0.0,
            Self::Log { floor, .. } => *floor,
        }
    }

    /// `v`, raised to the floor on a log axis.
    pub(crate) fn clamp(&self, v: f64) -> f64 {
        match self {
            Self::Linear { .. } => v,
            Self::Log { floor, .. } => v.max(*floor),
        }
    }
}

/// Tick positions for a log axis: every power of ten in range, plus 2× and
/// 5× when the range spans few decades; thinned out when it spans many.
pub(crate) fn log_ticks(floor: f64, hi: f64) -> Vec<f64> {
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
pub(crate) fn fmt_tick(v: &f64) -> String {
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

/// `s`, cut to at most `max` characters with an ellipsis.
pub(crate) fn truncate_label(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
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
