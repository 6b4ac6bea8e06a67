//! Parsing throughput of `oddity_io::CsvReader` on one DarkMachines CSV file.
//!
//! ```text
//! parse_throughput FILE [--repeat 3] [--threads N] [--json] [--raw]
//! ```
//!
//! Reads FILE with default options (all threads unless `--threads`) `--repeat` times and
//! prints best and median wall time, MB/s (input bytes / s, 1 MB = 1e6 bytes) and events/s.
//! `--json` adds one JSON line (the format `bench/python/dm_loader.py` also prints).
//! `--raw` first times a plain read + line count of the file (the I/O floor).

use std::path::PathBuf;

use anyhow::bail;
use clap::Parser;
use oddity_bench::{Run, summarise, time_oddity, time_raw_read};
use oddity_io::ReadOptions;

#[derive(Debug, Parser)]
#[command(about = "DarkMachines CSV parsing throughput of oddity-io's CsvReader")]
struct Args {
    /// The CSV file (plain or gzip).
    file: PathBuf,
    /// How many timed reads.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Rayon threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Also print a one-line JSON result.
    #[arg(long)]
    json: bool,
    /// Also time a plain read + line count of the file (I/O floor), printed before.
    #[arg(long)]
    raw: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    let threads = rayon::current_num_threads();
    let file_bytes = std::fs::metadata(&args.file)?.len();
    eprintln!(
        "file {} ({:.1} MB), {threads} threads, {} runs",
        args.file.display(),
        file_bytes as f64 / 1e6,
        args.repeat
    );

    let raw = if args.raw {
        let r = time_raw_read(&args.file)?;
        let mbs = r.bytes as f64 / 1e6 / r.wall.as_secs_f64();
        eprintln!("raw read + line count: {:.3} s, {mbs:.0} MB/s, {} lines", r.wall.as_secs_f64(), r.events);
        Some(mbs)
    } else {
        None
    };

    let options = ReadOptions::default();
    let mut runs: Vec<Run> = Vec::with_capacity(args.repeat);
    for i in 0..args.repeat {
        let run = time_oddity(&args.file, &options)?;
        eprintln!(
            "run {}: {:.3} s, {:.1} MB/s, {} events",
            i + 1,
            run.wall.as_secs_f64(),
            run.bytes as f64 / 1e6 / run.wall.as_secs_f64(),
            run.events
        );
        if let Some(first) = runs.first()
            && (first.events, first.bytes) != (run.events, run.bytes)
        {
            bail!("runs disagree: {} vs {} events", first.events, run.events);
        }
        runs.push(run);
    }
    let s = summarise(&runs);
    let first = runs[0];
    println!(
        "oddity: {} events, {} objects, {:.1} MB; best {:.3} s, median {:.3} s; {:.1} MB/s (median {:.1}); {:.0} events/s",
        first.events,
        first.objects,
        first.bytes as f64 / 1e6,
        s.best_s,
        s.median_s,
        s.mb_per_s,
        s.median_mb_per_s,
        s.events_per_s
    );
    if args.json {
        let json = serde_json::json!({
            "tool": "oddity",
            "file": args.file.display().to_string(),
            "bytes": first.bytes,
            "events": first.events,
            "objects": first.objects,
            "repeat": args.repeat,
            "threads": threads,
            "best_s": s.best_s,
            "median_s": s.median_s,
            "times_s": runs.iter().map(|r| r.wall.as_secs_f64()).collect::<Vec<_>>(),
            "mb_per_s": s.mb_per_s,
            "median_mb_per_s": s.median_mb_per_s,
            "events_per_s": s.events_per_s,
            "raw_read_mb_per_s": raw,
        });
        println!("{json}");
    }
    Ok(())
}
