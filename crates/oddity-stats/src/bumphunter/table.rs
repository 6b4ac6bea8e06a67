//! Tabulated local p-values of the windows for integer counts, used by the
//! pseudo-experiments when each window's background b is fixed (no side bands).
//!
//! For integer n the incomplete gamma functions obey P(n, b) − P(n + 1, b) = π(n) with
//! π(n) = e^{−b} bⁿ/n! the Poisson probability, and π(n) = π(n + 1)·(n + 1)/b. The table
//! starts from one direct evaluation at the far end of the tail (the smallest p) and adds
//! the positive terms π towards the centre, so it is numerically stable (within 1e-9
//! relative of direct evaluation for b up to 5e4; the rounding of the starting Poisson term
//! grows like b·ln b·1e-16, 4e-9 at b = 1.2e6, 2e-7 at [`TABLE_MAX_B`]). It covers n within
//! 8√b + 20 of b on the active side; counts further in the tail fall back to [`local_p`].

use rayon::prelude::*;
use statrs::function::gamma::ln_gamma;

use super::Mode;
use super::pvalue::local_p;

/// Half-width of the tabulated range in units of √b (plus a constant), i.e. t up to ~32 at
/// its end: background-only pseudo-experiments essentially never leave it.
fn reach(b: f64) -> f64 {
    8.0 * b.sqrt() + 20.0
}

/// π(n) for integer n ≥ 0 (e^{−b} bⁿ/n!).
fn poisson_pmf(n: f64, b: f64) -> f64 {
    (n * b.ln() - b - ln_gamma(n + 1.0)).exp()
}

/// Windows with more background than this are not tabulated (precision, size).
pub(crate) const TABLE_MAX_B: f64 = 1e8;
/// Most table entries (all windows) worth building: 64 MB.
const TABLE_MAX_ENTRIES: f64 = (1 << 23) as f64;

/// Whether tables for windows with backgrounds `b` are precise enough and not too large.
pub(crate) fn worth_tabulating(b: &[f64]) -> bool {
    b.iter().all(|&b| b <= TABLE_MAX_B) && b.iter().map(|&b| reach(b) + 3.0).sum::<f64>() <= TABLE_MAX_ENTRIES
}

/// Marks a count outside the table on the side of the tail: evaluate it directly.
const DIRECT: f64 = -1.0;

/// The local p-values of one window for integer n ∈ [lo, lo + p.len()), and the values
/// below and above that range (1 on the side where p = 1, [`DIRECT`] on the tail side).
fn column(b: f64, mode: Mode) -> (f64, Vec<f64>, [f64; 2]) {
    if !(b.is_finite() && b > 0.0) {
        return (0.0, Vec::new(), [1.0, 1.0]);
    }
    match mode {
        Mode::Excess => {
            // Active for n > b: n from floor(b) + 1 up to hi; fill from hi downwards.
            let lo = b.floor() + 1.0;
            let hi = (b + reach(b)).ceil();
            let len = (hi - lo) as usize + 1;
            let mut p = vec![0.0; len];
            let (mut pn, mut pmf) = (local_p(hi, b, mode), poisson_pmf(hi, b));
            p[len - 1] = pn;
            for i in (0..len - 1).rev() {
                let n = lo + i as f64;
                pmf *= (n + 1.0) / b;
                pn += pmf;
                p[i] = pn;
            }
            (lo, p, [1.0, DIRECT])
        }
        Mode::Deficit => {
            // Active for n < b: n from lo up to the largest integer below b.
            let top = b.ceil() - 1.0;
            let lo = (b - reach(b)).floor().max(0.0);
            if top < lo {
                return (lo, Vec::new(), [1.0, 1.0]);
            }
            let len = (top - lo) as usize + 1;
            let mut p = vec![0.0; len];
            let (mut pn, mut pmf) = (local_p(lo, b, mode), poisson_pmf(lo, b));
            p[0] = pn;
            for (i, slot) in p.iter_mut().enumerate().skip(1) {
                let n = lo + i as f64;
                pmf *= b / n;
                pn += pmf;
                *slot = pn;
            }
            // Below lo = 0 there are no counts; otherwise the deep tail is direct.
            (lo, p, [if lo > 0.0 { DIRECT } else { 1.0 }, 1.0])
        }
    }
}

/// Where one window's column lies in [`PTables::values`].
#[derive(Debug, Clone, Copy)]
struct Span {
    /// n of the first tabulated value (at `start + 1`).
    lo: f64,
    /// Index of the upper sentinel relative to `start` (number of values + 1), as f64.
    last: f64,
    start: usize,
    b: f64,
}

/// Levels of t = −ln p for the candidate filter of [`PTables::min_window`]: level j holds
/// the counts with p < e^{−LEVELS[j]} (level 0: every active count, p < 1).
const LEVELS: [f64; 15] = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 12.0, 14.0, 17.0, 20.0];
/// The level the filter starts from (t ≥ 3, p < 0.05).
const START_LEVEL: usize = 3;

/// The count thresholds of one window's levels, in x = n (excess) or x = −n (deficit), so
/// that p falls as x grows: level j is reached when x ≥ `thr[j]`. Counts with x > `end` are
/// past the table (evaluated directly) and have no known level.
fn levels(lo: f64, p: &[f64], mode: Mode) -> ([f64; LEVELS.len()], f64) {
    if p.is_empty() {
        return ([f64::INFINITY; LEVELS.len()], f64::INFINITY);
    }
    let last = lo + (p.len() - 1) as f64;
    let thr = LEVELS.map(|t| {
        let level = (-t).exp();
        // The p-values fall with n in excess mode and rise with n in deficit mode.
        match mode {
            Mode::Excess => p.iter().position(|&p| p < level).map_or(last + 1.0, |i| lo + i as f64),
            Mode::Deficit => match p.iter().take_while(|&&p| p < level).count() {
                0 => -lo + 1.0,
                c => -(lo + (c - 1) as f64),
            },
        }
    });
    let end = match mode {
        Mode::Excess => last,
        Mode::Deficit => -lo,
    };
    (thr, end)
}

