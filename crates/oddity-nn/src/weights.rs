//! Weights interchange with PyTorch as safetensors (`docs/nn-weights.md`).
//!
//! Tensor names are the module paths of Oddity's models, which are also the `state_dict`
//! names of the PyTorch modules in `tools/reference/nn_reference.py`. BatchNorm running
//! statistics are included; PyTorch's `num_batches_tracked` counters are ignored on load and
//! not written (load into PyTorch with `strict=False`, or add them).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tch::Tensor;
use tch::nn::VarStore;

/// A weights file that does not fit the model.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("{path}: {source}", path = path.display())]
    Torch { path: PathBuf, source: tch::TchError },
    #[error("{path}: the model's tensor '{name}' is missing", path = path.display())]
    Missing { path: PathBuf, name: String },
    #[error("{path}: tensor '{name}' has shape {found:?}, the model expects {expected:?}", path = path.display())]
    Shape { path: PathBuf, name: String, found: Vec<i64>, expected: Vec<i64> },
    #[error("{path}: {count} tensor(s) the model does not have, e.g. '{example}' (a different architecture or configuration?)", path = path.display())]
    Unexpected { path: PathBuf, count: usize, example: String },
    #[error("{path}: {source}", path = path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

/// Ignored names: PyTorch's BatchNorm step counters.
fn ignored(name: &str) -> bool {
    name.ends_with("num_batches_tracked")
}

/// Loads every variable of `vs` from the safetensors file `path`, checking names and shapes
/// both ways: a missing tensor, a shape mismatch or a tensor the model lacks is an error.
pub fn load(vs: &mut VarStore, path: &Path) -> Result<(), WeightsError> {
    let torch = |source| WeightsError::Torch { path: path.to_owned(), source };
    let file: HashMap<String, Tensor> =
        Tensor::read_safetensors(path).map_err(torch)?.into_iter().filter(|(n, _)| !ignored(n)).collect();
    let vars = vs.variables();
    for (name, var) in &vars {
        let src = file.get(name).ok_or_else(|| WeightsError::Missing { path: path.to_owned(), name: name.clone() })?;
        if src.size() != var.size() {
            return Err(WeightsError::Shape {
                path: path.to_owned(),
                name: name.clone(),
                found: src.size(),
                expected: var.size(),
            });
        }
    }
    let mut extra: Vec<&String> = file.keys().filter(|n| !vars.contains_key(*n)).collect();
    if !extra.is_empty() {
        extra.sort();
        return Err(WeightsError::Unexpected { path: path.to_owned(), count: extra.len(), example: extra[0].clone() });
    }
    vs.load(path).map_err(torch)
}

/// Saves every variable of `vs` to `path` as safetensors, atomically (a temporary file beside
/// it, then a rename).
pub fn save(vs: &VarStore, path: &Path) -> Result<(), WeightsError> {
    let io = |source| WeightsError::Io { path: path.to_owned(), source };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp.safetensors", std::process::id()));
    let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    let cpu: Vec<(String, Tensor)> =
        vars.into_iter().map(|(n, t)| (n, t.to_device(tch::Device::Cpu).contiguous())).collect();
    if let Err(source) = Tensor::write_safetensors(&cpu, &tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(WeightsError::Torch { path: path.to_owned(), source });
    }
    std::fs::rename(&tmp, path).map_err(io)
}
