//! Local and global p-values of BumpHunter (physics-spec §9.4 steps 4 and 7).

use serde::Serialize;
use statrs::function::erf::erfc_inv;
use statrs::function::gamma::{gamma_lr, gamma_ur};
use std::f64::consts::{PI, SQRT_2};

use super::Mode;

/// Smallest local p-value with side-band normalisation (pyBumpHunter's floor).
pub(crate) const P_FLOOR: f64 = 1e-300;

/// Local p-value of a window with `n` data and `b` expected background events.
///
/// - Excess: P(n, b) = γ(n, b)/Γ(n), the regularised lower incomplete gamma function, which
///   for integer n equals Prob(Poisson(b) ≥ n); used when n > b > 0, else p = 1.
/// - Deficit: 1 − P(n + 1, b) = Q(n + 1, b) = Prob(Poisson(b) ≤ n) for integer n; used when
///   n < b, else p = 1. Q is evaluated directly (statrs `gamma_ur`) rather than as 1 − P,
///   which keeps full relative precision for small p.
///
/// A non-finite b (side-band scale with no background left outside the window) gives p = 1.
/// Source: arXiv 1101.0390 eq. (2); pyBumpHunter 0.5.1 `_scan_hist` (scipy `gammainc`).
pub fn local_p(n: f64, b: f64, mode: Mode) -> f64 {
    if !b.is_finite() {
        return 1.0;
    }
    match mode {
        Mode::Excess if n > b && b > 0.0 => gamma_lr(n, b),
        Mode::Deficit if n < b => gamma_ur(n + 1.0, b),
        _ => 1.0,
    }
}

/// Significance of a one-sided p-value, Z = Φ⁻¹(1 − p) = √2·erfc⁻¹(2p), evaluated without
/// forming 1 − p (so tiny p keep their precision). p = 1 gives −∞ and p = 0 gives +∞ (as
/// scipy's `norm.ppf(1 - p)`).
pub fn z_from_p(p: f64) -> f64 {
    SQRT_2 * erfc_inv(2.0 * p)
}

/// Test statistic t = −ln p (p = 1 gives +0, not −0).
pub(crate) fn t_of(p: f64) -> f64 {
    -p.ln() + 0.0
}

/// Whether a window can have p < 1 (the condition of [`local_p`]).
pub(crate) fn active(n: f64, b: f64, mode: Mode) -> bool {
    b.is_finite()
        && match mode {
            Mode::Excess => n > b && b > 0.0,
            Mode::Deficit => n < b,
        }
}

/// Bounds on t = −ln p of an active window with an **integer** count n, used to skip the
/// incomplete gamma function for windows that cannot be the minimum.
///
/// With q = n·ln(n/b) − n + b (0·ln 0 = 0), the Chernoff bound gives p ≤ e^{−q}, so t ≥ q;
/// p ≥ Prob(Poisson(b) = n) ≥ e^{−q}/(√(2πn)·e^{1/(12n)}) (Robbins' Stirling bound, n ≥ 1;
/// n = 0 in deficit mode is exact, p = e^{−b}) gives t ≤ q + ½ln(2πn) + 1/(12n). Both hold in
/// excess (p = Prob(X ≥ n)) and deficit (p = Prob(X ≤ n)) mode. Returns (lower, upper).
pub(crate) fn t_bounds(n: f64, b: f64) -> (f64, f64) {
    if n == 0.0 {
        return (b, b);
    }
    let q = n * (n / b).ln() - n + b;
    (q, q + 0.5 * (2.0 * PI * n).ln() + 1.0 / (12.0 * n))
}

/// A cheap upper bound on q of [`t_bounds`]: ln x ≤ x − 1 gives q ≤ (n − b)²/b.
pub(crate) fn q_upper(n: f64, b: f64) -> f64 {
    (n - b) * (n - b) / b
}

