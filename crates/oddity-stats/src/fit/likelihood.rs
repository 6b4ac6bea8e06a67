//! Binned objectives (Poisson −ln L, Neyman χ²) of a background (dijet function or fixed) plus
//! an optional signal template, with exact gradients and Hessians for the minimiser.

use super::FitMethod;
use super::function::{DijetFunction, N_PARAMS, dot, quadrature_nodes};
use super::minimise::{Eval, MAX_DIM, Vector};

/// The dijet function evaluated at the quadrature nodes of the fitted bins: ln f = θ·g(x),
/// so each node stores g(x) and ln(quadrature weight in GeV).
#[derive(Debug, Clone)]
pub(crate) struct Design {
    /// Per bin, per node: (basis g(x), ln weight).
    nodes: Vec<[([f64; N_PARAMS], f64); 5]>,
}

impl Design {
    /// `edges` are the fitted bins' edges, all inside 0 < m < √s (checked by the caller).
    pub fn new(function: DijetFunction, edges: &[f64], sqrt_s: f64) -> Self {
        let nodes = edges
            .windows(2)
            .map(|e| {
                let mut bin = [([0.0; N_PARAMS], 0.0); 5];
                for (slot, (m, w)) in bin.iter_mut().zip(quadrature_nodes(e[0], e[1])) {
                    *slot = (function.basis(m / sqrt_s), w.ln());
                }
                bin
            })
            .collect();
        Self { nodes }
    }

    pub fn bins(&self) -> usize {
        self.nodes.len()
    }

    /// ν_i(θ) for θ = (ln p1, p2, …, p5).
    pub fn expected(&self, theta: &[f64]) -> Vec<f64> {
        self.nodes.iter().map(|bin| bin.iter().map(|(g, lw)| (dot(theta, g) + lw).exp()).sum()).collect()
    }
}

/// What the expected background is made of.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Background<'a> {
    /// The dijet function; parameters 0..5 are θ.
    Function(&'a Design),
    /// A fixed, known expectation per bin (no background parameters).
    Fixed(&'a [f64]),
}

/// The per-bin objective.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Loss<'a> {
    /// Poisson −ln L.
    Poisson,
    /// Neyman χ² with variances σ_i² per bin (`None`: σ_i² = n_i).
    Neyman(Option<&'a [f64]>),
}

impl<'a> Loss<'a> {
    pub fn new(method: FitMethod, variances: Option<&'a [f64]>) -> Self {
        match method {
            FitMethod::Poisson => Self::Poisson,
            FitMethod::NeymanChi2 => Self::Neyman(variances),
        }
    }

    /// Per-bin objective ℓ(ν; n) of bin i and its first two derivatives in ν, or `None` for a
    /// bin the method skips.
    ///
    /// - Poisson: ℓ = ν − n + n·ln(n/ν) (ℓ = ν at n = 0), which is −ln L per bin up to the
    ///   ν-independent constant n − n ln n; subtracting it keeps the sum small near the minimum
    ///   so that comparisons between trial points do not lose digits on large spectra.
    ///   Real-valued (weighted) n are used as they are.
    /// - Neyman χ²: ℓ = (n − ν)²/(2σ²) with σ² = n (ROOT's default for counts) or the given
    ///   variance (Σw² for a weighted histogram, as ROOT does); bins with σ² ≤ 0 (empty bins)
    ///   are skipped. Halved so that, as for −ln L, the covariance is the inverse Hessian.
    pub fn bin(&self, i: usize, nu: f64, n: f64) -> Option<(f64, f64, f64)> {
        match *self {
            Self::Poisson if n > 0.0 => Some((nu - n + n * (n / nu).ln(), 1.0 - n / nu, n / (nu * nu))),
            Self::Poisson => Some((nu, 1.0, 0.0)),
            Self::Neyman(variances) => {
                let var = variances.map_or(n, |v| v[i]);
                (var > 0.0).then(|| ((nu - n).powi(2) / (2.0 * var), (nu - n) / var, 1.0 / var))
            }
        }
    }
}

/// ν_i = μ·s_i + b_i(θ) against observed (possibly weighted, real-valued) counts n_i.
/// Parameters: θ (5, for a function background), then μ if there is a signal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Model<'a> {
    pub background: Background<'a>,
    pub signal: Option<&'a [f64]>,
    pub loss: Loss<'a>,
}

