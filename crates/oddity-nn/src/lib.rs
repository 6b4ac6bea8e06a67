//! Oddity's neural engine on libtorch through `tch` (design decision D1).

pub mod mlp;
pub mod optim;
pub mod part;
pub mod train;
pub mod weights;

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
