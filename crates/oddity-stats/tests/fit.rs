//! Background fits on seeded Poisson toy spectra in the ATLAS 300–9000 GeV binning.

use oddity_stats::Hist1D;
use oddity_stats::fit::{
    DijetFunction, FitConfig, FitError, FitMethod, FitStatus, N_PARAMS, expected_counts, fit_hist, fit_spectrum,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

const SQRT_S: f64 = 13_000.0;

fn edges() -> Vec<f64> {
    oddity_stats::ATLAS_MASS_EDGES_GEV.to_vec()
}

/// Parameters with p1 set so that the bins with centre in [300, 9000] GeV expect `total` events.
fn normalised(function: DijetFunction, shape: [f64; 4], total: f64, edges: &[f64]) -> [f64; N_PARAMS] {
    let unit = [1.0, shape[0], shape[1], shape[2], shape[3]];
    let nu = expected_counts(function, &unit, edges, SQRT_S);
    let in_range: f64 = nu
        .iter()
        .zip(edges.windows(2))
        .filter(|(_, e)| (300.0..=9000.0).contains(&(0.5 * (e[0] + e[1]))))
        .map(|(v, _)| v)
        .sum();
    [total / in_range, shape[0], shape[1], shape[2], shape[3]]
}

fn toy(expected: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64> {
    expected.iter().map(|&v| if v > 0.0 { Poisson::new(v).expect("finite mean").sample(rng) } else { 0.0 }).collect()
}

const NOMINAL_SHAPE: [f64; 4] = [10.0, -5.0, 0.2, 0.02];
const ALTERNATIVE_SHAPE: [f64; 4] = [10.0, -5.0, 0.2, 0.05];

/// Fits `toys` toys of `total` events generated from `function` and checks parameter pulls
/// and χ²/ndf.
fn recovers_parameters(function: DijetFunction, shape: [f64; 4], total: f64, toys: usize, seed: u64) {
    let edges = edges();
    let truth = normalised(function, shape, total, &edges);
    let expected = expected_counts(function, &truth, &edges, SQRT_S);
    let cfg = FitConfig { function, ..FitConfig::default() };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pulls = vec![Vec::new(); N_PARAMS];
    let mut chi2_ndf = Vec::new();
    for _ in 0..toys {
        let counts = toy(&expected, &mut rng);
        let fit = fit_spectrum(&counts, &edges, &cfg).expect("fit");
        assert_eq!(fit.status, FitStatus::Converged, "{fit:?}");
        let errors = fit.errors.expect("positive-definite Hessian");
        for k in 0..N_PARAMS {
            // p1 spans decades between toys: its pull is taken in ln p1 (σ(ln p1) = σ(p1)/p1).
            let pull = if k == 0 {
                (fit.parameters[0] / truth[0]).ln() / (errors[0] / fit.parameters[0])
            } else {
                (fit.parameters[k] - truth[k]) / errors[k]
            };
            assert!(pull.abs() < 4.5, "p{} pull {pull}: {:?} vs {truth:?}", k + 1, fit.parameters);
            pulls[k].push(pull);
        }
        chi2_ndf.push(fit.chi2_ndf);
        assert!(!fit.bad_fit);
    }
    let n = toys as f64;
    for (k, p) in pulls.iter().enumerate() {
        let mean = p.iter().sum::<f64>() / n;
        let rms = (p.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        // For n toys the mean of unit pulls scatters by 1/√n, the width by ~1/√(2n).
        assert!(mean.abs() < 3.0 / n.sqrt(), "p{} mean pull {mean}", k + 1);
        assert!((0.5..1.6).contains(&rms), "p{} pull width {rms}", k + 1);
    }
    let mean_chi2 = chi2_ndf.iter().sum::<f64>() / n;
    assert!((0.8..1.25).contains(&mean_chi2), "mean χ²/ndf {mean_chi2}");
}

#[test]
fn nominal_toys_recover_the_parameters() {
    recovers_parameters(DijetFunction::Nominal, NOMINAL_SHAPE, 1e7, 16, 1);
}

#[test]
fn alternative_toys_recover_the_parameters() {
    recovers_parameters(DijetFunction::Alternative, ALTERNATIVE_SHAPE, 1e7, 16, 2);
}

#[test]
fn high_mass_bins_without_events_are_fitted() {
    let edges = edges();
    let truth = normalised(DijetFunction::Nominal, NOMINAL_SHAPE, 3000.0, &edges);
    let expected = expected_counts(DijetFunction::Nominal, &truth, &edges, SQRT_S);
    let counts = toy(&expected, &mut ChaCha8Rng::seed_from_u64(3));
    let fit = fit_spectrum(&counts, &edges, &FitConfig::default()).expect("fit");
    let empty = counts[fit.first_bin..fit.end_bin].iter().filter(|c| **c == 0.0).count();
    assert!(empty > 40, "the toy should end in many empty bins, has {empty}");
    assert_eq!(fit.status, FitStatus::Converged);
    assert!(fit.neg_log_likelihood.is_finite() && fit.pulls.iter().all(|p| p.is_finite()));
    assert!(fit.expected.iter().all(|v| *v > 0.0));
    // Poisson ML keeps the total: Σν = Σn at the minimum (∂/∂ln p1 of −ln L).
    let total: f64 = fit.expected.iter().sum();
    assert!((total / fit.entries - 1.0).abs() < 1e-6, "{total} vs {}", fit.entries);
    assert_eq!(fit.ndf, fit.expected.len() - 5);
}

#[test]
fn mismodelled_spectrum_is_flagged() {
    let edges = edges();
    let truth = normalised(DijetFunction::Nominal, NOMINAL_SHAPE, 1e6, &edges);
    let mut expected = expected_counts(DijetFunction::Nominal, &truth, &edges, SQRT_S);
    // A 30 % excess around 700 GeV (σ 40 GeV, about three bins) that no smooth five-parameter
    // function absorbs.
    for (v, e) in expected.iter_mut().zip(edges.windows(2)) {
        let m = 0.5 * (e[0] + e[1]);
        *v *= 1.0 + 0.3 * (-0.5 * ((m - 700.0) / 40.0).powi(2)).exp();
    }
    let counts = toy(&expected, &mut ChaCha8Rng::seed_from_u64(4));
    let fit = fit_spectrum(&counts, &edges, &FitConfig::default()).expect("fit");
    assert!(fit.bad_fit && fit.chi2_ndf > 2.0, "χ²/ndf {}", fit.chi2_ndf);
    let worst = fit.pulls.iter().fold(0.0_f64, |a, p| a.max(p.abs()));
    assert!(worst > 5.0, "largest pull {worst}");
}

#[test]
fn fewer_than_fifty_entries_are_not_fitted() {
    let edges = edges();
    let mut counts = vec![0.0; edges.len() - 1];
    // Bins 1 (centre 49 GeV, outside the range) and 40 (inside) share the entries.
    counts[1] = 1000.0;
    counts[40] = 49.0;
    assert_eq!(
        fit_spectrum(&counts, &edges, &FitConfig::default()),
        Err(FitError::NotFitted { entries: 49.0, min_entries: 50.0 })
    );
}

#[test]
fn neyman_chi2_fit_agrees_with_the_likelihood_fit_at_high_statistics() {
    let edges = edges();
    let truth = normalised(DijetFunction::Nominal, NOMINAL_SHAPE, 1e6, &edges);
    let expected = expected_counts(DijetFunction::Nominal, &truth, &edges, SQRT_S);
    let counts = toy(&expected, &mut ChaCha8Rng::seed_from_u64(5));
    let poisson = fit_spectrum(&counts, &edges, &FitConfig::default()).expect("fit");
    let neyman = fit_spectrum(&counts, &edges, &FitConfig { method: FitMethod::NeymanChi2, ..FitConfig::default() })
        .expect("fit");
    assert_eq!(neyman.status, FitStatus::Converged);
    let chi2 = neyman.neyman_chi2.expect("Neyman fits report their χ²");
    // Empty high-mass bins are skipped; the Neyman χ² is then close to the Pearson one.
    assert!(counts[neyman.first_bin..neyman.end_bin].contains(&0.0));
    assert!(chi2 > 0.0 && chi2 < 2.0 * neyman.chi2, "{chi2} vs {}", neyman.chi2);
    // The parameters are strongly correlated, so compare the fitted curves: where bins hold
    // ≥ 100 events both fits agree well within the statistical uncertainty √ν.
    let n = &counts[poisson.first_bin..poisson.end_bin];
    for (i, (p, q)) in poisson.expected.iter().zip(&neyman.expected).enumerate().filter(|(i, _)| n[*i] >= 100.0) {
        assert!((p - q).abs() < 0.5 * p.sqrt(), "bin {i}: Poisson {p} vs Neyman {q}");
    }
    // The Neyman χ² is biased low in normalisation (downward fluctuations get larger weight).
    assert!(neyman.expected.iter().sum::<f64>() < poisson.expected.iter().sum::<f64>());
}

#[test]
fn weighted_counts_fit_the_same_shape() {
    let edges = edges();
    let truth = normalised(DijetFunction::Nominal, NOMINAL_SHAPE, 5e4, &edges);
    let expected = expected_counts(DijetFunction::Nominal, &truth, &edges, SQRT_S);
    let counts = toy(&expected, &mut ChaCha8Rng::seed_from_u64(6));
    let weighted: Vec<f64> = counts.iter().map(|c| c * 0.37).collect();
    let cfg = FitConfig::default();
    let (a, b) =
        (fit_spectrum(&counts, &edges, &cfg).expect("fit"), fit_spectrum(&weighted, &edges, &cfg).expect("fit"));
    assert_eq!(b.status, FitStatus::Converged);
    // Scaling n by c scales the Poisson minimum's p1 by c and leaves the shape unchanged.
    assert!((b.parameters[0] / a.parameters[0] / 0.37 - 1.0).abs() < 1e-5);
    for k in 1..N_PARAMS {
        let tol = 1e-4 * a.errors.expect("errors")[k];
        assert!((a.parameters[k] - b.parameters[k]).abs() < tol, "p{}", k + 1);
    }
}

#[test]
fn results_serialise_to_json() {
    let edges = edges();
    let truth = normalised(DijetFunction::Alternative, ALTERNATIVE_SHAPE, 1e4, &edges);
    let expected = expected_counts(DijetFunction::Alternative, &truth, &edges, SQRT_S);
    let counts = toy(&expected, &mut ChaCha8Rng::seed_from_u64(7));
    let fit =
        fit_spectrum(&counts, &edges, &FitConfig { function: DijetFunction::Alternative, ..FitConfig::default() })
            .expect("fit");
    let json: serde_json::Value = serde_json::to_value(&fit).expect("serialise");
    assert_eq!(json["function"], "alternative");
    assert_eq!(json["status"], "converged");
    assert_eq!(json["expected"].as_array().map(Vec::len), Some(fit.end_bin - fit.first_bin));
}

#[test]
fn weighted_histogram_fits_use_the_sum_of_squared_weights() {
    let edges = edges();
    let truth = normalised(DijetFunction::Nominal, NOMINAL_SHAPE, 1e5, &edges);
    let counts =
        toy(&expected_counts(DijetFunction::Nominal, &truth, &edges, SQRT_S), &mut ChaCha8Rng::seed_from_u64(8));
    // Every event carries weight 0.5: Σw = n/2 and Σw² = n/4 per bin (filled from 300 GeV on:
    // the steep spectrum holds billions of events below).
    let counts: Vec<f64> =
        counts.iter().zip(edges.windows(2)).map(|(c, e)| if e[0] < 300.0 { 0.0 } else { *c }).collect();
    let mut hist = Hist1D::variable(edges.clone()).expect("edges");
    for (c, e) in counts.iter().zip(edges.windows(2)) {
        for _ in 0..*c as u64 {
            hist.fill(0.5 * (e[0] + e[1]), 0.5);
        }
    }
    let neyman = FitConfig { method: FitMethod::NeymanChi2, ..FitConfig::default() };
    let (weighted, plain) =
        (fit_hist(&hist, &neyman).expect("fit"), fit_spectrum(&counts, &edges, &neyman).expect("fit"));
    // (n/2 − ν/2)²/(n/4) = (n − ν)²/n: the same χ², the same shape, half the normalisation.
    let (a, b) = (weighted.neyman_chi2.expect("χ²"), plain.neyman_chi2.expect("χ²"));
    assert!((a / b - 1.0).abs() < 1e-6, "{a} vs {b}");
    assert!((weighted.parameters[0] / plain.parameters[0] - 0.5).abs() < 1e-5);
    assert!((weighted.effective_entries - plain.entries).abs() < 1e-6 * plain.entries);
    assert!((weighted.entries - 0.5 * plain.entries).abs() < 1e-9 * plain.entries);
    assert_eq!(plain.effective_entries, plain.entries);
    // The Poisson fit of the histogram is the fit of its Σw.
    let poisson = fit_hist(&hist, &FitConfig::default()).expect("fit");
    assert_eq!(poisson.parameters, fit_spectrum(hist.sumw(), &edges, &FitConfig::default()).expect("fit").parameters);
}