impl Model<'_> {
    /// Number of background parameters.
    pub fn n_theta(&self) -> usize {
        match self.background {
            Background::Function(_) => N_PARAMS,
            Background::Fixed(_) => 0,
        }
    }

    /// Index of μ in the parameter vector.
    pub fn mu_index(&self) -> usize {
        self.n_theta()
    }

    fn bins(&self) -> usize {
        match self.background {
            Background::Function(d) => d.bins(),
            Background::Fixed(b) => b.len(),
        }
    }

    /// ν_i at `p`.
    pub fn expected(&self, p: &[f64]) -> Vec<f64> {
        let mut nu = match self.background {
            Background::Function(d) => d.expected(&p[..N_PARAMS]),
            Background::Fixed(b) => b.to_vec(),
        };
        if let Some(s) = self.signal {
            let mu = p[self.mu_index()];
            nu.iter_mut().zip(s).for_each(|(v, s)| *v += mu * s);
        }
        nu
    }

    /// The objective (see [`Loss::bin`]) with gradient and Hessian, or `None` where some
    /// ν_i ≤ 0 or is not finite.
    pub fn eval(&self, p: &Vector, data: &[f64]) -> Option<Eval> {
        let nt = self.n_theta();
        let mut e = Eval { value: 0.0, grad: [0.0; MAX_DIM], hess: [[0.0; MAX_DIM]; MAX_DIM] };
        for i in 0..self.bins() {
            let mut jac = [0.0; MAX_DIM];
            let mut f = [0.0; 5];
            let mut nu = match self.background {
                Background::Function(d) => {
                    let mut nu = 0.0;
                    for (fq, (g, lw)) in f.iter_mut().zip(&d.nodes[i]) {
                        *fq = (dot(&p[..N_PARAMS], g) + lw).exp();
                        nu += *fq;
                        jac.iter_mut().zip(g).for_each(|(j, g)| *j += *fq * g);
                    }
                    nu
                }
                Background::Fixed(b) => b[i],
            };
            if let Some(s) = self.signal {
                nu += p[nt] * s[i];
                jac[nt] = s[i];
            }
            if !(nu > 0.0 && nu.is_finite()) {
                return None;
            }
            let Some((loss, d1, d2)) = self.loss.bin(i, nu, data[i]) else { continue };
            e.value += loss;
            for a in 0..MAX_DIM {
                e.grad[a] += d1 * jac[a];
                for b in a..MAX_DIM {
                    e.hess[a][b] += d2 * jac[a] * jac[b];
                }
            }
            if let Background::Function(d) = self.background {
                for (fq, (g, _)) in f.iter().zip(&d.nodes[i]) {
                    for a in 0..N_PARAMS {
                        for b in a..N_PARAMS {
                            e.hess[a][b] += d1 * fq * g[a] * g[b];
                        }
                    }
                }
            }
        }
        for a in 0..MAX_DIM {
            for b in 0..a {
                e.hess[a][b] = e.hess[b][a];
            }
        }
        e.value.is_finite().then_some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::function::theta_from_params;

    /// Central finite differences of the value reproduce the analytic gradient, and of the
    /// gradient the analytic Hessian.
    fn check_derivatives(model: &Model, p: Vector, data: &[f64], dim: usize) {
        let e = model.eval(&p, data).expect("valid point");
        for a in 0..dim {
            let h = 1e-6 * p[a].abs().max(1.0);
            let (mut up, mut down) = (p, p);
            up[a] += h;
            down[a] -= h;
            let (eu, ed) = (model.eval(&up, data).expect("valid"), model.eval(&down, data).expect("valid"));
            let g = (eu.value - ed.value) / (2.0 * h);
            assert!((g - e.grad[a]).abs() <= 1e-5 * e.grad[a].abs().max(1.0), "grad {a}: {g} vs {}", e.grad[a]);
            for b in 0..dim {
                let hn = (eu.grad[b] - ed.grad[b]) / (2.0 * h);
                let tol = 1e-5 * e.hess[a][b].abs().max(1.0);
                assert!((hn - e.hess[a][b]).abs() <= tol, "hess {a},{b}: {hn} vs {}", e.hess[a][b]);
            }
        }
    }

    #[test]
    fn analytic_derivatives_match_finite_differences() {
        let edges: Vec<f64> = (0..=12).map(|i| 400.0 + 150.0 * f64::from(i)).collect();
        let signal: Vec<f64> = (0..12).map(|i| if i == 4 { 0.7 } else { 0.02 }).collect();
        let data: Vec<f64> = (0..12).map(|i| [900.0, 400.0, 0.0, 120.0, 70.5][i % 5]).collect();
        for function in [DijetFunction::Nominal, DijetFunction::Alternative] {
            let design = Design::new(function, &edges, 13_000.0);
            let theta = theta_from_params(&[3e-9, 9.0, -5.5, 0.1, 0.01]);
            let variances: Vec<f64> = data.iter().map(|n| 0.8 * n).collect();
            for loss in [Loss::Poisson, Loss::Neyman(None), Loss::Neyman(Some(&variances))] {
                let model = Model { background: Background::Function(&design), signal: Some(&signal), loss };
                let mut p = [0.0; MAX_DIM];
                p[..N_PARAMS].copy_from_slice(&theta);
                p[5] = 30.0;
                check_derivatives(&model, p, &data, 6);
            }
        }
    }

    #[test]
    fn invalid_expectation_is_rejected() {
        let b = [5.0, 1.0];
        let s = [0.0, 1.0];
        let model = Model { background: Background::Fixed(&b), signal: Some(&s), loss: Loss::Poisson };
        let mut p = [0.0; MAX_DIM];
        p[0] = -1.0;
        assert!(model.eval(&p, &[3.0, 0.0]).is_none());
        p[0] = -0.5;
        assert!(model.eval(&p, &[3.0, 0.0]).is_some());
    }
}
