//! The posterior of a VAE (physics-spec §7.7): the diagonal Gaussian q0(z|x) = N(μ, σ²),
//! optionally followed by a normalising flow z_K = f_K∘…∘f_1(z0) ([`planar`](super::planar)
//! or [`iaf`](super::iaf)), as in the flow-augmented VAEs of arXiv 2105.14027 sec. 4.5.

use serde::{Deserialize, Serialize};
use tch::{Tensor, nn};

use super::iaf::Iaf;
use super::planar::PlanarFlow;

/// `posterior` of a VAE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum PosteriorConfig {
    /// q(z|x) = N(μ, σ²), the KL term analytic.
    #[default]
    Gaussian,
    /// Planar layers (6 in arXiv 2105.14027).
    Planar {
        #[serde(default = "planar_layers")]
        layers: usize,
    },
    /// IAF layers with MADE conditioners (4 × 330 in arXiv 2105.14027; *project choice*: 4
    /// layers).
    Iaf {
        #[serde(default = "iaf_layers")]
        layers: usize,
        #[serde(default = "iaf_hidden")]
        hidden: Vec<i64>,
    },
}

fn planar_layers() -> usize {
    6
}
fn iaf_layers() -> usize {
    4
}
fn iaf_hidden() -> Vec<i64> {
    vec![330; 4]
}

impl PosteriorConfig {
    pub fn validate(&self) -> Result<(), String> {
        match self {
            PosteriorConfig::Gaussian => Ok(()),
            PosteriorConfig::Planar { layers: 0 } | PosteriorConfig::Iaf { layers: 0, .. } => {
                Err("posterior layers must be >= 1".into())
            }
            PosteriorConfig::Iaf { hidden, .. } if hidden.is_empty() || hidden.iter().any(|&h| h < 1) => {
                Err(format!("posterior IAF hidden widths must be non-empty and >= 1, got {hidden:?}"))
            }
            _ => Ok(()),
        }
    }

    /// The flow's name in manifests and scores (`gaussian`, `planar`, `iaf`).
    pub fn name(&self) -> &'static str {
        match self {
            PosteriorConfig::Gaussian => "gaussian",
            PosteriorConfig::Planar { .. } => "planar",
            PosteriorConfig::Iaf { .. } => "iaf",
        }
    }
}

/// The flow of a flow posterior.
#[derive(Debug)]
pub enum PosteriorFlow {
    Planar(PlanarFlow),
    Iaf(Iaf),
}

impl PosteriorFlow {
    /// The flow of `config` on `dim` latent dimensions under `path`; `None` for the Gaussian.
    pub fn new(path: &nn::Path<'_>, config: &PosteriorConfig, dim: i64) -> Option<Self> {
        match config {
            PosteriorConfig::Gaussian => None,
            PosteriorConfig::Planar { layers } => Some(Self::Planar(PlanarFlow::new(path, dim, *layers))),
            PosteriorConfig::Iaf { layers, hidden } => Some(Self::Iaf(Iaf::new(path, dim, *layers, hidden))),
        }
    }

    /// z_K and Σ_k ln|det ∂f_k/∂z_{k−1}|.
    ///
    /// # Shapes
    /// - `z0`: `[B, D]` → (`[B, D]`, `[B]`)
    pub fn forward(&self, z0: &Tensor) -> (Tensor, Tensor) {
        match self {
            PosteriorFlow::Planar(f) => f.forward(z0),
            PosteriorFlow::Iaf(f) => f.forward(z0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_parse_with_defaults() {
        let parse = |s: &str| toml::from_str::<PosteriorConfig>(s).map_err(|e| e.to_string());
        assert_eq!(parse("kind = \"planar\""), Ok(PosteriorConfig::Planar { layers: 6 }));
        assert_eq!(parse("kind = \"iaf\"\nlayers = 2"), Ok(PosteriorConfig::Iaf { layers: 2, hidden: vec![330; 4] }));
        assert!(parse("kind = \"sylvester\"").is_err());
        assert!(PosteriorConfig::Planar { layers: 0 }.validate().is_err());
        assert!(PosteriorConfig::Iaf { layers: 1, hidden: vec![] }.validate().is_err());
    }
}
