//! Benchmark: ROOT column reading and the nine invariant masses, as run by `bench/root.sh`.
//!
//! ```text
//! cargo run --release -p oddity-io --example root_bench -- FILE.root [--repeat R] [--csv FILE --copies K]
//! ```
//!
//! ROOT: every flat numeric branch of every tree of FILE is read with
//! [`oddity_io::read_root_column`] (open, highest cycle, decompress, convert to f64), `repeat`
//! times; reported as MB/s (file bytes / best time, 1 MB = 1e6 bytes) and values/s. Masses: the
//! DarkMachines CSV file is parsed once, appended to itself `copies` times, and
//! [`oddity_core::table_masses`] is timed (events/s); parsing is not timed.

use oddity_io::{CsvReader, EventSource, EventTable, ReadOptions, list_root_file, read_root_column};
use std::time::Instant;

fn value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn best_and_median(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[0], times[times.len() / 2])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let file = args.get(1).filter(|a| !a.starts_with("--")).ok_or("usage: root_bench FILE.root [--repeat R]")?;
    let repeat: usize = value(&args, "--repeat").unwrap_or("5").parse()?;

    let listing = list_root_file(file)?;
    let columns: Vec<(String, String)> = listing
        .trees
        .iter()
        .flat_map(|t| t.branches.iter().filter(|b| b.leaf.is_some()).map(|b| (t.name.clone(), b.name.clone())))
        .collect();
    let bytes = std::fs::metadata(file)?.len() as f64;
    let mut times = Vec::new();
    let mut values = 0usize;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        values = 0;
        for (tree, branch) in &columns {
            values += read_root_column(file, tree, branch)?.len();
        }
        times.push(t.elapsed().as_secs_f64());
    }
    let (best, median) = best_and_median(times);
    println!(
        "oddity root: {} columns, {values} values, {:.1} MB, best {best:.4} s, median {median:.4} s, {:.1} MB/s, {:.3e} values/s",
        columns.len(),
        bytes / 1e6,
        bytes / 1e6 / best,
        values as f64 / best
    );

    if let Some(csv) = value(&args, "--csv") {
        let copies: usize = value(&args, "--copies").unwrap_or("200").parse()?;
        let mut reader = CsvReader::open(std::path::Path::new(csv), ReadOptions::default())?;
        let mut one = EventTable::new();
        while let Some(batch) = reader.next_batch(65_536)? {
            one.append(&batch);
        }
        let mut table = EventTable::new();
        for _ in 0..copies {
            table.append(&one);
        }
        let mut times = Vec::new();
        let mut filled = 0usize;
        for _ in 0..repeat.max(1) {
            let t = Instant::now();
            let masses = oddity_core::table_masses(&table);
            times.push(t.elapsed().as_secs_f64());
            filled = masses.iter().map(|(_, c)| c.iter().filter(|m| !m.is_nan()).count()).sum();
        }
        let (best, median) = best_and_median(times);
        println!(
            "oddity masses: {} events ({copies} copies of {csv}), {filled} masses filled, best {best:.4} s, median {median:.4} s, {:.3e} events/s",
            table.len(),
            table.len() as f64 / best
        );
    }
    Ok(())
}
