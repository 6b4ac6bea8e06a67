//! `oddity report`: one self-contained HTML page comparing trained runs: per run the manifest
//! summary, the configuration, training curves, score distributions and, for every signal
//! file given, the figures of merit; across runs, detector × signal tables of the AUC and of
//! the signal efficiency at each working point (shaped like seed 001's Tables 4-7).
//!
//! Signals are scored with each run (nothing is retrained); the scores are kept in
//! `DIR/scores/<run>/<signal>.parquet`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use oddity_core::EventTable;
use oddity_detect::combined::AnyRun;
use oddity_eval::DARKMACHINES_WORKING_POINTS;
use oddity_plot::{Curve, Lines};

use crate::Global;
use crate::evaluation::{self, Scored, SignalRow};
use crate::input::{self, InputArgs};
use crate::report::Html;
use crate::scores::{ScoreTable, read_scores, read_scores_by};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run directories written by `oddity train`.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// Signal event files to score with every run and evaluate against its background test
    /// split.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub signal: Vec<PathBuf>,
    /// Background efficiencies at which to report the signal efficiency.
    #[arg(long, value_delimiter = ',', default_values_t = DARKMACHINES_WORKING_POINTS.to_vec())]
    pub eb: Vec<f64>,
    /// Device for scoring (default: each run's).
    #[arg(long)]
    pub device: Option<String>,
    /// Output directory (report.html, summary tables, scores).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    #[command(flatten)]
    pub input: InputArgs,
}

/// What the report shows of one run.
struct RunSummary {
    name: String,
    dir: PathBuf,
    detector: String,
    config: String,
    manifest: serde_json::Value,
    background: Scored,
    /// The background test split by process.
    processes: Vec<Scored>,
    signals: Vec<Scored>,
    rows: Vec<SignalRow>,
}

pub fn run(args: Args, global: Global) -> Result<()> {
    let mut signals: Vec<(String, EventTable)> = Vec::new();
    for f in &args.signal {
        signals.push((sample_name(f), input::read_table(f, &args.input, global)?));
    }
    write(&args, &signals, None)
}

/// Writes the report of `args.runs` on `signals` (named events; `args.signal` is not read).
/// `scores`, when given, are the signals' scores by the one run of `args.runs` (a caller that
/// has just scored them, like the demo), so they are not computed again.
pub fn write(args: &Args, signals: &[(String, EventTable)], scores: Option<&[Vec<f64>]>) -> Result<()> {
    for &eb in &args.eb {
        if !(eb > 0.0 && eb <= 1.0) {
            anyhow::bail!("--eb {eb}: background efficiencies must be in (0, 1]");
        }
    }
    if let Some(s) = scores {
        anyhow::ensure!(
            args.runs.len() == 1 && s.len() == signals.len(),
            "precomputed scores need exactly one run and one score list per signal"
        );
    }
    let out = &args.output;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut runs = Vec::new();
    for dir in &args.runs {
        runs.push(summarise(dir, signals, scores, args, out)?);
    }
    let html = render(&runs, &args.eb)?;
    input::write_atomic(&out.join("report.html"), html.as_bytes())?;
    if !signals.is_empty() {
        let (auc, es) = summary_tables(&runs, &args.eb);
        input::write_atomic(&out.join("summary.md"), format!("{}\n{}", markdown(&auc), markdown_all(&es)).as_bytes())?;
        input::write_atomic(&out.join("summary_auc.csv"), csv(&auc).as_bytes())?;
        for (eb, t) in args.eb.iter().zip(&es) {
            input::write_atomic(&out.join(format!("summary_es_eb{eb:e}.csv")), csv(t).as_bytes())?;
        }
        print!("{}", markdown(&auc));
    }
    println!("report: {}", out.join("report.html").display());
    Ok(())
}

/// A file's name without directories and known extensions.
pub fn sample_name(path: &Path) -> String {
    let mut name = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    for ext in [".gz", ".csv", ".parquet"] {
        if let Some(s) = name.strip_suffix(ext) {
            name = s.to_owned();
        }
    }
    name
}

