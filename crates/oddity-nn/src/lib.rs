//! Oddity's neural engine on libtorch through `tch` 0.24 and PyTorch 2.11.0 (design
//! decision D1).
//!
//! - [`mlp`]: the DDD study's MLP (physics-spec §6.1).
//! - [`autoencoder`]: dense autoencoder and VAE from two MLPs, per-event MSE and KL (§7.4).
//! - [`part`]: the Particle Transformer with pair bias and the SM channel (§6.2).
//! - [`flow`]: the rational-quadratic spline autoregressive flow (§7.6); planar and IAF
//!   posterior flows (§7.7).
//! - [`contrastive`]: SupCon and NT-Xent terms of the contrastive VAE (§7.7).
//! - [`optim`]: Adam/AdamW with saveable state.
//! - [`train`]: the one training loop (schedules, early stopping, checkpoints, exact resume).
//! - [`weights`]: safetensors interchange with PyTorch (`docs/nn-weights.md`).
//! - [`device`]: `cpu`, `cuda[:N]`, `auto`.
//! - [`dropout`]: dropout with a fast counter-based mask on CPU.
//!
//! libtorch comes from the project's PyTorch environment (`scripts/setup-libtorch.sh`); the
//! build scripts link binaries and tests with a RUNPATH to it and keep `libtorch_cuda.so`
//! (`torch_link.rs`).

pub mod autoencoder;
pub mod contrastive;
pub mod device;
pub mod dropout;
pub mod flow;
pub mod mlp;
pub mod optim;
pub mod part;
pub mod train;
pub mod weights;

pub use autoencoder::{AeOutput, Autoencoder};
pub use device::parse_device;
pub use flow::{FlowConfig, SplineFlow};
pub use mlp::{Activation, Mlp, MlpConfig};
pub use part::{PartConfig, PartInput, ParticleTransformer};

/// True when libtorch sees a usable CUDA device.
pub fn cuda_available() -> bool {
    tch::Cuda::is_available()
}

#[cfg(test)]
mod tests {
    #[test]
    fn libtorch_runs() {
        let t = tch::Tensor::from_slice(&[1.0f32, 2.0, 3.0]);
        assert_eq!(t.sum(tch::Kind::Float).double_value(&[]), 6.0);
    }
}
