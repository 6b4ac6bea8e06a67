//! `oddity eval`: figures of merit of scored events (physics-spec §8), or the total
//! improvement recomputed from a published table of per-signal efficiencies.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use oddity_eval::ti::{Channel, SubmissionRow, total_improvements};
use oddity_eval::{DARKMACHINES_WORKING_POINTS, table};

use crate::Global;
use crate::evaluation::{self, Scored, SignalRow};
use crate::input::write_atomic;
use crate::scores::read_scores;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["background", "table"])))]
pub struct Args {
    /// Score file(s) of background events (from `oddity score` or a run's
    /// `scores/background_test.parquet`); all their events form the background.
    #[arg(long, value_name = "SCORES.parquet", num_args = 1.., requires = "signal")]
    pub background: Vec<PathBuf>,
    /// Score file(s) of signals; every input file recorded in a score file (its `file`
    /// column) is one signal.
    #[arg(long, value_name = "SCORES.parquet", num_args = 1..)]
    pub signal: Vec<PathBuf>,
    /// Background efficiencies at which to report the signal efficiency.
    #[arg(long, value_delimiter = ',', default_values_t = DARKMACHINES_WORKING_POINTS.to_vec())]
    pub eb: Vec<f64>,
    /// Bootstrap replicas for uncertainties of the AUC and the efficiencies (0: none).
    #[arg(long, default_value_t = 0)]
    pub bootstrap: usize,
    /// Model name in the submission table.
    #[arg(long, default_value = "oddity")]
    pub model: String,
    /// DarkMachines channel in the submission table (1, 2a, 2b, 3).
    #[arg(long, default_value = "3")]
    pub channel: String,
    /// Recompute the total improvement (TI) from a DarkMachines submission table
    /// (`Signal,Model,Chan,AUC,1e-2,1e-3,1e-4`) instead.
    #[arg(long, value_name = "FILE.csv", conflicts_with_all = ["background", "signal"])]
    pub table: Option<PathBuf>,
    /// Output directory.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}

pub fn run(args: Args, _global: Global) -> Result<()> {
    std::fs::create_dir_all(&args.output).with_context(|| format!("cannot create {}", args.output.display()))?;
    match &args.table {
        Some(table) => ti_table(table, &args.output),
        None => scores(&args),
    }
}

/// Reads and merges score files into one sample per recorded input file.
fn read_all(files: &[PathBuf]) -> Result<Vec<Scored>> {
    let mut all: Vec<Scored> = Vec::new();
    for f in files {
        for s in read_scores(f)? {
            match all.iter_mut().find(|a| a.name == s.name) {
                Some(a) => {
                    a.scores.extend(s.scores);
                    a.weights.extend(s.weights);
                }
                None => all.push(s),
            }
        }
    }
    Ok(all)
}

/// A signal's display name: its file name without directories and known extensions.
fn signal_name(file: &str) -> String {
    let base = Path::new(file).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| file.to_owned());
    let mut name = base.as_str();
    for ext in [".gz", ".csv", ".parquet"] {
        name = name.strip_suffix(ext).unwrap_or(name);
    }
    name.to_owned()
}

fn scores(args: &Args) -> Result<()> {
    for &eb in &args.eb {
        if !(eb > 0.0 && eb <= 1.0) {
            anyhow::bail!("--eb {eb}: background efficiencies must be in (0, 1]");
        }
    }
    let channel: Channel = args.channel.parse().map_err(|e: String| anyhow::anyhow!("--channel: {e}"))?;
    let mut background = Scored { name: String::new(), scores: Vec::new(), weights: Vec::new() };
    for b in read_all(&args.background)? {
        background.scores.extend(b.scores);
        background.weights.extend(b.weights);
    }
    background.name = args.background.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let signals: Vec<Scored> =
        read_all(&args.signal)?.into_iter().map(|s| Scored { name: signal_name(&s.name), ..s }).collect();
    let rows = evaluation::evaluate_signals(&background, &signals, &args.eb, args.bootstrap)?;
    let md = evaluation::markdown(&background, &rows);
    print!("{md}");
    let out = &args.output;
    write_atomic(&out.join("evaluation.md"), md.as_bytes())?;
    write_atomic(&out.join("evaluation.json"), serde_json::to_string_pretty(&rows)?.as_bytes())?;
    if let Some(submission) = submission_rows(&rows, &args.model, channel) {
        table::write_submission_csv(&out.join("submission.csv"), &submission)?;
    }
    let mut all = vec![&background];
    all.extend(signals.iter());
    evaluation::score_plot("anomaly scores", &all, &out.join("scores.png"))?;
    println!("\nwritten to {}", out.display());
    Ok(())
}

/// DarkMachines submission rows, when the working points are exactly the challenge's.
fn submission_rows(rows: &[SignalRow], model: &str, channel: Channel) -> Option<Vec<SubmissionRow>> {
    let ebs: Vec<f64> = rows.first()?.evaluation.working_points.iter().map(|w| w.eb).collect();
    if ebs != DARKMACHINES_WORKING_POINTS {
        return None;
    }
    Some(
        rows.iter()
            .map(|r| {
                let es = &r.evaluation.working_points;
                SubmissionRow {
                    signal: r.signal.clone(),
                    model: model.to_owned(),
                    channel,
                    auc: r.evaluation.auc,
                    efficiencies: [es[0].es, es[1].es, es[2].es],
                }
            })
            .collect(),
    )
}

/// TI per model from a submission table (physics-spec §8.4).
fn ti_table(path: &Path, out: &Path) -> Result<()> {
    let rows = table::read_submission_csv(path)?;
    let report = total_improvements(&rows);
    let ti: Vec<table::TiRow> = report.models.iter().map(Into::into).collect();
    let md = table::ti_markdown(&ti, Some(2));
    print!("{md}");
    for e in &report.excluded {
        let missing: Vec<String> = e.missing.iter().map(|c| c.to_string()).collect();
        println!("excluded {}: no results for channel(s) {}", e.model, missing.join(", "));
    }
    table::write_ti_csv(&out.join("total_improvements.csv"), &ti)?;
    write_atomic(&out.join("total_improvements.md"), md.as_bytes())?;
    write_atomic(&out.join("total_improvements.json"), serde_json::to_string_pretty(&report)?.as_bytes())?;
    println!("\nwritten to {}", out.display());
    Ok(())
}