/// The tabulated local p-values of every window of a scan, one column per window in one
/// flat array. Each column is framed by two sentinels (the value for counts below and above
/// the tabulated range), so a look-up is a clamp and a load without a branch on the mode.
#[derive(Debug, Clone)]
pub(crate) struct PTables {
    mode: Mode,
    spans: Vec<Span>,
    /// Level thresholds, level-major: `thr[j * windows + w]` (see [`levels`]).
    thr: Vec<f64>,
    /// Per window: the last x in the table.
    end: Vec<f64>,
    values: Vec<f64>,
}

impl PTables {
    /// Tables of windows with backgrounds `b` (one per window, in window order).
    pub fn new(b: &[f64], mode: Mode) -> Self {
        let columns: Vec<_> = b.par_iter().map(|&b| column(b, mode)).collect();
        let mut values = Vec::with_capacity(columns.iter().map(|c| c.1.len() + 2).sum());
        let (mut thr, mut end) = (vec![0.0; LEVELS.len() * b.len()], Vec::with_capacity(b.len()));
        let spans = columns
            .into_iter()
            .zip(b)
            .enumerate()
            .map(|(w, ((lo, p, [below, above]), &b))| {
                let (t, e) = levels(lo, &p, mode);
                for (j, t) in t.into_iter().enumerate() {
                    thr[j * end.capacity() + w] = t;
                }
                end.push(e);
                let start = values.len();
                values.push(below);
                values.extend_from_slice(&p);
                values.push(above);
                Span { lo, last: (p.len() + 1) as f64, start, b }
            })
            .collect();
        Self { mode, spans, thr, end, values }
    }

    /// The local p-value of window `w` for an integer count `n`.
    #[inline]
    pub fn p(&self, w: usize, n: f64) -> f64 {
        let s = &self.spans[w];
        let i = (n - s.lo + 1.0).clamp(0.0, s.last) as usize;
        let p = self.values[s.start + i];
        if p == DIRECT { local_p(n, s.b, self.mode) } else { p }
    }

    /// The window with the smallest local p-value (ties: the first) and its count, given the
    /// integer count `count(w)` of every window; `None` when every p is 1.
    ///
    /// Most windows cannot be the minimum, and reading their p-values is what costs (the
    /// tables do not fit in the cache). A first pass therefore compares each count with one
    /// threshold, that of the highest level of t reached so far (see [`LEVELS`]), and keeps
    /// the windows at that level; only those are looked up. The minimum is exact: a window
    /// at a higher level has a smaller p than every window at a lower one. A count past its
    /// table (rare) switches to looking up every window.
    pub fn min_window(&self, count: impl Fn(usize) -> f64, cands: &mut Vec<(usize, f64)>) -> Option<(usize, f64)> {
        // Start at level START_LEVEL, which most histograms reach somewhere, so that few
        // windows pass the first comparison; if none reaches it, the maximum level is lower
        // and the pass is repeated from level 0.
        if !self.top_level_windows(START_LEVEL, &count, cands) {
            self.top_level_windows(0, &count, cands);
        }
        let mut best = (1.0, None);
        for &(w, n) in cands.iter() {
            let p = self.p(w, n);
            if p < best.0 {
                best = (p, Some((w, n)));
            }
        }
        best.1
    }

    /// The windows at the highest level reached (at least `start`) into `cands`; every window
    /// if a count is past its table. False if no window reaches `start`.
    fn top_level_windows(&self, start: usize, count: &impl Fn(usize) -> f64, cands: &mut Vec<(usize, f64)>) -> bool {
        let sign = if self.mode == Mode::Excess { 1.0 } else { -1.0 };
        let windows = self.end.len();
        cands.clear();
        let mut top = start;
        let mut row = &self.thr[start * windows..(start + 1) * windows];
        for (w, &end) in self.end.iter().enumerate() {
            let n = count(w);
            let x = sign * n;
            if x < row[w] {
                continue;
            }
            if x > end {
                cands.clear();
                cands.extend((0..windows).map(|w| (w, count(w))));
                return true;
            }
            let mut level = top;
            while level + 1 < LEVELS.len() && x >= self.thr[(level + 1) * windows + w] {
                level += 1;
            }
            if level > top {
                top = level;
                row = &self.thr[level * windows..(level + 1) * windows];
                cands.clear();
            }
            cands.push((w, n));
        }
        !cands.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_direct_evaluation() {
        for mode in [Mode::Excess, Mode::Deficit] {
            let bs = [0.3, 1.0, 7.5, 123.4, 5000.0, 48_000.0, 0.0, 1.2e6];
            assert!(worth_tabulating(&bs) && !worth_tabulating(&[2e8]) && !worth_tabulating(&[1e6; 1500]));
            let t = PTables::new(&bs, mode);
            for (w, &b) in bs.iter().enumerate() {
                let span = reach(b) as i64 + 5;
                for n in (b as i64 - span).max(0)..=(b as i64 + span) {
                    let n = n as f64;
                    let (ours, direct) = (t.p(w, n), local_p(n, b, mode));
                    let rel = if ours == direct { 0.0 } else { (ours - direct).abs() / direct };
                    let tolerance = if b > 5e4 { 1e-8 } else { 1e-9 };
                    assert!(rel < tolerance, "{mode:?} b {b} n {n}: {ours:e} vs {direct:e}");
                }
            }
        }
    }
}
