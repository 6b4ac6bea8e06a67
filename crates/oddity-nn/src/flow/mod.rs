//! Normalising flows (physics-spec §7.6, §7.7).
//!
//! - [`spline`]: the rational-quadratic spline of Durkan et al. (arXiv 1906.04032) with
//!   identity tails outside [−B, B], forward and inverse with ln|det|.
//! - [`made`]: the MADE conditioner (masked linear layers, ReLU).
//! - [`planar`]: planar flows and the flow-posterior ELBO term of the flow-augmented VAEs.
//! - [`iaf`]: inverse autoregressive flows (MADE conditioners) for VAE posteriors.
//! - [`posterior`]: the VAE posterior: Gaussian, or Gaussian followed by planar or IAF layers.
//! - [`SplineFlow`]: the masked autoregressive rational-quadratic spline flow of the
//!   DarkMachines challenge (arXiv 2105.14027 sec. 4.8): L layers, each an elementwise spline
//!   whose parameters for feature i come from a MADE of x_1..x_{i−1}, with the feature order
//!   reversed between layers, and a standard-normal base density. Defaults: 11 layers,
//!   MADE 7 × 200, 35 bins on [−5, 5].
//!
//! The flow maps data x to noise z = f(x) in one pass (density evaluation) and back with
//! D passes per layer (sampling). ln p(x) = ln N(f(x); 0, 1) + ln|det ∂f/∂x|, in nats.
//!
//! Tensor names: `layers.{l}.made.{hidden.{k},out}.{weight,bias}`.

pub mod iaf;
pub mod made;
pub mod planar;
pub mod posterior;
pub mod spline;

use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor, nn};

use made::Made;
use spline::{SplineConfig, rq_spline};

/// Hyperparameters of [`SplineFlow`] (the input width comes from the data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlowConfig {
    /// Number of autoregressive spline layers.
    pub layers: usize,
    /// Hidden widths of each layer's MADE.
    pub hidden: Vec<i64>,
    pub spline: SplineConfig,
    /// Start as the identity map (MADE output layers at zero, spline derivatives 1), so the
    /// untrained flow is the base density; otherwise nflows-like random output layers.
    pub identity_init: bool,
}

impl Default for FlowConfig {
    /// The DarkMachines challenge's best flow (arXiv 2105.14027 Table 15).
    fn default() -> Self {
        Self { layers: 11, hidden: vec![200; 7], spline: SplineConfig::default(), identity_init: true }
    }
}

impl FlowConfig {
    /// A small flow for tests and quick runs: 2 layers, MADE 2 × 32, 8 bins.
    pub fn small() -> Self {
        Self {
            layers: 2,
            hidden: vec![32; 2],
            spline: SplineConfig { bins: 8, ..SplineConfig::default() },
            identity_init: true,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.layers == 0 {
            return Err("flow layers must be >= 1".into());
        }
        if self.hidden.is_empty() || self.hidden.iter().any(|&h| h < 1) {
            return Err(format!("flow hidden widths must be non-empty and >= 1, got {:?}", self.hidden));
        }
        self.spline.validate()
    }
}

/// One autoregressive spline layer.
#[derive(Debug)]
struct SplineLayer {
    made: Made,
    /// √(last hidden width): nflows divides the width and height outputs by it.
    scale: f64,
}

impl SplineLayer {
    fn new(path: &nn::Path<'_>, features: i64, config: &FlowConfig) -> Self {
        let s = &config.spline;
        let made = Made::new(&(path / "made"), features, &config.hidden, s.params_per_dim(), config.identity_init);
        if config.identity_init {
            // Derivative outputs (the last K − 1 of each feature) at softplus⁻¹(1 − min).
            let p = s.params_per_dim();
            let init: Vec<f32> = (0..features * p)
                .map(|j| if j % p >= 2 * s.bins { s.identity_derivative() as f32 } else { 0.0 })
                .collect();
            if let Some(b) = made.out_bias() {
                tch::no_grad(|| b.shallow_clone().copy_(&Tensor::from_slice(&init).to_device(b.device())));
            }
        }
        let last = config.hidden.last().copied().unwrap_or(1) as f64;
        Self { made, scale: last.sqrt() }
    }

