//! `oddity inspect FILE...`: what is in these files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use oddity_core::summary::QUANTILES;
use oddity_core::{EventTable, Summary, SummaryReport};
use oddity_stats::Hist1D;

use crate::Global;
use crate::input::{self, FileRead, InputArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Event files (.csv, .csv.gz, .parquet).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write histograms (PNG) of MET, HT, leading-jet pT, multiplicities and the process mix
    /// to DIR/<file name>/.
    #[arg(long, value_name = "DIR")]
    pub plots: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
}

/// One inspected file.
#[derive(Debug, serde::Serialize)]
pub struct Inspection {
    pub file: String,
    pub lines: u64,
    pub empty_lines: u64,
    pub rejected_lines: u64,
    pub rejects_file: Option<String>,
    pub wrapped_phi: u64,
    #[serde(flatten)]
    pub summary: SummaryReport,
}

/// Histograms filled while reading, for `--plots`.
struct Plots {
    met: Hist1D,
    ht: Hist1D,
    lead_jet_pt: Hist1D,
}

impl Plots {
    fn new() -> Self {
        let h = |hi: f64| Hist1D::uniform(60, 0.0, hi).expect("static binning is valid");
        Self { met: h(3000.0), ht: h(6000.0), lead_jet_pt: h(3000.0) }
    }

    fn fill(&mut self, t: &EventTable) {
        for ev in t.events() {
            self.met.fill(ev.met, ev.weight);
            self.ht.fill(ev.ht(None), ev.weight);
            let lead = ev.objects.iter().filter(|o| o.kind.is_jet()).map(|o| o.pt).fold(f64::NAN, f64::max);
            if !lead.is_nan() {
                self.lead_jet_pt.fill(lead, ev.weight);
            }
        }
    }
}

/// Reads one file into its summary (and histograms when asked).
pub fn inspect_file(path: &Path, args: &InputArgs, global: Global, plots_dir: Option<&Path>) -> Result<Inspection> {
    let mut summary = Summary::new();
    let mut plots = plots_dir.map(|_| Plots::new());
    let read: FileRead = input::for_each_batch(path, args, input::rejects_name(path), global, |batch| {
        summary.add(batch);
        if let Some(p) = plots.as_mut() {
            p.fill(batch);
        }
        Ok(())
    })?;
    let summary = summary.finish();
    if let (Some(dir), Some(plots)) = (plots_dir, plots) {
        write_plots(dir, path, &summary, &plots)?;
    }
    Ok(Inspection {
        file: path.display().to_string(),
        lines: read.report.lines,
        empty_lines: read.report.empty_lines,
        rejected_lines: read.report.rejected,
        rejects_file: read.rejects_file.map(|p| p.display().to_string()),
        wrapped_phi: read.report.wrapped_phi,
        summary,
    })
}

pub fn run(args: Args, global: Global) -> Result<()> {
    let mut all = Vec::with_capacity(args.files.len());
    for f in &args.files {
        all.push(inspect_file(f, &args.input, global, args.plots.as_deref())?);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    } else {
        for i in &all {
            print!("{}", render_text(i));
        }
    }
    Ok(())
}

fn num(x: f64) -> String {
    if x == 0.0 || (1e-3..1e6).contains(&x.abs()) {
        format!("{x:.6}").trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        format!("{x:.5e}")
    }
}

