//! The staged background fit.

use super::function::N_PARAMS;
use super::likelihood::{Background, Design, Loss, Model};
use super::minimise::{MAX_DIM, Minimum, Settings, Vector, inverse_block, minimise};
use super::{FitConfig, FitError, FitResult, FitStatus, STARTS};
use crate::Hist1D;

/// The bins a fit uses: those whose centre lies in [m_min, m_max] (physics-spec §9.2).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FitRange<'a> {
    /// Index of the first fitted bin in the input, and one past the last.
    pub first: usize,
    pub end: usize,
    /// Edges (bins + 1) and counts of the fitted bins, and their variances (Σw²) when the
    /// input is a weighted histogram.
    pub edges: &'a [f64],
    pub counts: &'a [f64],
    pub variances: Option<&'a [f64]>,
}

impl<'a> FitRange<'a> {
    /// Checks the input (edges strictly increasing and finite, counts finite and ≥ 0) and
    /// selects the fitted bins; they must be at least 6 and lie inside 0 < m < √s.
    pub fn select(counts: &'a [f64], edges: &'a [f64], cfg: &FitConfig) -> Result<Self, FitError> {
        if edges.len() != counts.len() + 1 {
            return Err(FitError::Lengths { counts: counts.len(), edges: edges.len() });
        }
        if let Some(index) = (0..edges.len()).find(|&i| !edges[i].is_finite() || (i > 0 && edges[i] <= edges[i - 1])) {
            return Err(FitError::Edges { index, value: edges[index] });
        }
        if let Some(bin) = counts.iter().position(|c| !(c.is_finite() && *c >= 0.0)) {
            return Err(FitError::Count { bin, value: counts[bin] });
        }
        let inside = |i: usize| (cfg.m_min..=cfg.m_max).contains(&(0.5 * (edges[i] + edges[i + 1])));
        let first = (0..counts.len()).find(|&i| inside(i)).unwrap_or(counts.len());
        let end = (first..counts.len()).find(|&i| !inside(i)).unwrap_or(counts.len());
        if end - first < N_PARAMS + 1 {
            return Err(FitError::TooFewBins { bins: end - first, m_min: cfg.m_min, m_max: cfg.m_max });
        }
        let (lo, hi) = (edges[first], edges[end]);
        if lo <= 0.0 || hi > cfg.sqrt_s {
            return Err(FitError::OutsideKinematicRange { lo, hi, sqrt_s: cfg.sqrt_s });
        }
        Ok(Self { first, end, edges: &edges[first..=end], counts: &counts[first..end], variances: None })
    }

    pub fn entries(&self) -> f64 {
        self.counts.iter().sum()
    }

    /// Kish's effective number of entries (Σw)²/Σw² in range; the entries for unit weights.
    pub fn effective_entries(&self) -> f64 {
        self.variances.map_or(self.entries(), |v| self.entries().powi(2) / v.iter().sum::<f64>())
    }
}

/// Fits `counts` (per bin, possibly weighted) with bin `edges` in GeV: the background-only fit
/// of physics-spec §9.3.
///
/// Procedure: select the bins whose centre lies in [m_min, m_max]; refuse spectra with fewer
/// than `min_entries` entries there ([`FitError::NotFitted`]); from each of `restarts` start
/// points (p2, p3) ∈ {(10, −5), (5, −4), (20, −6), …} with p4 = p5 = 0 and p1 such that Σν = Σn,
/// minimise over (p1, p2, p3), then (p1, …, p4), then all five; keep the converged minimum
/// with the lowest objective (a non-converged one only if none converged).
pub fn fit_spectrum(counts: &[f64], edges: &[f64], cfg: &FitConfig) -> Result<FitResult, FitError> {
    cfg.validate()?;
    let range = FitRange::select(counts, edges, cfg)?;
    fit_in_range(&range, cfg)
}

