//! Encoding throughput of Oddity's event representations (physics-spec §5).
//!
//! ```text
//! repr_throughput FILE [--repeat 16] [--runs 3] [--threads N] [--reprs fixed,rmm] [--json OUT]
//! ```
//!
//! Reads FILE once with `oddity_io::CsvReader`, concatenates the table `--repeat` times (a
//! large in-memory input; parsing is not timed), then times `Representation::encode` (rayon,
//! all threads unless `--threads`) `--runs` times for each representation:
//!
//! | name | representation |
//! |---|---|
//! | `fixed` | `FixedVector::default()`: per-type slots, 72 features |
//! | `fixed18` | `FixedVector::any_type(18)`: 92 features |
//! | `particles` | `ParticleSet::default()`: P = 20, x/mask/p4/aux, no pairs |
//! | `part4sm` | particles + part4 pair features + SM running channel, pairs [5, P, P] |
//! | `rmm` | `Rmm::new(RmmConfig::atlas())`: the stored cells of the 1287 (ragged `x`, `cells`) |
//!
//! Prints best and median wall time and events/s (from the best run; the median alongside)
//! and, with `--json`, writes them to a file (the format `bench/python/repr_numpy.py` writes).
//!
//! `encode` allocates its output arrays on every call, and for the large outputs (pairs,
//! RMM) the first-touch page faults of that fresh memory are a large part of the time.
//! `--reuse` additionally times `Representation::encode_into`: encoding into one preallocated
//! batch that every run zeroes and refills chunk by chunk (the same per-event `encode_event`
//! calls and rayon chunking as `encode`), the cost without the allocation. `--stream B` times
//! encoding the input batch after batch of B events into one reused batch
//! (`Representation::encode_range_into`): the output stays cache-sized, as when scoring or
//! exporting a large file chunk by chunk.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use oddity_io::{CsvReader, EventTable, ReadOptions};
use oddity_repr::Representation;
use oddity_repr::fixed::FixedVector;
use oddity_repr::pairs::{PairConfig, PairSet};
use oddity_repr::particles::ParticleSet;
use oddity_repr::rmm::{Rmm, RmmConfig};
use oddity_repr::sm::SmMode;

/// Names of the benchmarked representations, in output order.
const ALL: [&str; 5] = ["fixed", "fixed18", "particles", "part4sm", "rmm"];

#[derive(Debug, Parser)]
#[command(about = "Encoding throughput of oddity-repr's representations")]
struct Args {
    /// The DarkMachines CSV file (plain or gzip).
    file: PathBuf,
    /// Concatenate the parsed table this many times (large input from a small file).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Timed encodings per representation.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Rayon threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Comma-separated subset of fixed, fixed18, particles, part4sm, rmm.
    #[arg(long, value_delimiter = ',', default_values_t = ALL.map(String::from))]
    reprs: Vec<String>,
    /// Write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Also time encoding into a reused, preallocated output batch.
    #[arg(long)]
    reuse: bool,
    /// Also time streaming: the input encoded batch after batch of this many events into one
    /// reused batch (`Representation::encode_range_into`), as scoring or an export does.
    #[arg(long)]
    stream: Option<usize>,
    /// For profiling `encode_into`: one `encode` run only, `--runs` reuse runs (implies --reuse).
    #[arg(long)]
    profile_reuse: bool,
}

/// The representation called `name` (see the table in the module documentation).
fn representation(name: &str) -> anyhow::Result<Box<dyn Representation>> {
    Ok(match name {
        "fixed" => Box::new(FixedVector::default()),
        "fixed18" => Box::new(FixedVector::any_type(18)),
        "particles" => Box::new(ParticleSet::default()),
        "part4sm" => Box::new(ParticleSet {
            pairs: Some(PairConfig { set: PairSet::Part4, use_eta: false }),
            sm: Some(SmMode::Running),
            ..ParticleSet::default()
        }),
        "rmm" => Box::new(Rmm::new(RmmConfig::atlas())),
        other => bail!("unknown representation '{other}' (expected one of {})", ALL.join(", ")),
    })
}

/// Minimum and median of `t` (not empty).
fn best_median(t: &[f64]) -> (f64, f64) {
    let mut s = t.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let median = if n % 2 == 1 { s[n / 2] } else { 0.5 * (s[n / 2 - 1] + s[n / 2]) };
    (s[0], median)
}