fn summarise(
    dir: &Path,
    signals: &[(String, EventTable)],
    scores: Option<&[Vec<f64>]>,
    args: &Args,
    out: &Path,
) -> Result<RunSummary> {
    let name = dir.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| dir.display().to_string());
    let trained =
        AnyRun::load(dir, args.device.as_deref()).with_context(|| format!("loading the run {}", dir.display()))?;
    let manifest: serde_json::Value = {
        let p = dir.join("manifest.json");
        let text = std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", p.display()))?
    };
    let config = std::fs::read_to_string(dir.join("config.resolved.toml")).unwrap_or_default();
    let test_scores = dir.join("scores").join("background_test.parquet");
    let background = Scored::merged("background (test split)", read_scores(&test_scores)?);
    let processes = read_scores_by(&test_scores, "process")?;
    let mut scored = Vec::new();
    for (k, (sname, table)) in signals.iter().enumerate() {
        let scores = match scores {
            Some(s) => s[k].clone(),
            None => trained.score(table)?,
        };
        let mut st = ScoreTable::default();
        st.push(sname, table, &scores);
        st.write(&out.join("scores").join(&name).join(format!("{sname}.parquet")))?;
        scored.push(Scored { name: sname.clone(), scores, weights: table.weight.clone() });
    }
    let rows = evaluation::evaluate_signals(&background, &scored, &args.eb, 0)?;
    Ok(RunSummary {
        name,
        dir: dir.to_owned(),
        detector: trained.detector_name(),
        config,
        manifest,
        background,
        processes,
        signals: scored,
        rows,
    })
}

/// A detector × signal table: header, then one row per run.
type Table = (Vec<String>, Vec<Vec<String>>);

/// (AUC table, one eS table per working point).
fn summary_tables(runs: &[RunSummary], ebs: &[f64]) -> (Table, Vec<Table>) {
    let mut header = vec!["run (detector)".to_owned()];
    header
        .extend(runs.first().map(|r| r.rows.iter().map(|s| s.signal.clone()).collect::<Vec<_>>()).unwrap_or_default());
    let label = |r: &RunSummary| format!("{} ({})", r.name, r.detector);
    let auc = runs
        .iter()
        .map(|r| std::iter::once(label(r)).chain(r.rows.iter().map(|s| format!("{:.3}", s.evaluation.auc))).collect())
        .collect();
    let es = (0..ebs.len())
        .map(|k| {
            let mut h = header.clone();
            h[0] = format!("eS at eB={:.0e}: run (detector)", ebs[k]);
            let rows = runs
                .iter()
                .map(|r| {
                    std::iter::once(label(r))
                        .chain(r.rows.iter().map(|s| {
                            let wp = &s.evaluation.working_points[k];
                            format!("{:.3}{}", wp.es, if wp.low_statistics { "†" } else { "" })
                        }))
                        .collect()
                })
                .collect();
            (h, rows)
        })
        .collect();
    let mut auc_header = header;
    auc_header[0] = "AUC: run (detector)".into();
    ((auc_header, auc), es)
}

fn markdown((header, rows): &Table) -> String {
    let mut s = format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(header.len()));
    for r in rows {
        s.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    s
}

fn markdown_all(tables: &[Table]) -> String {
    tables.iter().map(markdown).collect::<Vec<_>>().join("\n")
}

fn csv((header, rows): &Table) -> String {
    let cell = |c: &str| if c.contains([',', '"']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c.to_owned() };
    let mut s = header.iter().map(|h| cell(h)).collect::<Vec<_>>().join(",") + "\n";
    for r in rows {
        s.push_str(&(r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",") + "\n"));
    }
    s
}

/// Per-epoch training and validation losses of every network of a run, from
/// `checkpoints/*/metrics.csv` (header `epoch,train_loss,valid_loss,...`).
fn training_curves(dir: &Path) -> Result<Vec<Curve>> {
    let mut curves = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir.join("checkpoints")) else { return Ok(curves) };
    let mut nets: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    nets.sort();
    for net in nets {
        let path = net.join("metrics.csv");
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let name = net.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (mut epochs, mut train, mut valid) = (Vec::new(), Vec::new(), Vec::new());
        for (i, line) in text.lines().enumerate().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let num = |k: usize| -> Result<f64> {
                let v = f.get(k).copied().unwrap_or("");
                if v.is_empty() {
                    return Ok(f64::NAN);
                }
                v.parse().with_context(|| {
                    format!("{} line {}: field {} is not a number: {v:?}", path.display(), i + 1, k + 1)
                })
            };
            epochs.push(num(0)?);
            train.push(num(1)?);
            valid.push(num(2)?);
        }
        let keep = |ys: &[f64]| -> (Vec<f64>, Vec<f64>) {
            epochs.iter().zip(ys).filter(|(_, y)| y.is_finite()).map(|(x, y)| (*x, *y)).unzip()
        };
        let (x, y) = keep(&train);
        curves.push(Curve::new(format!("{name} train"), x, y));
        let (x, y) = keep(&valid);
        if !x.is_empty() {
            curves.push(Curve::new(format!("{name} validation"), x, y));
        }
    }
    Ok(curves)
}