/// [`fit_spectrum`] on a weighted histogram: counts = Σw per bin. The Neyman χ² then uses
/// σ_i² = Σw²_i (as ROOT does for weighted histograms), and the result reports Kish's effective
/// number of entries (Σw)²/Σw² in range. The Poisson fit uses Σw as real-valued counts (see
/// the module docs). Under- and overflow are not part of any fit.
pub fn fit_hist(hist: &Hist1D, cfg: &FitConfig) -> Result<FitResult, FitError> {
    cfg.validate()?;
    let range = FitRange::select(hist.sumw(), hist.edges(), cfg)?;
    let variances = Some(&hist.sumw2()[range.first..range.end]);
    fit_in_range(&FitRange { variances, ..range }, cfg)
}

/// [`fit_spectrum`] on an already selected range (`cfg` validated).
pub(crate) fn fit_in_range(range: &FitRange, cfg: &FitConfig) -> Result<FitResult, FitError> {
    let entries = range.entries();
    if entries < cfg.min_entries || entries <= 0.0 {
        return Err(FitError::NotFitted { entries, min_entries: cfg.min_entries });
    }
    let design = Design::new(cfg.function, range.edges, cfg.sqrt_s);
    let model =
        Model { background: Background::Function(&design), signal: None, loss: Loss::new(cfg.method, range.variances) };
    let mut best: Option<Minimum> = None;
    let mut converged_starts = 0;
    for &(p2, p3) in &STARTS[..cfg.restarts] {
        let Some(m) = staged_fit(&model, &design, range.counts, p2, p3) else { continue };
        converged_starts += usize::from(m.converged);
        let better = best
            .as_ref()
            .is_none_or(|b| (m.converged && !b.converged) || (m.converged == b.converged && m.value < b.value));
        if better {
            best = Some(m);
        }
    }
    let best = best.ok_or_else(|| FitError::NoValidStart(format!("all {} start points overflowed", cfg.restarts)))?;
    Ok(summarise(&best, &design, range, cfg, converged_starts))
}

/// Stages p1–p3, +p4, +p5 from one start point (physics-spec §9.3).
fn staged_fit(model: &Model, design: &Design, data: &[f64], p2: f64, p3: f64) -> Option<Minimum> {
    let mut p = [0.0; MAX_DIM];
    p[1] = p2;
    p[2] = p3;
    let unit: f64 = design.expected(&p[..N_PARAMS]).iter().sum();
    p[0] = (data.iter().sum::<f64>() / unit).ln();
    if !p[0].is_finite() {
        return None;
    }
    let mut last = None;
    for free in [&[0, 1, 2][..], &[0, 1, 2, 3], &[0, 1, 2, 3, 4]] {
        let m = minimise(|q| model.eval(q, data), p, free, &Settings::default())?;
        p = m.params;
        last = Some(m);
    }
    last
}

/// Unconditional fit of a model with a signal: all parameters (θ and μ) free, from `start`.
/// Returns the minimum and the inverse-Hessian uncertainty of μ.
pub(crate) fn fit_with_signal(model: &Model, data: &[f64], start: Vector) -> Result<(Minimum, Option<f64>), FitError> {
    let free: Vec<usize> = (0..=model.mu_index()).collect();
    let m = minimise(|p| model.eval(p, data), start, &free, &Settings::default())
        .ok_or_else(|| FitError::NoValidStart("signal + background fit".into()))?;
    let mu = model.mu_index();
    let error = inverse_block(&m.hess, &free).map(|c| c[mu][mu].sqrt());
    Ok((m, error))
}

