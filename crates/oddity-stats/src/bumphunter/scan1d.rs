//! BumpHunter on 1D histograms (physics-spec §9.4; pyBumpHunter 0.5.1 `BumpHunter1D`).

use serde::{Deserialize, Serialize};
use std::fmt;

use super::engine::{Axis, Engine, WinEval};
use super::inject::{self, Injection, InjectionConfig};
use super::pvalue::{GlobalP, t_of, z_from_p};
use super::{BumpHunterError, Mode, ScanStep, Sideband, check_counts, check_edges, check_npe, fmt_g, widths};

/// Settings of a 1D BumpHunter scan over fixed bins.
///
/// [`BumpHunter1D::new`] gives Oddity's search defaults (physics-spec §9.4): excess mode,
/// widths 2 to 30 bins (clipped to the scan range), steps of 1 bin, no side bands, 10 000
/// pseudo-experiments. pyBumpHunter's own defaults are `width_min = 1`, `width_max = None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BumpHunter1D {
    /// Bin edges (finite, strictly increasing); the histograms have `edges.len() - 1` bins.
    pub edges: Vec<f64>,
    /// Smallest window width in bins (≥ 1).
    pub width_min: usize,
    /// Largest window width in bins; `None`: number of bins / 2 (pyBumpHunter). Clipped to
    /// the number of bins in the scan range.
    pub width_max: Option<usize>,
    /// Width increment in bins (≥ 1).
    pub width_step: usize,
    /// Position increment.
    pub scan_step: ScanStep,
    /// Excess or deficit.
    pub mode: Mode,
    /// Side-band normalisation.
    pub sideband: Sideband,
    /// Number of background-only pseudo-experiments of [`BumpHunter1D::hunt`] and of the
    /// background distribution of [`BumpHunter1D::inject`] (≥ 1).
    pub npe: usize,
    /// Seed of the pseudo-experiments.
    pub seed: u64,
}

/// One scan window: bins [loc, loc + width), data n, background b (scaled with side bands),
/// local p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Window1D {
    pub loc: usize,
    pub width: usize,
    pub data: f64,
    pub background: f64,
    pub p: f64,
}

/// Result of scanning one data histogram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scan1D {
    /// The window with the smallest local p-value (ties: first width, then first position).
    pub best: Window1D,
    /// Test statistic t = −ln(p_min).
    pub t: f64,
    /// Local significance Φ⁻¹(1 − p_min).
    pub z_local: f64,
    /// Signal estimate n − b of the best window.
    pub signal: f64,
    /// Bump edges [e_loc, e_{loc+width}] in the units of the bin edges.
    pub bump_edges: [f64; 2],
    /// Side-band scale of the best window, if side bands are on.
    pub norm_scale: Option<f64>,
    /// Scanned bins [lo, hi) (non-zero background, less the side bands).
    pub scan_range: [usize; 2],
    /// Every window in scan order (widths outer, positions inner).
    pub windows: Vec<Window1D>,
}

impl Scan1D {
    /// Centre of the bump, (e_lo + e_hi)/2.
    pub fn bump_mean(&self) -> f64 {
        0.5 * (self.bump_edges[0] + self.bump_edges[1])
    }
}

/// Scan of the data plus background-only pseudo-experiments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hunt1D {
    pub scan: Scan1D,
    pub global: GlobalP,
    /// t of every pseudo-experiment, in pseudo-experiment order.
    pub t_pseudo: Vec<f64>,
    pub seed: u64,
}

/// The validated plan of a scan: bins, windows and scan range.
pub(super) struct Plan {
    pub(super) engine: Engine,
    scan_range: [usize; 2],
}

impl BumpHunter1D {
    /// Oddity's default settings over `edges`.
    pub fn new(edges: Vec<f64>) -> Self {
        Self {
            edges,
            width_min: 2,
            width_max: Some(30),
            width_step: 1,
            scan_step: ScanStep::Bins(1),
            mode: Mode::Excess,
            sideband: Sideband::Off,
            npe: 10_000,
            seed: 0,
        }
    }

    /// Validates the settings and the background, and lays out the windows.
    ///
    /// Scan range (§9.4 step 1): [H_lo, H_hi) from the first to the last bin with B > 0; with
    /// side bands V = [H_lo, H_hi) normalises and a side-band width w_sb trims the scan
    /// range to [H_lo + w_sb, H_hi − w_sb).
    pub(super) fn plan(&self, bkg: &[f64]) -> Result<Plan, BumpHunterError> {
        let bins = check_edges("x", &self.edges)?;
        self.scan_step.validate("scan_step")?;
        check_npe(self.npe)?;
        check_counts("background", bkg, bins, |i| i.to_string())?;
        let lo = bkg.iter().position(|&b| b > 0.0).ok_or(BumpHunterError::EmptyBackground)?;
        let hi = bkg.iter().rposition(|&b| b > 0.0).map_or(lo, |i| i + 1);
        let trim = self.sideband.trim();
        let (slo, shi) = (lo + trim, hi.saturating_sub(trim).max(lo + trim));
        let w = widths("x", self.width_min, self.width_max, self.width_step, bins, shi - slo)?;
        let norm = (self.sideband != Sideband::Off).then_some((lo, hi));
        let axis = Axis { range: (slo, shi), widths: &w, step: self.scan_step };
        Ok(Plan { engine: Engine::one(axis, norm, self.mode), scan_range: [slo, shi] })
    }

