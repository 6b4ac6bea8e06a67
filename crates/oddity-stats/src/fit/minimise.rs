//! A damped Newton (Levenberg–Marquardt) minimiser for at most six parameters.
//!
//! Why hand-written rather than `argmin`: the objectives here (binned Poisson −ln L and
//! Neyman χ² of an exponential-of-linear model) come with an exact analytic gradient and
//! Hessian at the cost of one pass over the quadrature nodes, and are close to convex in the
//! internal parameters (for narrow bins ν_i ≈ Δ_i·exp(θ·g(x_i)), so −n ln ν is linear in θ and
//! Σν convex). Newton's method with Marquardt damping therefore converges quadratically in a
//! handful of iterations and falls back to scaled gradient descent far from the minimum,
//! without line-search tuning. `argmin` offers Newton, BFGS, trust regions and Nelder–Mead
//! but would still need these derivatives from us, plus a linear-algebra backend (ndarray or
//! nalgebra) as new dependencies for 6 × 6 matrices; Nelder–Mead needs hundreds of evaluations
//! and gives no Hessian for the uncertainties. The whole solver below is a Cholesky
//! factorisation and a damping loop.

/// Largest number of parameters: five shape parameters and the signal strength.
pub(crate) const MAX_DIM: usize = 6;
pub(crate) type Vector = [f64; MAX_DIM];
pub(crate) type Matrix = [[f64; MAX_DIM]; MAX_DIM];

/// Objective value, gradient and Hessian at one point (entries beyond the model's dimension
/// are zero).
#[derive(Debug, Clone)]
pub(crate) struct Eval {
    pub value: f64,
    pub grad: Vector,
    pub hess: Matrix,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Newton iterations at most.
    pub max_iterations: usize,
    /// Convergence when the estimated distance to the minimum, EDM = ½·gᵀH⁻¹g (in units of the
    /// objective, as in MINUIT), falls below this.
    pub edm_tolerance: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self { max_iterations: 200, edm_tolerance: 1e-7 }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    pub params: Vector,
    pub value: f64,
    pub edm: f64,
    pub iterations: usize,
    pub converged: bool,
    /// Hessian of the objective at `params` over all parameters (free and fixed).
    pub hess: Matrix,
}

/// Largest damping before the search gives up (the step is then ~1e-12 of a Newton step).
const MAX_DAMPING: f64 = 1e12;

/// Minimises `objective` over the parameters listed in `free` (the others stay at `start`).
/// `objective` returns `None` where the model is invalid (a non-positive expectation, an
/// overflow); such trial points are rejected like uphill steps. Returns `None` only if
/// `start` itself is invalid.
pub(crate) fn minimise(
    mut objective: impl FnMut(&Vector) -> Option<Eval>,
    start: Vector,
    free: &[usize],
    settings: &Settings,
) -> Option<Minimum> {
    let k = free.len();
    let mut x = start;
    let mut current = objective(&x)?;
    let mut damping = 0.0;
    let mut iterations = 0;
    let mut edm = f64::INFINITY;
    while iterations < settings.max_iterations {
        let (a, b) = restrict(&current, free);
        edm = estimated_distance(&a, &b, k);
        if edm < settings.edm_tolerance {
            break;
        }
        iterations += 1;
        let Some((trial, eval, used)) = damped_step(&mut objective, &x, &current, &a, &b, free, damping) else {
            break; // no downhill step even with the largest damping: stalled
        };
        x = trial;
        current = eval;
        damping = if used < 1e-6 { 0.0 } else { used * 0.1 };
    }
    let converged = edm < settings.edm_tolerance;
    Some(Minimum { params: x, value: current.value, edm, iterations, converged, hess: current.hess })
}

/// Tries steps (A + λ·diag|A|)·δ = −b with growing λ until one lowers the objective.
/// Returns the new point, its evaluation and the damping used.
fn damped_step(
    objective: &mut impl FnMut(&Vector) -> Option<Eval>,
    x: &Vector,
    current: &Eval,
    a: &Matrix,
    b: &Vector,
    free: &[usize],
    mut damping: f64,
) -> Option<(Vector, Eval, f64)> {
    let k = free.len();
    loop {
        let mut damped = *a;
        for (i, row) in damped.iter_mut().enumerate().take(k) {
            let scale = if a[i][i].abs() > 0.0 { a[i][i].abs() } else { 1.0 };
            row[i] += damping * scale;
        }
        if let Some(l) = cholesky(&damped, k) {
            let step = solve(&l, b, k);
            let mut trial = *x;
            for (j, &p) in free.iter().enumerate() {
                trial[p] -= step[j];
            }
            if let Some(eval) = objective(&trial).filter(|e| e.value <= current.value) {
                return Some((trial, eval, damping));
            }
        }
        damping = if damping == 0.0 { 1e-4 } else { damping * 10.0 };
        if damping > MAX_DAMPING {
            return None;
        }
    }
}

/// EDM = ½·bᵀA⁻¹b, or +∞ where A is not positive definite.
fn estimated_distance(a: &Matrix, b: &Vector, k: usize) -> f64 {
    match cholesky(a, k) {
        Some(l) => 0.5 * solve(&l, b, k).iter().zip(b).take(k).map(|(s, g)| s * g).sum::<f64>(),
        None => f64::INFINITY,
    }
}

