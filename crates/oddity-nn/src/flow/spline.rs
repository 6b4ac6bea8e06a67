//! The monotone rational-quadratic spline of Durkan et al., "Neural Spline Flows"
//! (arXiv 1906.04032, sec. 3.1 and appendix A), with identity tails outside [−B, B]
//! (`bayesiains/nflows:nflows/transforms/splines/rational_quadratic.py`,
//! `unconstrained_rational_quadratic_spline` with `tails = "linear"`).
//!
//! On [−B, B] the spline has K bins with knots (x_k, y_k), k = 0..K, x_0 = y_0 = −B,
//! x_K = y_K = B, and positive derivatives δ_k at the knots; δ_0 = δ_K = 1 so the spline joins
//! the identity tails with a continuous first derivative. In bin k, with s_k = Δy_k/Δx_k and
//! ξ = (x − x_k)/Δx_k ∈ [0, 1]:
//!
//! g(x) = y_k + Δy_k·[s_k ξ² + δ_k ξ(1 − ξ)] / [s_k + (δ_{k+1} + δ_k − 2 s_k) ξ(1 − ξ)],
//!
//! dg/dx = s_k²·[δ_{k+1} ξ² + 2 s_k ξ(1 − ξ) + δ_k (1 − ξ)²] / [s_k + (δ_{k+1} + δ_k − 2 s_k) ξ(1 − ξ)]²
//!
//! (paper eqs. 4 and 5). The inverse solves the quadratic a ξ² + b ξ + c = 0 of appendix A
//! with the numerically stable root ξ = 2c/(−b − √(b² − 4ac)).
//!
//! The unconstrained parameters (a network's outputs) become bin widths and heights through a
//! softmax scaled to 2B with a floor of `min_bin_width`/`min_bin_height` per bin (fractions of
//! the interval), and derivatives through `min_derivative + softplus(·)`, as in nflows.
//! Everything is elementwise: each entry of `x` has its own spline.

use tch::{Kind, Tensor};

/// Shape and floors of the spline (nflows' defaults for the floors).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SplineConfig {
    /// Number of bins K.
    pub bins: i64,
    /// B: the spline acts on [−B, B], the identity outside.
    pub tail_bound: f64,
    /// Smallest bin width, as a fraction of 2B (K · min_bin_width must be < 1).
    pub min_bin_width: f64,
    /// Smallest bin height, as a fraction of 2B.
    pub min_bin_height: f64,
    /// Smallest derivative at an interior knot.
    pub min_derivative: f64,
}

impl Default for SplineConfig {
    /// The DarkMachines flow's 35 bins on [−5, 5] (physics-spec §7.6).
    fn default() -> Self {
        Self { bins: 35, tail_bound: 5.0, min_bin_width: 1e-3, min_bin_height: 1e-3, min_derivative: 1e-3 }
    }
}

impl SplineConfig {
    /// Unconstrained parameters per transformed value: K widths, K heights, K − 1 interior
    /// derivatives.
    pub fn params_per_dim(&self) -> i64 {
        3 * self.bins - 1
    }

    /// The unconstrained derivative that maps to δ = 1: ln(e^{1 − min_derivative} − 1)
    /// (softplus⁻¹), so all-zero widths and heights and this value give the identity.
    pub fn identity_derivative(&self) -> f64 {
        (1.0 - self.min_derivative).exp_m1().ln()
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.bins < 1 {
            return Err(format!("spline bins must be >= 1, got {}", self.bins));
        }
        if !(self.tail_bound > 0.0 && self.tail_bound.is_finite()) {
            return Err(format!("spline tail_bound must be > 0, got {}", self.tail_bound));
        }
        let k = self.bins as f64;
        for (name, v) in [("min_bin_width", self.min_bin_width), ("min_bin_height", self.min_bin_height)] {
            if !(v > 0.0 && v * k < 1.0) {
                return Err(format!(
                    "spline {name} must be > 0 with bins · {name} < 1, got {v} for {} bins",
                    self.bins
                ));
            }
        }
        if !(self.min_derivative > 0.0 && self.min_derivative < 1.0) {
            return Err(format!("spline min_derivative must be in (0, 1), got {}", self.min_derivative));
        }
        Ok(())
    }
}

/// Knot positions from unconstrained sizes: softmax, floor, cumulative sum scaled to [−B, B]
/// with the end knots pinned exactly.
///
/// # Shapes
/// - `unnormalized`: `[..., K]` → (`knots [..., K + 1]`, `sizes [..., K]`)
fn knots(unnormalized: &Tensor, min_size: f64, bound: f64) -> (Tensor, Tensor) {
    let k = unnormalized.size().last().copied().unwrap_or(1);
    let sizes = unnormalized.softmax(-1, unnormalized.kind()) * (1.0 - min_size * k as f64) + min_size;
    // Cumulative sums mapped onto [−B, B]: the first K − 1 are the interior knots.
    let cum = sizes.cumsum(-1, sizes.kind()) * (2.0 * bound) - bound;
    let edge = |v: f64| cum.narrow(-1, 0, 1).full_like(v);
    let knots = Tensor::cat(&[edge(-bound), cum.narrow(-1, 0, k - 1), edge(bound)], -1);
    let sizes = knots.narrow(-1, 1, k) - knots.narrow(-1, 0, k);
    (knots, sizes)
}