    /// The spline of every feature with parameters conditioned on `cond` (= `x` forward, the
    /// current estimate of x in the inverse).
    ///
    /// # Shapes
    /// - `x`, `cond`: `[B, D]` → (`[B, D]`, ln|det| `[B, D]`)
    fn spline(&self, x: &Tensor, cond: &Tensor, config: &SplineConfig, inverse: bool) -> (Tensor, Tensor) {
        let k = config.bins;
        let p = self.made.forward(cond); // [B, D, 3K − 1]
        let w = p.narrow(-1, 0, k) / self.scale;
        let h = p.narrow(-1, k, k) / self.scale;
        let d = p.narrow(-1, 2 * k, k - 1);
        rq_spline(x, &w, &h, &d, config, inverse)
    }
}

/// The masked autoregressive rational-quadratic spline flow with a standard-normal base.
#[derive(Debug)]
pub struct SplineFlow {
    config: FlowConfig,
    features: i64,
    layers: Vec<SplineLayer>,
}

/// ln N(z; 0, I) summed over the last dimension: −½ Σ z² − (D/2) ln 2π.
///
/// # Shapes
/// - `z`: `[B, D]` → `[B]`
pub fn standard_normal_log_prob(z: &Tensor) -> Tensor {
    let d = z.size().last().copied().unwrap_or(0) as f64;
    z.square().sum_dim_intlist(-1, false, z.kind()) * -0.5 - 0.5 * d * (2.0 * std::f64::consts::PI).ln()
}

impl SplineFlow {
    /// Creates the parameters under `path` for `features` inputs.
    pub fn new(path: &nn::Path<'_>, features: i64, config: &FlowConfig) -> Self {
        let layers = (0..config.layers).map(|l| SplineLayer::new(&(path / "layers" / l), features, config)).collect();
        Self { config: config.clone(), features, layers }
    }

    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    pub fn features(&self) -> i64 {
        self.features
    }

    /// Data to noise: z = f(x) and ln|det ∂f/∂x| per event.
    ///
    /// # Shapes
    /// - `x`: `[B, D]` → (`z [B, D]`, `[B]`)
    pub fn forward(&self, x: &Tensor) -> (Tensor, Tensor) {
        let mut h = x.shallow_clone();
        let mut logdet = h.zeros_like().sum_dim_intlist(-1, false, h.kind());
        for (l, layer) in self.layers.iter().enumerate() {
            if l > 0 {
                h = h.flip([1]);
            }
            let (y, ld) = layer.spline(&h, &h, &self.config.spline, false);
            logdet += ld.sum_dim_intlist(-1, false, ld.kind());
            h = y;
        }
        (h, logdet)
    }

    /// ln p(x) in nats.
    ///
    /// # Shapes
    /// - `x`: `[B, D]` → `[B]`
    pub fn log_prob(&self, x: &Tensor) -> Tensor {
        let (z, logdet) = self.forward(x);
        standard_normal_log_prob(&z) + logdet
    }

    /// Noise to data: x = f⁻¹(z), D conditioner passes per layer (after pass i the first i
    /// features of the layer's input are exact).
    ///
    /// # Shapes
    /// - `z`: `[B, D]` → `[B, D]`
    pub fn inverse(&self, z: &Tensor) -> Tensor {
        let mut y = z.shallow_clone();
        for (l, layer) in self.layers.iter().enumerate().rev() {
            let mut x = y.zeros_like();
            for _ in 0..self.features {
                x = layer.spline(&y, &x, &self.config.spline, true).0;
            }
            y = if l > 0 { x.flip([1]) } else { x };
        }
        y
    }

    /// `n` samples from the flow, drawn with libtorch's generator.
    ///
    /// # Shapes
    /// → `[n, D]`
    pub fn sample(&self, n: i64, device: Device) -> Tensor {
        self.inverse(&Tensor::randn([n, self.features], (Kind::Float, device)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::VarStore;

    #[test]
    fn identity_flow_is_the_base_density() {
        let vs = VarStore::new(Device::Cpu);
        let flow = SplineFlow::new(&vs.root(), 4, &FlowConfig::small());
        let x = Tensor::randn([16, 4], (Kind::Float, Device::Cpu)) * 3.0;
        let (z, ld) = flow.forward(&x);
        // Two layers: the order is reversed once.
        assert!((z - x.flip([1])).abs().max().double_value(&[]) < 1e-6);
        assert!(ld.abs().max().double_value(&[]) < 1e-6);
    }
}
