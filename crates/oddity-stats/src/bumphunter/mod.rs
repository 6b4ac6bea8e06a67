//! BumpHunter in one and two dimensions (arXiv 1101.0390), reproducing
//! `scikit-hep/pyBumpHunter` 0.5.1 (`bumphunter_1dim.py`, `bumphunter_2dim.py`) as defined in
//! physics-spec §9.4-§9.6, without the upstream bugs listed there.
//!
//! - [`BumpHunter1D`] / [`BumpHunter2D`]: validated scan settings over fixed bin edges.
//!   `scan` finds the most significant window of the data against the background
//!   ([`Scan1D`], [`Scan2D`], optionally with every window's local p-value), `hunt` adds the
//!   background-only pseudo-experiments and the global p-value ([`Hunt1D`], [`Hunt2D`],
//!   [`GlobalP`]), `inject` runs the signal-injection test ([`Injection`]).
//!   [`BumpHunter1D::hunt_channels`] combines several channels (§9.4 step 9,
//!   [`MultiHunt1D`]).
//! - Pseudo-experiments are drawn with one `ChaCha8Rng` per pseudo-experiment, seeded from
//!   (seed, family, index), and run in parallel with rayon: results are identical for any
//!   number of threads. Poisson pseudo-data come from a per-bin inverse-CDF table (the
//!   background is fixed), and without side bands the local p-values of the pseudo-experiments
//!   from per-window tables.
//! - Counts are `f64` (weighted backgrounds are not integers); 2D counts are row-major
//!   `nx × ny` with the x index first (`counts[ix * ny + iy]`, numpy's `histogram2d` layout).
//!
//! Every result is `serde::Serialize` and has a `Display` text summary in the style of
//! pyBumpHunter's `bump_info`.

mod engine;
mod inject;
mod multi;
mod poisson;
mod pvalue;
mod scan1d;
mod scan2d;
mod table;

use serde::{Deserialize, Serialize};

pub use inject::{Injection, InjectionConfig, InjectionStep, StopReason, StrengthScale};
pub use multi::{ChannelResult, MultiHunt1D};
pub use pvalue::{GlobalP, local_p, z_from_p};
pub use scan1d::{BumpHunter1D, Hunt1D, Scan1D, Window1D};
pub use scan2d::{BumpHunter2D, Hunt2D, Scan2D, Window2D};

/// Invalid BumpHunter settings or input histograms. Raised before any work starts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BumpHunterError {
    /// A setting is out of its allowed range.
    #[error("BumpHunter setting `{field}` = {value}: expected {expected}")]
    Config { field: &'static str, value: String, expected: String },
    /// Bin edges are not finite and strictly increasing.
    #[error("{axis} bin edges: edge {index} ({value}) is not finite and above the previous one")]
    Edges { axis: &'static str, index: usize, value: f64 },
    /// A histogram does not have the number of bins of the edges.
    #[error("{what} histogram has {got} bins, expected {expected} (from the bin edges)")]
    Shape { what: &'static str, got: usize, expected: usize },
    /// A count is negative, NaN or infinite.
    #[error("{what} histogram bin {bin} is {value}: expected a finite count ≥ 0")]
    Count { what: &'static str, bin: String, value: f64 },
    /// A background expectation is too large to draw Poisson pseudo-data from.
    #[error("{what} histogram bin {bin} is {value}: too large for Poisson pseudo-data (max {max:e})")]
    TooLarge { what: &'static str, bin: String, value: f64, max: f64 },
    /// The background histogram has no positive bin.
    #[error("the background histogram has no positive bin: there is nothing to scan")]
    EmptyBackground,
    /// No window fits in the scan range.
    #[error(
        "the scan range has {bins} {axis} bin(s) (after trimming to non-zero background and \
         sidebands), fewer than width_min = {width_min}"
    )]
    RangeTooSmall { axis: &'static str, bins: usize, width_min: usize },
    /// The injected expectation B + μ·S is negative somewhere (deficit mode with a flipped
    /// signal larger than the background).
    #[error(
        "signal injection at strength {strength}: expectation in bin {bin} is {value}, \
         expected ≥ 0 (the flipped signal exceeds the background)"
    )]
    NegativeExpectation { strength: f64, bin: String, value: f64 },
    /// An error in one channel of a multi-channel hunt (channels counted from 0).
    #[error("channel {channel}: {source}")]
    Channel {
        channel: usize,
        #[source]
        source: Box<BumpHunterError>,
    },
}

/// What the scan looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// More data than background (pyBumpHunter `mode="excess"`).
    #[default]
    Excess,
    /// Less data than background (pyBumpHunter `mode="deficit"`).
    Deficit,
}

/// How far a window moves between two positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStep {
    /// A fixed number of bins (≥ 1); pyBumpHunter's integer `scan_step`.
    Bins(usize),
    /// The window width ("full").
    Full,
    /// max(1, width / 2) ("half").
    Half,
}

impl Default for ScanStep {
    fn default() -> Self {
        ScanStep::Bins(1)
    }
}

impl ScanStep {
    /// The step in bins for a window of `width` bins.
    fn bins(self, width: usize) -> usize {
        match self {
            ScanStep::Bins(s) => s,
            ScanStep::Full => width,
            ScanStep::Half => (width / 2).max(1),
        }
    }

    fn validate(self, field: &'static str) -> Result<(), BumpHunterError> {
        match self {
            ScanStep::Bins(0) => Err(BumpHunterError::Config {
                field,
                value: "0".into(),
                expected: "a step of at least 1 bin, \"full\" or \"half\"".into(),
            }),
            _ => Ok(()),
        }
    }
}

