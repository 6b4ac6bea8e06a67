//! Adam and AdamW with explicit, saveable state (so a training run can resume exactly), as
//! in PyTorch's `torch.optim.Adam` / `AdamW` (Kingma & Ba 2015; Loshchilov & Hutter 2019):
//!
//! m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
//! p ← p − lr·(m/(1 − β1ᵗ)) / (sqrt(v/(1 − β2ᵗ)) + ε);
//! Adam adds `weight_decay·p` to g (L2); AdamW multiplies p by (1 − lr·weight_decay) first.
//!
//! tch exposes libtorch's C++ optimizers without access to their state, and not the fused
//! or `_foreach` kernels, so the update is written here with in-place tensor ops (about seven
//! per parameter tensor per step).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tch::nn::VarStore;
use tch::{Kind, Tensor};

/// Which Adam variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdamKind {
    /// L2 penalty added to the gradient.
    #[default]
    Adam,
    /// Decoupled weight decay.
    AdamW,
}

/// Optimizer hyperparameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdamConfig {
    pub kind: AdamKind,
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self { kind: AdamKind::Adam, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 }
    }
}

/// Per-parameter moments.
#[derive(Debug)]
struct Moments {
    m: Tensor,
    v: Tensor,
}

/// Adam/AdamW over the trainable variables of a [`VarStore`], in name order.
#[derive(Debug)]
pub struct Adam {
    pub config: AdamConfig,
    /// The current learning rate (schedules change it).
    pub lr: f64,
    step: i64,
    params: Vec<(String, Tensor)>,
    state: Vec<Moments>,
}

impl Adam {
    pub fn new(vs: &VarStore, config: AdamConfig) -> Self {
        let trainable: Vec<Tensor> = vs.trainable_variables();
        // Names of trainable variables, sorted, for a stable order and saveable state.
        let mut params: Vec<(String, Tensor)> = vs
            .variables()
            .into_iter()
            .filter(|(_, t)| trainable.iter().any(|p| p.data_ptr() == t.data_ptr()))
            .collect();
        params.sort_by(|a, b| a.0.cmp(&b.0));
        let state = params.iter().map(|(_, p)| Moments { m: p.zeros_like(), v: p.zeros_like() }).collect();
        Self { config, lr: config.lr, step: 0, params, state }
    }

    /// Number of steps taken.
    pub fn steps(&self) -> i64 {
        self.step
    }

    /// Sets every gradient to zero (drops them).
    pub fn zero_grad(&mut self) {
        for (_, p) in &mut self.params {
            let mut g = p.grad();
            if g.defined() {
                let _ = g.detach_().zero_();
            }
        }
    }

    /// Scales the gradients so their global L2 norm is at most `max_norm`; returns the norm
    /// before clipping.
    pub fn clip_grad_norm(&mut self, max_norm: f64) -> f64 {
        let norms: Vec<Tensor> = self
            .params
            .iter()
            .map(|(_, p)| p.grad())
            .filter(|g| g.defined())
            .map(|g| g.norm().to_kind(Kind::Float))
            .collect();
        if norms.is_empty() {
            return 0.0;
        }
        let total = Tensor::stack(&norms, 0).norm().double_value(&[]);
        if total > max_norm {
            let scale = max_norm / (total + 1e-6);
            tch::no_grad(|| {
                for (_, p) in &self.params {
                    let mut g = p.grad();
                    if g.defined() {
                        let _ = g.g_mul_scalar_(scale);
                    }
                }
            });
        }
        total
    }

    /// One update with the current gradients.
    pub fn step(&mut self) {
        self.step += 1;
        let c = self.config;
        let t = self.step as f64;
        let bias1 = 1.0 - c.beta1.powf(t);
        let bias2_sqrt = (1.0 - c.beta2.powf(t)).sqrt();
        let step_size = self.lr / bias1;
        tch::no_grad(|| {
            for ((_, p), s) in self.params.iter_mut().zip(&mut self.state) {
                let g = p.grad();
                if !g.defined() {
                    continue;
                }
                let g = match c.kind {
                    AdamKind::Adam if c.weight_decay != 0.0 => g + &*p * c.weight_decay,
                    _ => g,
                };
                if c.kind == AdamKind::AdamW && c.weight_decay != 0.0 {
                    let _ = p.g_mul_scalar_(1.0 - self.lr * c.weight_decay);
                }
                let _ = s.m.lerp_(&g, 1.0 - c.beta1);
                let _ = s.v.g_mul_scalar_(c.beta2).addcmul_(&g, &g.g_mul_scalar(1.0 - c.beta2));
                let denom = (s.v.sqrt() / bias2_sqrt).g_add_scalar_(c.eps);
                let _ = p.addcdiv_(&(&s.m * -step_size), &denom);
            }
        });
    }

