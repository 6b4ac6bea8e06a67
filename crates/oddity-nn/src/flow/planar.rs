//! Planar flows for flow-augmented VAE posteriors (physics-spec §7.7; Rezende & Mohamed,
//! "Variational Inference with Normalizing Flows", arXiv 1505.05770, sec. 4.1 and
//! appendix A.1; arXiv 2105.14027 sec. 4.5 uses 6 layers).
//!
//! One layer: z′ = z + û·tanh(wᵀz + b), with ln|det ∂z′/∂z| = ln|1 + ûᵀψ|,
//! ψ = (1 − tanh²(wᵀz + b))·w. The layer is invertible when wᵀû ≥ −1, which the
//! reparametrisation û = u + (m(wᵀu) − wᵀu)·w/‖w‖², m(a) = −1 + softplus(a), guarantees
//! (appendix A.1). Parameters are either learned globally ([`PlanarFlow`]) or produced per
//! event by an encoder (amortised, as in the VAE flows of arXiv 1803.05649): [`planar`] takes
//! them as tensors.
//!
//! The ELBO with a flow posterior (single sample, [`flow_kl`]):
//! KL term = ln q0(z0) − Σ_k ln|det ∂f_k/∂z_{k−1}| − ln p(z_K), q0 = N(μ, σ²), p = N(0, I),
//! with the prior evaluated at z_K. **Do not reproduce** (BEAD `VAEFlowLoss`): the analytic
//! KL(q0‖p) minus the mean log-det, i.e. the prior evaluated at z0.

use tch::{Tensor, nn};

use super::standard_normal_log_prob;

/// One planar step with the invertibility reparametrisation of u.
///
/// # Shapes
/// - `z`: `[B, D]`; `u`, `w`: `[B, D]` (amortised) or `[D]` (global); `b`: `[B]` or `[]`
/// - returns (`z′ [B, D]`, ln|det| `[B]`)
pub fn planar(z: &Tensor, u: &Tensor, w: &Tensor, b: &Tensor) -> (Tensor, Tensor) {
    let dot = |a: &Tensor, c: &Tensor| (a * c).sum_dim_intlist(-1, true, a.kind());
    let wu = dot(w, u);
    let m = wu.softplus() - 1.0;
    let u_hat = u + (m - &wu) * w / dot(w, w).clamp_min(1e-12);
    let pre = dot(w, z) + b.unsqueeze(-1); // [B, 1]
    let h = pre.tanh();
    let psi = (1.0 - h.square()) * w; // [B, D]
    let logdet = (dot(&psi, &u_hat) + 1.0).abs().log().squeeze_dim(-1);
    (z + &u_hat * h, logdet)
}

/// K planar layers with global (learned) parameters.
///
/// Tensor names: `layers.{k}.{u,w,b}` (`[D]`, `[D]`, `[]`).
#[derive(Debug)]
pub struct PlanarFlow {
    layers: Vec<(Tensor, Tensor, Tensor)>,
}

impl PlanarFlow {
    /// `layers` planar layers on `dim` latent dimensions (6 in arXiv 2105.14027), with
    /// u, w ~ N(0, 0.01²) and b = 0. (Not the identity: for small w the reparametrised û is
    /// of order 0.3/‖w‖ along w.)
    pub fn new(path: &nn::Path<'_>, dim: i64, layers: usize) -> Self {
        let init = nn::Init::Randn { mean: 0.0, stdev: 0.01 };
        let layers = (0..layers)
            .map(|k| {
                let p = path / "layers" / k;
                (p.var("u", &[dim], init), p.var("w", &[dim], init), p.var("b", &[], nn::Init::Const(0.0)))
            })
            .collect();
        Self { layers }
    }

    /// z_K = f_K∘…∘f_1(z0) and Σ_k ln|det ∂f_k/∂z_{k−1}|.
    ///
    /// # Shapes
    /// - `z0`: `[B, D]` → (`[B, D]`, `[B]`)
    pub fn forward(&self, z0: &Tensor) -> (Tensor, Tensor) {
        let mut z = z0.shallow_clone();
        let mut total = z0.zeros_like().sum_dim_intlist(-1, false, z0.kind());
        for (u, w, b) in &self.layers {
            let (next, ld) = planar(&z, u, w, b);
            total += ld;
            z = next;
        }
        (z, total)
    }
}

/// Per-event KL term of the flow ELBO: ln q0(z0) − Σ ln|det| − ln p(z_K), in nats, with
/// q0 = N(μ, exp(ln σ²)) and the standard-normal prior at z_K.
///
/// # Shapes
/// - `mu`, `logvar`, `z0`, `zk`: `[B, D]`; `sum_logdet`: `[B]` → `[B]`
pub fn flow_kl(mu: &Tensor, logvar: &Tensor, z0: &Tensor, zk: &Tensor, sum_logdet: &Tensor) -> Tensor {
    let d = mu.size().last().copied().unwrap_or(0) as f64;
    let ln_q0 = ((z0 - mu).square() / logvar.exp() + logvar).sum_dim_intlist(-1, false, mu.kind()) * -0.5
        - 0.5 * d * (2.0 * std::f64::consts::PI).ln();
    ln_q0 - sum_logdet - standard_normal_log_prob(zk)
}

