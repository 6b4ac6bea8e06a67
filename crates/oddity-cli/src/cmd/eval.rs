//! `oddity eval`: figures of merit of scored events (physics-spec §8), or the total
//! improvement recomputed from a published table of per-signal efficiencies.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use oddity_eval::ti::{Channel, SubmissionRow, total_improvements};
use oddity_eval::{DARKMACHINES_WORKING_POINTS, table};

use oddity_detect::combined::AnyRun;

use crate::Global;
use crate::evaluation::{self, Scored, SignalRow};
use crate::input::{InputArgs, write_atomic};
use crate::scores::read_scores;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["background", "table", "run"])))]
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
    /// Jet-energy-scale robustness (physics-spec §8.7): the trained run whose background
    /// test split is the background; with `--events` and `--jes`.
    #[arg(long, value_name = "RUN", requires_all = ["events", "jes"], conflicts_with_all = ["background", "signal", "table"])]
    pub run: Option<PathBuf>,
    /// Signal event files rescored with jet and b-jet energies scaled by 1 ± s.
    #[arg(long, value_name = "FILE", num_args = 1.., requires = "run")]
    pub events: Vec<PathBuf>,
    /// Relative JES shifts s (e.g. 0.02,0.03,0.05,0.08,0.10); each is applied up and down.
    #[arg(long, value_delimiter = ',', requires = "run")]
    pub jes: Vec<f64>,
    /// Device for rescoring (default: the run's).
    #[arg(long, requires = "run")]
    pub device: Option<String>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Output directory.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}

pub fn run(args: Args, global: Global) -> Result<()> {
    std::fs::create_dir_all(&args.output).with_context(|| format!("cannot create {}", args.output.display()))?;
    check_eb(&args.eb)?;
    match (&args.table, &args.run) {
        (Some(table), _) => ti_table(table, &args.output),
        (None, Some(run)) => jes_study(run, &args, global),
        (None, None) => scores(&args),
    }
}

fn check_eb(ebs: &[f64]) -> Result<()> {
    for &eb in ebs {
        if !(eb > 0.0 && eb <= 1.0) {
            anyhow::bail!("--eb {eb}: background efficiencies must be in (0, 1]");
        }
    }
    Ok(())
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
    crate::cmd::report::sample_name(Path::new(file))
}

