//! Times the physics-spec §9.6 1D BumpHunter hunt (60 bins, widths 2-6, 10 000
//! pseudo-experiments, seed 666) on the committed reference histograms.
//!
//!     cargo run --release -p oddity-stats --example bumphunt_throughput -- [--npe N] [--repeat R]
//!
//! Threads: rayon's default (all cores) or `RAYON_NUM_THREADS`. Prints one line per run and a
//! summary with the best time and pseudo-experiments per second.

use oddity_stats::BumpHunter1D;
use std::time::Instant;

fn arg(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => {
            args.get(i + 1).and_then(|v| v.parse().ok()).ok_or_else(|| format!("{name} needs a positive integer"))
        }
    }
}

fn floats(v: &serde_json::Value, key: &str) -> Result<Vec<f64>, String> {
    v[key]
        .as_array()
        .and_then(|a| a.iter().map(serde_json::Value::as_f64).collect())
        .ok_or_else(|| format!("reference JSON: one_d.{key} is not an array of numbers"))
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let npe = arg(&args, "--npe", 10_000)?;
    let repeat = arg(&args, "--repeat", 5)?.max(1);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/bumphunter_reference.json");
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let one_d = &json["one_d"];
    let (edges, data, bkg) = (floats(one_d, "edges")?, floats(one_d, "data")?, floats(one_d, "background")?);
    let mut hunter = BumpHunter1D::new(edges);
    hunter.width_max = Some(6);
    hunter.npe = npe;
    hunter.seed = 666;
    let mut best = f64::INFINITY;
    for run in 1..=repeat {
        let start = Instant::now();
        let hunt = hunter.hunt(&data, &bkg).map_err(|e| e.to_string())?;
        let seconds = start.elapsed().as_secs_f64();
        best = best.min(seconds);
        println!(
            "run {run}: {seconds:.4} s, global p {} ({} / {}), local p {:.5e}",
            hunt.global.p, hunt.global.count, npe, hunt.scan.best.p
        );
    }
    println!(
        "oddity: npe {npe}, threads {}, best {best:.4} s, {:.0} pseudo-experiments/s",
        rayon::current_num_threads(),
        npe as f64 / best
    );
    Ok(())
}
