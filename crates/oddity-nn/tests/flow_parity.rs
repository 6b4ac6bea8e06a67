//! Golden test of the spline flow against the PyTorch reference
//! (`tools/reference/flow_reference.py`, a transcription of nflows' rational-quadratic spline
//! and MADE): the same float32 weights, exchanged as safetensors and evaluated in float64,
//! give the same ln p(x), z = f(x) and samples f⁻¹(noise) on a fixed batch with entries inside
//! and outside the tail bound. Regenerate with
//! `/work/main/.libtorch/venv/bin/python tools/reference/flow_reference.py crates/oddity-nn/tests/data`.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use oddity_nn::flow::spline::SplineConfig;
use oddity_nn::flow::{FlowConfig, SplineFlow};
use oddity_nn::weights;
use tch::nn::VarStore;
use tch::{Device, Tensor};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// Relative agreement 1e-5 (in float64 the two agree to ~1e-12; the bound leaves room for a
/// different libtorch reduction order).
fn assert_close(got: &Tensor, want: &Tensor, what: &str) {
    assert_eq!(got.size(), want.size(), "{what}: shape");
    let got: Vec<f64> = got.flatten(0, -1).try_into().unwrap();
    let want: Vec<f64> = want.flatten(0, -1).try_into().unwrap();
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((g - w).abs() <= 1e-5 * w.abs().max(1.0), "{what}[{k}]: oddity {g}, pytorch {w}");
    }
}

#[test]
fn spline_flow_matches_pytorch() {
    // CONFIG of flow_reference.py.
    let config = FlowConfig {
        layers: 3,
        hidden: vec![16, 16],
        spline: SplineConfig { bins: 6, tail_bound: 3.0, ..SplineConfig::default() },
        identity_init: false,
    };
    let mut vs = VarStore::new(Device::Cpu);
    let flow = SplineFlow::new(&vs.root(), 5, &config);
    weights::load(&mut vs, &data("flow.weights.safetensors")).unwrap();
    vs.double();
    let io: HashMap<String, Tensor> =
        Tensor::read_safetensors(data("flow.io.safetensors")).unwrap().into_iter().collect();
    let (z, _) = flow.forward(&io["x"]);
    assert_close(&z, &io["z"], "z");
    assert_close(&flow.log_prob(&io["x"]), &io["log_prob"], "log_prob");
    assert_close(&flow.inverse(&io["noise"]), &io["sample"], "sample");
}
