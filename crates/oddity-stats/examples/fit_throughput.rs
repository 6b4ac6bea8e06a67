//! Fit and limit throughput on realistic spectra: the ATLAS 300–9000 GeV binning (130 fitted
//! bins), Poisson toys of the nominal dijet function with 1.4 million events (the 10 pb anomaly
//! region at 140 fb⁻¹ of physics-spec §9.1).
//!
//!     cargo run --release -p oddity-stats --example fit_throughput -- \
//!         [--spectra 200] [--masses 20] [--restarts 4] [--write-spectrum FILE]
//!
//! Reports background fits/s (one thread, and all rayon threads over independent spectra) and
//! asymptotic CLs limits/s (Gaussian signals, σ/m = 5 %, masses spread over 0.5–6 TeV, each
//! limit including its background fit). `--write-spectrum` writes the first toy as JSON
//! (`{"edges": [...], "counts": [...]}`) for the scipy peer run of `bench/fits.sh`.

use std::time::Instant;

use oddity_stats::fit::{DijetFunction, FitConfig, FitStatus, expected_counts, fit_spectrum};
use oddity_stats::limits::{LimitConfig, upper_limit};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};
use rayon::prelude::*;

const EVENTS: f64 = 1.4e6;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let spectra: usize = flag("--spectra").map_or(Ok(200), |s| s.parse())?;
    let masses: usize = flag("--masses").map_or(Ok(20), |s| s.parse())?;
    let restarts: usize = flag("--restarts").map_or(Ok(4), |s| s.parse())?;
    let edges = oddity_stats::ATLAS_MASS_EDGES_GEV.to_vec();

    let shape = [1.0, 10.0, -5.0, 0.2, 0.02];
    let unit = expected_counts(DijetFunction::Nominal, &shape, &edges, 13_000.0);
    let in_range: f64 = unit
        .iter()
        .zip(edges.windows(2))
        .filter(|(_, e)| (300.0..=9000.0).contains(&(0.5 * (e[0] + e[1]))))
        .map(|(v, _)| v)
        .sum();
    let mean: Vec<f64> = unit.iter().map(|u| u * EVENTS / in_range).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let toys: Vec<Vec<f64>> = (0..spectra)
        .map(|_| {
            mean.iter()
                .map(|&v| if v > 0.0 { Poisson::new(v).map_or(0.0, |p| p.sample(&mut rng)) } else { 0.0 })
                .collect()
        })
        .collect();
    if let Some(path) = flag("--write-spectrum") {
        std::fs::write(&path, format!("{{\"edges\": {edges:?}, \"counts\": {:?}}}\n", toys[0]))?;
        println!("wrote {path}");
    }
    let cfg = FitConfig { restarts, ..FitConfig::default() };

    let start = Instant::now();
    let fits: Vec<_> = toys.iter().map(|c| fit_spectrum(c, &edges, &cfg)).collect::<Result<_, _>>()?;
    let serial = start.elapsed().as_secs_f64();
    let converged = fits.iter().filter(|f| f.status == FitStatus::Converged).count();
    let mean_chi2 = fits.iter().map(|f| f.chi2_ndf).sum::<f64>() / spectra as f64;

    let start = Instant::now();
    let parallel_fits: Vec<_> = toys.par_iter().map(|c| fit_spectrum(c, &edges, &cfg)).collect::<Result<_, _>>()?;
    let parallel = start.elapsed().as_secs_f64();
    assert_eq!(parallel_fits, fits, "parallel fits must equal serial fits");

    let mass_points: Vec<f64> =
        (0..masses).map(|i| 500.0 * (12.0_f64).powf(i as f64 / (masses.max(2) - 1) as f64)).collect();
    let start = Instant::now();
    let limits: Vec<_> = mass_points
        .iter()
        .map(|&m| upper_limit(&toys[0], &edges, &cfg, &LimitConfig::new(m, 0.05)))
        .collect::<Result<_, _>>()?;
    let limit_time = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let _: Vec<_> = mass_points
        .par_iter()
        .map(|&m| upper_limit(&toys[0], &edges, &cfg, &LimitConfig::new(m, 0.05)))
        .collect::<Result<_, _>>()?;
    let limit_parallel = start.elapsed().as_secs_f64();

    println!(
        "spectra: {spectra} toys x {EVENTS:e} events, {} fitted bins, {} restarts",
        fits[0].expected.len(),
        cfg.restarts
    );
    println!("converged: {converged}/{spectra}, mean chi2/ndf {mean_chi2:.3}");
    println!("fits_per_s_1thread: {:.1}", spectra as f64 / serial);
    println!("fits_per_s_{}threads: {:.1}", rayon::current_num_threads(), spectra as f64 / parallel);
    println!(
        "limits_per_s_1thread: {:.2} ({masses} masses 0.5-6 TeV, width 5 %, incl. background fit)",
        masses as f64 / limit_time
    );
    println!("limits_per_s_{}threads: {:.2}", rayon::current_num_threads(), masses as f64 / limit_parallel);
    for l in limits.iter().step_by((masses / 5).max(1)) {
        println!(
            "  m = {:6.0} GeV: observed {:8.1}, expected {:8.1} [{:.1}, {:.1}] events",
            l.mass, l.observed, l.expected.median, l.expected.minus1, l.expected.plus1
        );
    }
    Ok(())
}
