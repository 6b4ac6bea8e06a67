//! BumpHunter on 2D histograms (physics-spec §9.5; pyBumpHunter 0.5.1 `BumpHunter2D`).

use serde::{Deserialize, Serialize};
use std::fmt;

use super::engine::{Axis, Engine, WinEval};
use super::inject::{self, Injection, InjectionConfig};
use super::pvalue::{GlobalP, t_of, z_from_p};
use super::{BumpHunterError, Mode, ScanStep, Sideband, check_counts, check_edges, check_npe, fmt_g, widths};

/// Settings of a 2D BumpHunter scan. Histograms are row-major `nx × ny` with the x index
/// first (`counts[ix * ny + iy]`, numpy's `histogram2d(x, y)` layout).
///
/// Differences from 1D (§9.5): the whole histogram is scanned (no trimming to non-zero
/// background), width pairs (w_x, w_y) are all combinations of the per-axis widths in
/// x-major order, positions all (p_x, p_y) with per-axis steps ("full"/"half" use the width
/// of that axis, unlike pyBumpHunter), and side bands normalise over the whole histograms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BumpHunter2D {
    pub edges_x: Vec<f64>,
    pub edges_y: Vec<f64>,
    /// Smallest window width per axis in bins (≥ 1).
    pub width_min: [usize; 2],
    /// Largest width per axis; `None`: (nx / 2, ny / 2). Clipped to the scan range.
    pub width_max: Option<[usize; 2]>,
    pub width_step: [usize; 2],
    pub scan_step: [ScanStep; 2],
    pub mode: Mode,
    pub sideband: Sideband,
    pub npe: usize,
    pub seed: u64,
}

/// One 2D window: bins [loc, loc + width) per axis (x, y).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Window2D {
    pub loc: [usize; 2],
    pub width: [usize; 2],
    pub data: f64,
    pub background: f64,
    pub p: f64,
}

/// Result of scanning one 2D data histogram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scan2D {
    pub best: Window2D,
    pub t: f64,
    pub z_local: f64,
    pub signal: f64,
    /// Bump edges per axis: [[x_lo, x_hi], [y_lo, y_hi]].
    pub bump_edges: [[f64; 2]; 2],
    pub norm_scale: Option<f64>,
    /// Every window in scan order (width pairs outer, positions inner, both x-major).
    pub windows: Vec<Window2D>,
}

impl Scan2D {
    /// Centre of the bump per axis.
    pub fn bump_mean(&self) -> [f64; 2] {
        self.bump_edges.map(|[lo, hi]| 0.5 * (lo + hi))
    }
}

/// 2D scan plus background-only pseudo-experiments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hunt2D {
    pub scan: Scan2D,
    pub global: GlobalP,
    pub t_pseudo: Vec<f64>,
    pub seed: u64,
}

impl BumpHunter2D {
    /// Defaults like [`super::BumpHunter1D::new`] per axis (widths 2 to 30, clipped).
    pub fn new(edges_x: Vec<f64>, edges_y: Vec<f64>) -> Self {
        Self {
            edges_x,
            edges_y,
            width_min: [2, 2],
            width_max: Some([30, 30]),
            width_step: [1, 1],
            scan_step: [ScanStep::Bins(1); 2],
            mode: Mode::Excess,
            sideband: Sideband::Off,
            npe: 10_000,
            seed: 0,
        }
    }

    fn plan(&self, bkg: &[f64]) -> Result<Engine, BumpHunterError> {
        let nx = check_edges("x", &self.edges_x)?;
        let ny = check_edges("y", &self.edges_y)?;
        check_npe(self.npe)?;
        self.scan_step[0].validate("scan_step[0]")?;
        self.scan_step[1].validate("scan_step[1]")?;
        let bin = |i: usize| format!("({}, {})", i / ny, i % ny);
        check_counts("background", bkg, nx * ny, bin)?;
        if !bkg.iter().any(|&b| b > 0.0) {
            return Err(BumpHunterError::EmptyBackground);
        }
        let trim = self.sideband.trim();
        let range = |n: usize| (trim.min(n), n.saturating_sub(trim).max(trim.min(n)));
        let (rx, ry) = (range(nx), range(ny));
        let max = self.width_max.map(|m| m[0]);
        let wx = widths("x", self.width_min[0], max, self.width_step[0], nx, rx.1 - rx.0)?;
        let max = self.width_max.map(|m| m[1]);
        let wy = widths("y", self.width_min[1], max, self.width_step[1], ny, ry.1 - ry.0)?;
        let x = Axis { range: rx, widths: &wx, step: self.scan_step[0] };
        let y = Axis { range: ry, widths: &wy, step: self.scan_step[1] };
        Ok(Engine::two(nx, ny, x, y, self.sideband != Sideband::Off, self.mode))
    }

