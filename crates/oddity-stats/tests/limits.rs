//! CLs upper limits: closed-form checks for a known background and dijet-fit limits on toys.

use oddity_stats::fit::{DijetFunction, FitConfig, FitError, FitMethod, N_PARAMS, expected_counts};
use oddity_stats::limits::{
    LimitConfig, ToyConfig, cls_asymptotic, gaussian_template, upper_limit, upper_limit_known_background,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};
use statrs::distribution::{ContinuousCDF, Normal};

/// −2 ln λ for one Poisson bin with known background b: 2[ν − n − n ln(ν/n)] at ν = μ + b,
/// relative to the best fit μ̂ = n − b (or μ = 0 when n < b, the q̃ rule).
fn q_tilde_one_bin(mu: f64, n: f64, b: f64) -> f64 {
    let nll = |nu: f64| nu - n * nu.ln();
    let mu_hat = n - b;
    if mu_hat > mu {
        return 0.0;
    }
    let reference = if mu_hat < 0.0 { nll(b) } else { nll(n) };
    2.0 * (nll(mu + b) - reference)
}

/// CLs for one bin from the closed forms, written out independently of the library
/// (arXiv 1007.1727 eqs. 65–67: F(q̃|μ′) for μ′ = μ and μ′ = 0).
fn cls_one_bin(mu: f64, n: f64, b: f64) -> f64 {
    let phi = Normal::standard();
    let (q, qa) = (q_tilde_one_bin(mu, n, b), q_tilde_one_bin(mu, b, b));
    let (cdf_sb, cdf_b) = if q <= qa {
        (phi.cdf(q.sqrt()), phi.cdf(q.sqrt() - qa.sqrt()))
    } else {
        (phi.cdf((q + qa) / (2.0 * qa.sqrt())), phi.cdf((q - qa) / (2.0 * qa.sqrt())))
    };
    (1.0 - cdf_sb) / (1.0 - cdf_b)
}

#[test]
fn one_bin_limit_matches_the_closed_form() {
    for (n, b) in [(110.0, 100.0), (85.0, 100.0), (100.0, 100.0), (12.0, 9.5)] {
        let limit = upper_limit_known_background(&[n], &[b], &[1.0], &LimitConfig::new(1.0, 0.0)).expect("limit");
        let mu = limit.observed;
        assert!((cls_one_bin(mu, n, b) - 0.05).abs() < 1e-4, "n {n} b {b}: CLs({mu}) = {}", cls_one_bin(mu, n, b));
        assert!(cls_one_bin(mu * (1.0 - 3e-4), n, b) > 0.05 && cls_one_bin(mu * (1.0 + 3e-4), n, b) < 0.05);
        // μ̂ to a small fraction of its uncertainty √n (the minimiser stops at EDM < 1e-7).
        assert!((limit.mu_hat - (n - b)).abs() < 1e-3 * n.sqrt(), "μ̂ {}", limit.mu_hat);
        // Median expected: the Asimov CLs = 2·(1 − Φ(√q_A)) = 0.05, i.e. √q_A = Φ⁻¹(0.975).
        let z = Normal::standard().inverse_cdf(0.975);
        let median = limit.expected.median;
        assert!((q_tilde_one_bin(median, b, b).sqrt() - z).abs() < 1e-3, "median {median}");
    }
}

#[test]
fn large_background_limit_approaches_the_gaussian_one() {
    // For b → ∞ the median expected 95 % CLs limit is 1.96·√b (arXiv 1007.1727 eq. 91).
    let b = 1e6;
    let limit = upper_limit_known_background(&[b], &[b], &[1.0], &LimitConfig::new(1.0, 0.0)).expect("limit");
    assert!((limit.expected.median / (1.959_964 * b.sqrt()) - 1.0).abs() < 2e-3, "{}", limit.expected.median);
    assert!((limit.observed / limit.expected.median - 1.0).abs() < 1e-3);
    // Bands: σ·(Φ⁻¹(1 − 0.05·Φ(N)) + N) with σ = √b.
    let phi = Normal::standard();
    for (n, got) in [
        (-2.0, limit.expected.minus2),
        (-1.0, limit.expected.minus1),
        (1.0, limit.expected.plus1),
        (2.0, limit.expected.plus2),
    ] {
        let want = b.sqrt() * (phi.inverse_cdf(1.0 - 0.05 * phi.cdf(n)) + n);
        assert!((got / want - 1.0).abs() < 3e-3, "band {n}: {got} vs {want}");
    }
}

#[test]
fn cls_second_branch_matches_its_formula() {
    let (q, qa) = (9.0_f64, 4.0_f64);
    let phi = Normal::standard();
    let want = (1.0 - phi.cdf((q + qa) / (2.0 * qa.sqrt()))) / (1.0 - phi.cdf((q - qa) / (2.0 * qa.sqrt())));
    assert!((cls_asymptotic(q, qa) - want).abs() < 1e-15);
}

#[test]
fn gaussian_template_sums_to_the_in_range_probability() {
    let edges: Vec<f64> = (0..=40).map(|i| 1000.0 + 50.0 * f64::from(i)).collect();
    for (mass, width) in [(1100.0, 0.15), (2000.0, 0.05), (2950.0, 0.10)] {
        let t = gaussian_template(&edges, mass, width);
        let phi = Normal::new(mass, width * mass).expect("σ > 0");
        let want = phi.cdf(3000.0) - phi.cdf(1000.0);
        assert!((t.iter().sum::<f64>() - want).abs() < 1e-12, "{mass}");
        assert!(t.iter().all(|f| *f >= 0.0));
    }
}

