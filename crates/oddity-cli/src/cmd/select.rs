//! `oddity select`: apply a channel or a selection file and write the selected events.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use oddity_core::summary::WeightedCount;
use oddity_core::{Preselection, Selection};

use crate::Global;
use crate::cmd::convert::{PrecisionArg, create_sink};
use crate::input::{self, InputArgs};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("cuts").required(true).args(["channel", "selection"])))]
pub struct Args {
    /// Built-in selection: 1, 2a, 2b, 3 (DarkMachines channels) or 4top.
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// A selection defined in a TOML file (see docs/selections.md).
    #[arg(long, value_name = "FILE")]
    pub selection: Option<PathBuf>,
    /// Object preselection before the event cuts (overrides the selection's own setting).
    #[arg(long, value_enum)]
    pub preselection: Option<PreselectionArg>,
    /// Input event files.
    #[arg(required = true, value_name = "IN")]
    pub inputs: Vec<PathBuf>,
    /// Output file: .csv, .csv.gz or .parquet.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Also write the summary as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Number format of CSV output.
    #[arg(long, value_enum, default_value_t = PrecisionArg::G6)]
    pub precision: PrecisionArg,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PreselectionArg {
    None,
    DatasetDoc,
}

/// Per-input counts of a selection run.
#[derive(Debug, Default, serde::Serialize)]
pub struct SelectCounts {
    pub file: String,
    pub read: WeightedCount,
    pub read_ess: f64,
    pub selected: WeightedCount,
    pub selected_ess: f64,
    pub rejected_lines: u64,
    pub rejects_file: Option<String>,
    pub objects_dropped_by_preselection: u64,
}

#[derive(Debug, serde::Serialize)]
struct SelectSummary {
    selection: String,
    description: String,
    output: String,
    inputs: Vec<SelectCounts>,
}

/// Resolves `--channel` / `--selection` / `--preselection` into a selection.
pub fn resolve(channel: Option<&str>, file: Option<&Path>, pre: Option<PreselectionArg>) -> Result<Selection> {
    let mut sel = match (channel, file) {
        (Some(c), _) => Selection::builtin(c)?,
        (None, Some(f)) => {
            let text =
                std::fs::read_to_string(f).with_context(|| format!("cannot read selection file {}", f.display()))?;
            Selection::from_toml_str(&text, &f.display().to_string())?
        }
        (None, None) => anyhow::bail!("give --channel or --selection"),
    };
    if let Some(p) = pre {
        sel.preselection = match p {
            PreselectionArg::None => Preselection::None,
            PreselectionArg::DatasetDoc => Preselection::DatasetDoc,
        };
    }
    Ok(sel)
}

fn add_all(c: &mut WeightedCount, weights: &[f64]) {
    for &w in weights {
        c.events += 1;
        c.sum_weights += w;
        c.sum_weights2 += w * w;
    }
}

/// Selects events from `inputs` into `output`; returns per-input counts.
pub fn select_files(
    sel: &Selection,
    inputs: &[PathBuf],
    output: &Path,
    precision: PrecisionArg,
    args: &InputArgs,
    global: Global,
) -> Result<Vec<SelectCounts>> {
    let mut sink = create_sink(output, precision)?;
    let mut all = Vec::with_capacity(inputs.len());
    for path in inputs {
        let mut counts = SelectCounts { file: path.display().to_string(), ..SelectCounts::default() };
        let read = input::for_each_batch(path, args, input::rejects_name(output), global, |batch| {
            add_all(&mut counts.read, &batch.weight);
            let (selected, dropped) = sel.apply(batch);
            counts.objects_dropped_by_preselection += dropped as u64;
            add_all(&mut counts.selected, &selected.weight);
            sink.write(&selected)?;
            Ok(())
        })?;
        counts.read_ess = counts.read.ess();
        counts.selected_ess = counts.selected.ess();
        counts.rejected_lines = read.report.rejected;
        counts.rejects_file = read.rejects_file.map(|p| p.display().to_string());
        all.push(counts);
    }
    sink.finish()?;
    Ok(all)
}

pub fn run(args: Args, global: Global) -> Result<()> {
    let sel = resolve(args.channel.as_deref(), args.selection.as_deref(), args.preselection)?;
    let inputs = select_files(&sel, &args.inputs, &args.output, args.precision, &args.input, global)?;
    println!("selection {}: {}", sel.name, sel.description);
    for c in &inputs {
        println!(
            "  {}: kept {} of {} events, sum w {:.6e} of {:.6e}, ESS {:.1} of {:.1}{}",
            c.file,
            c.selected.events,
            c.read.events,
            c.selected.sum_weights,
            c.read.sum_weights,
            c.selected_ess,
            c.read_ess,
            if c.rejected_lines > 0 {
                format!(", {} malformed line(s) rejected", c.rejected_lines)
            } else {
                String::new()
            }
        );
    }
    println!("  written to {}", args.output.display());
    if let Some(path) = &args.summary {
        let s = SelectSummary {
            selection: sel.name.clone(),
            description: sel.description.clone(),
            output: args.output.display().to_string(),
            inputs,
        };
        input::write_atomic(path, serde_json::to_string_pretty(&s)?.as_bytes())?;
    }
    Ok(())
}