    /// The state as named tensors (`{name}.exp_avg`, `{name}.exp_avg_sq`, `step`), for a
    /// checkpoint.
    pub fn state_tensors(&self) -> Vec<(String, Tensor)> {
        let mut v: Vec<(String, Tensor)> = Vec::with_capacity(2 * self.params.len() + 1);
        for ((name, _), s) in self.params.iter().zip(&self.state) {
            v.push((format!("{name}.exp_avg"), s.m.to_device(tch::Device::Cpu)));
            v.push((format!("{name}.exp_avg_sq"), s.v.to_device(tch::Device::Cpu)));
        }
        v.push(("step".into(), Tensor::from_slice(&[self.step])));
        v.push(("lr".into(), Tensor::from_slice(&[self.lr])));
        v
    }

    /// Restores the state written by [`state_tensors`](Self::state_tensors).
    pub fn load_state(&mut self, tensors: Vec<(String, Tensor)>) -> Result<(), String> {
        let mut map: BTreeMap<String, Tensor> = tensors.into_iter().collect();
        let take = |map: &mut BTreeMap<String, Tensor>, k: &str| {
            map.remove(k).ok_or_else(|| format!("optimizer state lacks '{k}'"))
        };
        self.step = take(&mut map, "step")?.int64_value(&[0]);
        self.lr = take(&mut map, "lr")?.double_value(&[0]);
        for ((name, p), s) in self.params.iter().zip(&mut self.state) {
            for (suffix, dst) in [("exp_avg", &mut s.m), ("exp_avg_sq", &mut s.v)] {
                let src = take(&mut map, &format!("{name}.{suffix}"))?;
                if src.size() != p.size() {
                    return Err(format!(
                        "optimizer state '{name}.{suffix}' has shape {:?}, expected {:?}",
                        src.size(),
                        p.size()
                    ));
                }
                tch::no_grad(|| dst.copy_(&src));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use tch::Device;
    use tch::nn::{self, Module};

    use super::*;

    /// Ten steps on a fixed least-squares problem; the reference values come from
    /// `torch.optim.Adam(lr=0.01, weight_decay=0.1)` and `AdamW` with the same start
    /// (`tools/reference/adam_reference.py`).
    fn run(kind: AdamKind) -> Vec<f32> {
        let vs = VarStore::new(Device::Cpu);
        let lin = nn::linear(vs.root() / "l", 3, 1, Default::default());
        tch::no_grad(|| {
            let mut w = lin.ws.shallow_clone();
            w.copy_(&Tensor::from_slice(&[0.5f32, -0.25, 0.125]).reshape([1, 3]));
            let mut b = lin
                .bs
                .as_ref()
                .map(Tensor::shallow_clone)
                .unwrap_or_else(|| Tensor::zeros([1], (Kind::Float, Device::Cpu)));
            b.copy_(&Tensor::from_slice(&[0.1f32]));
        });
        let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, -1.0, 0.5, 2.0, 0.0, -2.0, 1.0, 2.0, 1.0, -1.0]).reshape([4, 3]);
        let y = Tensor::from_slice(&[1.0f32, -1.0, 0.5, 2.0]).reshape([4, 1]);
        let mut opt = Adam::new(&vs, AdamConfig { kind, lr: 0.01, weight_decay: 0.1, ..AdamConfig::default() });
        for _ in 0..10 {
            opt.zero_grad();
            let loss = (lin.forward(&x) - &y).square().mean(Kind::Float);
            loss.backward();
            opt.step();
        }
        let mut out: Vec<f32> = lin.ws.flatten(0, -1).try_into().expect("f32");
        out.extend(Vec::<f32>::try_from(lin.bs.as_ref().expect("bias").flatten(0, -1)).expect("f32"));
        out
    }

    #[test]
    fn matches_pytorch_adam_and_adamw() {
        let reference: [(AdamKind, [f32; 4]); 2] =
            [(AdamKind::Adam, ADAM_REFERENCE), (AdamKind::AdamW, ADAMW_REFERENCE)];
        for (kind, want) in reference {
            let got = run(kind);
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-6, "{kind:?}: {got:?} vs {want:?}");
            }
        }
    }

    #[allow(clippy::excessive_precision)] // printed by the reference script
    const ADAM_REFERENCE: [f32; 4] = [0.598528326, -0.151959717, 0.0275436789, 0.198610172];
    #[allow(clippy::excessive_precision)]
    const ADAMW_REFERENCE: [f32; 4] = [0.593220055, -0.149909839, 0.026737731, 0.197435349];
}