/// The bin of each value: the number of interior knots ≤ v (so 0..K−1 on [−B, B]).
///
/// # Shapes
/// - `v`: `[...]`, `knots`: `[..., K + 1]` → `[..., 1]` (i64)
fn bin_index(v: &Tensor, knots: &Tensor) -> Tensor {
    let k = knots.size().last().copied().unwrap_or(2) - 1;
    let inner = knots.narrow(-1, 1, k - 1);
    v.unsqueeze(-1).ge_tensor(&inner).sum_dim_intlist(-1, true, Kind::Int64)
}

/// The spline g (or g⁻¹ with `inverse`) of every entry of `x` and ln|dg/dx| (for the inverse,
/// ln|dg⁻¹/dy| = −ln|dg/dx| at x = g⁻¹(y)). Values outside [−B, B] pass unchanged with log-det 0.
///
/// # Shapes
/// - `x`: `[...]`
/// - `widths`, `heights`: `[..., K]` (unconstrained)
/// - `derivatives`: `[..., K − 1]` (unconstrained, interior knots)
/// - returns (`y [...]`, `logabsdet [...]`)
pub fn rq_spline(
    x: &Tensor,
    widths: &Tensor,
    heights: &Tensor,
    derivatives: &Tensor,
    config: &SplineConfig,
    inverse: bool,
) -> (Tensor, Tensor) {
    let b = config.tail_bound;
    let inside = x.ge(-b).logical_and(&x.le(b));
    // Evaluate on the clamped values everywhere (finite in both branches), select afterwards.
    let xc = x.clamp(-b, b);
    let (cw, w) = knots(widths, config.min_bin_width, b);
    let (ch, h) = knots(heights, config.min_bin_height, b);
    // δ at all K + 1 knots: 1 at both ends (identity tails), min + softplus inside.
    let one = widths.narrow(-1, 0, 1).ones_like();
    let d = Tensor::cat(&[one.shallow_clone(), derivatives.softplus() + config.min_derivative, one], -1);

    let idx = bin_index(&xc, if inverse { &ch } else { &cw });
    let at = |t: &Tensor| t.gather(-1, &idx, false).squeeze_dim(-1);
    let (x_k, w_k, y_k, h_k) = (at(&cw), at(&w), at(&ch), at(&h));
    let s = &h_k / &w_k;
    let d_k = at(&d);
    let d_k1 = d.narrow(-1, 1, config.bins).gather(-1, &idx, false).squeeze_dim(-1);
    let curvature = &d_k1 + &d_k - &s * 2.0;

    let (y, xi) = if inverse {
        let dy = &xc - &y_k;
        let a = &dy * &curvature + &h_k * (&s - &d_k);
        let bq = &h_k * &d_k - &dy * &curvature;
        let c = -(&s * &dy);
        let disc = (bq.square() - a * &c * 4.0).clamp_min(0.0);
        let xi = (c * 2.0) / (-bq - disc.sqrt());
        (&xi * &w_k + &x_k, xi)
    } else {
        let xi = (&xc - &x_k) / &w_k;
        let xi1 = &xi * (1.0 - &xi);
        let num = &h_k * (&s * xi.square() + &d_k * &xi1);
        let den = &s + &curvature * &xi1;
        (&y_k + num / den, xi)
    };
    let xi1 = &xi * (1.0 - &xi);
    let den = &s + &curvature * &xi1;
    let one_minus: Tensor = 1.0 - &xi;
    let dnum = s.square() * (&d_k1 * xi.square() + &s * &xi1 * 2.0 + &d_k * one_minus.square());
    let logdet = dnum.log() - den.log() * 2.0;
    let logdet = if inverse { -logdet } else { logdet };
    (y.where_self(&inside, x), logdet.where_self(&inside, &logdet.zeros_like()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(shape: &[i64], cfg: &SplineConfig, seed: i64) -> (Tensor, Tensor, Tensor) {
        tch::manual_seed(seed);
        let opts = (Kind::Double, tch::Device::Cpu);
        let mut s = shape.to_vec();
        s.push(cfg.bins);
        let w = Tensor::randn(s.as_slice(), opts) * 2.0;
        let h = Tensor::randn(s.as_slice(), opts) * 2.0;
        let last = s.len() - 1;
        s[last] = cfg.bins - 1;
        let d = Tensor::randn(s.as_slice(), opts) * 2.0;
        (w, h, d)
    }

    fn max_abs(t: &Tensor) -> f64 {
        t.abs().max().double_value(&[])
    }

    fn cfg(bins: i64) -> SplineConfig {
        SplineConfig { bins, tail_bound: 3.0, ..SplineConfig::default() }
    }

    #[test]
    fn inverse_round_trips() {
        for bins in [1, 4, 35] {
            let c = cfg(bins);
            let (w, h, d) = params(&[64, 5], &c, 1);
            let x = Tensor::randn([64, 5], (Kind::Double, tch::Device::Cpu)) * 2.0;
            let (y, ld) = rq_spline(&x, &w, &h, &d, &c, false);
            let (back, ld_inv) = rq_spline(&y, &w, &h, &d, &c, true);
            assert!(max_abs(&(&back - &x)) < 1e-5, "bins {bins}: round trip off by {}", max_abs(&(&back - &x)));
            assert!(max_abs(&(&ld + &ld_inv)) < 1e-5, "bins {bins}: log-dets do not cancel");
            // f32 too (the training dtype): the error measured in y units (|Δx|·dg/dx), as the
            // inverse amplifies rounding by dx/dy (up to ~1/min_bin_height in flat bins).
            let f = |t: &Tensor| t.to_kind(Kind::Float);
            let (y32, _) = rq_spline(&f(&x), &f(&w), &f(&h), &f(&d), &c, false);
            let (back32, _) = rq_spline(&y32, &f(&w), &f(&h), &f(&d), &c, true);
            let err = max_abs(&((back32 - f(&x)).to_kind(Kind::Double) * ld.exp()));
            assert!(err < 1e-4, "bins {bins}: f32 round trip off by {err} (y units)");
        }
    }

    #[test]
    fn log_det_is_the_numerical_derivative() {
        let c = cfg(8);
        let (w, h, d) = params(&[200], &c, 2);
        let x = Tensor::rand([200], (Kind::Double, tch::Device::Cpu)) * 5.8 - 2.9;
        let eps = 1e-6;
        let (_, ld) = rq_spline(&x, &w, &h, &d, &c, false);
        let (yp, _) = rq_spline(&(&x + eps), &w, &h, &d, &c, false);
        let (ym, _) = rq_spline(&(&x - eps), &w, &h, &d, &c, false);
        let numerical = ((yp - ym) / (2.0 * eps)).log();
        // Central differences across a knot see two bins; their derivatives agree at the knot.
        assert!(max_abs(&(&ld - &numerical)) < 1e-5, "log-det vs finite differences: {}", max_abs(&(ld - numerical)));
        // And the inverse's log-det is the derivative of the inverse.
        let y = Tensor::rand([200], (Kind::Double, tch::Device::Cpu)) * 5.8 - 2.9;
        let (_, ld) = rq_spline(&y, &w, &h, &d, &c, true);
        let (xp, _) = rq_spline(&(&y + eps), &w, &h, &d, &c, true);
        let (xm, _) = rq_spline(&(&y - eps), &w, &h, &d, &c, true);
        let numerical = ((xp - xm) / (2.0 * eps)).log();
        assert!(max_abs(&(ld - numerical)) < 1e-5, "inverse log-det vs finite differences");
    }

    #[test]
    fn identity_outside_the_bound_and_monotone_inside() {
        let c = cfg(6);
        let (w, h, d) = params(&[7], &c, 3);
        let x = Tensor::from_slice(&[-10.0f64, -3.0001, -3.0, 0.3, 3.0, 3.0001, 42.0]);
        let (y, ld) = rq_spline(&x, &w, &h, &d, &c, false);
        let y: Vec<f64> = y.try_into().unwrap_or_default();
        let ld: Vec<f64> = ld.try_into().unwrap_or_default();
        for i in [0, 1, 5, 6] {
            assert_eq!(y[i], [-10.0, -3.0001, -3.0, 0.3, 3.0, 3.0001, 42.0][i]);
            assert_eq!(ld[i], 0.0);
        }
        // The end knots are fixed points.
        assert!((y[2] + 3.0).abs() < 1e-12 && (y[4] - 3.0).abs() < 1e-12);
        // Monotone: a sorted grid stays sorted (one spline for all entries).
        let grid = Tensor::linspace(-3.0, 3.0, 301, (Kind::Double, tch::Device::Cpu));
        let one = |t: &Tensor| t.get(0).unsqueeze(0).expand([301, -1], false);
        let (g, _) = rq_spline(&grid, &one(&w), &one(&h), &one(&d), &c, false);
        let steps = g.narrow(0, 1, 300) - g.narrow(0, 0, 300);
        assert!(steps.min().double_value(&[]) > 0.0);
    }

    #[test]
    fn identity_parameters_give_the_identity() {
        let c = SplineConfig::default();
        let x = Tensor::linspace(-6.0, 6.0, 97, (Kind::Double, tch::Device::Cpu));
        let z = |k: i64| Tensor::zeros([97, k], (Kind::Double, tch::Device::Cpu));
        let d = z(c.bins - 1) + c.identity_derivative();
        let (y, ld) = rq_spline(&x, &z(c.bins), &z(c.bins), &d, &c, false);
        assert!(max_abs(&(y - &x)) < 1e-12);
        assert!(max_abs(&ld) < 1e-12);
    }
}
