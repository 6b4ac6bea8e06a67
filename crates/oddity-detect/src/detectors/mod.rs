//! The detectors, one file each.

pub mod autoencoder;
pub mod ddd;
pub mod deep_svdd;
pub mod drocc;
pub mod flow;
pub mod vae;
