//! `oddity demo`: the main job on the embedded sample.
//!
//! Extracts the sample, inspects every file (with plots), selects channel 3 into Parquet,
//! trains the DeepSVDD ensemble of `examples/demo.toml` on the background, scores the test
//! split of the background and every signal, and evaluates each signal (AUC, signal
//! efficiency at fixed background efficiency, maxSI) with a picture of the score
//! distributions, runs the statistical search on the scores (anomaly regions, mass spectra,
//! fits, BumpHunter) and writes the HTML report.

use std::path::PathBuf;

use anyhow::{Context, Result};
use oddity_core::Selection;
use oddity_detect::run::{RunConfig, train_run};

use crate::Global;
use crate::cmd::convert::PrecisionArg;
use crate::cmd::{inspect, select};
use crate::embedded;
use crate::evaluation::{self, Scored};
use crate::input::{self, InputArgs, Unit};
use crate::scores::ScoreTable;

/// The demonstration's run file (paths inside it are replaced by the extracted sample).
const DEMO_CONFIG: &str = include_str!("../../../../examples/demo.toml");

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "oddity-demo")]
    pub output: PathBuf,
}

pub fn run(args: Args, global: Global) -> Result<()> {
    let out = &args.output;
    let files = embedded::extract(&out.join("data"))?;
    println!("Oddity demo: embedded sample extracted to {}", out.join("data").display());
    let input_args = InputArgs { skip_bad_lines: false, rejects: None, units: Unit::Mev };
    let mut inspections = Vec::new();
    for (_, path) in &files {
        let i = inspect::inspect_file(path, &input_args, global, Some(&out.join("plots")))?;
        print!("\n{}", inspect::render_text(&i));
        inspections.push(i);
    }
    input::write_atomic(&out.join("inspect.json"), serde_json::to_string_pretty(&inspections)?.as_bytes())?;
    let chan3 = Selection::builtin("chan3")?;
    println!("\nselection {}: {}", chan3.name, chan3.description);
    for (sample, path) in &files {
        let stem = sample.name.trim_end_matches(".csv.gz");
        let target = out.join("selected").join(format!("{stem}.parquet"));
        std::fs::create_dir_all(out.join("selected"))?;
        let counts =
            select::select_files(&chan3, std::slice::from_ref(path), &target, PrecisionArg::G6, &input_args, global)?;
        for c in counts {
            println!(
                "  {:<40} kept {:>6} of {:>6} events  sum w {:.4e} pb  ESS {:.0}  -> {}",
                sample.name,
                c.selected.events,
                c.read.events,
                c.selected.sum_weights,
                c.selected_ess,
                target.display()
            );
        }
    }
    detect(out, &files, &input_args, global)?;
    println!("\nplots in {}, summaries in {}", out.join("plots").display(), out.join("inspect.json").display());
    Ok(())
}