    fn check_data(&self, data: &[f64], bkg: &[f64]) -> Result<(), BumpHunterError> {
        let ny = self.edges_y.len() - 1;
        check_counts("data", data, bkg.len(), |i| format!("({}, {})", i / ny, i % ny))
    }

    /// Scans `data` against `bkg` (both `nx × ny`, x-major).
    pub fn scan(&self, data: &[f64], bkg: &[f64]) -> Result<Scan2D, BumpHunterError> {
        let engine = self.plan(bkg)?;
        self.check_data(data, bkg)?;
        Ok(self.scan_planned(&engine, data, bkg))
    }

    fn scan_planned(&self, engine: &Engine, data: &[f64], bkg: &[f64]) -> Scan2D {
        let (evals, best) = engine.scan_all(data, bkg);
        let window = |e: &WinEval| {
            let w = &engine.windows[e.index];
            Window2D { loc: w.loc, width: w.width, data: e.n, background: e.b, p: e.p }
        };
        let b = window(&evals[best]);
        let edges = |e: &[f64], axis: usize| [e[b.loc[axis]], e[b.loc[axis] + b.width[axis]]];
        Scan2D {
            best: b,
            t: t_of(b.p),
            z_local: z_from_p(b.p),
            signal: b.data - b.background,
            bump_edges: [edges(&self.edges_x, 0), edges(&self.edges_y, 1)],
            norm_scale: evals[best].scale,
            windows: evals.iter().map(window).collect(),
        }
    }

    /// Scan plus `npe` background-only pseudo-experiments (Poisson per cell) and the global
    /// p-value.
    pub fn hunt(&self, data: &[f64], bkg: &[f64]) -> Result<Hunt2D, BumpHunterError> {
        let engine = self.plan(bkg)?;
        self.check_data(data, bkg)?;
        let scan = self.scan_planned(&engine, data, bkg);
        let t_pseudo = engine.pseudo_t(bkg, bkg, self.npe, self.seed, 0, Some(scan.t))?;
        let global = GlobalP::new(scan.t, &t_pseudo);
        Ok(Hunt2D { scan, global, t_pseudo, seed: self.seed })
    }

    /// Signal-injection test on 2D histograms (as [`super::BumpHunter1D::inject`]).
    pub fn inject(&self, bkg: &[f64], signal: &[f64], config: &InjectionConfig) -> Result<Injection, BumpHunterError> {
        let engine = self.plan(bkg)?;
        let ny = self.edges_y.len() - 1;
        check_counts("signal", signal, bkg.len(), |i| format!("({}, {})", i / ny, i % ny))?;
        inject::run(&engine, bkg, signal, config, self.npe, self.seed, self.mode)
    }
}

impl fmt::Display for Scan2D {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [[xl, xh], [yl, yh]] = self.bump_edges;
        let g = |x| fmt_g(x, 3);
        writeln!(
            f,
            "Bump edges : x=[{}, {}] y=[{}, {}]  (loc=[{}, {}], width=[{}, {}])",
            g(xl),
            g(xh),
            g(yl),
            g(yh),
            self.best.loc[0],
            self.best.loc[1],
            self.best.width[0],
            self.best.width[1]
        )?;
        let [mx, my] = self.bump_mean();
        writeln!(f, "Bump mean | width : [{}, {}] | [{}, {}]", g(mx), g(my), g(xh - xl), g(yh - yl))?;
        writeln!(f, "Evaluated number of signal events : {}", g(self.signal))?;
        writeln!(f, "Local p-value | test statistic : {} | {}", fmt_g(self.best.p, 5), fmt_g(self.t, 5))?;
        write!(f, "Local significance : {}", fmt_g(self.z_local, 5))
    }
}

impl fmt::Display for Hunt2D {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.scan)?;
        write!(f, "{}\n(pseudo-experiments seeded with {})", self.global, self.seed)
    }
}
