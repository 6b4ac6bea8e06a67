//! Quick CSV parsing timing without the bench crate (which links libtorch).
//!
//! ```text
//! cargo run --release -p oddity-io --example csv_bench -- FILE [--repeat R] [--checksum] [--threads N] [--mem]
//!     [--chunk-mib M]
//! ```
//!
//! Reads FILE with [`CsvReader`] in batches of 65 536 events, as `parse_throughput` does, and
//! prints wall time and MB/s (input bytes / s, 1 MB = 1e6 bytes) per run, then the best.
//! `--checksum` also hashes every column bit for bit (untimed run first), to check that a
//! parser change keeps the results identical on a large file. `--mem` reads FILE into memory
//! once and parses it from there (steadier timings on a busy machine, with `--threads 1`).
//! `--chunk-mib` sets the reader's chunk size (0: one line per chunk, the smallest).

use oddity_io::{CsvReader, EventSource, EventTable, ReadOptions};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

fn value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn hash_batch(h: &mut DefaultHasher, t: &EventTable) {
    t.event_id.hash(h);
    for (i, p) in t.process.iter().enumerate() {
        (t.process_names[*p as usize].as_str(), t.source_line[i]).hash(h);
    }
    for col in [&t.weight, &t.met, &t.met_phi, &t.e, &t.pt, &t.eta, &t.phi] {
        for x in col {
            x.to_bits().hash(h);
        }
    }
    for w in t.offsets.windows(2) {
        (w[1] - w[0]).hash(h);
    }
    for k in &t.kind {
        (*k as u8).hash(h);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let file = args.get(1).filter(|a| !a.starts_with("--")).ok_or("usage: csv_bench FILE [--repeat R]")?;
    let repeat: usize = value(&args, "--repeat").unwrap_or("3").parse()?;
    if let Some(n) = value(&args, "--threads") {
        rayon::ThreadPoolBuilder::new().num_threads(n.parse()?).build_global()?;
    }
    let mem = args.iter().any(|a| a == "--mem").then(|| std::fs::read(file)).transpose()?.map(std::sync::Arc::new);
    let mut options = ReadOptions::default();
    if let Some(mib) = value(&args, "--chunk-mib") {
        options.chunk_bytes = mib.parse::<usize>()? << 20;
    }
    let open = || -> Result<CsvReader, Box<dyn std::error::Error>> {
        Ok(match &mem {
            Some(data) => {
                CsvReader::from_reader(file.as_ref(), std::io::Cursor::new(ArcBytes(data.clone())), options.clone())?
            }
            None => CsvReader::open(file.as_ref(), options.clone())?,
        })
    };
    if args.iter().any(|a| a == "--checksum") {
        let mut reader = open()?;
        let mut h = DefaultHasher::new();
        while let Some(batch) = reader.next_batch(1 << 16)? {
            hash_batch(&mut h, &batch);
        }
        let r = reader.report();
        println!("checksum {:016x} ({} events, {} lines, {} wrapped)", h.finish(), r.events, r.lines, r.wrapped_phi);
    }
    let mut best = f64::INFINITY;
    for i in 0..repeat {
        let start = Instant::now();
        let mut reader = open()?;
        let mut objects = 0u64;
        while let Some(batch) = reader.next_batch(1 << 16)? {
            objects += batch.object_count() as u64;
        }
        let wall = start.elapsed().as_secs_f64();
        best = best.min(wall);
        let r = reader.report();
        println!(
            "run {}: {wall:.3} s, {:.1} MB/s, {} events, {objects} objects",
            i + 1,
            r.input_bytes as f64 / 1e6 / wall,
            r.events
        );
    }
    println!("best: {best:.3} s");
    Ok(())
}

/// The file's bytes shared with each reader (a `Cursor` needs `AsRef<[u8]>`).
struct ArcBytes(std::sync::Arc<Vec<u8>>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
