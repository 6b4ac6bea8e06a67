//! The dimension-independent part of BumpHunter: a list of windows over cumulative sums
//! (1D prefix sums, 2D summed-area tables), the local p-value of each window, the minimum
//! with pyBumpHunter's tie rule, and the parallel, seeded pseudo-experiments.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::poisson::BinSampler;
use super::pvalue::{P_FLOOR, active, local_p, q_upper, t_bounds, t_of};
use super::table::{PTables, worth_tabulating};
use super::{BumpHunterError, Mode, ScanStep};

/// Candidate windows are kept while their upper bound on t is within this margin (plus a
/// relative 1e-12 of the counts, for rounding in the bounds) of the best lower bound.
const SLACK: f64 = 1e-6;
/// Lower bounds on t are capped here, below −ln(1e-300) = 690.78 and the underflow of p, so
/// that every window whose p may be floored or underflow is evaluated exactly.
const T_CAP: f64 = 690.0;
/// Pseudo-experiment statistics within this distance of the observed t are evaluated
/// directly rather than from the tables (whose t are within 2e-7 of exact, 1e-9 for window
/// backgrounds up to 5e4).
pub(crate) const EXACT_BAND: f64 = 1e-6;

/// Histogram layout.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    One,
    /// (nx, ny), row-major with x first.
    Two(usize, usize),
}

/// One scan window: location and width per axis (the second axis is [0, 1) in 1D) and the
/// four cumulative-sum indices with sum = (C[a] − C[b]) − C[c] + C[d].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Win {
    pub loc: [usize; 2],
    pub width: [usize; 2],
    idx: [usize; 4],
}

/// A window's data n, (scaled) background b, side-band scale and local p-value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WinEval {
    pub index: usize,
    pub n: f64,
    pub b: f64,
    pub scale: Option<f64>,
    pub p: f64,
}

/// The windows of one scan configuration.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    shape: Shape,
    pub windows: Vec<Win>,
    /// The side-band normalisation region, when side bands are on.
    norm: Option<Win>,
    mode: Mode,
}

/// Per-axis scan settings: scan range [lo, hi), widths, step.
pub(crate) struct Axis<'a> {
    pub range: (usize, usize),
    pub widths: &'a [usize],
    pub step: ScanStep,
}

fn positions(axis: &Axis<'_>, w: usize) -> impl Iterator<Item = usize> + use<> {
    let (lo, hi) = axis.range;
    (lo..=hi.saturating_sub(w)).step_by(axis.step.bins(w))
}

impl Engine {
    /// 1D windows: widths in order, positions lo, lo + step, … ≤ hi − w. `norm` is the
    /// side-band normalisation region [lo, hi) if side bands are on.
    pub fn one(axis: Axis<'_>, norm: Option<(usize, usize)>, mode: Mode) -> Self {
        let win = |p: usize, w: usize| Win { loc: [p, 0], width: [w, 1], idx: [p + w, p, 0, 0] };
        let windows = axis.widths.iter().flat_map(|&w| positions(&axis, w).map(move |p| win(p, w))).collect();
        let norm = norm.map(|(lo, hi)| win(lo, hi - lo));
        Self { shape: Shape::One, windows, norm, mode }
    }

    /// 2D windows: width pairs x-major, then positions x-major (pyBumpHunter's
    /// `itertools.product` order). With side bands the normalisation region is the whole
    /// histogram.
    pub fn two(nx: usize, ny: usize, x: Axis<'_>, y: Axis<'_>, sideband: bool, mode: Mode) -> Self {
        let at = |i: usize, j: usize| i * (ny + 1) + j;
        let win = |px: usize, py: usize, wx: usize, wy: usize| Win {
            loc: [px, py],
            width: [wx, wy],
            idx: [at(px + wx, py + wy), at(px, py + wy), at(px + wx, py), at(px, py)],
        };
        let mut windows = Vec::new();
        for &wx in x.widths {
            for &wy in y.widths {
                for px in positions(&x, wx) {
                    windows.extend(positions(&y, wy).map(|py| win(px, py, wx, wy)));
                }
            }
        }
        let norm = sideband.then(|| win(0, 0, nx, ny));
        Self { shape: Shape::Two(nx, ny), windows, norm, mode }
    }

    /// Name of a bin for error messages: `i` in 1D, `(ix, iy)` in 2D.
    pub fn bin_name(&self, i: usize) -> String {
        match self.shape {
            Shape::One => i.to_string(),
            Shape::Two(_, ny) => format!("({}, {})", i / ny, i % ny),
        }
    }

