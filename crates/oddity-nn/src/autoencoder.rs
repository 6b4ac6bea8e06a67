//! Dense autoencoders and variational autoencoders (physics-spec §7.4, §7.5), built from two
//! [`Mlp`]s.
//!
//! - The **encoder** is an MLP input → hidden widths → latent (`latent` outputs for the
//!   autoencoder; `2·latent` for the VAE, whose first half is μ and second half ln σ², i.e.
//!   the two heads of the VAE as one Dense layer).
//! - The **decoder** mirrors it: latent → the hidden widths reversed → input width, same
//!   activation, BatchNorm and dropout settings, linear output.
//!
//! Losses per event ([`mse_per_event`], [`kl_per_event`]) are separate functions so the
//! detectors can weight, combine and score with them.
//!
//! Tensor names (safetensors, PyTorch `state_dict` style, see [`crate::mlp`]):
//! `encoder.layers.{k}.linear.{weight,bias}`, `encoder.out.{weight,bias}`, and the same under
//! `decoder.`; `tools/reference/ae_reference.py` builds the same modules in PyTorch.

use tch::nn::Path;
use tch::{Kind, Tensor};

use crate::mlp::{Mlp, MlpConfig};

/// An autoencoder or a VAE.
#[derive(Debug)]
pub struct Autoencoder {
    encoder: Mlp,
    decoder: Mlp,
    latent: i64,
    variational: bool,
}

/// What one forward pass produced.
#[derive(Debug)]
pub struct AeOutput {
    /// `[B, D]` the reconstruction.
    pub recon: Tensor,
    /// `[B, z]` the latent code (the autoencoder) or μ (the VAE).
    pub mu: Tensor,
    /// `[B, z]` ln σ² (the VAE only).
    pub logvar: Option<Tensor>,
}

impl Autoencoder {
    /// Creates the parameters under `path`: the encoder from `encoder` (its `input_dim`,
    /// `hidden`, activation and norms; its `out_dim` is replaced by the latent width) and the
    /// mirrored decoder.
    pub fn new(path: &Path<'_>, encoder: &MlpConfig, latent: i64, variational: bool) -> Self {
        let enc = MlpConfig { out_dim: if variational { 2 * latent } else { latent }, ..encoder.clone() };
        let dec = MlpConfig {
            input_dim: latent,
            hidden: encoder.hidden.iter().rev().copied().collect(),
            out_dim: encoder.input_dim,
            ..encoder.clone()
        };
        Self {
            encoder: Mlp::new(&(path / "encoder"), &enc),
            decoder: Mlp::new(&(path / "decoder"), &dec),
            latent,
            variational,
        }
    }

    pub fn latent(&self) -> i64 {
        self.latent
    }

    pub fn is_variational(&self) -> bool {
        self.variational
    }

    /// The latent code (autoencoder) or (μ, ln σ²) (VAE).
    ///
    /// # Shapes
    /// - `x`: `[B, D]` → `[B, z]` and, for the VAE, `[B, z]`
    pub fn encode(&self, x: &Tensor, train: bool) -> (Tensor, Option<Tensor>) {
        let h = self.encoder.forward_t(x, train);
        if self.variational {
            let parts = h.split(self.latent, 1);
            (parts[0].shallow_clone(), Some(parts[1].shallow_clone()))
        } else {
            (h, None)
        }
    }

    /// # Shapes
    /// - `z`: `[B, z]` → `[B, D]`
    pub fn decode(&self, z: &Tensor, train: bool) -> Tensor {
        self.decoder.forward_t(z, train)
    }

    /// Encodes and decodes `x`. The VAE decodes z = μ + σ·ε (the reparameterisation, σ =
    /// exp(½ ln σ²)) when `eps` is given, and μ itself otherwise (deterministic scoring).
    /// Draw ε with [`Tensor::randn_like`] on μ: libtorch's generator, which the training loop
    /// reseeds every epoch.
    ///
    /// # Shapes
    /// - `x`: `[B, D]`, `eps`: `[B, z]` → recon `[B, D]`, μ and ln σ² `[B, z]`
    pub fn forward_t(&self, x: &Tensor, eps: Option<&Tensor>, train: bool) -> AeOutput {
        let (mu, logvar) = self.encode(x, train);
        let z = match (&logvar, eps) {
            (Some(lv), Some(e)) => &mu + (lv * 0.5).exp() * e,
            _ => mu.shallow_clone(),
        };
        AeOutput { recon: self.decode(&z, train), mu, logvar }
    }
}

