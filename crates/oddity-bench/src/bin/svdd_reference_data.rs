//! Exports the exact network inputs of a trained fixed-vector run for the PyTorch reference
//! (`bench/python/deep_svdd_torch.py`): the background split by the run's own split, encoded
//! and standardised with the run's `preprocess.json`, and the signals, as one `.npz`.
//!
//! ```text
//! svdd_reference_data --run RUN --signal SIG.csv.gz... --out DATA.npz
//! ```
//!
//! Arrays: `train_x`, `train_w`, `valid_x`, `valid_w`, `test_x`, `test_w` (float32 `[N, D]`,
//! float64 `[N]`), `sig{k}_x`, `sig{k}_w` for each signal, and `signals` (their names).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Parser;
use oddity_detect::run::TrainedRun;
use oddity_io::npz::{NpyArray, NpyData, write_npz};
use oddity_io::{CsvReader, EventTable, ReadOptions};
use oddity_repr::split::Part;

#[derive(Debug, Parser)]
struct Args {
    /// A run directory of `oddity train` with `representation.kind = "fixed"`.
    #[arg(long)]
    run: PathBuf,
    /// Signal event files.
    #[arg(long, num_args = 1..)]
    signal: Vec<PathBuf>,
    #[arg(long)]
    out: PathBuf,
}

fn read(path: &Path) -> anyhow::Result<EventTable> {
    let (table, _, _) = CsvReader::read_all(path, ReadOptions::default())?;
    Ok(table)
}

/// Encoded, standardised `[N, D]` inputs of `table` and its weights.
fn inputs(run: &TrainedRun, table: &EventTable) -> anyhow::Result<(Vec<f32>, Vec<f64>, usize)> {
    let mut batch = run.config.representation.encode(table);
    run.standardizer.apply(&mut batch)?;
    let x = batch.get("x").context("the representation has no 'x' array")?;
    if x.shape.len() != 2 {
        bail!("expected a fixed vector [N, D], got shape {:?}", x.shape);
    }
    Ok((x.data.clone(), table.weight.clone(), x.shape[1]))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let run = TrainedRun::load(&args.run, Some("cpu"))?;
    let mut background = EventTable::new();
    for f in &run.config.data.background {
        background.append(&read(f).with_context(|| format!("reading {}", f.display()))?);
    }
    let parts = run.config.data.split.assign(background.len())?;
    let mut owned: Vec<(String, Vec<f32>, Vec<f64>, usize)> = Vec::new();
    for (name, part) in [("train", Part::Train), ("valid", Part::Validation), ("test", Part::Test)] {
        let keep: Vec<bool> = parts.iter().map(|p| *p == part).collect();
        let (x, w, d) = inputs(&run, &background.filter(&keep))?;
        owned.push((name.into(), x, w, d));
    }
    let mut names = Vec::new();
    for (k, f) in args.signal.iter().enumerate() {
        let (x, w, d) = inputs(&run, &read(f).with_context(|| format!("reading {}", f.display()))?)?;
        owned.push((format!("sig{k}"), x, w, d));
        names.push(f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    }
    let mut keys = Vec::new();
    for (name, x, w, d) in &owned {
        keys.push((format!("{name}_x"), format!("{name}_w"), x, w, [w.len(), *d], [w.len()]));
    }
    let mut arrays = Vec::new();
    for (kx, kw, x, w, shape_x, shape_w) in &keys {
        arrays.push(NpyArray { name: kx, shape: shape_x, data: NpyData::F32(x) });
        arrays.push(NpyArray { name: kw, shape: shape_w, data: NpyData::F64(w) });
    }
    let names_shape = [names.len()];
    arrays.push(NpyArray { name: "signals", shape: &names_shape, data: NpyData::Str(&names) });
    write_npz(&args.out, &arrays)?;
    for (name, _, w, _) in &owned {
        println!("{name}: {} events", w.len());
    }
    Ok(())
}
