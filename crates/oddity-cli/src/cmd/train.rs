//! `oddity train`: train a detector from a TOML run file into a run directory.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use oddity_core::EventTable;
use oddity_detect::run::{RunConfig, TrainExtras, TrainOutcome, train_run_with};

use crate::Global;
use crate::input::{self, InputArgs};
use crate::scores::ScoreTable;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run configuration (TOML; see docs/run-files.md and examples/).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Background files; replace `data.background` of the run file when given.
    #[arg(long, value_name = "FILE")]
    pub background: Vec<PathBuf>,
    /// Override a setting, e.g. `--set train.epochs=5` (repeatable; TOML values).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Device: cpu, cuda, cuda:N or auto (overrides `data.device`).
    #[arg(long)]
    pub device: Option<String>,
    /// The run directory to create (or to resume: finished epochs are kept).
    #[arg(long, short, value_name = "RUN")]
    pub out: PathBuf,
    #[command(flatten)]
    pub input: InputArgs,
}

pub fn run(args: Args, global: Global) -> Result<()> {
    let mut sets = args.sets.clone();
    if let Some(d) = &args.device {
        sets.push(format!("data.device=\"{d}\""));
    }
    let mut config = RunConfig::load(&args.config, &sets)?;
    if !args.background.is_empty() {
        config.data.background = args.background.clone();
    }
    if config.data.background.is_empty() {
        anyhow::bail!("{}: no background files: give --background FILE or data.background", args.config.display());
    }
    config.train.progress = global.progress;
    crate::runlog::open(&args.out.join("log.txt"))?;
    tracing::info!(
        "oddity {} train --config {} -o {}: {} on {}",
        env!("CARGO_PKG_VERSION"),
        args.config.display(),
        args.out.display(),
        config.detector.name(),
        config.data.device
    );
    let (background, file_lengths) = read_all_counted(&config.data.background, &args.input, global)?;
    let line = format!("background: {} events from {} file(s)", background.len(), config.data.background.len());
    println!("{line}");
    crate::runlog::note(&line);
    let val_signals = if config.detector.val_signals().is_empty() {
        None
    } else {
        let t = read_all(config.detector.val_signals(), &args.input, global)?;
        let line = format!("signal-assisted model selection on {} signal events", t.len());
        println!("{line}");
        crate::runlog::note(&line);
        Some(t)
    };
    let extras = TrainExtras { val_signals: val_signals.as_ref(), file_lengths: Some(&file_lengths) };
    let outcome = train_run_with(&config, &background, &extras, &args.out)
        .with_context(|| format!("training into {}", args.out.display()))?;
    for w in &outcome.report.warnings {
        tracing::warn!("{w}");
    }
    let (_, path) = write_test_scores(&outcome, &args.out)?;
    let line = format!(
        "{}: trained {} ({} networks); test-split background scores in {}",
        args.out.display(),
        config.detector.name(),
        outcome.report.members.len(),
        path.display()
    );
    println!("{line}");
    crate::runlog::note(&line);
    Ok(())
}

/// Scores the background test and validation splits of a fresh run and writes them to
/// `RUN/scores/background_test.parquet` and `background_valid.parquet` (the calibration set
/// of `oddity combine`); returns the test scores and their path.
pub fn write_test_scores(outcome: &TrainOutcome, run_dir: &Path) -> Result<(Vec<f64>, PathBuf)> {
    let write = |name: &str, events: &EventTable| -> Result<(Vec<f64>, PathBuf)> {
        let values = outcome.run.score(events)?;
        let mut scores = ScoreTable::default();
        scores.push(&format!("background-{name}"), events, &values);
        let path = run_dir.join("scores").join(format!("background_{name}.parquet"));
        scores.write(&path)?;
        Ok((values, path))
    };
    write("valid", &outcome.valid)?;
    write("test", &outcome.test)
}

/// Reads and concatenates `files`.
pub fn read_all(files: &[PathBuf], input: &InputArgs, global: Global) -> Result<EventTable> {
    Ok(read_all_counted(files, input, global)?.0)
}

/// [`read_all`] and the number of events of each file.
fn read_all_counted(files: &[PathBuf], input: &InputArgs, global: Global) -> Result<(EventTable, Vec<usize>)> {
    let mut all = EventTable::new();
    let mut lengths = Vec::with_capacity(files.len());
    for f in files {
        let t = input::read_table(f, input, global)?;
        lengths.push(t.len());
        all.append(&t);
    }
    Ok((all, lengths))
}