fn edges() -> Vec<f64> {
    oddity_stats::ATLAS_MASS_EDGES_GEV.to_vec()
}

/// A seeded toy of the nominal function with ~`total` events in 300–9000 GeV plus `signal`
/// events of a Gaussian at `mass` with σ = 5 % of the mass.
fn spectrum(total: f64, mass: f64, signal: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let edges = edges();
    let shape = [1.0, 10.0, -5.0, 0.2, 0.02];
    let unit = expected_counts(DijetFunction::Nominal, &shape, &edges, 13_000.0);
    let in_range: f64 = unit
        .iter()
        .zip(edges.windows(2))
        .filter(|(_, e)| (300.0..=9000.0).contains(&(0.5 * (e[0] + e[1]))))
        .map(|(v, _)| v)
        .sum();
    let template = gaussian_template(&edges, mass, 0.05);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let counts = unit
        .iter()
        .zip(&template)
        .map(|(u, s)| u * total / in_range + signal * s)
        .map(|v| if v > 0.0 { Poisson::new(v).expect("mean").sample(&mut rng) } else { 0.0 })
        .collect();
    (counts, edges)
}

#[test]
fn dijet_limit_bands_are_ordered_and_grow_with_injected_signal() {
    let cfg = LimitConfig { luminosity: Some(140.0), ..LimitConfig::new(1500.0, 0.05) };
    let fit = FitConfig::default();
    let (counts, edges) = spectrum(1e6, 1500.0, 0.0, 11);
    let clean = upper_limit(&counts, &edges, &fit, &cfg).expect("limit");
    let e = clean.expected;
    assert!(e.minus2 < e.minus1 && e.minus1 < e.median && e.median < e.plus1 && e.plus1 < e.plus2, "{e:?}");
    assert!(clean.observed > e.minus2 && clean.observed < e.plus2, "{clean:?}");
    assert!((clean.cls_at_observed - 0.05).abs() < 1e-3);
    let xs = clean.cross_section_fb.expect("luminosity given");
    assert!(
        (xs.observed - clean.observed / 140.0).abs() < 1e-12 && (xs.expected.median - e.median / 140.0).abs() < 1e-12
    );
    assert!(clean.background_fit.as_ref().is_some_and(|f| !f.bad_fit));
    // Inject a signal of about four times the median expected limit: the observed limit
    // grows well above the expected band and μ̂ finds the signal.
    let injected = 4.0 * e.median;
    let (counts, edges) = spectrum(1e6, 1500.0, injected, 11);
    let with = upper_limit(&counts, &edges, &fit, &cfg).expect("limit");
    assert!(
        with.observed > e.plus2 && with.observed > clean.observed + 0.5 * injected,
        "{} vs {}",
        with.observed,
        clean.observed
    );
    let err = with.mu_hat_error.expect("error");
    assert!((with.mu_hat - injected).abs() < 4.0 * err, "μ̂ {} ± {err} vs {injected}", with.mu_hat);
    // The signal model must stay a function of the shape parameters only.
    assert_eq!(with.background_fit.map(|f| f.parameters.len()), Some(N_PARAMS));
}

#[test]
fn limit_inputs_are_validated() {
    let (counts, edges) = spectrum(1e5, 1500.0, 0.0, 12);
    let neyman = FitConfig { method: FitMethod::NeymanChi2, ..FitConfig::default() };
    assert!(matches!(
        upper_limit(&counts, &edges, &neyman, &LimitConfig::new(1500.0, 0.0)),
        Err(FitError::Config { field: "method", .. })
    ));
    assert!(matches!(
        upper_limit(&counts, &edges, &FitConfig::default(), &LimitConfig::new(9500.0, 0.0)),
        Err(FitError::MassOutsideRange { mass: 9500.0, .. })
    ));
    assert!(matches!(
        upper_limit_known_background(&[3.0, 4.0], &[1.0], &[1.0, 0.0], &LimitConfig::new(1.0, 0.0)),
        Err(FitError::TemplateLength { what: "background", .. })
    ));
}

#[test]
fn toy_limits_do_not_depend_on_the_thread_count_and_approach_the_asymptotic_limit() {
    let cfg = LimitConfig { toys: Some(ToyConfig { n: 400, seed: 9 }), ..LimitConfig::new(1.0, 0.0) };
    let (n, b, s) = ([58.0, 40.0], [50.0, 45.0], [0.7, 0.3]);
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        pool.install(|| upper_limit_known_background(&n, &b, &s, &cfg)).expect("limit")
    };
    let (one, three) = (run(1), run(3));
    let toys = one.toys.expect("toys requested");
    assert_eq!(Some(toys), three.toys);
    // With ~50 events per bin the asymptotic formulae hold to a few per cent; 400 toys resolve
    // CLs = 0.05 to about ±0.011 (binomial), i.e. the limit to roughly ±10 %.
    assert!((toys.observed / one.observed - 1.0).abs() < 0.12, "toys {} vs asymptotic {}", toys.observed, one.observed);
    assert!((toys.cls_at_observed - 0.05).abs() < 0.02, "{}", toys.cls_at_observed);
}
