//! The network a detector trains: the MLP on the fixed vector or the Particle Transformer on
//! the particle set, from the `[model]` table; input widths come from the representation.

use oddity_nn::{Mlp, MlpConfig, PartConfig, ParticleTransformer};
use serde::{Deserialize, Serialize};
use tch::Tensor;
use tch::nn::Path;

use crate::DetectError;
use crate::features::{Batch, ReprConfig};

/// `[model]`: the backbone and its hyperparameters (input widths are set from the
/// representation when the run is resolved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ModelConfig {
    Mlp(MlpConfig),
    Part(PartConfig),
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig::Mlp(MlpConfig::default())
    }
}

impl ModelConfig {
    /// Sets the input widths from `repr` and checks that the pair of them fits.
    pub fn resolve(&mut self, repr: &ReprConfig) -> Result<(), DetectError> {
        let (width, pairs, aux) = repr.input_dims();
        match (self, repr) {
            (ModelConfig::Mlp(m), ReprConfig::Fixed(_) | ReprConfig::Leading(_) | ReprConfig::Rmm(_) | ReprConfig::Efficient(_)) => {
                m.input_dim = width;
                Ok(())
            }
            (ModelConfig::Part(p), ReprConfig::Particles(_)) => {
                p.input_dim = width;
                p.pair_input_dim = pairs;
                p.aux_dim = aux;
                p.validate().map_err(DetectError::Config)
            }
            (ModelConfig::Mlp(_), _) => Err(DetectError::Config(
                "model.kind = \"mlp\" needs a flat representation (kind = \"fixed\", \"leading\", \"rmm\" or \"efficient\")".into(),
            )),
            (ModelConfig::Part(_), _) => {
                Err(DetectError::Config("model.kind = \"part\" needs representation.kind = \"particles\"".into()))
            }
        }
    }

    /// The same network with `out` outputs (e.g. one logit for a classifier).
    pub fn with_outputs(&self, out: i64) -> Self {
        match self {
            ModelConfig::Mlp(m) => ModelConfig::Mlp(MlpConfig { out_dim: out, ..m.clone() }),
            ModelConfig::Part(p) => ModelConfig::Part(PartConfig { out_dim: out, ..p.clone() }),
        }
    }

    /// The bias-free, dropout-free variant with `out` outputs (DeepSVDD, physics-spec §7.1).
    pub fn deep_svdd(&self, out: i64) -> Self {
        match self {
            ModelConfig::Mlp(m) => ModelConfig::Mlp(MlpConfig {
                bias: false,
                batchnorm_affine: false,
                dropout: 0.0,
                out_dim: out,
                ..m.clone()
            }),
            ModelConfig::Part(p) => ModelConfig::Part(p.deep_svdd(out)),
        }
    }

    /// Builds the network under `path`.
    pub fn build(&self, path: &Path<'_>) -> Backbone {
        match self {
            ModelConfig::Mlp(m) => Backbone::Mlp(Mlp::new(path, m)),
            ModelConfig::Part(p) => Backbone::Part(Box::new(ParticleTransformer::new(path, p))),
        }
    }
}

/// A built network.
#[derive(Debug)]
pub enum Backbone {
    Mlp(Mlp),
    Part(Box<ParticleTransformer>),
}

impl Backbone {
    /// # Shapes
    /// - `batch` → `[B, out]`
    pub fn forward_t(&self, batch: &Batch, train: bool) -> Tensor {
        match self {
            Backbone::Mlp(m) => m.forward_t(&batch.x, train),
            Backbone::Part(p) => p.forward_t(&batch.part_input(), train),
        }
    }
}