    /// Cumulative sums of `counts` into `out`: 1D C[0] = 0, C[i+1] = C[i] + c[i] (numpy
    /// `cumsum` order); 2D the summed-area table of (nx + 1) × (ny + 1) with a zero first row
    /// and column.
    pub fn cumulate(&self, counts: &[f64], out: &mut Vec<f64>) {
        out.clear();
        match self.shape {
            Shape::One => {
                out.push(0.0);
                let mut acc = 0.0;
                out.extend(counts.iter().map(|c| {
                    acc += c;
                    acc
                }));
            }
            Shape::Two(nx, ny) => {
                let w = ny + 1;
                out.resize((nx + 1) * w, 0.0);
                for i in 0..nx {
                    for j in 0..ny {
                        out[(i + 1) * w + j + 1] =
                            counts[i * ny + j] + out[i * w + j + 1] + out[(i + 1) * w + j] - out[i * w + j];
                    }
                }
            }
        }
    }

    fn sum(c: &[f64], w: &Win) -> f64 {
        let [a, b, cc, d] = w.idx;
        (c[a] - c[b]) - c[cc] + c[d]
    }

    /// Data and background totals over the normalisation region, if side bands are on.
    fn totals(&self, cd: &[f64], cb: &[f64]) -> Option<(f64, f64)> {
        self.norm.as_ref().map(|v| (Self::sum(cd, v), Self::sum(cb, v)))
    }

    /// n, b and the side-band scale (D_V − n)/(B_V − b) of window `w`; b is scaled.
    fn eval(w: &Win, cd: &[f64], cb: &[f64], totals: Option<(f64, f64)>) -> (f64, f64, Option<f64>) {
        let n = Self::sum(cd, w);
        let b = Self::sum(cb, w);
        match totals {
            Some((dv, bv)) => {
                let scale = (dv - n) / (bv - b);
                (n, b * scale, Some(scale))
            }
            None => (n, b, None),
        }
    }

    fn p(&self, n: f64, b: f64) -> f64 {
        let p = local_p(n, b, self.mode);
        if self.norm.is_some() { p.max(P_FLOOR) } else { p }
    }

    /// Every window's local p-value and the index of the best one: the minimum p, ties to
    /// the first window in scan order (first width, then first position).
    pub fn scan_all(&self, data: &[f64], bkg: &[f64]) -> (Vec<WinEval>, usize) {
        let (mut cd, mut cb) = (Vec::new(), Vec::new());
        self.cumulate(data, &mut cd);
        self.cumulate(bkg, &mut cb);
        let totals = self.totals(&cd, &cb);
        let evals: Vec<WinEval> = self
            .windows
            .iter()
            .enumerate()
            .map(|(index, w)| {
                let (n, b, scale) = Self::eval(w, &cd, &cb, totals);
                WinEval { index, n, b, scale, p: self.p(n, b) }
            })
            .collect();
        let mut best = 0;
        for (i, e) in evals.iter().enumerate() {
            if e.p < evals[best].p {
                best = i;
            }
        }
        (evals, best)
    }

    /// The most significant window of a histogram of **integer** counts (cumulated in `cd`),
    /// the minimum of [`Engine::scan_all`] but evaluating the incomplete gamma function only
    /// for windows whose bounds on t (`t_bounds`) allow them to be the minimum. `k` bounds
    /// ½ln(2πn) + 1/(12n) over the windows (from the total count). Exact p.
    fn min_p_integer(&self, cd: &[f64], cb: &[f64], k: f64, cands: &mut Vec<(usize, f64, f64, f64)>) -> Option<Best> {
        let totals = self.totals(cd, cb);
        cands.clear();
        let mut lstar = 0.0f64;
        for (window, w) in self.windows.iter().enumerate() {
            let (n, b, _) = Self::eval(w, cd, cb, totals);
            if !active(n, b, self.mode) {
                continue;
            }
            let margin = SLACK + 1e-12 * (n + b);
            if q_upper(n, b) + k < lstar - margin {
                continue;
            }
            let (lo, hi) = t_bounds(n, b);
            lstar = lstar.max(lo.min(T_CAP));
            if hi >= lstar - margin {
                cands.push((window, n, b, hi + margin));
            }
        }
        let mut best: Option<Best> = None;
        for &(window, n, b, hi) in cands.iter() {
            if hi >= lstar {
                let p = self.p(n, b);
                if p < best.map_or(1.0, |best| best.p) {
                    best = Some(Best { window, n, b, p });
                }
            }
        }
        best
    }

