//! Tabulated local p-values of one window for integer counts, used by the
//! pseudo-experiments when the window's background b is fixed (no side bands).
//!
//! For integer n the incomplete gamma functions obey P(n, b) − P(n + 1, b) = π(n) with
//! π(n) = e^{−b} bⁿ/n! the Poisson probability, and π(n) = π(n + 1)·(n + 1)/b. The table
//! starts from one direct evaluation at the far end of the tail (the smallest p) and adds
//! the positive terms π towards the centre, so it is numerically stable (within 1e-9
//! relative of direct evaluation for b up to 5e4). It covers n within 12√b + 30 of b; counts
//! outside fall back to [`local_p`].

use statrs::function::gamma::ln_gamma;

use super::Mode;
use super::pvalue::local_p;

/// Half-width of the tabulated range in units of √b (plus a constant), i.e. t up to ~70.
fn reach(b: f64) -> f64 {
    12.0 * b.sqrt() + 30.0
}

/// π(n) for integer n ≥ 0 (e^{−b} bⁿ/n!).
fn poisson_pmf(n: f64, b: f64) -> f64 {
    (n * b.ln() - b - ln_gamma(n + 1.0)).exp()
}

/// Local p-values of one window for integer counts n ∈ [lo, lo + p.len()).
#[derive(Debug, Clone)]
pub(crate) struct PTable {
    b: f64,
    mode: Mode,
    lo: f64,
    p: Vec<f64>,
}

impl PTable {
    /// Tabulates the local p-values of a window with background `b` (> 0 in excess mode).
    pub fn new(b: f64, mode: Mode) -> Self {
        if !(b.is_finite() && b > 0.0) {
            return Self { b, mode, lo: 0.0, p: Vec::new() };
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
                Self { b, mode, lo, p }
            }
            Mode::Deficit => {
                // Active for n < b: n from lo up to the largest integer below b.
                let top = b.ceil() - 1.0;
                let lo = (b - reach(b)).floor().max(0.0);
                if top < lo {
                    return Self { b, mode, lo, p: Vec::new() };
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
                Self { b, mode, lo, p }
            }
        }
    }

    /// The local p-value for an integer count `n`.
    pub fn p(&self, n: f64) -> f64 {
        let i = n - self.lo;
        if i >= 0.0 && (i as usize) < self.p.len() { self.p[i as usize] } else { local_p(n, self.b, self.mode) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_direct_evaluation() {
        for mode in [Mode::Excess, Mode::Deficit] {
            for b in [0.3, 1.0, 7.5, 123.4, 5000.0, 48_000.0] {
                let t = PTable::new(b, mode);
                let span = reach(b) as i64 + 5;
                for n in (b as i64 - span).max(0)..=(b as i64 + span) {
                    let n = n as f64;
                    let (ours, direct) = (t.p(n), local_p(n, b, mode));
                    let rel = (ours - direct).abs() / direct;
                    assert!(rel < 1e-9, "{mode:?} b {b} n {n}: {ours:e} vs {direct:e}");
                }
            }
        }
    }
}