/// Jemalloc with transparent huge pages (`.cargo/config.toml`): fresh multi-gigabyte feature
/// arrays without a page fault per 4 KiB.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.repeat == 0 || args.runs == 0 {
        bail!("--repeat and --runs must be at least 1");
    }
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    let threads = rayon::current_num_threads();
    let reprs: Vec<(String, Box<dyn Representation>)> =
        args.reprs.iter().map(|n| Ok((n.clone(), representation(n)?))).collect::<anyhow::Result<_>>()?;

    let start = Instant::now();
    let (one, report, _) = CsvReader::read_all(&args.file, ReadOptions::default())
        .with_context(|| format!("read {}", args.file.display()))?;
    let parse_s = start.elapsed().as_secs_f64();
    let mut table = EventTable::with_capacity(one.len() * args.repeat, one.object_count() * args.repeat);
    for _ in 0..args.repeat {
        table.append(&one);
    }
    let events = table.len();
    eprintln!(
        "{}: {} events ({} objects) parsed in {parse_s:.3} s; table {} x = {events} events, {} objects; \
         {threads} threads, {} runs",
        args.file.display(),
        report.events,
        one.object_count(),
        args.repeat,
        table.object_count(),
        args.runs
    );

    let mut results = Vec::new();
    println!(
        "oddity: {events} events ({} x file), {threads} threads, best and median of {} runs",
        args.repeat, args.runs
    );
    for (name, repr) in &reprs {
        let mut times = Vec::with_capacity(args.runs);
        let mut shapes = String::new();
        // With --profile-reuse, a single timed `encode` (the rest of the time goes to encode_into).
        let fresh_runs = if args.profile_reuse { 1 } else { args.runs };
        for _ in 0..fresh_runs {
            let t = Instant::now();
            let batch = std::hint::black_box(repr.encode(&table));
            times.push(t.elapsed().as_secs_f64());
            if batch.events() != events {
                bail!("{name}: encoded {} events, expected {events}", batch.events());
            }
            shapes = batch.arrays.iter().map(|a| format!("{} {:?}", a.name, a.shape)).collect::<Vec<_>>().join(", ");
            drop(batch);
        }
        let (best, median) = best_median(&times);
        println!(
            "  {name:10} best {best:8.3} s  median {median:8.3} s  {:12.0} events/s  ({shapes})",
            events as f64 / best
        );
        let mut reuse = serde_json::Value::Null;
        if args.reuse || args.profile_reuse {
            // One untimed fill, then timed refills of the same arrays.
            let mut batch = repr.encode(&table);
            let reference = batch.clone();
            let mut t_reuse = Vec::with_capacity(args.runs);
            for _ in 0..args.runs {
                let t = Instant::now();
                repr.encode_into(&table, &mut batch);
                t_reuse.push(t.elapsed().as_secs_f64());
                std::hint::black_box(&batch);
            }
            if batch != reference {
                bail!("{name}: encoding into a reused batch differs from encode");
            }
            let (rb, rm) = best_median(&t_reuse);
            println!(
                "  {:10} best {rb:8.3} s  median {rm:8.3} s  {:12.0} events/s  (reused output buffers)",
                "",
                events as f64 / rb
            );
            reuse = serde_json::json!({"best_s": rb, "median_s": rm, "times_s": t_reuse, "events_per_s": events as f64 / rb});
        }
        let mut stream = serde_json::Value::Null;
        if let Some(b) = args.stream {
            if b == 0 {
                bail!("--stream needs at least 1 event per batch");
            }
            let mut batch = repr.encode(&table.slice(0..b.min(events)));
            let mut t_stream = Vec::with_capacity(args.runs);
            for _ in 0..args.runs {
                let t = Instant::now();
                for lo in (0..events).step_by(b) {
                    repr.encode_range_into(&table, lo..(lo + b).min(events), &mut batch);
                    std::hint::black_box(&batch);
                }
                t_stream.push(t.elapsed().as_secs_f64());
            }
            let last = (events - 1) / b * b;
            if batch != repr.encode(&table.slice(last..events)) {
                bail!("{name}: streamed encoding of the last batch differs from encode");
            }
            let (sb, sm) = best_median(&t_stream);
            println!(
                "  {:10} best {sb:8.3} s  median {sm:8.3} s  {:12.0} events/s  (streamed in batches of {b})",
                "",
                events as f64 / sb
            );
            stream = serde_json::json!({"batch": b, "best_s": sb, "median_s": sm, "times_s": t_stream, "events_per_s": events as f64 / sb});
        }
        results.push(serde_json::json!({
            "stream": stream,
            "reuse": reuse,
            "repr": name,
            "events": events,
            "best_s": best,
            "median_s": median,
            "times_s": times,
            "events_per_s": events as f64 / best,
            "median_events_per_s": events as f64 / median,
            "arrays": shapes,
        }));
    }
    if let Some(path) = &args.json {
        let json = serde_json::json!({
            "tool": "oddity",
            "file": args.file.display().to_string(),
            "repeat": args.repeat,
            "events": events,
            "threads": threads,
            "parse_s": parse_s,
            "results": results,
        });
        std::fs::write(path, serde_json::to_string_pretty(&json)?)
            .with_context(|| format!("write {}", path.display()))?;
    }
    Ok(())
}