/// The analytic KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ (μ² + σ² − ln σ² − 1), for comparison.
///
/// # Shapes
/// - `mu`, `logvar`: `[B, D]` → `[B]`
pub fn gaussian_kl(mu: &Tensor, logvar: &Tensor) -> Tensor {
    (mu.square() + logvar.exp() - logvar - 1.0).sum_dim_intlist(-1, false, mu.kind()) * 0.5
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

    /// Amortised parameters with strongly negative wᵀu (non-invertible without û).
    fn params(b: i64, d: i64) -> (Tensor, Tensor, Tensor) {
        tch::manual_seed(5);
        let w = Tensor::randn([b, d], F64) * 2.0;
        let u = -&w * 3.0 + Tensor::randn([b, d], F64) * 0.3;
        (u, w, Tensor::randn([b], F64))
    }

    #[test]
    fn log_det_matches_the_finite_difference_jacobian_and_stays_invertible() {
        let (b, d) = (8, 3);
        let (u, w, bias) = params(b, d);
        let z = Tensor::randn([b, d], F64);
        let (_, logdet) = planar(&z, &u, &w, &bias);
        let eps = 1e-6;
        let cols: Vec<Tensor> = (0..d)
            .map(|j| {
                let step = Tensor::zeros([1, d], F64).index_fill(1, &Tensor::from_slice(&[j]), eps);
                (planar(&(&z + &step), &u, &w, &bias).0 - planar(&(&z - &step), &u, &w, &bias).0) / (2.0 * eps)
            })
            .collect();
        let det = Tensor::linalg_det(&Tensor::stack(&cols, 2)); // [B]
        // det > 0 everywhere: the reparametrised layer is invertible (wᵀû ≥ −1).
        assert!(det.min().double_value(&[]) > 0.0);
        let diff = (det.log() - &logdet).abs().max().double_value(&[]);
        assert!(diff < 1e-6, "ln det vs finite differences: {diff}");
    }

    #[test]
    fn without_layers_the_kl_term_is_an_unbiased_gaussian_kl() {
        tch::manual_seed(9);
        let n = 20000;
        let mu = Tensor::from_slice(&[0.5f64, -1.0]).expand([n, 2], false);
        let logvar = Tensor::from_slice(&[-0.4f64, 0.3]).expand([n, 2], false);
        let z0 = &mu + Tensor::randn([n, 2], F64) * (&logvar * 0.5).exp();
        let zero = Tensor::zeros([n], F64);
        let kl = flow_kl(&mu, &logvar, &z0, &z0, &zero);
        let mean = kl.mean(Kind::Double).double_value(&[]);
        let se = kl.std(true).double_value(&[]) / (n as f64).sqrt();
        let exact = gaussian_kl(&mu, &logvar).double_value(&[0]);
        assert!((mean - exact).abs() < 4.0 * se, "MC {mean} ± {se} vs analytic {exact}");
    }

    #[test]
    fn prior_is_evaluated_at_z_k_not_z0_as_in_bead() {
        // q0 = N(0, I) = p, so KL(q0‖p) = 0, and an expanding planar layer (mean log-det > 0).
        // BEAD's KL(q0‖p) − mean log-det is then negative; the true KL(q_K‖p), which the
        // single-sample term estimates, is ≥ 0.
        tch::manual_seed(4);
        let n = 20000;
        let (mu, logvar) = (Tensor::zeros([n, 2], F64), Tensor::zeros([n, 2], F64));
        let z0 = Tensor::randn([n, 2], F64);
        let w = Tensor::from_slice(&[1.5f64, 0.0]);
        let u = Tensor::from_slice(&[2.0f64, 0.0]);
        let (zk, logdet) = planar(&z0, &u, &w, &Tensor::from_slice(&[0.0f64]).squeeze());
        let bead = (gaussian_kl(&mu, &logvar) - &logdet).mean(Kind::Double).double_value(&[]);
        let kl = flow_kl(&mu, &logvar, &z0, &zk, &logdet);
        let mean = kl.mean(Kind::Double).double_value(&[]);
        let se = kl.std(true).double_value(&[]) / (n as f64).sqrt();
        assert!(bead < -0.3, "BEAD's form {bead}");
        assert!(mean > -3.0 * se && mean > 0.0, "flow KL {mean} ± {se}");
    }

    #[test]
    fn global_flow_log_det_is_that_of_the_composition() {
        tch::manual_seed(2);
        let mut vs = nn::VarStore::new(Device::Cpu);
        let flow = PlanarFlow::new(&vs.root(), 3, 6);
        vs.double();
        assert_eq!(vs.variables().len(), 18);
        let z = Tensor::randn([4, 3], F64);
        let (_, logdet) = flow.forward(&z);
        let eps = 1e-6;
        let cols: Vec<Tensor> = (0..3i64)
            .map(|j| {
                let step = Tensor::zeros([1, 3], F64).index_fill(1, &Tensor::from_slice(&[j]), eps);
                (flow.forward(&(&z + &step)).0 - flow.forward(&(&z - &step)).0) / (2.0 * eps)
            })
            .collect();
        let det = Tensor::linalg_det(&Tensor::stack(&cols, 2));
        assert!(det.min().double_value(&[]) > 0.0);
        let diff = (det.log() - &logdet).abs().max().double_value(&[]);
        assert!(diff < 1e-6, "six layers: ln det vs finite differences {diff}");
    }
}
