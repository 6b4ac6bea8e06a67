//! Where a detector's networks keep their training checkpoints: `<run>/checkpoints/<name>`
//! (`last.safetensors` to resume an interrupted run, `best.safetensors` the weights of the
//! best validation epoch; see `oddity_nn::train`). Without a run directory nothing is
//! written and nothing is restored.

use std::path::{Path, PathBuf};

use oddity_nn::train::RunOptions;
use tch::nn::VarStore;

use crate::DetectError;

/// The checkpoint directory of one network of a run.
#[derive(Debug, Clone)]
pub(crate) struct Checkpoints {
    dir: Option<PathBuf>,
}

impl Checkpoints {
    /// `run_dir/checkpoints/name`, or nothing when the detector trains without a run directory.
    pub(crate) fn new(run_dir: Option<&Path>, name: &str) -> Self {
        Self { dir: run_dir.map(|d| d.join("checkpoints").join(name)) }
    }

    /// The directory, when there is one (for a detector's own side files).
    pub(crate) fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Training options: checkpoints here, resumed from the last one when present.
    pub(crate) fn options(&self) -> RunOptions {
        RunOptions { dir: self.dir.clone(), resume: true, stop_after: None }
    }

    /// Loads the best-validation weights into `vs` (physics-spec §7, model selection); a
    /// no-op without a directory (`vs` keeps the last epoch's weights).
    pub(crate) fn restore_best(&self, vs: &mut VarStore) -> Result<(), DetectError> {
        if let Some(dir) = &self.dir {
            oddity_nn::weights::load(vs, &dir.join("best.safetensors"))?;
        }
        Ok(())
    }
}