fn render(runs: &[RunSummary], ebs: &[f64]) -> Result<String> {
    let mut h = Html::default();
    h.h1("Oddity report");
    h.paragraph(
        &format!(
            "oddity {}; {} run(s). Scores: higher = more anomalous. Efficiencies are weighted.",
            env!("CARGO_PKG_VERSION"),
            runs.len()
        ),
        Some("note"),
    );
    if runs.iter().any(|r| !r.rows.is_empty()) {
        let (auc, es) = summary_tables(runs, ebs);
        h.h2("Detectors × signals", "summary");
        h.table(&auc.0, &auc.1);
        for t in &es {
            h.table(&t.0, &t.1);
        }
        h.paragraph("† fewer than 10 background events expected above the threshold: low statistics.", Some("note"));
    }
    for r in runs {
        h.h2(&format!("{} ({})", r.name, r.detector), &r.name);
        h.paragraph(&r.dir.display().to_string(), Some("note"));
        let m = &r.manifest;
        let split = |k: &str| {
            vec![
                k.to_owned(),
                m[k]["events"].as_u64().map(|x| x.to_string()).unwrap_or_default(),
                m[k]["sum_weights"].as_f64().map(|x| format!("{x:.4e}")).unwrap_or_default(),
                m[k]["effective_events"].as_f64().map(|x| format!("{x:.0}")).unwrap_or_default(),
            ]
        };
        h.table(
            &["background".into(), "events".into(), "Σw".into(), "effective events".into()],
            &["train", "validation", "test"].map(split),
        );
        h.paragraph(
            &format!(
                "device {}, seed {}, {:.1} s",
                m["device"].as_str().unwrap_or("?"),
                m["seed"],
                m["seconds"].as_f64().unwrap_or(f64::NAN)
            ),
            Some("note"),
        );
        for w in m["fit"]["warnings"].as_array().into_iter().flatten() {
            h.paragraph(&format!("warning: {}", w.as_str().unwrap_or_default()), Some("warn"));
        }
        if !r.rows.is_empty() {
            let mut header = vec!["signal".to_owned(), "events".into(), "AUC".into()];
            header.extend(ebs.iter().map(|eb| format!("eS at eB={eb:.0e}")));
            header.push("maxSI".into());
            let rows: Vec<Vec<String>> = r
                .rows
                .iter()
                .map(|s| {
                    let mut v = vec![s.signal.clone(), s.signal_events.to_string(), format!("{:.3}", s.evaluation.auc)];
                    v.extend(
                        s.evaluation
                            .working_points
                            .iter()
                            .map(|wp| format!("{:.3}{}", wp.es, if wp.low_statistics { "†" } else { "" })),
                    );
                    v.push(format!("{:.2}", s.evaluation.max_si));
                    v
                })
                .collect();
            h.table(&header, &rows);
        }
        let mut samples = vec![&r.background];
        samples.extend(r.signals.iter());
        if let Some(hist) = evaluation::score_hist(&format!("{}: anomaly scores", r.name), &samples) {
            h.figure(&hist.to_svg_string()?, "Score distributions, each normalised to unit weighted area");
        }
        if r.processes.len() > 1 {
            let by_process: Vec<&Scored> = r.processes.iter().collect();
            if let Some(hist) = evaluation::score_hist(&format!("{}: background by process", r.name), &by_process) {
                h.figure(
                    &hist.to_svg_string()?,
                    "Background test split by process, each normalised to unit weighted area",
                );
            }
        }
        if !r.signals.is_empty() {
            let roc = evaluation::roc_lines(&format!("{}: ROC", r.name), &r.background, &r.signals)?;
            h.figure(&roc.to_svg_string()?, "ROC curves against the background test split (logarithmic eB)");
        }
        let curves = training_curves(&r.dir)?;
        if !curves.is_empty() {
            let lines = Lines {
                title: format!("{}: training", r.name),
                x_label: "epoch".into(),
                y_label: "loss (event-weighted mean)".into(),
                curves,
                log_y: true,
                ..Lines::default()
            };
            h.figure(&lines.to_svg_string()?, "Training and validation loss per epoch of every network");
        }
        h.details("Resolved configuration (config.resolved.toml)", &r.config);
        h.details("Fit summary (manifest.json)", &serde_json::to_string_pretty(&m["fit"]).unwrap_or_default());
    }
    Ok(h.finish("Oddity report"))
}
