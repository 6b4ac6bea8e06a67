//! Background-shape systematics (physics-spec §9.3, §9.7).
//!
//! - Shape uncertainty: the same spectrum fitted with the nominal and the alternative
//!   function; the per-bin difference ν_alt,i − ν_nom,i is the background-shape uncertainty.
//! - Spurious signal: the signal a signal + background fit extracts from a spectrum that has
//!   none but whose shape the fitted function does not describe exactly. Precisely: the
//!   pseudo-data are a_i = ν_i of the background-only fit of the *other* function (the
//!   alternative when `cfg.function` is nominal, and vice versa) to the observed counts, used
//!   as real-valued counts without fluctuations; for each mass m_X the model
//!   μ·s_i(m_X, σ_X) + b_i(θ) with `cfg.function` is fitted to a (Poisson −ln L, θ and μ
//!   free, started from `cfg.function`'s background-only fit to the data with μ = 0). The
//!   spurious signal is μ̂ (events of the whole Gaussian), reported with the uncertainty
//!   σ_μ̂ from the inverse Hessian, the statistical uncertainty of μ for a spectrum with these
//!   expectations, and their ratio μ̂/σ_μ̂ (ATLAS compares |μ̂| with a fraction of σ_μ̂).

use serde::Serialize;

use super::fitter::{FitRange, fit_in_range, fit_with_signal};
use super::function::N_PARAMS;
use super::likelihood::{Background, Design, Loss, Model};
use super::minimise::MAX_DIM;
use super::{FitConfig, FitError, FitMethod, FitResult};
use crate::limits::gaussian_template;

/// The nominal-versus-alternative background-shape difference on one spectrum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapeUncertainty {
    /// Fits with `cfg.function` and with the other function, on the same bins.
    pub fit: FitResult,
    pub other_fit: FitResult,
    /// ν_other,i − ν_i per fitted bin (its magnitude is the shape uncertainty) and the same
    /// relative to ν_i.
    pub difference: Vec<f64>,
    pub relative: Vec<f64>,
}

/// Spurious signal at one mass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpuriousSignalPoint {
    pub mass: f64,
    /// μ̂ in signal events, its uncertainty σ_μ̂ and μ̂/σ_μ̂ (`None` without a valid Hessian).
    pub signal: f64,
    pub error: Option<f64>,
    pub significance: Option<f64>,
}

/// The spurious-signal scan of [`spurious_signal`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpuriousSignal {
    pub rel_width: f64,
    pub shape: ShapeUncertainty,
    pub points: Vec<SpuriousSignalPoint>,
}

/// Fits `counts` with both functions and returns the per-bin difference (see module docs).
pub fn shape_uncertainty(counts: &[f64], edges: &[f64], cfg: &FitConfig) -> Result<ShapeUncertainty, FitError> {
    cfg.validate()?;
    let range = FitRange::select(counts, edges, cfg)?;
    shape_in_range(&range, cfg)
}

fn shape_in_range(range: &FitRange, cfg: &FitConfig) -> Result<ShapeUncertainty, FitError> {
    let fit = fit_in_range(range, cfg)?;
    let other_fit = fit_in_range(range, &FitConfig { function: cfg.function.other(), ..cfg.clone() })?;
    let difference: Vec<f64> = other_fit.expected.iter().zip(&fit.expected).map(|(o, n)| o - n).collect();
    let relative = difference.iter().zip(&fit.expected).map(|(d, n)| d / n).collect();
    Ok(ShapeUncertainty { fit, other_fit, difference, relative })
}

/// The spurious signal of Gaussian signals with σ_X = `rel_width`·m_X at each of `masses`
/// (GeV, inside the fit range), as defined in the module docs. `cfg.method` must be Poisson.
pub fn spurious_signal(
    counts: &[f64],
    edges: &[f64],
    cfg: &FitConfig,
    masses: &[f64],
    rel_width: f64,
) -> Result<SpuriousSignal, FitError> {
    cfg.validate()?;
    crate::limits::LimitConfig::new(1.0, rel_width).validate()?;
    if cfg.method != FitMethod::Poisson {
        return Err(FitError::Config {
            field: "method",
            value: "neyman_chi2".into(),
            expected: "poisson for signal fits",
        });
    }
    let range = FitRange::select(counts, edges, cfg)?;
    let (lo, hi) = (range.edges[0], range.edges[range.edges.len() - 1]);
    if let Some(&mass) = masses.iter().find(|m| !(lo..=hi).contains(*m)) {
        return Err(FitError::MassOutsideRange { mass, lo, hi });
    }
    let shape = shape_in_range(&range, cfg)?;
    let design = Design::new(cfg.function, range.edges, cfg.sqrt_s);
    let mut start = [0.0; MAX_DIM];
    start[..N_PARAMS].copy_from_slice(&shape.fit.theta());
    let pseudo_data = &shape.other_fit.expected;
    let points = masses
        .iter()
        .map(|&mass| {
            let signal = gaussian_template(range.edges, mass, rel_width);
            let model = Model { background: Background::Function(&design), signal: Some(&signal), loss: Loss::Poisson };
            let (m, error) = fit_with_signal(&model, pseudo_data, start)?;
            let mu = m.params[model.mu_index()];
            Ok(SpuriousSignalPoint { mass, signal: mu, error, significance: error.map(|e| mu / e) })
        })
        .collect::<Result<_, FitError>>()?;
    Ok(SpuriousSignal { rel_width, shape, points })
}
