//! Builds a large DarkMachines benchmark file by concatenating a source file.
//!
//! ```text
//! make_big [--source FILE] [--out bench/out/big_chan3.csv] [--min-bytes 1e9] [--force]
//! ```
//!
//! The source defaults to `data/background_chan3.csv.gz` (decompressed) when present, else
//! the real DarkMachines signal file. Lines are copied unchanged (repeated event IDs are
//! legal, physics-spec §2.2). An existing output of at least `--min-bytes` is kept unless
//! `--force`.

use std::path::PathBuf;

use clap::Parser;
use oddity_bench::{default_source, make_big};

#[derive(Debug, Parser)]
#[command(about = "Build a >= 1 GB DarkMachines CSV benchmark file by concatenation")]
struct Args {
    /// Source file (plain or gzip); default: data/background_chan3.csv.gz or the real file.
    #[arg(long)]
    source: Option<PathBuf>,
    /// Output file.
    #[arg(long, default_value = "bench/out/big_chan3.csv")]
    out: PathBuf,
    /// Minimum size in bytes.
    #[arg(long, default_value_t = 1e9)]
    min_bytes: f64,
    /// Rebuild even if the output exists and is large enough.
    #[arg(long)]
    force: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let min = args.min_bytes.max(1.0) as u64;
    if !args.force
        && let Ok(meta) = std::fs::metadata(&args.out)
        && meta.len() >= min
    {
        println!("{} exists ({} bytes), kept", args.out.display(), meta.len());
        return Ok(());
    }
    let source = args.source.unwrap_or_else(|| default_source(&std::env::current_dir().unwrap_or_default()));
    let (bytes, copies) = make_big(&source, &args.out, min)?;
    println!("{}: {bytes} bytes, {copies} copies of {}", args.out.display(), source.display());
    Ok(())
}
