//! Background-shape uncertainty and spurious signal on seeded toys.

use oddity_stats::fit::{DijetFunction, FitConfig, FitError, expected_counts, shape_uncertainty, spurious_signal};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

fn edges() -> Vec<f64> {
    oddity_stats::ATLAS_MASS_EDGES_GEV.to_vec()
}

/// A toy of `function` with p = (p1, 10, −5, 0.2, 0.02) scaled to ~`total` events in range.
fn toy(function: DijetFunction, total: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let edges = edges();
    let nu = expected_counts(function, &[1.0, 10.0, -5.0, 0.2, 0.02], &edges, 13_000.0);
    let in_range: f64 = nu
        .iter()
        .zip(edges.windows(2))
        .filter(|(_, e)| (300.0..=9000.0).contains(&(0.5 * (e[0] + e[1]))))
        .map(|(v, _)| v)
        .sum();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let counts = nu
        .iter()
        .map(|&v| v * total / in_range)
        .map(|v| if v > 0.0 { Poisson::new(v).expect("mean").sample(&mut rng) } else { 0.0 })
        .collect();
    (counts, edges)
}

#[test]
fn shape_uncertainty_is_the_difference_of_the_two_fits() {
    let (counts, edges) = toy(DijetFunction::Nominal, 1e6, 21);
    let s = shape_uncertainty(&counts, &edges, &FitConfig::default()).expect("fits");
    assert_eq!((s.fit.function, s.other_fit.function), (DijetFunction::Nominal, DijetFunction::Alternative));
    for i in 0..s.difference.len() {
        assert_eq!(s.difference[i], s.other_fit.expected[i] - s.fit.expected[i]);
        assert!((s.relative[i] - s.difference[i] / s.fit.expected[i]).abs() < 1e-15);
    }
    // Both functions describe a smooth spectrum: where bins are populated the shape difference
    // is well below the statistical uncertainty, but not identically zero.
    let n = &counts[s.fit.first_bin..s.fit.end_bin];
    for (i, d) in s.difference.iter().enumerate().filter(|(i, _)| n[*i] >= 100.0) {
        assert!(d.abs() < 0.5 * s.fit.expected[i].sqrt(), "bin {i}: {d}");
    }
    assert!(s.difference.iter().any(|d| d.abs() > 1e-6));
}

#[test]
fn spurious_signal_is_small_for_a_smooth_spectrum_and_validated() {
    let (counts, edges) = toy(DijetFunction::Nominal, 1e6, 22);
    let masses = [600.0, 1500.0, 3000.0];
    let s = spurious_signal(&counts, &edges, &FitConfig::default(), &masses, 0.05).expect("scan");
    assert_eq!(s.points.len(), 3);
    for p in &s.points {
        let (err, z) = (p.error.expect("Hessian"), p.significance.expect("Hessian"));
        assert!(err > 0.0 && (z - p.signal / err).abs() < 1e-12);
        // The two functions agree on this spectrum to well below its statistical precision.
        assert!(z.abs() < 0.5, "m = {}: spurious {} ± {err}", p.mass, p.signal);
    }
    assert!(matches!(
        spurious_signal(&counts, &edges, &FitConfig::default(), &[200.0], 0.05),
        Err(FitError::MassOutsideRange { mass: 200.0, .. })
    ));
}

#[test]
fn spurious_signal_picks_up_a_shape_the_functions_model_differently() {
    // Expected counts (no fluctuations, 10⁸ events over all bins) of the alternative function with a large
    // p5/√x term that the nominal function cannot follow: the two background-only fits differ,
    // and a signal fit with one function to the other's fit finds a spurious signal, of
    // opposite sign when the roles are swapped.
    let edges = edges();
    let nu = expected_counts(DijetFunction::Alternative, &[1.0, 10.0, -5.0, 0.2, 0.6], &edges, 13_000.0);
    let scale = 1e8 / nu.iter().sum::<f64>();
    let counts: Vec<f64> = nu.iter().map(|v| v * scale).collect();
    let masses = [700.0, 1200.0, 2000.0, 4000.0];
    let nominal = spurious_signal(&counts, &edges, &FitConfig::default(), &masses, 0.10).expect("scan");
    let cfg = FitConfig { function: DijetFunction::Alternative, ..FitConfig::default() };
    let swapped = spurious_signal(&counts, &edges, &cfg, &masses, 0.10).expect("scan");
    // The generating function fits its own Asimov spectrum exactly, the nominal one does not.
    assert!(swapped.shape.fit.chi2 < 1e-4, "{}", swapped.shape.fit.chi2);
    assert!(nominal.shape.fit.chi2 > 100.0, "{}", nominal.shape.fit.chi2);
    for (i, (a, b)) in nominal.points.iter().zip(&swapped.points).enumerate() {
        let (za, zb) = (a.significance.expect("Hessian"), b.significance.expect("Hessian"));
        if i != 2 {
            // 700, 1200 and 4000 GeV sit where the fits differ most (the 2 TeV point, near a
            // crossing of the two curves, is below 1σ in both directions).
            assert!(za.abs() > 3.0 && zb.abs() > 3.0 && za * zb < 0.0, "m = {}: {za} vs {zb}", a.mass);
        }
    }
    // Swapping the roles swaps the two fits, so the shape differences are opposite.
    for (x, y) in nominal.shape.difference.iter().zip(&swapped.shape.difference) {
        assert!((x + y).abs() < 1e-4 * (1.0 + x.abs()), "{x} vs {y}");
    }
}

#[test]
fn fit_config_deserialises_with_defaults_and_rejects_unknown_keys() {
    let cfg: FitConfig = serde_json::from_str(r#"{"function": "alternative", "m_min": 500.0}"#).expect("config");
    assert_eq!(cfg, FitConfig { function: DijetFunction::Alternative, m_min: 500.0, ..FitConfig::default() });
    assert!(serde_json::from_str::<FitConfig>(r#"{"m_mni": 500.0}"#).is_err());
}
