//! Inverse autoregressive flows for VAE posteriors (Kingma et al., "Improved Variational
//! Inference with Inverse Autoregressive Flow", arXiv 1606.04934, eqs. 10–14; physics-spec
//! §7.7; arXiv 2105.14027 sec. 4.5 uses MADE 4 × 330).
//!
//! One layer, with a MADE of z giving (m, s) per latent dimension (so m_i, s_i depend on
//! z_1..z_{i−1} only and the Jacobian is triangular):
//!
//! σ = sigmoid(s + `GATE_BIAS`), z′ = σ ⊙ z + (1 − σ) ⊙ m, ln|det ∂z′/∂z| = Σ_i ln σ_i,
//!
//! the numerically stable "LSTM-type" update of the paper (eq. 14). The dimension order is
//! reversed between layers. The MADE output layers start at zero, so an untrained layer is
//! z′ = sigmoid(`GATE_BIAS`)·z: the paper recommends initialising s "sufficiently positive,
//! close to +1 or +2"; *project choice*: +2. No context input from the encoder (the paper's
//! h); the flow is the same for every event, its input z0 is not.
//!
//! Tensor names: `layers.{k}.made.{hidden.{j},out}.{weight,bias}`, outputs grouped per
//! dimension (m then s).

use tch::{Tensor, nn};

use super::made::Made;

/// Added to the MADE's s before the sigmoid.
pub const GATE_BIAS: f64 = 2.0;

/// K IAF layers on `dim` latent dimensions.
#[derive(Debug)]
pub struct Iaf {
    layers: Vec<Made>,
}

impl Iaf {
    /// `layers` layers, each with a MADE of hidden widths `hidden` (ReLU).
    pub fn new(path: &nn::Path<'_>, dim: i64, layers: usize, hidden: &[i64]) -> Self {
        let layers = (0..layers).map(|k| Made::new(&(path / "layers" / k / "made"), dim, hidden, 2, true)).collect();
        Self { layers }
    }

    /// z_K = f_K∘…∘f_1(z0) and Σ_k ln|det ∂f_k/∂z_{k−1}|.
    ///
    /// # Shapes
    /// - `z0`: `[B, D]` → (`[B, D]`, `[B]`)
    pub fn forward(&self, z0: &Tensor) -> (Tensor, Tensor) {
        let mut z = z0.shallow_clone();
        let mut total = z0.zeros_like().sum_dim_intlist(-1, false, z0.kind());
        for (k, made) in self.layers.iter().enumerate() {
            if k > 0 {
                z = z.flip([1]);
            }
            let p = made.forward(&z); // [B, D, 2]
            let m = p.select(-1, 0);
            let gate = p.select(-1, 1) + GATE_BIAS;
            let sigma = gate.sigmoid();
            total += gate.log_sigmoid().sum_dim_intlist(-1, false, z.kind());
            z = &sigma * &z + (1.0 - &sigma) * m;
        }
        (z, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    const F64: (Kind, Device) = (Kind::Double, Device::Cpu);

    #[test]
    fn log_det_matches_the_finite_difference_jacobian() {
        tch::manual_seed(3);
        let mut vs = nn::VarStore::new(Device::Cpu);
        let iaf = Iaf::new(&vs.root(), 3, 2, &[16, 16]);
        // Random output layers (not the zero start), so the test sees a non-trivial flow.
        tch::no_grad(|| {
            for (_, v) in vs.variables() {
                v.shallow_clone().copy_(&(Tensor::randn_like(&v) * 0.5));
            }
        });
        vs.double();
        let z = Tensor::randn([5, 3], F64);
        let (_, logdet) = iaf.forward(&z);
        let eps = 1e-6;
        let cols: Vec<Tensor> = (0..3i64)
            .map(|j| {
                let step = Tensor::zeros([1, 3], F64).index_fill(1, &Tensor::from_slice(&[j]), eps);
                (iaf.forward(&(&z + &step)).0 - iaf.forward(&(&z - &step)).0) / (2.0 * eps)
            })
            .collect();
        let det = Tensor::linalg_det(&Tensor::stack(&cols, 2));
        let diff = (det.abs().log() - &logdet).abs().max().double_value(&[]);
        assert!(diff < 1e-6, "ln|det| vs finite differences: {diff}");
    }

    #[test]
    fn untrained_layers_scale_by_the_gate() {
        let vs = nn::VarStore::new(Device::Cpu);
        let iaf = Iaf::new(&vs.root(), 4, 1, &[8]);
        let z = Tensor::randn([6, 4], (Kind::Float, Device::Cpu));
        let (zk, ld) = iaf.forward(&z);
        let s = 1.0 / (1.0 + (-GATE_BIAS).exp());
        assert!((zk - &z * s).abs().max().double_value(&[]) < 1e-6);
        assert!((ld - 4.0 * s.ln()).abs().max().double_value(&[]) < 1e-5);
    }
}
