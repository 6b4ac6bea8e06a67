//! The detectors, one file each.

pub mod anneal;
pub mod autoencoder;
mod checkpoints;
pub mod ddd;
pub mod deep_svdd;
pub mod drocc;
pub mod flow;
pub mod latent_head;
pub mod vae;