/// Side-band normalisation of the background to the data (pyBumpHunter `use_sideband`,
/// `sideband_width`).
///
/// With side bands, the background in a window b is scaled by (D_V − n)/(B_V − b), the ratio
/// of data to background outside the window within the normalisation region V (1D: the bins
/// between the first and last non-zero background bin; 2D: the whole histogram), and local
/// p-values are floored at 1e-300.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sideband {
    /// No normalisation (the default).
    #[default]
    Off,
    /// Normalise over V and scan all of V (`use_sideband=True`, `sideband_width=None`).
    Whole,
    /// Normalise over V and scan V without this many bins at each end (per axis in 2D).
    Width(usize),
}

impl Sideband {
    fn trim(self) -> usize {
        match self {
            Sideband::Width(w) => w,
            _ => 0,
        }
    }
}

/// Checks that edges are finite and strictly increasing; returns the number of bins.
fn check_edges(axis: &'static str, edges: &[f64]) -> Result<usize, BumpHunterError> {
    if edges.len() < 2 {
        return Err(BumpHunterError::Config {
            field: "edges",
            value: format!("{} {axis} edge(s)", edges.len()),
            expected: "at least 2 edges (one bin)".into(),
        });
    }
    for (index, &value) in edges.iter().enumerate() {
        if !value.is_finite() || (index > 0 && value <= edges[index - 1]) {
            return Err(BumpHunterError::Edges { axis, index, value });
        }
    }
    Ok(edges.len() - 1)
}

/// Checks the width settings of one axis; returns the list of widths to scan.
///
/// `width_max` defaults to `bins / 2` (pyBumpHunter) and is clipped to the `range` bins left
/// to scan (a wider window has no position; pyBumpHunter gives it p = 1, which never wins
/// over a narrower window scanned before it).
fn widths(
    axis: &'static str,
    min: usize,
    max: Option<usize>,
    step: usize,
    bins: usize,
    range: usize,
) -> Result<Vec<usize>, BumpHunterError> {
    let config =
        |field, value: usize, expected: String| BumpHunterError::Config { field, value: value.to_string(), expected };
    if min == 0 {
        return Err(config("width_min", min, format!("≥ 1 ({axis} axis)")));
    }
    if step == 0 {
        return Err(config("width_step", step, format!("≥ 1 ({axis} axis)")));
    }
    let max = max.unwrap_or(bins / 2);
    if max < min {
        return Err(config("width_max", max, format!("≥ width_min = {min} ({axis} axis)")));
    }
    if range < min {
        return Err(BumpHunterError::RangeTooSmall { axis, bins: range, width_min: min });
    }
    Ok((min..=max.min(range)).step_by(step).collect())
}

/// Checks a histogram: expected length, finite non-negative counts.
fn check_counts(
    what: &'static str,
    counts: &[f64],
    expected: usize,
    bin_name: impl Fn(usize) -> String,
) -> Result<(), BumpHunterError> {
    if counts.len() != expected {
        return Err(BumpHunterError::Shape { what, got: counts.len(), expected });
    }
    match counts.iter().position(|c| !(c.is_finite() && *c >= 0.0)) {
        Some(i) => Err(BumpHunterError::Count { what, bin: bin_name(i), value: counts[i] }),
        None => Ok(()),
    }
}

fn check_npe(npe: usize) -> Result<(), BumpHunterError> {
    if npe == 0 {
        return Err(BumpHunterError::Config {
            field: "npe",
            value: "0".into(),
            expected: "at least 1 pseudo-experiment".into(),
        });
    }
    Ok(())
}

/// `x` with `sig` significant digits and trailing zeros removed, like C's `%g` (the format
/// of pyBumpHunter's `bump_info`): fixed notation for exponents in [−4, sig), else
/// scientific.
fn fmt_g(x: f64, sig: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let sci = format!("{:.*e}", sig.saturating_sub(1), x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').into() } else { s.into() }
    };
    if exp < -4 || exp >= sig as i32 {
        format!("{}e{}{:02}", trim(mantissa), if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let decimals = (sig as i32 - 1 - exp).max(0) as usize;
        trim(&format!("{x:.decimals$}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmt_g_matches_python_percent_g() {
        assert_eq!(fmt_g(5.333_333, 3), "5.33");
        assert_eq!(fmt_g(6.0, 3), "6");
        assert_eq!(fmt_g(208.0, 3), "208");
        assert_eq!(fmt_g(0.000_173_410_678, 5), "0.00017341");
        assert_eq!(fmt_g(3.657_209e-7, 5), "3.6572e-07");
        assert_eq!(fmt_g(14.821_395, 5), "14.821");
        assert_eq!(fmt_g(123_456.0, 3), "1.23e+05");
    }

    #[test]
    fn widths_are_validated_and_clipped() {
        assert_eq!(widths("x", 2, Some(6), 1, 60, 59), Ok(vec![2, 3, 4, 5, 6]));
        assert_eq!(widths("x", 2, Some(30), 4, 60, 10), Ok(vec![2, 6, 10]));
        assert_eq!(widths("x", 1, None, 1, 7, 7), Ok(vec![1, 2, 3]));
        assert!(matches!(widths("x", 0, None, 1, 7, 7), Err(BumpHunterError::Config { field: "width_min", .. })));
        assert!(matches!(widths("x", 3, Some(2), 1, 7, 7), Err(BumpHunterError::Config { field: "width_max", .. })));
        assert!(matches!(widths("x", 2, None, 0, 7, 7), Err(BumpHunterError::Config { field: "width_step", .. })));
        assert!(matches!(widths("x", 5, None, 1, 60, 4), Err(BumpHunterError::RangeTooSmall { bins: 4, .. })));
    }
}