/// The global p-value of an observed test statistic against pseudo-experiments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlobalP {
    /// Number of pseudo-experiments.
    pub npe: usize,
    /// Pseudo-experiments with t ≥ t_data.
    pub count: usize,
    /// p = count / npe.
    pub p: f64,
    /// Z = Φ⁻¹(1 − p); for p = 0 the lower limit Φ⁻¹(1 − 1/npe); for p = 1, 0.
    pub z: f64,
    /// True when p = 0 and `z` is a lower limit.
    pub z_is_lower_limit: bool,
}

impl GlobalP {
    /// Global p-value of `t_data` given the pseudo-experiment statistics `t_pseudo`
    /// (physics-spec §9.4 step 7; pyBumpHunter `bump_scan`): p = #{k : t_k ≥ t_data}/n_pe.
    /// `t_pseudo` must not be empty.
    pub fn new(t_data: f64, t_pseudo: &[f64]) -> Self {
        let npe = t_pseudo.len();
        let count = t_pseudo.iter().filter(|&&t| t >= t_data).count();
        let p = count as f64 / npe as f64;
        let (z, z_is_lower_limit) = match count {
            0 => (z_from_p(1.0 / npe as f64), true),
            c if c == npe => (0.0, false),
            _ => (z_from_p(p), false),
        };
        Self { npe, count, p, z, z_is_lower_limit }
    }
}

impl std::fmt::Display for GlobalP {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let gt = if self.z_is_lower_limit { ">" } else { "" };
        write!(
            f,
            "Global p-value : {:.5} ({} / {})\nGlobal significance : {gt}{:.5}",
            self.p, self.count, self.npe, self.z
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excess_p_is_the_poisson_tail() {
        // Prob(Poisson(2) ≥ 3) = 1 − e^{-2}(1 + 2 + 2) = 0.32332358381693654.
        let p = local_p(3.0, 2.0, Mode::Excess);
        assert!((p - 0.323_323_583_816_936_5).abs() < 1e-14, "{p}");
        assert_eq!(local_p(2.0, 2.0, Mode::Excess), 1.0);
        assert_eq!(local_p(3.0, 0.0, Mode::Excess), 1.0);
    }

    #[test]
    fn deficit_p_is_the_lower_poisson_tail() {
        // Prob(Poisson(3) ≤ 1) = e^{-3}(1 + 3) = 0.19914827347145578.
        let p = local_p(1.0, 3.0, Mode::Deficit);
        assert!((p - 0.199_148_273_471_455_78).abs() < 1e-14, "{p}");
        assert!((local_p(0.0, 3.0, Mode::Deficit) - (-3.0f64).exp()).abs() < 1e-16);
        assert_eq!(local_p(3.0, 3.0, Mode::Deficit), 1.0);
        assert_eq!(local_p(1.0, f64::INFINITY, Mode::Deficit), 1.0);
    }

    #[test]
    fn t_bounds_bracket_the_exact_value() {
        for &(n, b) in &[(1.0, 0.2), (5.0, 1.0), (30.0, 12.5), (2000.0, 1800.0), (40.0, 400.0)] {
            let mode = if n > b { Mode::Excess } else { Mode::Deficit };
            let t = -local_p(n, b, mode).ln();
            let (lo, hi) = t_bounds(n, b);
            assert!(lo <= t && t <= hi, "n {n} b {b}: {lo} {t} {hi}");
            assert!(lo <= q_upper(n, b) + 1e-12);
        }
    }

    #[test]
    fn z_from_p_matches_known_quantiles() {
        assert!((z_from_p(0.5)).abs() < 1e-15);
        assert!((z_from_p(0.022_750_131_948_179_2) - 2.0).abs() < 1e-9);
        assert!(z_from_p(1e-300) > 37.0);
    }

    #[test]
    fn global_p_edge_cases() {
        let g = GlobalP::new(5.0, &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!((g.count, g.p, g.z_is_lower_limit), (0, 0.0, true));
        assert!((g.z - z_from_p(0.25)).abs() < 1e-15);
        let g = GlobalP::new(0.0, &[1.0, 2.0]);
        assert_eq!((g.p, g.z), (1.0, 0.0));
        let g = GlobalP::new(2.0, &[1.0, 2.0, 3.0, 0.5]);
        assert_eq!((g.count, g.p), (2, 0.5));
    }
}
