//! Benchmark: weighted ROC + AUC + eS at the three DarkMachines working points on many
//! scored events (default 10 million), as run by `bench/eval.sh`.
//!
//! ```text
//! cargo run --release -p oddity-eval --example eval_bench -- [--events N] [--repeat R] [--seed S]
//! ```
//!
//! Events: 10 % signal; scores quantised to 1e-5 (so ~10⁵ distinct values and heavy ties),
//! background ~ u², signal ~ √u for u uniform in [0,1); weights 10^U(−2, 2). Timed per
//! repetition: validation and the parallel sort ([`ScoredSample::new`]), the ROC, the AUC and
//! the three working points. Data generation is not timed. Prints one line per repetition and
//! a summary (best and median seconds, events per second).

use oddity_eval::{DARKMACHINES_WORKING_POINTS, ScoredSample};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

fn arg(args: &[String], name: &str, default: u64) -> Result<u64, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.replace('_', "").parse().ok())
            .ok_or_else(|| format!("{name} needs a non-negative integer")),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--events", 10_000_000)? as usize;
    let repeat = arg(&args, "--repeat", 3)?.max(1) as usize;
    let seed = arg(&args, "--seed", 1)?;

    let t = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut scores = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    let mut weights = Vec::with_capacity(n);
    for _ in 0..n {
        let signal = rng.random::<f64>() < 0.1;
        let u: f64 = rng.random();
        let s = if signal { u.sqrt() } else { u * u };
        scores.push((s * 1e5).round() / 1e5);
        labels.push(signal);
        weights.push(10f64.powf(rng.random_range(-2.0..2.0)));
    }
    eprintln!("generated {n} events in {:.2} s", t.elapsed().as_secs_f64());
    println!("threads: {}", rayon::current_num_threads());

    let mut times = Vec::with_capacity(repeat);
    for r in 0..repeat {
        let t0 = Instant::now();
        let sample = ScoredSample::new(&scores, &labels, Some(&weights))?;
        let t_sort = t0.elapsed().as_secs_f64();
        let roc = sample.roc();
        let auc = roc.auc();
        let wps = DARKMACHINES_WORKING_POINTS.map(|eb| roc.working_point(eb));
        let total = t0.elapsed().as_secs_f64();
        let mut line = format!(
            "rep {r}: {total:.3} s (validate+sort {t_sort:.3} s), {:.3e} events/s, {} ROC points, AUC {auc:.6}",
            n as f64 / total,
            roc.len()
        );
        for wp in wps {
            let wp = wp?;
            line.push_str(&format!(", eS({:e}) {:.5} [{} bkg]", wp.eb, wp.es, wp.n_background_selected));
        }
        println!("{line}");
        times.push(total);
    }
    times.sort_by(f64::total_cmp);
    let (best, median) = (times[0], times[times.len() / 2]);
    println!(
        "summary: {n} events, best {best:.3} s ({:.3e} events/s), median {median:.3} s ({:.3e} events/s)",
        n as f64 / best,
        n as f64 / median
    );
    Ok(())
}