/// The human-readable report of one file.
pub fn render_text(i: &Inspection) -> String {
    let s = &i.summary;
    let mut o = String::new();
    let _ = writeln!(o, "{}", i.file);
    let _ = writeln!(o, "  events                 {}", s.events);
    let _ = writeln!(
        o,
        "  lines                  {} ({} empty, {} rejected{}{})",
        i.lines,
        i.empty_lines,
        i.rejected_lines,
        i.rejects_file.as_ref().map(|f| format!(", see {f}")).unwrap_or_default(),
        if i.wrapped_phi > 0 {
            format!(", {} phi values wrapped into [-pi, pi)", i.wrapped_phi)
        } else {
            String::new()
        }
    );
    let _ = writeln!(o, "  sum of weights         {}", num(s.sum_weights));
    let _ = writeln!(o, "  effective sample size  {:.1}  ((sum w)^2 / sum w^2)", s.effective_sample_size);
    let _ = writeln!(
        o,
        "  weights                min {}, max {}, negative {}",
        num(s.weight_min),
        num(s.weight_max),
        s.negative_weights
    );
    let _ = writeln!(o, "  processes");
    let width = s.processes.iter().map(|p| p.process.len()).max().unwrap_or(7).max(7);
    let _ = writeln!(o, "    {:width$}  {:>9}  {:>12}  {:>8}  {:>10}", "process", "events", "sum w", "w share", "ESS");
    for p in &s.processes {
        let _ = writeln!(
            o,
            "    {:width$}  {:>9}  {:>12}  {:>7.2}%  {:>10.1}",
            p.process,
            p.events,
            num(p.sum_weights),
            100.0 * p.weight_fraction,
            p.effective_sample_size
        );
    }
    let _ = writeln!(o, "  objects per event (number of events with n objects of each kind)");
    let header: Vec<String> = (0..s.multiplicity[0].events_with.len())
        .map(|n| if n + 1 == s.multiplicity[0].events_with.len() { format!("{n}+") } else { n.to_string() })
        .collect();
    let _ = writeln!(
        o,
        "    {:4} {:>8}  {}",
        "kind",
        "objects",
        header.iter().map(|h| format!("{h:>6}")).collect::<String>()
    );
    for row in &s.multiplicity {
        let cells: String = row.events_with.iter().map(|c| format!("{c:>6}")).collect();
        let _ = writeln!(o, "    {:4} {:>8}  {}", row.kind, row.objects, cells);
    }
    let levels: String = QUANTILES.iter().map(|q| format!("{:>9}", format!("{}%", q * 100.0))).collect();
    let _ = writeln!(o, "  weighted quantiles     {levels}");
    for (name, qs) in [("MET [GeV]", &s.met_quantiles), ("HT [GeV]", &s.ht_quantiles)] {
        let cells: String = qs.iter().map(|x| format!("{x:>9.1}")).collect();
        let _ = writeln!(o, "    {name:19}{cells}");
    }
    o
}

fn write_plots(dir: &Path, path: &Path, s: &SummaryReport, p: &Plots) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "input".into());
    let out = dir.join(&name);
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let hist = |h: &Hist1D, title: &str, x: &str, file: &str| -> Result<()> {
        let plot = oddity_plot::Hist1D {
            title: format!("{name}: {title}"),
            x_label: x.into(),
            y_label: "sum of weights per bin".into(),
            edges: h.edges().to_vec(),
            series: vec![oddity_plot::Series { label: name.clone(), values: h.sumw().to_vec() }],
            log_y: true,
        };
        oddity_plot::render_hist1d(&plot, &out.join(file)).with_context(|| format!("cannot write {file}"))
    };
    hist(&p.met, "MET", "MET [GeV]", "met.png")?;
    hist(&p.ht, "HT (all j and b)", "HT [GeV]", "ht.png")?;
    hist(&p.lead_jet_pt, "leading (b-)jet pT", "pT [GeV]", "lead_jet_pt.png")?;
    let all = s.multiplicity.last().map(|r| r.events_with.clone()).unwrap_or_default();
    let n = all.len();
    let bars = oddity_plot::Bars {
        title: format!("{name}: objects per event"),
        x_label: "number of objects".into(),
        y_label: "events".into(),
        categories: (0..n).map(|i| if i + 1 == n { format!("{i}+") } else { i.to_string() }).collect(),
        values: all.iter().map(|c| *c as f64).collect(),
        log_y: false,
    };
    oddity_plot::render_bars(&bars, &out.join("multiplicity.png")).context("cannot write multiplicity.png")?;
    let procs = oddity_plot::Bars {
        title: format!("{name}: sum of weights per process"),
        x_label: "process".into(),
        y_label: "sum of weights".into(),
        categories: s.processes.iter().map(|p| p.process.clone()).collect(),
        values: s.processes.iter().map(|p| p.sum_weights).collect(),
        log_y: true,
    };
    oddity_plot::render_bars(&procs, &out.join("processes.png")).context("cannot write processes.png")?;
    tracing::info!("plots written to {}", out.display());
    Ok(())
}
