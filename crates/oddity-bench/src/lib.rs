//! Oddity benchmarks (not published).
//!
//! - `parse_throughput`: reads a DarkMachines CSV file with [`oddity_io::CsvReader`] several
//!   times and reports best/median wall time, MB/s (1 MB = 1e6 bytes of input) and events/s.
//! - `make_big`: builds a large benchmark file by concatenating a source file.
//!
//! The helpers here are shared by both binaries; `bench/parse.sh` drives them.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use oddity_io::{CsvReader, EventSource, ReadOptions};

/// The real DarkMachines signal file shipped with the shared data.
pub const REAL_FILE: &str = "/work/shared/data/darkmachines/monojet_Zp2000.0_DM_50.0_chan3.csv";

/// The preferred source of the big file: a background file, if one was downloaded.
pub const BACKGROUND_GZ: &str = "data/background_chan3.csv.gz";

/// Chooses the source file of `make_big`: `data/background_chan3.csv.gz` under `root` if
/// present, else the real signal file.
pub fn default_source(root: &Path) -> PathBuf {
    let bg = root.join(BACKGROUND_GZ);
    if bg.is_file() { bg } else { PathBuf::from(REAL_FILE) }
}

/// Reads `path` fully, decompressing gzip (recognised by magic bytes).
pub fn read_source(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut raw = Vec::new();
    File::open(path).with_context(|| format!("open {}", path.display()))?.read_to_end(&mut raw)?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .with_context(|| format!("decompress {}", path.display()))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Writes `out` by concatenating `source` (decompressed) until it holds at least `min_bytes`
/// bytes. A missing final line end of the source is added so lines never merge. Returns the
/// size written and the number of copies.
pub fn make_big(source: &Path, out: &Path, min_bytes: u64) -> anyhow::Result<(u64, u64)> {
    let mut text = read_source(source)?;
    if text.is_empty() {
        bail!("{} is empty", source.display());
    }
    if !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    }
    let tmp = out.with_extension("partial");
    let mut w =
        BufWriter::with_capacity(8 << 20, File::create(&tmp).with_context(|| format!("create {}", tmp.display()))?);
    let mut written = 0u64;
    let mut copies = 0u64;
    while written < min_bytes {
        w.write_all(&text)?;
        written += text.len() as u64;
        copies += 1;
    }
    w.flush()?;
    drop(w);
    std::fs::rename(&tmp, out).with_context(|| format!("rename to {}", out.display()))?;
    Ok((written, copies))
}

/// One timed read of a file.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub wall: Duration,
    pub events: u64,
    pub objects: u64,
    pub bytes: u64,
}

/// Reads `path` with [`CsvReader`] and the given options in batches of 65 536 events (as
/// `oddity-cli` does), dropping the batches; returns the wall time and counts.
pub fn time_oddity(path: &Path, options: &ReadOptions) -> anyhow::Result<Run> {
    let start = Instant::now();
    let mut reader = CsvReader::open(path, options.clone())?;
    let mut objects = 0u64;
    while let Some(batch) = reader.next_batch(1 << 16)? {
        objects += batch.object_count() as u64;
    }
    let wall = start.elapsed();
    let report = reader.report();
    Ok(Run { wall, events: report.events, objects, bytes: report.input_bytes })
}

/// Reads `path` into memory in 8 MiB blocks and counts line ends (the I/O + scan floor).
pub fn time_raw_read(path: &Path) -> anyhow::Result<Run> {
    let start = Instant::now();
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 8 << 20];
    let (mut bytes, mut lines) = (0u64, 0u64);
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        lines += buf[..n].iter().filter(|&&c| c == b'\n').count() as u64;
    }
    Ok(Run { wall: start.elapsed(), events: lines, objects: 0, bytes })
}

/// Best and median of a set of runs (by wall time).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Summary {
    pub best_s: f64,
    pub median_s: f64,
    pub mb_per_s: f64,
    pub median_mb_per_s: f64,
    pub events_per_s: f64,
}

/// Summarises `runs` (not empty): throughput from the best run, the median alongside.
pub fn summarise(runs: &[Run]) -> Summary {
    let mut t: Vec<f64> = runs.iter().map(|r| r.wall.as_secs_f64()).collect();
    t.sort_by(f64::total_cmp);
    let best = t.first().copied().unwrap_or(f64::NAN);
    let median = if t.is_empty() {
        f64::NAN
    } else if t.len() % 2 == 1 {
        t[t.len() / 2]
    } else {
        0.5 * (t[t.len() / 2 - 1] + t[t.len() / 2])
    };
    let (bytes, events) = runs.first().map_or((0, 0), |r| (r.bytes, r.events));
    Summary {
        best_s: best,
        median_s: median,
        mb_per_s: bytes as f64 / 1e6 / best,
        median_mb_per_s: bytes as f64 / 1e6 / median,
        events_per_s: events as f64 / best,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_three_runs() {
        let run = |ms| Run { wall: Duration::from_millis(ms), events: 1000, objects: 0, bytes: 2_000_000 };
        let s = summarise(&[run(400), run(200), run(300)]);
        assert!((s.best_s - 0.2).abs() < 1e-12);
        assert!((s.median_s - 0.3).abs() < 1e-12);
        assert!((s.mb_per_s - 10.0).abs() < 1e-9);
        assert!((s.events_per_s - 5000.0).abs() < 1e-9);
    }

    #[test]
    fn make_big_concatenates_whole_lines() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("oddity-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let src = dir.join("src.csv");
        std::fs::write(&src, "1;p;1;2;0;j,1,1,0,0;\n2;p;1;2;0")?;
        let out = dir.join("big.csv");
        let (bytes, copies) = make_big(&src, &out, 100)?;
        assert!(bytes >= 100);
        let text = std::fs::read_to_string(&out)?;
        assert_eq!(text.len() as u64, bytes);
        assert_eq!(text.lines().count() as u64, 2 * copies);
        let run = time_oddity(&out, &ReadOptions::default())?;
        assert_eq!(run.events, 2 * copies);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
