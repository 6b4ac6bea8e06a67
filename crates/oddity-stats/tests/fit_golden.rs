//! Golden comparison with an independent numpy/scipy implementation of the fits and limits
//! (`tools/reference/fit_reference.py`, output committed as `data/fit_reference.json`).

use oddity_stats::fit::{DijetFunction, FitConfig, FitMethod, fit_spectrum};
use oddity_stats::limits::{ExpectedLimits, LimitConfig, upper_limit, upper_limit_known_background};
use serde_json::Value;

fn reference() -> Value {
    serde_json::from_str(include_str!("data/fit_reference.json")).expect("reference JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn edges() -> Vec<f64> {
    oddity_stats::ATLAS_MASS_EDGES_GEV.to_vec()
}

/// The Python reference reads the ATLAS edges from `data/fit_atlas_edges.txt`: the same list.
#[test]
fn reference_edges_are_the_atlas_binning() {
    let file: Vec<f64> = include_str!("data/fit_atlas_edges.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.trim().parse().expect("edge"))
        .collect();
    assert_eq!(file, edges());
}

#[test]
fn poisson_fits_match_scipy() {
    let r = reference();
    let counts = floats(&r["counts"]);
    for (function, key) in
        [(DijetFunction::Nominal, "nominal_poisson"), (DijetFunction::Alternative, "alternative_poisson")]
    {
        let want = &r["fits"][key];
        let fit = fit_spectrum(&counts, &edges(), &FitConfig { function, ..FitConfig::default() }).expect("fit");
        assert_eq!(
            (fit.first_bin as u64, fit.end_bin as u64),
            (r["first_bin"].as_u64().expect("u64"), r["end_bin"].as_u64().expect("u64"))
        );
        let nll = want["neg_log_likelihood"].as_f64().expect("nll");
        // Both find the same minimum: −ln L to 1e-5 (absolute; −ln L ≈ −1.04e7).
        assert!((fit.neg_log_likelihood - nll).abs() < 1e-5, "{key}: {} vs {nll}", fit.neg_log_likelihood);
        let (p, e) = (floats(&want["parameters"]), floats(&want["errors"]));
        let errors = fit.errors.expect("errors");
        for k in 0..5 {
            assert!(
                (fit.parameters[k] - p[k]).abs() < 1e-3 * e[k],
                "{key} p{}: {} vs {}",
                k + 1,
                fit.parameters[k],
                p[k]
            );
            // σ(p1) = p1·σ(ln p1): compare the relative error, p1 itself differs by 1e-3 σ.
            let (mine, theirs) = if k == 0 { (errors[0] / fit.parameters[0], e[0] / p[0]) } else { (errors[k], e[k]) };
            assert!((mine / theirs - 1.0).abs() < 1e-3, "{key} σ(p{}): {mine} vs {theirs}", k + 1);
        }
        // Expected counts agree to 1e-3 of their statistical uncertainty √ν.
        for (a, b) in fit.expected.iter().zip(floats(&want["expected"])) {
            assert!((a - b).abs() < 1e-3 * b.sqrt(), "{key}: ν {a} vs {b}");
        }
        let chi2 = want["chi2"].as_f64().expect("chi2");
        assert!((fit.chi2 - chi2).abs() < 1e-3 * chi2, "{key}: Pearson χ² {} vs {chi2}", fit.chi2);
    }
}

#[test]
fn neyman_fits_reach_at_least_the_scipy_minimum() {
    let r = reference();
    let counts = floats(&r["counts"]);
    for (function, key) in
        [(DijetFunction::Nominal, "nominal_neyman_chi2"), (DijetFunction::Alternative, "alternative_neyman_chi2")]
    {
        let want = &r["fits"][key];
        let cfg = FitConfig { function, method: FitMethod::NeymanChi2, ..FitConfig::default() };
        let fit = fit_spectrum(&counts, &edges(), &cfg).expect("fit");
        let n = &counts[fit.first_bin..fit.end_bin];
        let scipy_chi2: f64 =
            floats(&want["expected"]).iter().zip(n).filter(|(_, n)| **n > 0.0).map(|(v, n)| (n - v).powi(2) / n).sum();
        let chi2 = fit.neyman_chi2.expect("Neyman χ²");
        assert!(chi2 <= scipy_chi2 + 1e-6, "{key}: {chi2} vs scipy {scipy_chi2}");
        assert!((chi2 - scipy_chi2).abs() < 1e-3, "{key}: {chi2} vs scipy {scipy_chi2}");
    }
}

fn assert_limits_close(got: &ExpectedLimits, want: &Value, tol: f64) {
    for (name, g) in [
        ("minus2", got.minus2),
        ("minus1", got.minus1),
        ("median", got.median),
        ("plus1", got.plus1),
        ("plus2", got.plus2),
    ] {
        let w = want[name].as_f64().expect("band");
        assert!((g / w - 1.0).abs() < tol, "{name}: {g} vs {w}");
    }
}

#[test]
fn known_background_limit_matches_scipy() {
    let r = &reference()["limit_fixed_background"];
    let (n, b, s) = (floats(&r["counts"]), floats(&r["background"]), floats(&r["signal"]));
    let limit = upper_limit_known_background(&n, &b, &s, &LimitConfig::new(1.0, 0.0)).expect("limit");
    // Bisection stops at 1e-4 relative width; the midpoint is within 5e-5 of the root.
    let want = r["observed"].as_f64().expect("observed");
    assert!((limit.observed / want - 1.0).abs() < 1e-4, "{} vs {want}", limit.observed);
    assert!((limit.mu_hat - r["mu_hat"].as_f64().expect("mu_hat")).abs() < 1e-3);
    assert_limits_close(&limit.expected, &r["expected"], 1e-4);
}

#[test]
fn profiled_dijet_limit_matches_scipy() {
    let r = reference();
    let want = &r["limit_dijet"];
    let cfg = LimitConfig::new(want["mass"].as_f64().expect("mass"), want["rel_width"].as_f64().expect("width"));
    let limit = upper_limit(&floats(&r["counts"]), &edges(), &FitConfig::default(), &cfg).expect("limit");
    let obs = want["observed"].as_f64().expect("observed");
    assert!((limit.observed / obs - 1.0).abs() < 3e-4, "{} vs {obs}", limit.observed);
    let mu_hat = want["mu_hat"].as_f64().expect("mu_hat");
    assert!((limit.mu_hat - mu_hat).abs() < 1e-2 * limit.mu_hat_error.expect("error"), "{} vs {mu_hat}", limit.mu_hat);
    assert_limits_close(&limit.expected, &want["expected"], 3e-4);
}
