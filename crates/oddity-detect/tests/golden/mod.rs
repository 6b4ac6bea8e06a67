//! Shared helpers of the golden tests against the PyTorch references of `tools/reference/`:
//! the committed reference files under `tests/data/` and a relative-tolerance comparison.

// Test helpers panic on failure by design; not every golden test uses every helper.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

use tch::{Kind, Tensor};

/// A reference file under `tests/data/`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// The named tensors (inputs and PyTorch outputs) of `case`: `<case>.io.safetensors`.
pub fn io(case: &str) -> HashMap<String, Tensor> {
    Tensor::read_safetensors(data(&format!("{case}.io.safetensors"))).unwrap().into_iter().collect()
}

/// Element-wise agreement to 1e-5 relative (absolute below magnitude 1).
pub fn assert_close(got: &Tensor, want: &Tensor, what: &str) {
    let got: Vec<f64> = got.flatten(0, -1).to_kind(Kind::Double).try_into().unwrap();
    let want: Vec<f64> = want.flatten(0, -1).to_kind(Kind::Double).try_into().unwrap();
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((g - w).abs() <= 1e-5 * w.abs().max(1.0), "{what}[{k}]: oddity {g}, pytorch {w}");
    }
}
