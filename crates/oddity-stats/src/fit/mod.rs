//! Background fits of invariant-mass spectra (physics-spec §9.3; seed 004, ATLAS arXiv 2307.01612).
//!
//! - [`DijetFunction`]: the nominal five-parameter dijet function and its alternative, in
//!   x = m/√s; [`expected_counts`] integrates either over bins.
//! - [`fit_spectrum`] (counts per bin) and [`fit_hist`] (a weighted [`crate::Hist1D`]): binned
//!   maximum-likelihood (or Neyman χ²) fit in stages (p1–p3, +p4, +p5) from several start
//!   points, returning a [`FitResult`] with parameters, uncertainties, χ²/ndf, per-bin
//!   expectations and pulls.
//! - [`shape_uncertainty`] and [`spurious_signal`]: the background-shape systematics.
//!
//! # Parametrisation and minimiser
//!
//! Internally the parameters are θ = (ln p1, p2, p3, p4, p5): both functions are then
//! f = exp(θ·g(x)) for a fixed basis g (e.g. (1, ln(1 − x), ln x, ln²x, ln³x) for the nominal
//! function), p1 stays positive, and the expected counts ν_i = Σ_q w_q·f(x_q) over the five
//! Gauss–Legendre nodes of each bin have exact first and second derivatives. The minimiser is
//! a small damped Newton (Levenberg–Marquardt) method on the exact Hessian; see the
//! `minimise` module for why it is hand-written rather than taken from `argmin`.
//! Reported uncertainties come from the inverse Hessian of −ln L (of χ²/2 for Neyman fits)
//! at the minimum, transformed to p1 with σ(p1) = p1·σ(ln p1). The five parameters are
//! strongly correlated over a typical fit range (ln(1 − x) is nearly a polynomial in ln x):
//! the fitted curve is far better determined than the individual parameters, whose
//! linearised errors are only a guide for spectra of ≲ 10⁶ events.
//!
//! # Weighted spectra
//!
//! Counts may be non-integer (sums of event weights) but must be finite and ≥ 0. The Poisson
//! form Σ ν − n ln ν is evaluated with the real-valued counts: its minimum is still a
//! consistent estimate of the shape, but the inverse-Hessian uncertainties and the Pearson χ²
//! assume Poisson variances ν_i, i.e. unit weights; for weighted spectra they are indicative
//! only. [`fit_hist`] takes the variances Σw² of a [`crate::Hist1D`] into account where a method
//! can (the Neyman χ² uses σ_i² = Σw²_i) and reports the effective number of entries.

mod fitter;
mod function;
mod likelihood;
pub(crate) mod minimise;
mod systematics;

use serde::{Deserialize, Serialize};

pub use fitter::{fit_hist, fit_spectrum};
pub use function::{DijetFunction, N_PARAMS, SQRT_S_13TEV, expected_counts};
pub use systematics::{ShapeUncertainty, SpuriousSignal, SpuriousSignalPoint, shape_uncertainty, spurious_signal};

pub(crate) use fitter::{FitRange, fit_in_range, fit_with_signal};
pub(crate) use likelihood::{Background, Design, Loss, Model};

/// Errors of the fits and limits: invalid configuration or input, or a fit that cannot start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("invalid configuration: {field} = {value}, expected {expected}")]
    Config { field: &'static str, value: String, expected: &'static str },
    #[error("{counts} counts need {} bin edges, got {edges}", counts + 1)]
    Lengths { counts: usize, edges: usize },
    #[error("bin edges must be finite and strictly increasing; edge {index} ({value} GeV) is not")]
    Edges { index: usize, value: f64 },
    #[error("bin {bin}: count {value} is not a finite number ≥ 0")]
    Count { bin: usize, value: f64 },
    #[error("{bins} bin(s) have their centre in [{m_min}, {m_max}] GeV; a five-parameter fit needs at least 6")]
    TooFewBins { bins: usize, m_min: f64, m_max: f64 },
    #[error("fitted bins span [{lo}, {hi}] GeV, which must lie inside 0 < m < √s = {sqrt_s} GeV")]
    OutsideKinematicRange { lo: f64, hi: f64, sqrt_s: f64 },
    #[error("not fitted: {entries} entries in the fit range, at least {min_entries} required")]
    NotFitted { entries: f64, min_entries: f64 },
    #[error("no start point gave a finite likelihood: {0}")]
    NoValidStart(String),
    #[error("signal mass {mass} GeV is outside the fit range [{lo}, {hi}] GeV")]
    MassOutsideRange { mass: f64, lo: f64, hi: f64 },
    #[error("{what}: the {length} values must match the {bins} bins")]
    TemplateLength { what: &'static str, length: usize, bins: usize },
    #[error("upper limit not bracketed: still below the crossing (CLs ≥ 1 − CL, or √q_A below target) at μ = {mu}")]
    NotBracketed { mu: f64 },
}

/// Which objective the fit minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FitMethod {
    /// Binned Poisson maximum likelihood, −ln L = Σ_i ν_i − n_i·ln ν_i (physics-spec §9.3
    /// **Decision**: high-mass bins hold few or no events).
    #[default]
    Poisson,
    /// Neyman χ² = Σ (n_i − ν_i)²/σ_i² with σ_i² = n_i (Σw²_i for [`fit_hist`]), bins with
    /// σ_i² = 0 skipped (ROOT's default, for comparison with `chekanov/GlobalMultiMass`).
    NeymanChi2,
}

