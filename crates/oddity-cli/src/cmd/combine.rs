//! `oddity combine`: AND, OR, AVG or PROD of the calibrated scores of several detectors
//! (physics-spec §7.8, `docs/combine.md`), written as a score table that `eval` and `search`
//! accept.
//!
//! Member i is calibrated on its scores of a held-out background sample (`--calibration`, in
//! member order), then applied to the members' scores of the events to combine (`--scores`,
//! the same events in the same order in every file: score files of one input scored by
//! several runs). The output is the first `--scores` file with `score` replaced by the
//! combined value; the calibration is stored beside it so it can be applied again.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use arrow::array::{ArrayRef, AsArray, Float64Array};
use arrow::datatypes::{Int64Type, UInt64Type};
use arrow::record_batch::RecordBatch;
use oddity_eval::{Combination, CombineMode};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};

use crate::Global;
use crate::column::read_parquet_column;
use crate::input::write_atomic;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// How the calibrated scores u_i are combined: and = min, or = max, avg = mean,
    /// prod = product.
    #[arg(long, value_parser = parse_mode)]
    pub mode: CombineMode,
    /// Score file of each member on the calibration background (held out from the events
    /// evaluated), in member order; the same events in every file.
    #[arg(long, value_name = "SCORES.parquet", required_unless_present = "model")]
    pub calibration: Vec<PathBuf>,
    /// Apply a stored combination (`COMBINED.combination.json`) instead of calibrating.
    #[arg(long, value_name = "JSON", conflicts_with = "calibration")]
    pub model: Option<PathBuf>,
    /// Weight the calibration by the `weight` column (weighted conformal p-value; the
    /// DarkMachines challenge used unweighted counts).
    #[arg(long)]
    pub weighted: bool,
    /// Score file of each member on the events to combine, in member order.
    #[arg(long, value_name = "SCORES.parquet", required = true)]
    pub scores: Vec<PathBuf>,
    /// Output score file (Parquet); the calibration goes to `<output stem>.combination.json`.
    #[arg(short, long, value_name = "COMBINED.parquet")]
    pub output: PathBuf,
}

fn parse_mode(s: &str) -> Result<CombineMode, String> {
    s.parse().map_err(|e: oddity_eval::EvalError| e.to_string())
}

/// The stored combination: the calibration and where each member came from.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    members: Vec<PathBuf>,
    combination: Combination,
}

pub fn run(args: Args, _global: Global) -> Result<()> {
    let stored = match &args.model {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let stored: Stored =
                serde_json::from_str(&text).with_context(|| format!("{}: not a stored combination", path.display()))?;
            if stored.combination.mode != args.mode {
                bail!("{}: stored mode {} differs from --mode {}", path.display(), stored.combination.mode, args.mode);
            }
            stored
        }
        None => calibrate(&args)?,
    };
    let n = stored.combination.members.len();
    if args.scores.len() != n {
        bail!(
            "--scores: {} file(s) for {n} calibrated member(s); give one per member, in the same order",
            args.scores.len()
        );
    }
    check_aligned(&args.scores)?;
    let columns = args.scores.iter().map(|p| read_parquet_column(p, "score")).collect::<Result<Vec<_>>>()?;
    let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let combined = stored.combination.combine(&refs).context("combining the member scores")?;
    write_with_scores(&args.scores[0], &combined, &args.output)?;
    let json = combination_path(&args.output);
    write_atomic(&json, serde_json::to_string(&stored)?.as_bytes())?;
    println!(
        "combined {} events of {n} members with {}: {} (calibration in {})",
        combined.len(),
        args.mode,
        args.output.display(),
        json.display()
    );
    Ok(())
}

fn calibrate(args: &Args) -> Result<Stored> {
    if args.calibration.len() < 2 {
        bail!("--calibration: a combination needs at least 2 members, got {}", args.calibration.len());
    }
    check_aligned(&args.calibration)?;
    let columns = args.calibration.iter().map(|p| read_parquet_column(p, "score")).collect::<Result<Vec<_>>>()?;
    let weights = if args.weighted { Some(read_parquet_column(&args.calibration[0], "weight")?) } else { None };
    let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let combination = Combination::fit(args.mode, &refs, weights.as_deref()).context("calibrating the members")?;
    Ok(Stored { members: args.calibration.clone(), combination })
}

/// `combined.parquet` → `combined.combination.json`.
fn combination_path(output: &Path) -> PathBuf {
    let stem = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "combined".into());
    output.with_file_name(format!("{stem}.combination.json"))
}

/// Every file holds the same events in the same order: identical (source_line, event_id)
/// rows. The first difference is named.
fn check_aligned(files: &[PathBuf]) -> Result<()> {
    let keys = |p: &Path| -> Result<Vec<(u64, i64)>> {
        let mut out = Vec::new();
        for batch in batches(p)? {
            let col = |name: &str| {
                batch
                    .column_by_name(name)
                    .cloned()
                    .with_context(|| format!("{}: no column '{name}' (a score file from `oddity score`)", p.display()))
            };
            let (lines, ids) = (col("source_line")?, col("event_id")?);
            let lines = lines
                .as_primitive_opt::<UInt64Type>()
                .with_context(|| format!("{}: 'source_line' is not uint64", p.display()))?;
            let ids = ids
                .as_primitive_opt::<Int64Type>()
                .with_context(|| format!("{}: 'event_id' is not int64", p.display()))?;
            out.extend(lines.values().iter().copied().zip(ids.values().iter().copied()));
        }
        Ok(out)
    };
    let first = keys(&files[0])?;
    for f in &files[1..] {
        let other = keys(f)?;
        if other.len() != first.len() {
            bail!(
                "{}: {} events, but {} has {}; every member must score the same events",
                f.display(),
                other.len(),
                files[0].display(),
                first.len()
            );
        }
        if let Some(row) = first.iter().zip(&other).position(|(a, b)| a != b) {
            bail!(
                "{} row {}: event (line {}, id {}) differs from {} (line {}, id {}); every member must score the same events in the same order",
                f.display(),
                row + 1,
                other[row].0,
                other[row].1,
                files[0].display(),
                first[row].0,
                first[row].1
            );
        }
    }
    Ok(())
}

fn batches(path: &Path) -> Result<Vec<RecordBatch>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("{}: not a Parquet file", path.display()))?
        .build()
        .with_context(|| format!("{}: cannot read", path.display()))?;
    reader.collect::<Result<Vec<_>, _>>().with_context(|| format!("{}: cannot read", path.display()))
}

/// Writes `template` with its `score` column replaced by `scores`, atomically.
fn write_with_scores(template: &Path, scores: &[f64], output: &Path) -> Result<()> {
    let batches = batches(template)?;
    let schema = batches.first().map(|b| b.schema()).with_context(|| format!("{}: no rows", template.display()))?;
    let index = schema.index_of("score").with_context(|| format!("{}: no column 'score'", template.display()))?;
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema.clone(), None).context("Parquet writer")?;
    let mut start = 0;
    for batch in batches {
        let n = batch.num_rows();
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        columns[index] = Arc::new(Float64Array::from(scores[start..start + n].to_vec()));
        start += n;
        writer
            .write(&RecordBatch::try_new(schema.clone(), columns).context("building the combined table")?)
            .context("writing scores")?;
    }
    writer.close().context("writing scores")?;
    write_atomic(output, &bytes)
}