/// Per-event mean squared error, the mean over the D features of (x − x̂)².
///
/// # Shapes
/// - `x`, `recon`: `[B, D]` → `[B]`
pub fn mse_per_event(x: &Tensor, recon: &Tensor) -> Tensor {
    (recon - x).square().mean_dim(1, false, Kind::Float)
}

/// Per-event KL divergence of N(μ, σ²) from N(0, 1), summed over the latent dimensions:
/// ½ Σ_k (μ_k² + σ_k² − ln σ_k² − 1) (Kingma & Welling, arXiv 1312.6114 appendix B;
/// arXiv 2105.14027 eq. 4.1). Dimensionless, ≥ 0, 0 only for μ = 0, σ = 1.
///
/// # Shapes
/// - `mu`, `logvar`: `[B, z]` → `[B]`
pub fn kl_per_event(mu: &Tensor, logvar: &Tensor) -> Tensor {
    ((mu.square() + logvar.exp() - logvar - 1.0) * 0.5).sum_dim_intlist(1, false, Kind::Float)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;
    use tch::nn::VarStore;

    fn config() -> MlpConfig {
        MlpConfig { input_dim: 6, hidden: vec![5, 4], batchnorm: false, ..MlpConfig::default() }
    }

    #[test]
    fn decoder_mirrors_the_encoder() {
        let vs = VarStore::new(Device::Cpu);
        let ae = Autoencoder::new(&vs.root(), &config(), 3, true);
        let vars = vs.variables();
        let shape = |n: &str| vars[n].size();
        assert_eq!(shape("encoder.layers.0.linear.weight"), vec![5, 6]);
        assert_eq!(shape("encoder.out.weight"), vec![6, 4]); // μ and ln σ², 3 each
        assert_eq!(shape("decoder.layers.0.linear.weight"), vec![4, 3]);
        assert_eq!(shape("decoder.layers.1.linear.weight"), vec![5, 4]);
        assert_eq!(shape("decoder.out.weight"), vec![6, 5]);
        let out = ae.forward_t(&Tensor::ones([2, 6], (Kind::Float, Device::Cpu)), None, false);
        assert_eq!(out.recon.size(), vec![2, 6]);
        assert_eq!(out.mu.size(), vec![2, 3]);
        assert_eq!(out.logvar.map(|t| t.size()), Some(vec![2, 3]));
    }

    #[test]
    fn losses_by_hand() {
        let x = Tensor::from_slice(&[1.0f32, 2.0, 0.0, 0.0]).reshape([2, 2]);
        let r = Tensor::from_slice(&[0.0f32, 2.0, 3.0, -1.0]).reshape([2, 2]);
        let mse: Vec<f32> = mse_per_event(&x, &r).try_into().expect("f32");
        assert_eq!(mse, vec![0.5, 5.0]);
        // μ = (1, 0), ln σ² = (0, ln 2): ½(1 + 1 − 0 − 1) + ½(0 + 2 − ln 2 − 1) = 0.5 + 0.1534.
        let mu = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 0.0]).reshape([2, 2]);
        let lv = Tensor::from_slice(&[0.0f32, 2f32.ln(), 0.0, 0.0]).reshape([2, 2]);
        let kl: Vec<f32> = kl_per_event(&mu, &lv).try_into().expect("f32");
        assert!((kl[0] - (0.5 + 0.5 * (1.0 - 2f32.ln()))).abs() < 1e-6, "{kl:?}");
        assert_eq!(kl[1], 0.0);
    }

    #[test]
    fn reparameterisation_uses_eps_and_scoring_uses_mu() {
        let vs = VarStore::new(Device::Cpu);
        let ae = Autoencoder::new(&vs.root(), &config(), 3, true);
        let x = Tensor::from_slice(&[0.5f32, -1.0, 2.0, 0.0, 1.0, 3.0]).reshape([1, 6]);
        let plain = ae.forward_t(&x, None, false);
        let zero = ae.forward_t(&x, Some(&Tensor::zeros([1, 3], (Kind::Float, Device::Cpu))), false);
        assert!(plain.recon.allclose(&zero.recon, 0.0, 0.0, false));
        let noisy = ae.forward_t(&x, Some(&Tensor::ones([1, 3], (Kind::Float, Device::Cpu))), false);
        assert!(!plain.recon.allclose(&noisy.recon, 1e-6, 1e-6, false));
    }
}