fn summarise(m: &Minimum, design: &Design, range: &FitRange, cfg: &FitConfig, converged_starts: usize) -> FitResult {
    let theta = &m.params[..N_PARAMS];
    let p1 = theta[0].exp();
    let mut parameters = [0.0; N_PARAMS];
    parameters.copy_from_slice(theta);
    parameters[0] = p1;
    // cov(p) = J·cov(θ)·Jᵀ with J = diag(p1, 1, 1, 1, 1).
    let covariance = inverse_block(&m.hess, &[0, 1, 2, 3, 4]).map(|c| {
        let scale = |i: usize| if i == 0 { p1 } else { 1.0 };
        std::array::from_fn(|i| std::array::from_fn(|j| c[i][j] * scale(i) * scale(j)))
    });
    let errors = covariance.map(|c: [[f64; N_PARAMS]; N_PARAMS]| std::array::from_fn(|i| c[i][i].sqrt()));
    let expected = design.expected(theta);
    let n = range.counts;
    let neg_log_likelihood = expected.iter().zip(n).map(|(v, n)| v - if *n > 0.0 { n * v.ln() } else { 0.0 }).sum();
    let chi2: f64 = expected.iter().zip(n).map(|(v, n)| (n - v).powi(2) / v).sum();
    let ndf = expected.len() - N_PARAMS;
    let chi2_ndf = chi2 / ndf as f64;
    FitResult {
        function: cfg.function,
        method: cfg.method,
        sqrt_s: cfg.sqrt_s,
        first_bin: range.first,
        end_bin: range.end,
        range_gev: (range.edges[0], range.edges[range.edges.len() - 1]),
        entries: range.entries(),
        effective_entries: range.effective_entries(),
        parameters,
        errors,
        covariance,
        neg_log_likelihood,
        neyman_chi2: (cfg.method == super::FitMethod::NeymanChi2).then_some(2.0 * m.value),
        chi2,
        ndf,
        chi2_ndf,
        bad_fit: chi2_ndf > cfg.max_chi2_ndf,
        pulls: expected.iter().zip(n).map(|(v, n)| (n - v) / v.sqrt()).collect(),
        expected,
        status: if m.converged { FitStatus::Converged } else { FitStatus::NotConverged },
        edm: m.edm,
        iterations: m.iterations,
        converged_starts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges() -> Vec<f64> {
        (0..=20).map(|i| 200.0 + 100.0 * f64::from(i)).collect()
    }

    #[test]
    fn range_takes_bins_by_centre() {
        let cfg = FitConfig { m_min: 300.0, m_max: 1500.0, ..FitConfig::default() };
        let counts = vec![1.0; 20];
        let e = edges();
        let r = FitRange::select(&counts, &e, &cfg).expect("valid");
        // Centres 250, 350, …: the first inside is 350 (bin 1), the last 1450 (bin 12).
        assert_eq!((r.first, r.end), (1, 13));
        assert_eq!(r.edges.len(), 13);
    }

    #[test]
    fn input_errors_name_the_culprit() {
        let cfg = FitConfig::default();
        let e = edges();
        let mut counts = vec![1.0; 20];
        counts[7] = -2.0;
        assert_eq!(FitRange::select(&counts, &e, &cfg).unwrap_err(), FitError::Count { bin: 7, value: -2.0 });
        assert!(matches!(FitRange::select(&counts[1..], &e, &cfg), Err(FitError::Lengths { counts: 19, edges: 21 })));
        let mut bad = e.clone();
        bad[4] = bad[3];
        assert!(matches!(FitRange::select(&[1.0; 20], &bad, &cfg), Err(FitError::Edges { index: 4, .. })));
        let cfg = FitConfig { m_min: 300.0, m_max: 700.0, ..FitConfig::default() };
        assert!(matches!(FitRange::select(&[1.0; 20], &e, &cfg), Err(FitError::TooFewBins { bins: 4, .. })));
        let cfg = FitConfig { sqrt_s: 1500.0, ..FitConfig::default() };
        assert!(matches!(FitRange::select(&[1.0; 20], &e, &cfg), Err(FitError::OutsideKinematicRange { .. })));
    }

    #[test]
    fn config_validation_names_the_field() {
        let cfg = FitConfig { restarts: 0, ..FitConfig::default() };
        assert!(matches!(cfg.validate(), Err(FitError::Config { field: "restarts", .. })));
        let cfg = FitConfig { m_max: 100.0, ..FitConfig::default() };
        assert!(matches!(cfg.validate(), Err(FitError::Config { field: "m_max", .. })));
        assert!(FitConfig::default().validate().is_ok());
    }
}
