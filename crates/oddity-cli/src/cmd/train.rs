//! `oddity train`: train a detector from a TOML run file into a run directory, or every
//! member of a combined run file (`[combination]`, oddity_detect::combined) and their
//! calibration.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use oddity_core::EventTable;
use oddity_detect::combined::{CombinedConfig, CombinedRun};
use oddity_detect::run::{RunConfig, TrainExtras, TrainOutcome, train_run_with};

use crate::Global;
use crate::input::{self, InputArgs, write_atomic};
use crate::scores::ScoreTable;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run configuration (TOML; see docs/run-files.md and examples/), or a combined run file
    /// with a `[combination]` of member run files (docs/combine.md).
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
    if let Some(combined) = CombinedConfig::load_if_combined(&args.config, &sets)? {
        return run_combined(&args, combined, global);
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
    let background = read_background(&config.data.background, &args.input, global)?;
    train_member(&config, &background, &args.out, &args.input, global)?;
    Ok(())
}

/// Trains the run of `config` on `background` into `out`, writes its split scores and says
/// what it did.
fn train_member(
    config: &RunConfig,
    background: &(EventTable, Vec<usize>),
    out: &Path,
    input: &InputArgs,
    global: Global,
) -> Result<TrainOutcome> {
    let val_signals = if config.detector.val_signals().is_empty() {
        None
    } else {
        let t = read_all(config.detector.val_signals(), input, global)?;
        let line = format!("signal-assisted model selection on {} signal events", t.len());
        println!("{line}");
        crate::runlog::note(&line);
        Some(t)
    };
    let extras = TrainExtras { val_signals: val_signals.as_ref(), file_lengths: Some(&background.1) };
    let outcome = train_run_with(config, &background.0, &extras, out)
        .with_context(|| format!("training into {}", out.display()))?;
    for w in &outcome.report.warnings {
        tracing::warn!("{w}");
    }
    let (_, path) = write_test_scores(&outcome, out)?;
    let line = format!(
        "{}: trained {} ({} networks); test-split background scores in {}",
        out.display(),
        config.detector.name(),
        outcome.report.members.len(),
        path.display()
    );
    println!("{line}");
    crate::runlog::note(&line);
    Ok(outcome)
}

/// `oddity train` on a combined run file: every member into `RUN/members/<name>/`, then the
/// calibration on the shared validation split (oddity_detect::combined).
fn run_combined(args: &Args, mut config: CombinedConfig, global: Global) -> Result<()> {
    let start = Instant::now();
    if !args.background.is_empty() {
        config.set_background(&args.background);
    }
    if config.background().is_empty() {
        anyhow::bail!("{}: no background files: give --background FILE or data.background", args.config.display());
    }
    for (_, m) in &mut config.members {
        m.train.progress = global.progress;
    }
    crate::runlog::open(&args.out.join("log.txt"))?;
    let names: Vec<&str> = config.members.iter().map(|(n, _)| n.as_str()).collect();
    tracing::info!(
        "oddity {} train --config {} -o {}: {} of {}",
        env!("CARGO_PKG_VERSION"),
        args.config.display(),
        args.out.display(),
        config.combination.mode,
        names.join(", ")
    );
    write_atomic(&args.out.join("config.resolved.toml"), config.to_toml()?.as_bytes())?;
    let background = read_background(config.background(), &args.input, global)?;
    let mut runs = Vec::with_capacity(config.members.len());
    let mut manifests = Vec::with_capacity(config.members.len());
    let mut split = None;
    for (name, member) in &config.members {
        let dir = args.out.join("members").join(name);
        let outcome = train_member(member, &background, &dir, &args.input, global)?;
        manifests.push(oddity_detect::read_json::<serde_json::Value>(&dir.join("manifest.json"))?);
        runs.push((name.clone(), outcome.run));
        // Members share background and split (checked on loading), so these are the same
        // events for every member.
        split = Some((outcome.valid, outcome.test));
    }
    let (valid, test) = split.context("a combination has members")?;
    let combined = CombinedRun::fit(&config.combination, runs, &valid)?;
    combined.save(&args.out)?;
    let written = write_split_scores(|t| Ok(combined.score(t)?), &valid, &test, &args.out)?;
    write_combined_manifest(&combined, &config, manifests, start, &args.out)?;
    let line = format!(
        "{}: combined {} members with {} (calibrated on {} validation events); test-split background scores in {}",
        args.out.display(),
        combined.members.len(),
        combined.name(),
        valid.len(),
        written.1.display()
    );
    println!("{line}");
    crate::runlog::note(&line);
    Ok(())
}