fn scores(args: &Args) -> Result<()> {
    let channel: Channel = args.channel.parse().map_err(|e: String| anyhow::anyhow!("--channel: {e}"))?;
    let name = args.background.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let background = Scored::merged(&name, read_all(&args.background)?);
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
    evaluation::lines_plot(&evaluation::roc_lines("ROC", &background, &signals)?, &out.join("roc.png"))?;
    evaluation::lines_plot(
        &evaluation::si_lines("significance improvement", &background, &signals)?,
        &out.join("si.png"),
    )?;
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

/// One row of the JES study.
#[derive(Debug, serde::Serialize)]
struct JesRow {
    signal: String,
    /// Scale factor of jet and b-jet energies (1 for the nominal).
    factor: f64,
    #[serde(flatten)]
    evaluation: oddity_eval::Evaluation,
}

/// Rescores each signal with jet energies scaled by 1 ± s and evaluates it against the run's
/// background test split (physics-spec §8.7).
fn jes_study(run_dir: &Path, args: &Args, global: Global) -> Result<()> {
    for &s in &args.jes {
        if !(s > 0.0 && s < 1.0) {
            anyhow::bail!("--jes {s}: shifts must be in (0, 1), e.g. 0.05 for ±5 %");
        }
    }
    let run = AnyRun::load(run_dir, args.device.as_deref())
        .with_context(|| format!("loading the run {}", run_dir.display()))?;
    let test_scores = read_scores(&run_dir.join("scores").join("background_test.parquet"))?;
    let background = Scored::merged("background (test split)", test_scores);
    let mut factors = vec![1.0];
    for &s in &args.jes {
        factors.push(1.0 - s);
        factors.push(1.0 + s);
    }
    factors.sort_by(f64::total_cmp);
    let mut rows = Vec::new();
    for f in &args.events {
        let name = signal_name(&f.display().to_string());
        let table = crate::input::read_table(f, &args.input, global)?;
        for &factor in &factors {
            let shifted = oddity_repr::distort::jes(&table, factor)?;
            let scored = Scored { name: name.clone(), scores: run.score(&shifted)?, weights: shifted.weight.clone() };
            let mut r = evaluation::evaluate_signals(&background, &[scored], &args.eb, 0)?;
            rows.push(JesRow { signal: name.clone(), factor, evaluation: r.remove(0).evaluation });
        }
    }
    let mut md = String::from("| signal | JES factor | AUC |");
    for eb in &args.eb {
        md.push_str(&format!(" eS at eB={eb:.0e} |"));
    }
    md.push_str("\n|---|---:|---:|");
    md.push_str(&"---:|".repeat(args.eb.len()));
    md.push('\n');
    let mut csv = String::from("signal,jes_factor,auc");
    for eb in &args.eb {
        csv.push_str(&format!(",es_at_{eb:e}"));
    }
    csv.push('\n');
    for r in &rows {
        md.push_str(&format!("| {} | {:.2} | {:.4} |", r.signal, r.factor, r.evaluation.auc));
        csv.push_str(&format!("{},{},{}", r.signal, r.factor, r.evaluation.auc));
        for wp in &r.evaluation.working_points {
            md.push_str(&format!(" {:.4}{} |", wp.es, if wp.low_statistics { "†" } else { "" }));
            csv.push_str(&format!(",{}", wp.es));
        }
        md.push('\n');
        csv.push('\n');
    }
    print!("{md}");
    let out = &args.output;
    write_atomic(&out.join("jes.md"), md.as_bytes())?;
    write_atomic(&out.join("jes.csv"), csv.as_bytes())?;
    write_atomic(&out.join("jes.json"), serde_json::to_string_pretty(&rows)?.as_bytes())?;
    let mut curves: Vec<oddity_plot::Curve> = Vec::new();
    for r in &rows {
        match curves.iter_mut().find(|c| c.label == r.signal) {
            Some(c) => {
                c.x.push(r.factor);
                c.y.push(r.evaluation.auc);
            }
            None => curves.push(oddity_plot::Curve::new(r.signal.clone(), vec![r.factor], vec![r.evaluation.auc])),
        }
    }
    let lines = oddity_plot::Lines {
        title: "jet energy scale robustness".into(),
        x_label: "jet and b-jet energy scale factor".into(),
        y_label: "AUC".into(),
        curves,
        markers: true,
        ..oddity_plot::Lines::default()
    };
    evaluation::lines_plot(&lines, &out.join("jes.png"))?;
    println!("\nwritten to {}", out.display());
    Ok(())
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
    // TI box plots per model, as in the DarkMachines paper (arXiv 2105.14027, Fig. 10).
    let mut categories = Vec::new();
    let mut boxes = Vec::new();
    for m in &report.models {
        let values: Vec<f64> = m.per_signal.iter().map(|s| s.ti).collect();
        if let Some(b) = oddity_plot::BoxStats::from_values(&values) {
            categories.push(m.model.clone());
            boxes.push(b);
        }
    }
    let plot = oddity_plot::BoxPlot {
        title: "total improvement per model".into(),
        x_label: "model".into(),
        y_label: "TI (max SI over channels)".into(),
        categories,
        boxes,
        log_y: true,
        reference_y: Some(1.0),
        ..oddity_plot::BoxPlot::default()
    };
    oddity_plot::render_boxplot(&plot, &out.join("ti.png"))
        .with_context(|| format!("drawing {}", out.join("ti.png").display()))?;
    write_atomic(&out.join("total_improvements.md"), md.as_bytes())?;
    write_atomic(&out.join("total_improvements.json"), serde_json::to_string_pretty(&report)?.as_bytes())?;
    println!("\nwritten to {}", out.display());
    Ok(())
}
