//! `oddity demo`: the main job on the embedded sample.
//!
//! For now: extract the sample, inspect every file (with plots) and select channel 3 into
//! Parquet. Later steps (training, scoring, evaluation, report) extend this command.

use std::path::PathBuf;

use anyhow::Result;
use oddity_core::Selection;

use crate::Global;
use crate::cmd::convert::PrecisionArg;
use crate::cmd::{inspect, select};
use crate::embedded;
use crate::input::{self, InputArgs, Unit};

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
    println!("\nplots in {}, summaries in {}", out.join("plots").display(), out.join("inspect.json").display());
    Ok(())
}
