//! Benchmark: combining 2 calibrated members over many events (default 10 million), every
//! mode, as run by `bench/combine.sh`.
//!
//! ```text
//! cargo run --release -p oddity-eval --example combine_throughput -- \
//!     [--events N] [--calibration N] [--repeat R] [--seed S] [--write DIR]
//! ```
//!
//! Members: an exponential score (DeepSVDD-like distance, background Exp(1), signal Exp(1/3))
//! and a Gaussian one (flow-like, background N(0, 1), signal N(2, 1.5)); 10 % signal among the
//! events, so some events lie beyond the calibration range (the exponential tail). Each member
//! is calibrated on `--calibration` background events (default 1 million). Timed: building the
//! two calibrations (validation and sort), and [`Combination::combine`] per mode (NaN check,
//! two binary searches per event, the combination), best and median of R. With `--write DIR`
//! the inputs and Oddity's combined scores are written as raw little-endian f64 files
//! (`cal_<i>.f64`, `events_<i>.f64`, `rust_<mode>.f64`) for the NumPy peer
//! (`tools/reference/combine_reference.py bench DIR`). Data generation is not timed.

use oddity_eval::{Combination, CombineMode};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Normal};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

fn arg<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn count(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    arg(args, name).map_or(Ok(default), |v| {
        v.replace('_', "").parse::<f64>().map(|x| x as usize).map_err(|_| format!("{name} needs a number, got {v}"))
    })
}

/// Scores of one member for `n` events, a fraction `signal` of them signal.
fn member(rng: &mut ChaCha8Rng, n: usize, signal: f64, index: usize) -> Vec<f64> {
    let (bkg_exp, sig_exp) = (Exp::new(1.0).expect("rate > 0"), Exp::new(1.0 / 3.0).expect("rate > 0"));
    let (bkg_norm, sig_norm) = (Normal::new(0.0, 1.0).expect("σ > 0"), Normal::new(2.0, 1.5).expect("σ > 0"));
    (0..n)
        .map(|_| {
            let is_signal = rng.random::<f64>() < signal;
            match (index, is_signal) {
                (0, false) => bkg_exp.sample(rng),
                (0, true) => sig_exp.sample(rng),
                (_, false) => bkg_norm.sample(rng),
                (_, true) => sig_norm.sample(rng),
            }
        })
        .collect()
}

fn write_f64(path: &Path, values: &[f64]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    values.iter().try_for_each(|v| out.write_all(&v.to_le_bytes()))?;
    out.flush()
}

fn best_and_median(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[0], times[times.len() / 2])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n = count(&args, "--events", 10_000_000)?;
    let n_cal = count(&args, "--calibration", 1_000_000)?;
    let repeat = count(&args, "--repeat", 3)?.max(1);
    let seed = count(&args, "--seed", 1)? as u64;
    let write = arg(&args, "--write").map(Path::new);

    let t = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let calibration: Vec<Vec<f64>> = (0..2).map(|i| member(&mut rng, n_cal, 0.0, i)).collect();
    let events: Vec<Vec<f64>> = (0..2).map(|i| member(&mut rng, n, 0.1, i)).collect();
    eprintln!("generated {n} events and 2 x {n_cal} calibration events in {:.2} s", t.elapsed().as_secs_f64());
    println!("threads: {}", rayon::current_num_threads());
    let cal_refs: Vec<&[f64]> = calibration.iter().map(Vec::as_slice).collect();
    let event_refs: Vec<&[f64]> = events.iter().map(Vec::as_slice).collect();

    let (mut times, mut members) = (Vec::with_capacity(repeat), Vec::new());
    for _ in 0..repeat {
        let t0 = Instant::now();
        members = Combination::fit(CombineMode::Avg, &cal_refs, None)?.members;
        times.push(t0.elapsed().as_secs_f64());
    }
    let (best, _) = best_and_median(times);
    println!(
        "calibrate: 2 members x {n_cal} events, best {best:.3} s ({:.3e} calibration events/s)",
        2.0 * n_cal as f64 / best
    );
    let beyond = events[0].iter().filter(|&&s| s > members[0].max_score()).count();
    println!("events beyond the calibration range of member 0: {beyond}");

    if let Some(dir) = write {
        std::fs::create_dir_all(dir)?;
        for i in 0..2 {
            write_f64(&dir.join(format!("cal_{i}.f64")), &calibration[i])?;
            write_f64(&dir.join(format!("events_{i}.f64")), &events[i])?;
        }
    }
    for mode in CombineMode::ALL {
        let combination = Combination { mode, members: members.clone() };
        let mut times = Vec::with_capacity(repeat);
        let mut combined = Vec::new();
        for _ in 0..repeat {
            let t0 = Instant::now();
            combined = combination.combine(&event_refs)?;
            times.push(t0.elapsed().as_secs_f64());
        }
        let (best, median) = best_and_median(times);
        let mean = combined.iter().sum::<f64>() / n as f64;
        println!(
            "oddity {mode}: best {best:.3} s ({:.3e} events/s), median {median:.3} s ({:.3e} events/s), mean score {mean:.6}",
            n as f64 / best,
            n as f64 / median
        );
        if let Some(dir) = write {
            write_f64(&dir.join(format!("rust_{mode}.f64")), &combined)?;
        }
    }
    Ok(())
}
