//! Forward-pass parity with the PyTorch reference (`tools/reference/nn_reference.py`): the
//! same weights, exchanged as safetensors, give the same outputs to 1e-5 relative, in eval
//! mode and in training mode (BatchNorm with batch statistics over real tokens and pairs),
//! on inputs with padded events and an event without any token.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use oddity_nn::{Mlp, MlpConfig, PartConfig, PartInput, ParticleTransformer, weights};
use tch::nn::VarStore;
use tch::{Device, Tensor};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn io(case: &str) -> HashMap<String, Tensor> {
    Tensor::read_safetensors(data(&format!("{case}.io.safetensors"))).unwrap().into_iter().collect()
}

fn assert_close(got: &Tensor, want: &Tensor, what: &str) {
    assert_eq!(got.size(), want.size(), "{what}: shape");
    let got: Vec<f32> = got.flatten(0, -1).try_into().unwrap();
    let want: Vec<f32> = want.flatten(0, -1).try_into().unwrap();
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((g - w).abs() <= 1e-5 * w.abs().max(1.0), "{what}[{k}]: oddity {g}, pytorch {w}");
    }
}

fn small_part(pairs: bool) -> PartConfig {
    let mut c =
        PartConfig { dropout: 0.0, attn_dropout: 0.0, activation_dropout: 0.0, fc_dropout: 0.0, ..PartConfig::small() };
    if !pairs {
        c.pair_input_dim = 0;
        c.aux_dim = 0;
    }
    c
}

#[test]
fn mlp_matches_pytorch() {
    for (case, config) in [
        ("mlp", MlpConfig::default()),
        ("mlp_svdd", MlpConfig { bias: false, batchnorm_affine: false, out_dim: 8, ..MlpConfig::default() }),
    ] {
        let mut vs = VarStore::new(Device::Cpu);
        let model = Mlp::new(&vs.root(), &config);
        weights::load(&mut vs, &data(&format!("{case}.weights.safetensors"))).unwrap();
        let t = io(case);
        assert_close(&model.forward_t(&t["x"], false), &t["out_eval"], case);
        assert_close(&model.forward_t(&t["x"], true), &t["out_train"], case);
        // Training mode updated the running statistics as PyTorch did.
        let rm = vs.variables()["layers.0.bn.running_mean"].shallow_clone();
        assert_close(&rm, &t["running_mean_after"], "running_mean");
    }
}

#[test]
fn particle_transformer_matches_pytorch() {
    for (case, pairs) in [("part_sm", true), ("part_plain", false)] {
        let mut vs = VarStore::new(Device::Cpu);
        let model = ParticleTransformer::new(&vs.root(), &small_part(pairs));
        weights::load(&mut vs, &data(&format!("{case}.weights.safetensors"))).unwrap();
        let t = io(case);
        let input = PartInput { x: &t["x"], mask: &t["mask"], pairs: t.get("pairs"), aux: t.get("aux") };
        assert_close(&model.forward_t(&input, false), &t["out_eval"], case);
        assert_close(&model.forward_t(&input, true), &t["out_train"], case);
    }
}

#[test]
fn weights_round_trip_and_mismatches_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut vs = VarStore::new(Device::Cpu);
    let _model = ParticleTransformer::new(&vs.root(), &small_part(true));
    weights::load(&mut vs, &data("part_sm.weights.safetensors")).unwrap();
    let path = dir.path().join("w.safetensors");
    weights::save(&vs, &path).unwrap();
    let mut back = VarStore::new(Device::Cpu);
    let _m2 = ParticleTransformer::new(&back.root(), &small_part(true));
    weights::load(&mut back, &path).unwrap();
    for (name, t) in vs.variables() {
        assert!(t.equal(&back.variables()[&name]), "{name}");
    }
    // The plain model lacks the pair embedding: loading ParT+SM weights into it is an error.
    let mut plain = VarStore::new(Device::Cpu);
    let _m3 = ParticleTransformer::new(&plain.root(), &small_part(false));
    let err = weights::load(&mut plain, &data("part_sm.weights.safetensors")).unwrap_err().to_string();
    assert!(err.contains("the model does not have"), "{err}");
    // A wider model: shape mismatch names the tensor.
    let mut wide = VarStore::new(Device::Cpu);
    let _m4 = Mlp::new(&wide.root(), &MlpConfig { hidden: vec![32, 8], ..MlpConfig::default() });
    let err = weights::load(&mut wide, &data("mlp.weights.safetensors")).unwrap_err().to_string();
    assert!(err.contains("has shape"), "{err}");
}

#[test]
fn deep_svdd_part_has_no_bias_affine_norm_or_trainable_token() {
    let vs = VarStore::new(Device::Cpu);
    let config = PartConfig::small().deep_svdd(8);
    let model = ParticleTransformer::new(&vs.root(), &config);
    let trainable = vs.trainable_variables();
    for (name, t) in vs.variables() {
        let is_trainable = trainable.iter().any(|p| p.data_ptr() == t.data_ptr());
        assert!(!name.ends_with("bias"), "{name}");
        if name.contains("norm") || name.contains("bn.") {
            assert!(!is_trainable, "{name}: affine norm parameter");
        }
        if name == "cls_token" {
            assert!(!is_trainable && t.abs().sum(tch::Kind::Float).double_value(&[]) == 0.0);
        }
    }
    // A forward pass works and gives rep_dim outputs; dropout is refused.
    let x = Tensor::randn([3, 5, 12], (tch::Kind::Float, Device::Cpu));
    let mask = Tensor::ones([3, 5], (tch::Kind::Float, Device::Cpu));
    let pairs = Tensor::randn([3, 3, 5, 5], (tch::Kind::Float, Device::Cpu));
    let aux = Tensor::randn([3, 2], (tch::Kind::Float, Device::Cpu));
    let out = model.forward_t(&PartInput { x: &x, mask: &mask, pairs: Some(&pairs), aux: Some(&aux) }, false);
    assert_eq!(out.size(), vec![3, 8]);
    assert!(PartConfig { bias: false, ..PartConfig::small() }.validate().is_err());
}
