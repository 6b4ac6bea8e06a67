//! The multilayer perceptron of the DDD study (physics-spec §6.1; seed 001 Table 2).
//!
//! Input → [Dense(w) → activation → BatchNorm] per hidden width → Dense(out). Defaults: widths
//! [16, 8], ReLU, BatchNorm on (the seed's table; the DDD authors' code has none), biases on.
//! DeepSVDD uses `bias = false` and `batchnorm_affine = false` (physics-spec §7.1).
//!
//! Tensor names (safetensors, PyTorch `state_dict` style): `layers.{k}.linear.weight`,
//! `layers.{k}.linear.bias`, `layers.{k}.bn.{weight,bias,running_mean,running_var}`,
//! `out.weight`, `out.bias`.

use serde::{Deserialize, Serialize};
use tch::Tensor;
use tch::nn::{self, ModuleT};

/// Hidden-layer activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    #[default]
    Relu,
    Gelu,
    /// Leaky ReLU with slope 0.01 (PyTorch's default).
    LeakyRelu,
    Elu,
    /// tanh (the DarkMachines SimpleAE, arXiv 2105.14027 sec. 4.1).
    Tanh,
}

impl Activation {
    pub fn apply(self, x: &Tensor) -> Tensor {
        match self {
            Activation::Relu => x.relu(),
            Activation::Gelu => x.gelu("none"),
            Activation::LeakyRelu => x.leaky_relu(),
            Activation::Elu => x.elu(),
            Activation::Tanh => x.tanh(),
        }
    }
}

/// MLP hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MlpConfig {
    pub input_dim: i64,
    pub hidden: Vec<i64>,
    pub out_dim: i64,
    /// Biases in every Dense layer.
    pub bias: bool,
    /// BatchNorm after each hidden activation.
    pub batchnorm: bool,
    /// Learnable scale and shift in the BatchNorms.
    pub batchnorm_affine: bool,
    pub activation: Activation,
    /// Dropout after each hidden block (training only).
    pub dropout: f64,
}

impl Default for MlpConfig {
    /// The DDD study's classifier on the 72-feature vector.
    fn default() -> Self {
        Self {
            input_dim: 72,
            hidden: vec![16, 8],
            out_dim: 1,
            bias: true,
            batchnorm: true,
            batchnorm_affine: true,
            activation: Activation::Relu,
            dropout: 0.0,
        }
    }
}

/// One hidden block.
#[derive(Debug)]
struct Hidden {
    linear: nn::Linear,
    bn: Option<nn::BatchNorm>,
}

/// The MLP.
#[derive(Debug)]
pub struct Mlp {
    config: MlpConfig,
    hidden: Vec<Hidden>,
    out: nn::Linear,
}

impl Mlp {
    /// Creates the parameters under `path`.
    pub fn new(path: &nn::Path<'_>, config: &MlpConfig) -> Self {
        let lin = nn::LinearConfig { bias: config.bias, ..Default::default() };
        let bn = nn::BatchNormConfig { affine: config.batchnorm_affine, ..Default::default() };
        let layers = path / "layers";
        let mut dim = config.input_dim;
        let mut hidden = Vec::with_capacity(config.hidden.len());
        for (k, &w) in config.hidden.iter().enumerate() {
            let p = &layers / k;
            hidden.push(Hidden {
                linear: nn::linear(&p / "linear", dim, w, lin),
                bn: config.batchnorm.then(|| nn::batch_norm1d(&p / "bn", w, bn)),
            });
            dim = w;
        }
        let out = nn::linear(path / "out", dim, config.out_dim, lin);
        Self { config: config.clone(), hidden, out }
    }

    pub fn config(&self) -> &MlpConfig {
        &self.config
    }

    /// # Shapes
    /// - `x`: `[B, input_dim]` → `[B, out_dim]`
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let mut h = x.shallow_clone();
        for layer in &self.hidden {
            h = self.config.activation.apply(&h.apply(&layer.linear));
            if let Some(bn) = &layer.bn {
                h = bn.forward_t(&h, train);
            }
            h = crate::dropout::dropout(&h, self.config.dropout, train);
        }
        h.apply(&self.out)
    }
}