    /// The most significant window of a histogram of integer counts without side bands,
    /// from the windows' [`PTables`] (tabulated p).
    fn min_p_tabulated(&self, cd: &[f64], cb: &[f64], tables: &PTables, cands: &mut Vec<(usize, f64)>) -> Option<Best> {
        tables.min_window(|i| Self::sum(cd, &self.windows[i]), cands).map(|(window, n)| Best {
            window,
            n,
            b: Self::sum(cb, &self.windows[window]),
            p: tables.p(window, n),
        })
    }

    /// The most significant window of each of `npe` pseudo-experiments, each histogram drawn
    /// as Poisson(`expectation`_i) per bin and scanned against `bkg`; `None` for a
    /// pseudo-experiment where every window has p = 1.
    ///
    /// Pseudo-experiment k uses its own `ChaCha8Rng` (seed, family, k) (see [`pe_rng`]), so
    /// the result does not depend on the number of rayon threads. Without side bands the p
    /// are tabulated ([`Best::p`]); with side bands they are exact.
    pub fn pseudo_best(
        &self,
        expectation: &[f64],
        bkg: &[f64],
        npe: usize,
        seed: u64,
        family: u64,
    ) -> Result<Vec<Option<Best>>, BumpHunterError> {
        let samplers = expectation
            .iter()
            .enumerate()
            .map(|(i, &l)| BinSampler::new(l, || self.bin_name(i)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut cb = Vec::new();
        self.cumulate(bkg, &mut cb);
        // Without side bands each window's b is fixed: tabulate its p over n once (unless
        // the tables would be imprecise or too large).
        let b: Vec<f64> = self.windows.iter().map(|w| Self::sum(&cb, w)).collect();
        let tables = (self.norm.is_none() && worth_tabulating(&b)).then(|| PTables::new(&b, self.mode));
        let best = (0..npe)
            .into_par_iter()
            .map_init(
                || (vec![0.0; expectation.len()], Vec::new(), Vec::new(), Vec::new()),
                |(data, cd, cands, table_cands), k| {
                    let mut rng = pe_rng(seed, family, k as u64);
                    for (d, s) in data.iter_mut().zip(&samplers) {
                        *d = s.sample(&mut rng);
                    }
                    self.cumulate(data, cd);
                    match &tables {
                        Some(tables) => self.min_p_tabulated(cd, &cb, tables, table_cands),
                        None => {
                            let total = cd.last().copied().unwrap_or(0.0);
                            let k = 0.5 * (2.0 * std::f64::consts::PI * total.max(1.0)).ln() + 1.0 / 12.0;
                            self.min_p_integer(cd, &cb, k, cands)
                        }
                    }
                },
            )
            .collect();
        Ok(best)
    }

    /// The exact local p-value of a pseudo-experiment's best window.
    pub fn exact_p(&self, best: &Best) -> f64 {
        self.p(best.n, best.b)
    }

    /// Test statistics t = −ln(p_min) of the pseudo-experiments of [`Engine::pseudo_best`].
    ///
    /// Tabulated p are within 1e-9 relative of direct evaluation (2e-7 at the largest
    /// tabulated window background), so t is that close to its exact value; a t within [`EXACT_BAND`] of `exact_near` (the observed t) is
    /// evaluated directly, so that comparing the pseudo-experiments with the observation is
    /// exact (a pseudo-experiment repeating the observed best window gives exactly the
    /// observed t).
    pub fn pseudo_t(
        &self,
        expectation: &[f64],
        bkg: &[f64],
        npe: usize,
        seed: u64,
        family: u64,
        exact_near: Option<f64>,
    ) -> Result<Vec<f64>, BumpHunterError> {
        let best = self.pseudo_best(expectation, bkg, npe, seed, family)?;
        Ok(best
            .iter()
            .map(|best| {
                best.map_or(0.0, |best| {
                    let t = t_of(best.p);
                    match exact_near {
                        Some(t0) if (t - t0).abs() <= EXACT_BAND => t_of(self.exact_p(&best)),
                        _ => t,
                    }
                })
            })
            .collect())
    }
}

/// The most significant window of one pseudo-experiment: window index, count n, background
/// b (scaled with side bands) and local p.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Best {
    pub window: usize,
    pub n: f64,
    pub b: f64,
    pub p: f64,
}

/// The generator of pseudo-experiment `index` of `family` (0: background only; 1, 2, …:
/// signal-injection steps): ChaCha8 seeded from `seed` mixed with the family (golden-ratio
/// multiplier), on stream `index`.
pub(crate) fn pe_rng(seed: u64, family: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ family.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    rng.set_stream(index);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn engine_1d(bins: usize, mode: Mode, norm: bool) -> Engine {
        let widths: Vec<usize> = (1..=bins / 2).collect();
        let axis = Axis { range: (0, bins), widths: &widths, step: ScanStep::Bins(1) };
        Engine::one(axis, norm.then_some((0, bins)), mode)
    }

    fn exhaustive_min(e: &Engine, data: &[f64], bkg: &[f64]) -> f64 {
        let (evals, best) = e.scan_all(data, bkg);
        evals[best].p
    }

    fn pruned_min(e: &Engine, data: &[f64], bkg: &[f64]) -> f64 {
        let (mut cd, mut cb) = (Vec::new(), Vec::new());
        e.cumulate(data, &mut cd);
        e.cumulate(bkg, &mut cb);
        let total: f64 = data.iter().sum();
        let k = 0.5 * (2.0 * std::f64::consts::PI * total.max(1.0)).ln() + 1.0 / 12.0;
        e.min_p_integer(&cd, &cb, k, &mut Vec::new()).map_or(1.0, |b| b.p)
    }

    proptest! {
        #[test]
        fn pruned_minimum_equals_exhaustive(
            bkg in proptest::collection::vec(0.0f64..300.0, 4..24),
            noise in proptest::collection::vec(-40i32..60, 24),
            deficit in any::<bool>(),
            norm in any::<bool>(),
        ) {
            let data: Vec<f64> = bkg.iter().zip(&noise).map(|(b, n)| (b.round() + *n as f64).max(0.0)).collect();
            let mode = if deficit { Mode::Deficit } else { Mode::Excess };
            let e = engine_1d(bkg.len(), mode, norm);
            let exhaustive = exhaustive_min(&e, &data, &bkg);
            prop_assert_eq!(pruned_min(&e, &data, &bkg), exhaustive);
            if !norm {
                let (mut cd, mut cb) = (Vec::new(), Vec::new());
                e.cumulate(&data, &mut cd);
                e.cumulate(&bkg, &mut cb);
                let b: Vec<f64> = e.windows.iter().map(|w| Engine::sum(&cb, w)).collect();
                let tables = PTables::new(&b, mode);
                let best = e.min_p_tabulated(&cd, &cb, &tables, &mut Vec::new());
                prop_assert_eq!(best.map_or(1.0, |b| e.exact_p(&b)), exhaustive);
            }
        }
    }

    #[test]
    fn summed_area_table_gives_window_sums() {
        let (nx, ny) = (3, 4);
        let counts: Vec<f64> = (0..12).map(f64::from).collect();
        let widths = [2];
        let ax = |n| Axis { range: (0, n), widths: &widths, step: ScanStep::Bins(1) };
        let e = Engine::two(nx, ny, ax(nx), ax(ny), false, Mode::Excess);
        let mut c = Vec::new();
        e.cumulate(&counts, &mut c);
        for w in &e.windows {
            let [x, y] = w.loc;
            let direct: f64 = (x..x + 2).flat_map(|i| (y..y + 2).map(move |j| (i * ny + j) as f64)).sum();
            assert_eq!(Engine::sum(&c, w), direct);
        }
        assert_eq!(e.windows.len(), 2 * 3);
        assert_eq!((e.windows[1].loc, e.windows[3].loc), ([0, 1], [1, 0]));
    }

    #[test]
    fn pseudo_t_near_the_observation_is_exact() {
        let bkg: Vec<f64> = (0..30).map(|i| 500.0 * (-(i as f64) / 9.0).exp()).collect();
        let e = engine_1d(bkg.len(), Mode::Excess, false);
        let best = e.pseudo_best(&bkg, &bkg, 40, 3, 0).expect("valid");
        let (k, b) = best.iter().enumerate().find_map(|(k, b)| b.map(|b| (k, b))).expect("an active PE");
        let exact = t_of(e.exact_p(&b));
        let t = e.pseudo_t(&bkg, &bkg, 40, 3, 0, Some(exact)).expect("valid");
        assert_eq!(t[k], exact);
        let tabulated = e.pseudo_t(&bkg, &bkg, 40, 3, 0, None).expect("valid");
        assert_eq!(tabulated[k], t_of(b.p));
        assert!((tabulated[k] - exact).abs() < 1e-9);
    }

    #[test]
    fn streams_differ_and_repeat() {
        use rand::RngCore;
        let a = pe_rng(7, 0, 3).next_u64();
        assert_eq!(a, pe_rng(7, 0, 3).next_u64());
        assert_ne!(a, pe_rng(7, 0, 4).next_u64());
        assert_ne!(a, pe_rng(7, 1, 3).next_u64());
    }
}
