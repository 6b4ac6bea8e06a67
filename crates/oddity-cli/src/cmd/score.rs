//! `oddity score`: score event files with a trained run.

use std::path::PathBuf;

use anyhow::{Context, Result};
use oddity_detect::combined::AnyRun;

use crate::Global;
use crate::input::{self, InputArgs};
use crate::scores::ScoreTable;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run directory written by `oddity train`.
    #[arg(value_name = "RUN")]
    pub run: PathBuf,
    /// Event files to score.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output Parquet file (columns: file, process, source_line, event_id, weight, score,
    /// met, ht and the nine masses mjj, mjb, mbb, mje, mjmu, mjgamma, mbe, mbmu, mbgamma).
    #[arg(short, long, value_name = "SCORES.parquet")]
    pub output: PathBuf,
    /// Device: cpu, cuda, cuda:N or auto (default: the run's).
    #[arg(long)]
    pub device: Option<String>,
    #[command(flatten)]
    pub input: InputArgs,
}

pub fn run(args: Args, global: Global) -> Result<()> {
    let run = AnyRun::load(&args.run, args.device.as_deref())
        .with_context(|| format!("loading the run {}", args.run.display()))?;
    let mut scores = ScoreTable::default();
    for f in &args.files {
        let table = input::read_table(f, &args.input, global)?;
        let s = run.score(&table)?;
        scores.push(&f.display().to_string(), &table, &s);
        println!("{}: {} events scored", f.display(), table.len());
    }
    scores.write(&args.output)?;
    println!("{}: {} scores", args.output.display(), scores.len());
    Ok(())
}
