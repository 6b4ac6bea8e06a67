//! The detectors, one file each.

pub mod deep_svdd;