/// Configuration of a background fit; [`FitConfig::validate`] runs before any work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitConfig {
    pub function: DijetFunction,
    pub method: FitMethod,
    /// √s in GeV (x = m/√s); default 13 000.
    pub sqrt_s: f64,
    /// Fit range in GeV: bins whose centre lies in [m_min, m_max]; defaults 300 and 9000.
    pub m_min: f64,
    pub m_max: f64,
    /// Spectra with fewer entries (sum of counts) in range are not fitted; default 50.
    pub min_entries: f64,
    /// Number of start points (1–8) for the staged fit; the best minimum wins. Default 4.
    pub restarts: usize,
    /// χ²/ndf above which a fit is flagged as bad; default 2 (GlobalMultiMass rejects these).
    pub max_chi2_ndf: f64,
}

impl Default for FitConfig {
    fn default() -> Self {
        Self {
            function: DijetFunction::Nominal,
            method: FitMethod::Poisson,
            sqrt_s: SQRT_S_13TEV,
            m_min: 300.0,
            m_max: 9000.0,
            min_entries: 50.0,
            restarts: 4,
            max_chi2_ndf: 2.0,
        }
    }
}

/// Start points (p2, p3) of the restarts; the first is physics-spec §9.3's (10, −5).
pub(crate) const STARTS: [(f64, f64); 8] =
    [(10.0, -5.0), (5.0, -4.0), (20.0, -6.0), (2.0, -3.0), (30.0, -8.0), (10.0, -2.0), (1.0, -6.0), (15.0, -10.0)];

impl FitConfig {
    pub fn validate(&self) -> Result<(), FitError> {
        let bad = |field, value: f64, expected| Err(FitError::Config { field, value: value.to_string(), expected });
        if !(self.sqrt_s.is_finite() && self.sqrt_s > 0.0) {
            return bad("sqrt_s", self.sqrt_s, "a finite energy > 0 GeV");
        }
        if !(self.m_min.is_finite() && self.m_min >= 0.0) {
            return bad("m_min", self.m_min, "a finite mass ≥ 0 GeV");
        }
        if !(self.m_max.is_finite() && self.m_max > self.m_min) {
            return bad("m_max", self.m_max, "a finite mass above m_min");
        }
        if !(self.min_entries.is_finite() && self.min_entries >= 0.0) {
            return bad("min_entries", self.min_entries, "a finite number ≥ 0");
        }
        if !(1..=STARTS.len()).contains(&self.restarts) {
            return Err(FitError::Config { field: "restarts", value: self.restarts.to_string(), expected: "1 to 8" });
        }
        if !(self.max_chi2_ndf.is_finite() && self.max_chi2_ndf > 0.0) {
            return bad("max_chi2_ndf", self.max_chi2_ndf, "a finite number > 0");
        }
        Ok(())
    }
}

/// Whether the minimiser reached its tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FitStatus {
    /// EDM = ½·gᵀH⁻¹g below 1e-7 (in units of −ln L, or of χ²/2).
    Converged,
    /// The iteration limit was reached or no downhill step was found; the best point is
    /// reported but should not be trusted.
    NotConverged,
}

/// A fitted background. Per-bin vectors cover the fitted bins `first_bin..end_bin` of the
/// input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitResult {
    pub function: DijetFunction,
    pub method: FitMethod,
    pub sqrt_s: f64,
    /// Fitted bins as indices into the input counts (`end_bin` exclusive) and in GeV.
    pub first_bin: usize,
    pub end_bin: usize,
    pub range_gev: (f64, f64),
    /// Sum of counts in the fit range, and Kish's effective number of entries (Σw)²/Σw² there
    /// (equal to `entries` for plain counts, which are taken as unit-weight events).
    pub entries: f64,
    pub effective_entries: f64,
    /// (p1, …, p5); p1 in events per GeV.
    pub parameters: [f64; N_PARAMS],
    /// Uncertainties and covariance of the parameters from the inverse Hessian; `None` where
    /// the Hessian at the minimum is not positive definite.
    pub errors: Option<[f64; N_PARAMS]>,
    pub covariance: Option<[[f64; N_PARAMS]; N_PARAMS]>,
    /// −ln L = Σ ν_i − n_i·ln ν_i over the fitted bins (without the ln n_i! constant), for
    /// either method.
    pub neg_log_likelihood: f64,
    /// The Neyman χ² (Neyman fits only).
    pub neyman_chi2: Option<f64>,
    /// Pearson χ² = Σ (n_i − ν_i)²/ν_i, ndf = fitted bins − 5, their ratio, and whether it
    /// exceeds the configured limit.
    pub chi2: f64,
    pub ndf: usize,
    pub chi2_ndf: f64,
    pub bad_fit: bool,
    /// Expected counts ν_i and pulls (n_i − ν_i)/√ν_i per fitted bin.
    pub expected: Vec<f64>,
    pub pulls: Vec<f64>,
    pub status: FitStatus,
    pub edm: f64,
    /// Newton iterations of the final stage of the winning start, and how many of the start
    /// points converged.
    pub iterations: usize,
    pub converged_starts: usize,
}

impl FitResult {
    /// Internal parameters θ = (ln p1, p2, …, p5).
    pub(crate) fn theta(&self) -> [f64; N_PARAMS] {
        function::theta_from_params(&self.parameters)
    }
}