    /// Scans `data` against `bkg` (same bins as `edges`): every window's local p-value and
    /// the best window (§9.4 steps 1-5 and 7).
    pub fn scan(&self, data: &[f64], bkg: &[f64]) -> Result<Scan1D, BumpHunterError> {
        let plan = self.plan(bkg)?;
        check_counts("data", data, bkg.len(), |i| i.to_string())?;
        Ok(self.scan_planned(&plan, data, bkg))
    }

    pub(super) fn scan_planned(&self, plan: &Plan, data: &[f64], bkg: &[f64]) -> Scan1D {
        let (evals, best) = plan.engine.scan_all(data, bkg);
        let window = |e: &WinEval| {
            let w = &plan.engine.windows[e.index];
            Window1D { loc: w.loc[0], width: w.width[0], data: e.n, background: e.b, p: e.p }
        };
        let b = window(&evals[best]);
        Scan1D {
            best: b,
            t: t_of(b.p),
            z_local: z_from_p(b.p),
            signal: b.data - b.background,
            bump_edges: [self.edges[b.loc], self.edges[b.loc + b.width]],
            norm_scale: evals[best].scale,
            scan_range: plan.scan_range,
            windows: evals.iter().map(window).collect(),
        }
    }

    /// Scan plus `npe` background-only pseudo-experiments (Poisson(B_i) per bin, from the
    /// un-normalised B even with side bands) and the global p-value (§9.4 steps 6-7).
    pub fn hunt(&self, data: &[f64], bkg: &[f64]) -> Result<Hunt1D, BumpHunterError> {
        let plan = self.plan(bkg)?;
        check_counts("data", data, bkg.len(), |i| i.to_string())?;
        let scan = self.scan_planned(&plan, data, bkg);
        let t_pseudo = plan.engine.pseudo_t(bkg, bkg, self.npe, self.seed, 0, Some(scan.t))?;
        let global = GlobalP::new(scan.t, &t_pseudo);
        Ok(Hunt1D { scan, global, t_pseudo, seed: self.seed })
    }

    /// Signal-injection test (§9.4 step 8): the signal strength needed for the median
    /// injected pseudo-experiment to reach `config.sigma_limit` (or the statistical limit of
    /// `npe` background-only pseudo-experiments). `signal` is the signal template histogram.
    pub fn inject(&self, bkg: &[f64], signal: &[f64], config: &InjectionConfig) -> Result<Injection, BumpHunterError> {
        let plan = self.plan(bkg)?;
        check_counts("signal", signal, bkg.len(), |i| i.to_string())?;
        inject::run(&plan.engine, bkg, signal, config, self.npe, self.seed, self.mode)
    }
}

impl fmt::Display for Scan1D {
    /// pyBumpHunter's `bump_info` (without the global lines, see [`Hunt1D`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [lo, hi] = self.bump_edges;
        writeln!(
            f,
            "Bump edges : [{}, {}]  (loc={}, width={})",
            fmt_g(lo, 3),
            fmt_g(hi, 3),
            self.best.loc,
            self.best.width
        )?;
        writeln!(f, "Bump mean | width : {} | {}", fmt_g(self.bump_mean(), 3), fmt_g(hi - lo, 3))?;
        writeln!(f, "Evaluated number of signal events : {}", fmt_g(self.signal, 3))?;
        writeln!(f, "Local p-value | test statistic : {} | {}", fmt_g(self.best.p, 5), fmt_g(self.t, 5))?;
        write!(f, "Local significance : {}", fmt_g(self.z_local, 5))
    }
}

impl fmt::Display for Hunt1D {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.scan)?;
        write!(f, "{}\n(pseudo-experiments seeded with {})", self.global, self.seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hunter(bins: usize) -> BumpHunter1D {
        let mut h = BumpHunter1D::new((0..=bins).map(|i| i as f64).collect());
        h.width_min = 1;
        h.width_max = Some(2);
        h.npe = 50;
        h
    }

    #[test]
    fn scan_range_skips_empty_background_ends_and_side_bands() {
        let bkg = [0.0, 0.0, 5.0, 5.0, 5.0, 5.0, 5.0, 0.0];
        let data = [0.0, 0.0, 5.0, 12.0, 5.0, 5.0, 5.0, 0.0];
        let s = hunter(8).scan(&data, &bkg).expect("valid");
        assert_eq!(s.scan_range, [2, 7]);
        assert_eq!((s.best.loc, s.best.width), (3, 1));
        assert_eq!(s.windows.len(), 5 + 4);
        let mut h = hunter(8);
        h.sideband = Sideband::Width(1);
        let s = h.scan(&data, &bkg).expect("valid");
        assert_eq!(s.scan_range, [3, 6]);
        assert_eq!(s.best.loc, 3);
    }

    #[test]
    fn all_windows_p_one_gives_the_first_window() {
        let bkg = [5.0; 6];
        let s = hunter(6).scan(&[1.0; 6], &bkg).expect("valid");
        assert_eq!((s.best.loc, s.best.width, s.best.p, s.t), (0, 1, 1.0, 0.0));
    }
}