/// The combined run's `manifest.json`: the members' common entries (inputs and the split
/// summaries, the same for every member), the combination, every member's fit report and
/// warnings, and the total time.
fn write_combined_manifest(
    combined: &CombinedRun,
    config: &CombinedConfig,
    members: Vec<serde_json::Value>,
    start: Instant,
    out: &Path,
) -> Result<()> {
    let mut manifest = members[0].clone();
    let networks: Vec<serde_json::Value> =
        members.iter().flat_map(|m| m["fit"]["members"].as_array().cloned().unwrap_or_default()).collect();
    let warnings: Vec<serde_json::Value> =
        members.iter().flat_map(|m| m["fit"]["warnings"].as_array().cloned().unwrap_or_default()).collect();
    manifest["detector"] = combined.name().into();
    manifest["supervised"] = config.members.iter().any(|(_, m)| m.detector.is_supervised()).into();
    manifest["seed"] = members.iter().map(|m| m["seed"].clone()).collect::<Vec<_>>().into();
    manifest["combination"] = serde_json::json!({
        "mode": config.combination.mode.to_string(),
        "weighted": config.combination.weighted,
        "members": combined.members.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
        "calibration_events": combined.combination.members[0].n_events(),
        "calibration_effective_events": combined.combination.members[0].n_effective(),
    });
    manifest["fit"] = serde_json::json!({ "members": networks, "warnings": warnings });
    manifest["seconds"] = start.elapsed().as_secs_f64().into();
    write_atomic(&out.join("manifest.json"), serde_json::to_string_pretty(&manifest)?.as_bytes())
}

/// Scores the background test and validation splits of a fresh run and writes them to
/// `RUN/scores/background_test.parquet` and `background_valid.parquet` (the calibration set
/// of `oddity combine`); returns the test scores and their path.
pub fn write_test_scores(outcome: &TrainOutcome, run_dir: &Path) -> Result<(Vec<f64>, PathBuf)> {
    write_split_scores(|t| Ok(outcome.run.score(t)?), &outcome.valid, &outcome.test, run_dir)
}

/// [`write_test_scores`] with any scorer.
fn write_split_scores(
    score: impl Fn(&EventTable) -> Result<Vec<f64>>,
    valid: &EventTable,
    test: &EventTable,
    run_dir: &Path,
) -> Result<(Vec<f64>, PathBuf)> {
    let write = |name: &str, events: &EventTable| -> Result<(Vec<f64>, PathBuf)> {
        let values = score(events)?;
        let mut scores = ScoreTable::default();
        scores.push(&format!("background-{name}"), events, &values);
        let path = run_dir.join("scores").join(format!("background_{name}.parquet"));
        scores.write(&path)?;
        Ok((values, path))
    };
    write("valid", valid)?;
    write("test", test)
}

/// The background files read and concatenated, with the events of each file, said on the
/// console and in the run log.
fn read_background(files: &[PathBuf], input: &InputArgs, global: Global) -> Result<(EventTable, Vec<usize>)> {
    let read = read_all_counted(files, input, global)?;
    let line = format!("background: {} events from {} file(s)", read.0.len(), files.len());
    println!("{line}");
    crate::runlog::note(&line);
    Ok(read)
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
