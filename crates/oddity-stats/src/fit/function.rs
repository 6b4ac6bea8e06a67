//! The dijet fit functions of physics-spec §9.3 and their bin integrals.

use serde::{Deserialize, Serialize};

/// Centre-of-mass energy of the LHC Run 2 in GeV, the default √s of the fit functions.
pub const SQRT_S_13TEV: f64 = 13_000.0;

/// Number of parameters of both fit functions.
pub const N_PARAMS: usize = 5;

/// Five-point Gauss–Legendre nodes on [−1, 1] and their weights (Abramowitz & Stegun 25.4.30).
const GL_NODES: [f64; 5] =
    [-0.906_179_845_938_664, -0.538_469_310_105_683_1, 0.0, 0.538_469_310_105_683_1, 0.906_179_845_938_664];
const GL_WEIGHTS: [f64; 5] = [
    0.236_926_885_056_189_1,
    0.478_628_670_499_366_5,
    0.568_888_888_888_888_9,
    0.478_628_670_499_366_5,
    0.236_926_885_056_189_1,
];

/// The background shape fitted to an invariant-mass spectrum, with x = m/√s (seed 004,
/// ATLAS arXiv 2307.01612; physics-spec §9.3). Both are densities in events per GeV and are
/// zero outside 0 < x < 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DijetFunction {
    /// f(x) = p1·(1 − x)^p2 · x^(p3 + p4·ln x + p5·(ln x)²), the nominal ATLAS dijet function.
    Nominal,
    /// f(x) = p1·(1 − x)^p2 · x^(p3 + p4·ln x + p5/√x), the alternative used for the
    /// background-shape uncertainty (**Decision** of physics-spec §9.3: p5/√x).
    Alternative,
}

impl DijetFunction {
    /// The other function of the pair (nominal ↔ alternative).
    pub fn other(self) -> Self {
        match self {
            Self::Nominal => Self::Alternative,
            Self::Alternative => Self::Nominal,
        }
    }

    /// The basis g(x) of ln f = θ·g(x) with θ = (ln p1, p2, p3, p4, p5): both functions are
    /// exponentials of a linear form in their parameters, which makes the derivatives of the
    /// expected counts exact and cheap (∂f/∂θ_k = f·g_k). Requires 0 < x < 1.
    pub(crate) fn basis(self, x: f64) -> [f64; N_PARAMS] {
        let l = x.ln();
        let last = match self {
            Self::Nominal => l * l * l,
            Self::Alternative => l / x.sqrt(),
        };
        [1.0, (-x).ln_1p(), l, l * l, last]
    }

    /// f(m) in events per GeV for parameters `p` = (p1, …, p5) and mass `m` in GeV; 0 outside
    /// 0 < m/√s < 1 and for p1 ≤ 0 (the fitter keeps p1 > 0).
    pub fn density(self, m: f64, p: &[f64; N_PARAMS], sqrt_s: f64) -> f64 {
        let x = m / sqrt_s;
        if !(x > 0.0 && x < 1.0) || p[0] <= 0.0 {
            return 0.0;
        }
        (dot(&theta_from_params(p), &self.basis(x))).exp()
    }
}

/// θ = (ln p1, p2, p3, p4, p5), the internal parameters (p1 > 0 by construction).
pub(crate) fn theta_from_params(p: &[f64; N_PARAMS]) -> [f64; N_PARAMS] {
    [p[0].ln(), p[1], p[2], p[3], p[4]]
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Expected counts per bin, ν_i = ∫ f(m) dm over `[edges[i], edges[i+1]]` by five-point
/// Gauss–Legendre quadrature (exact for polynomials of degree 9; physics-spec §9.3, like ROOT's
/// fit option "I"). Nodes outside 0 < m/√s < 1 contribute 0.
pub fn expected_counts(function: DijetFunction, params: &[f64; N_PARAMS], edges: &[f64], sqrt_s: f64) -> Vec<f64> {
    edges
        .windows(2)
        .map(|e| quadrature_nodes(e[0], e[1]).map(|(m, w)| w * function.density(m, params, sqrt_s)).sum())
        .collect()
}

/// The five (mass, weight) pairs of Gauss–Legendre quadrature over [lo, hi] (weights in GeV).
pub(crate) fn quadrature_nodes(lo: f64, hi: f64) -> impl Iterator<Item = (f64, f64)> {
    let (mid, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
    GL_NODES.iter().zip(GL_WEIGHTS).map(move |(t, w)| (mid + half * t, half * w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadrature_is_exact_for_degree_nine() {
        let (lo, hi) = (2.0_f64, 5.0_f64);
        let got: f64 = quadrature_nodes(lo, hi).map(|(m, w)| w * m.powi(9)).sum();
        let exact = (hi.powi(10) - lo.powi(10)) / 10.0;
        assert!((got / exact - 1.0).abs() < 1e-13, "{got} vs {exact}");
    }

    #[test]
    fn density_matches_the_written_formulas() {
        let p = [3.0, 8.0, -4.5, 0.3, 0.02];
        let (m, s) = (1500.0, SQRT_S_13TEV);
        let x: f64 = m / s;
        let l = x.ln();
        let nominal = p[0] * (1.0 - x).powf(p[1]) * x.powf(p[2] + p[3] * l + p[4] * l * l);
        let alternative = p[0] * (1.0 - x).powf(p[1]) * x.powf(p[2] + p[3] * l + p[4] / x.sqrt());
        assert!((DijetFunction::Nominal.density(m, &p, s) / nominal - 1.0).abs() < 1e-12);
        assert!((DijetFunction::Alternative.density(m, &p, s) / alternative - 1.0).abs() < 1e-12);
        assert_eq!(DijetFunction::Nominal.density(s, &p, s), 0.0);
        assert_eq!(DijetFunction::Nominal.density(0.0, &p, s), 0.0);
    }

    #[test]
    fn expected_counts_integrate_the_density() {
        // A pure power law (p2 = p4 = p5 = 0) integrates in closed form.
        let (p, s) = ([2.0, 0.0, -3.0, 0.0, 0.0], 10.0);
        let edges = [1.0, 2.0, 4.0];
        let nu = expected_counts(DijetFunction::Nominal, &p, &edges, s);
        // ∫ 2 (m/10)^-3 dm = 2·1000·[m^-2 / -2]
        let exact = |a: f64, b: f64| 1000.0 * (a.powi(-2) - b.powi(-2));
        assert!((nu[0] / exact(1.0, 2.0) - 1.0).abs() < 1e-4);
        assert!((nu[1] / exact(2.0, 4.0) - 1.0).abs() < 1e-3);
    }
}