/// Trains the demo detector on the background, scores the background test split and the
/// signals, and evaluates every signal.
fn detect(
    out: &std::path::Path,
    files: &[(embedded::Sample, PathBuf)],
    input_args: &InputArgs,
    global: Global,
) -> Result<()> {
    let mut config = RunConfig::from_toml(DEMO_CONFIG, "examples/demo.toml", &[])?;
    let backgrounds: Vec<_> = files.iter().filter(|(s, _)| s.is_background()).collect();
    let signals: Vec<_> = files.iter().filter(|(s, _)| s.role() == embedded::Role::Signal).collect();
    config.data.background = backgrounds.iter().map(|(_, p)| p.clone()).collect();
    config.train.progress = global.progress;
    let mut background = oddity_core::EventTable::new();
    for (_, p) in &backgrounds {
        background.append(&input::read_table(p, input_args, global)?);
    }
    let run_dir = out.join("run");
    println!(
        "\ntraining {} on {} background events ({} members, run directory {}) ...",
        config.detector.name(),
        background.len(),
        match &config.detector {
            oddity_detect::DetectorConfig::DeepSvdd(d) => d.rep_dims.len(),
            _ => 1,
        },
        run_dir.display()
    );
    crate::runlog::open(&run_dir.join("log.txt"))?;
    let outcome = train_run(&config, &background, &run_dir).context("training the demo detector")?;
    for w in &outcome.report.warnings {
        tracing::warn!("{w}");
    }
    let mut table = ScoreTable::default();
    let (test_scores, _) = crate::cmd::train::write_test_scores(&outcome, &run_dir)?;
    table.push("background (test split)", &outcome.test, &test_scores);
    let bkg =
        Scored { name: "background (test split)".into(), scores: test_scores, weights: outcome.test.weight.clone() };
    let mut scored_signals = Vec::new();
    // Read and scored once; the report below gets both.
    let mut signal_events = Vec::new();
    let mut signal_scores = Vec::new();
    for (sample, path) in &signals {
        let events = input::read_table(path, input_args, global)?;
        let scores = outcome.run.score(&events)?;
        table.push(sample.name, &events, &scores);
        let name = crate::cmd::report::sample_name(path);
        scored_signals.push(Scored {
            name: name.trim_end_matches("_chan3").to_owned(),
            scores: scores.clone(),
            weights: events.weight.clone(),
        });
        signal_events.push((name, events));
        signal_scores.push(scores);
    }
    table.write(&out.join("scores.parquet"))?;
    let rows = evaluation::evaluate_signals(&bkg, &scored_signals, &oddity_eval::DARKMACHINES_WORKING_POINTS, 0)?;
    let md = evaluation::markdown(&bkg, &rows);
    println!("\n{md}");
    input::write_atomic(&out.join("evaluation.md"), md.as_bytes())?;
    input::write_atomic(&out.join("evaluation.json"), serde_json::to_string_pretty(&rows)?.as_bytes())?;
    let mut all = vec![&bkg];
    all.extend(scored_signals.iter());
    evaluation::score_plot(
        "DeepSVDD ensemble (MLP) on the embedded sample",
        &all,
        &out.join("plots").join("scores.png"),
    )?;
    let roc = evaluation::roc_lines("DeepSVDD ensemble (MLP): ROC", &bkg, &scored_signals)?;
    evaluation::lines_plot(&roc, &out.join("plots").join("roc.png"))?;
    println!(
        "scores in {}, evaluation in {}",
        out.join("scores.parquet").display(),
        out.join("evaluation.md").display()
    );
    search(out, &outcome.run, &background, &signal_events, &signal_scores, global)?;
    let report = crate::cmd::report::Args {
        runs: vec![run_dir],
        signal: signals.iter().map(|(_, p)| p.clone()).collect(),
        eb: oddity_eval::DARKMACHINES_WORKING_POINTS.to_vec(),
        device: None,
        output: out.join("report"),
        input: input_args.clone(),
    };
    crate::cmd::report::write(&report, &signal_events, Some(&signal_scores))
}

/// Luminosity of the demo's search, fb⁻¹. The embedded background (138.9 pb) has an effective
/// sample size of 3913 events, i.e. the statistics of about 0.028 fb⁻¹; at much larger
/// luminosities the Poisson pseudo-data resolve the simulation's own fluctuations (single
/// events of large weight), which a smooth fit cannot follow and BumpHunter reports as bumps.
const DEMO_LUMI_FB: f64 = 0.02;

/// The statistical search on the demo's scores: thresholds fixed on the whole background
/// (every event, so the weights add up to its cross section), data = background + the three
/// signals at their cross sections, Poisson-fluctuated; anomaly regions of 10 and 1 pb.
fn search(
    out: &std::path::Path,
    run: &oddity_detect::run::TrainedRun,
    background: &oddity_core::EventTable,
    signals: &[(String, oddity_core::EventTable)],
    signal_scores: &[Vec<f64>],
    global: Global,
) -> Result<()> {
    let dir = out.join("search");
    let mut reference = ScoreTable::default();
    let scores = run.score(background)?;
    reference.push("background", background, &scores);
    reference.write(&dir.join("background.parquet"))?;
    for ((name, events), scores) in signals.iter().zip(signal_scores) {
        reference.push(name, events, scores);
    }
    reference.write(&dir.join("data.parquet"))?;
    println!(
        "
search: background and background + signals at {DEMO_LUMI_FB} fb⁻¹ (Poisson pseudo-data) ..."
    );
    let args = crate::cmd::search::Args {
        background: Some(dir.join("background.parquet")),
        data: vec![dir.join("data.parquet")],
        xsec: vec![10.0, 1.0],
        lumi: DEMO_LUMI_FB,
        poisson_data: Some(1),
        npe: 2000,
        output: dir.clone(),
        ..crate::cmd::search::Args::defaults()
    };
    crate::cmd::search::run(args, global)
}
