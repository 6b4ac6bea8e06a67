//! MADE: masked autoencoder for distribution estimation (Germain et al., arXiv 1502.03509),
//! the conditioner of the autoregressive flow, with the sequential degrees of
//! `bayesiains/nflows:nflows/transforms/made.py`.
//!
//! Input i (1-based) has degree i. Hidden unit u of a layer has degree
//! u mod max(1, D − 1) + min(1, D − 1) and sees the units of the previous layer with degree
//! ≤ its own; output j of the `P` outputs of feature i has degree i and sees hidden units of
//! degree < i. So the outputs of feature i depend on x_1..x_{i−1} only, and feature 1's
//! outputs are constants (the biases). Hidden activation: ReLU.
//!
//! Tensor names: `hidden.{k}.weight` `[H_k, H_{k−1}]`, `hidden.{k}.bias`, `out.weight`
//! `[D·P, H]`, `out.bias` (outputs grouped per feature: row i·P + j is output j of feature
//! i, 0-based). Masks are rebuilt from the sizes, not stored.

use tch::Tensor;
use tch::nn;

/// A linear layer whose weight is multiplied by a fixed 0/1 mask.
#[derive(Debug)]
struct MaskedLinear {
    linear: nn::Linear,
    /// `[out, in]`
    mask: Tensor,
}

impl MaskedLinear {
    fn new(path: nn::Path<'_>, in_degrees: &[i64], out_degrees: &[i64], strict: bool, zero: bool) -> Self {
        let (n_in, n_out) = (in_degrees.len() as i64, out_degrees.len() as i64);
        let config = if zero {
            nn::LinearConfig { ws_init: nn::Init::Const(0.0), bs_init: Some(nn::Init::Const(0.0)), bias: true }
        } else {
            nn::LinearConfig::default()
        };
        let linear = nn::linear(&path, n_in, n_out, config);
        let mask: Vec<f32> = out_degrees
            .iter()
            .flat_map(|&o| {
                in_degrees.iter().map(move |&i| if (strict && o > i) || (!strict && o >= i) { 1.0 } else { 0.0 })
            })
            .collect();
        let mask = Tensor::from_slice(&mask).reshape([n_out, n_in]).to_device(path.device());
        Self { linear, mask }
    }

    /// # Shapes
    /// - `x`: `[B, in]` → `[B, out]`
    fn forward(&self, x: &Tensor) -> Tensor {
        let w = &self.linear.ws * self.mask.to_kind(self.linear.ws.kind());
        x.linear(&w, self.linear.bs.as_ref())
    }
}

/// The MADE conditioner: `features` inputs, `outputs` values per feature.
#[derive(Debug)]
pub struct Made {
    hidden: Vec<MaskedLinear>,
    out: MaskedLinear,
    features: i64,
    outputs: i64,
}

/// Degrees of `n` hidden units for `features` inputs (nflows' sequential assignment).
fn hidden_degrees(n: i64, features: i64) -> Vec<i64> {
    let max = (features - 1).max(1);
    let min = (features - 1).min(1);
    (0..n).map(|u| u % max + min).collect()
}

impl Made {
    /// Creates the parameters under `path`; with `zero_output` the output layer starts at 0
    /// (weights and biases), so the outputs are the constant 0 until trained.
    pub fn new(path: &nn::Path<'_>, features: i64, hidden: &[i64], outputs: i64, zero_output: bool) -> Self {
        let input: Vec<i64> = (1..=features).collect();
        let mut prev = input.clone();
        let mut layers = Vec::with_capacity(hidden.len());
        for (k, &h) in hidden.iter().enumerate() {
            let deg = hidden_degrees(h, features);
            layers.push(MaskedLinear::new(path / "hidden" / k, &prev, &deg, false, false));
            prev = deg;
        }
        let out_deg: Vec<i64> = input.iter().flat_map(|&i| std::iter::repeat_n(i, outputs as usize)).collect();
        let out = MaskedLinear::new(path / "out", &prev, &out_deg, true, zero_output);
        Self { hidden: layers, out, features, outputs }
    }

    /// The output layer's bias, `[D·P]` (for initialisation).
    pub fn out_bias(&self) -> Option<&Tensor> {
        self.out.linear.bs.as_ref()
    }

    /// # Shapes
    /// - `x`: `[B, D]` → `[B, D, P]`
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let mut h = x.shallow_clone();
        for layer in &self.hidden {
            h = layer.forward(&h).relu();
        }
        self.out.forward(&h).reshape([-1, self.features, self.outputs])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::VarStore;
    use tch::{Device, Kind};

    /// The Jacobian sparsity of `made` at `x` (`[D, D]`, entry
    /// (i, j) = 1 when some output of feature i depends on input j).
    fn dependency(made: &Made, x: &Tensor) -> Vec<Vec<bool>> {
        let d = made.features;
        (0..d)
            .map(|j| {
                let xp = x.copy();
                let _ = xp.narrow(1, j, 1).g_add_scalar_(1.0);
                let diff =
                    (made.forward(&xp) - made.forward(x)).abs().sum_dim_intlist(&[0i64, 2][..], false, Kind::Double);
                let diff: Vec<f64> = diff.try_into().unwrap_or_default();
                diff.iter().map(|&v| v > 0.0).collect()
            })
            .collect::<Vec<Vec<bool>>>()
    }

    #[test]
    fn outputs_depend_only_on_earlier_features() {
        tch::manual_seed(0);
        let vs = VarStore::new(Device::Cpu);
        for (d, hidden) in [(5, vec![16, 16]), (2, vec![7]), (1, vec![4])] {
            let made = Made::new(&(vs.root() / d), d, &hidden, 3, false);
            let x = Tensor::randn([4, d], (Kind::Float, Device::Cpu));
            let dep = dependency(&made, &x);
            for (j, col) in dep.iter().enumerate() {
                for (i, &depends) in col.iter().enumerate() {
                    assert!(!depends || j < i, "D = {d}: output {i} depends on input {j}");
                }
            }
            if d == 5 {
                // Masks are not too strict: feature 4 sees input 0 (random weights, ReLU).
                assert!(dep[0][4], "output 4 should depend on input 0");
            }
        }
    }

    #[test]
    fn zero_output_layer_gives_zeros() {
        let vs = VarStore::new(Device::Cpu);
        let made = Made::new(&vs.root(), 3, &[8], 5, true);
        let y = made.forward(&Tensor::randn([2, 3], (Kind::Float, Device::Cpu)));
        assert_eq!(y.size(), vec![2, 3, 5]);
        assert_eq!(y.abs().sum(Kind::Float).double_value(&[]), 0.0);
    }
}