/// The gradient and Hessian restricted to the free parameters.
fn restrict(eval: &Eval, free: &[usize]) -> (Matrix, Vector) {
    let mut a = [[0.0; MAX_DIM]; MAX_DIM];
    let mut b = [0.0; MAX_DIM];
    for (i, &p) in free.iter().enumerate() {
        b[i] = eval.grad[p];
        for (j, &q) in free.iter().enumerate() {
            a[i][j] = eval.hess[p][q];
        }
    }
    (a, b)
}

/// Lower Cholesky factor of the leading k × k block of a symmetric matrix, or `None` if it is
/// not (numerically) positive definite.
pub(crate) fn cholesky(a: &Matrix, k: usize) -> Option<Matrix> {
    let mut l = [[0.0; MAX_DIM]; MAX_DIM];
    for i in 0..k {
        for j in 0..=i {
            let s = a[i][j] - (0..j).map(|m| l[i][m] * l[j][m]).sum::<f64>();
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

/// Solves L·Lᵀ·x = b for the leading k entries.
fn solve(l: &Matrix, b: &Vector, k: usize) -> Vector {
    let mut y = [0.0; MAX_DIM];
    for i in 0..k {
        y[i] = (b[i] - (0..i).map(|m| l[i][m] * y[m]).sum::<f64>()) / l[i][i];
    }
    let mut x = [0.0; MAX_DIM];
    for i in (0..k).rev() {
        x[i] = (y[i] - (i + 1..k).map(|m| l[m][i] * x[m]).sum::<f64>()) / l[i][i];
    }
    x
}

/// Inverse of the block of `a` over the indices `free` (as a k × k matrix in that order), or
/// `None` if that block is not positive definite.
pub(crate) fn inverse_block(a: &Matrix, free: &[usize]) -> Option<Matrix> {
    let k = free.len();
    let mut sub = [[0.0; MAX_DIM]; MAX_DIM];
    for (i, &p) in free.iter().enumerate() {
        for (j, &q) in free.iter().enumerate() {
            sub[i][j] = a[p][q];
        }
    }
    let l = cholesky(&sub, k)?;
    let mut inv = [[0.0; MAX_DIM]; MAX_DIM];
    for j in 0..k {
        let mut e = [0.0; MAX_DIM];
        e[j] = 1.0;
        let col = solve(&l, &e, k);
        for i in 0..k {
            inv[i][j] = col[i];
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIGHT: Settings = Settings { max_iterations: 200, edm_tolerance: 1e-20 };

    /// Rosenbrock's valley, f = (1 − x)² + 100 (y − x²)², minimum at (1, 1).
    fn rosenbrock(p: &Vector) -> Option<Eval> {
        let (x, y) = (p[0], p[1]);
        let mut e =
            Eval { value: (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2), grad: [0.0; 6], hess: [[0.0; 6]; 6] };
        e.grad[0] = -2.0 * (1.0 - x) - 400.0 * x * (y - x * x);
        e.grad[1] = 200.0 * (y - x * x);
        e.hess[0][0] = 2.0 - 400.0 * (y - x * x) + 800.0 * x * x;
        e.hess[0][1] = -400.0 * x;
        e.hess[1][0] = -400.0 * x;
        e.hess[1][1] = 200.0;
        Some(e)
    }

    #[test]
    fn finds_the_rosenbrock_minimum_from_an_indefinite_start() {
        let start = [-1.2, 1.0, 0.0, 0.0, 0.0, 0.0];
        let m = minimise(rosenbrock, start, &[0, 1], &TIGHT).expect("valid start");
        assert!(m.converged, "{m:?}");
        assert!((m.params[0] - 1.0).abs() < 1e-8 && (m.params[1] - 1.0).abs() < 1e-8, "{m:?}");
    }

    #[test]
    fn fixed_parameters_stay_put() {
        let start = [0.5, 3.0, 0.0, 0.0, 0.0, 0.0];
        let m = minimise(rosenbrock, start, &[0], &TIGHT).expect("valid start");
        assert_eq!(m.params[1], 3.0);
        // ∂f/∂x = 0 at fixed y = 3: x³ − (y − 1/200)·x − 1/200 = 0 near √3.
        assert!(m.grad_is_small(rosenbrock));
    }

    #[test]
    #[allow(clippy::needless_range_loop)] // matrix indices read best as indices
    fn inverse_block_inverts() {
        let mut a = [[0.0; 6]; 6];
        a[0] = [4.0, 1.0, 0.5, 0.0, 0.0, 0.0];
        a[1] = [1.0, 3.0, 0.2, 0.0, 0.0, 0.0];
        a[2] = [0.5, 0.2, 2.0, 0.0, 0.0, 0.0];
        let inv = inverse_block(&a, &[0, 1, 2]).expect("positive definite");
        for i in 0..3 {
            for j in 0..3 {
                let prod: f64 = (0..3).map(|m| a[i][m] * inv[m][j]).sum();
                assert!((prod - f64::from(u8::from(i == j))).abs() < 1e-12);
            }
        }
        a[2][2] = -1.0;
        assert!(inverse_block(&a, &[0, 1, 2]).is_none());
    }

    impl Minimum {
        fn grad_is_small(&self, f: impl Fn(&Vector) -> Option<Eval>) -> bool {
            f(&self.params).is_some_and(|e| e.grad[0].abs() < 1e-6)
        }
    }
}
