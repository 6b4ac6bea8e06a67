//! Upper limits on Gaussian signals above a fitted background (physics-spec §9.7; seed 004,
//! ATLAS arXiv 2307.01612).
//!
//! Model per fitted bin: ν_i(μ, θ) = μ·s_i + b_i(θ), with s_i the fraction of a Gaussian
//! N(m_X, σ_X²) inside bin i ([`gaussian_template`]), b_i(θ) the dijet function integrated over
//! the bin and μ the number of signal events (of the whole Gaussian; only the in-range part
//! Σ s_i enters the fit). The five θ are profiled.
//!
//! Method: CLs with the one-sided profile-likelihood test statistic q̃_μ and the asymptotic
//! formulae of Cowan, Cranmer, Gross and Vitells (arXiv 1007.1727, eqs. 16, 65–67 and 89):
//!
//! - q̃_μ = −2 ln[L(μ, θ̂_μ)/L(μ̂, θ̂)] for 0 ≤ μ̂ ≤ μ, −2 ln[L(μ, θ̂_μ)/L(0, θ̂_0)] for μ̂ < 0,
//!   and 0 for μ̂ > μ;
//! - q_A = q̃_μ on the background-only Asimov data set n_i = b_i(θ̂_0) (θ̂_0 from the
//!   background-only fit to the observed counts), so σ_A² = μ²/q_A;
//! - [`cls_asymptotic`]: for q̃ ≤ q_A, CLs+b = 1 − Φ(√q̃) and CLb = Φ(√q_A − √q̃); for q̃ > q_A,
//!   CLs+b = 1 − Φ((q̃ + q_A)/(2√q_A)) and CLb = 1 − Φ((q̃ − q_A)/(2√q_A)); CLs = CLs+b/CLb;
//! - the observed limit solves CLs(μ) = 1 − CL by bracketing (doubling) and bisection to 1e-4
//!   relative; the expected limit for N = 0, ±1, ±2 standard deviations solves
//!   √q_A(μ) = Φ⁻¹(1 − α·Φ(N)) + N (eq. 89 with σ = μ/√q_A, α = 1 − CL).
//!
//! Optional toys ([`ToyConfig`]) replace the asymptotic CLs of the observed limit:
//! CLs+b(μ) = P(q̃_μ ≥ q̃_obs) over Poisson pseudo-data drawn from ν(μ, θ̂_μ) and CLb(μ) the same
//! over pseudo-data from ν(0, θ̂_0) (θ̂ from fits to the observed counts, each toy refitted
//! unconditionally and at μ). Toy k draws from its own ChaCha8 stream (seed, stream k), the
//! same at every μ, so the result does not depend on the number of rayon threads and CLs(μ)
//! is smooth enough for bisection. The expected bands stay asymptotic.
//!
//! Limits always use the Poisson likelihood (a Neyman χ² has no likelihood ratio). A shape
//! nuisance from the alternative function is not included;
//! [`crate::fit::shape_uncertainty`] gives the per-bin shape difference.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::fit::minimise::{MAX_DIM, Settings, Vector, minimise};
use crate::fit::{
    Background, Design, FitConfig, FitError, FitMethod, FitRange, FitResult, Loss, Model, fit_in_range, fit_with_signal,
};

/// Fractions of N(mass, (rel_width·mass)²) in each bin `[edges[i], edges[i+1]]`; they sum to the
/// probability of `[edges[0], edges[last]]`. rel_width = 0 puts everything into the bin holding
/// `mass` (bins half-open, the last closed; all zero if `mass` is outside).
pub fn gaussian_template(edges: &[f64], mass: f64, rel_width: f64) -> Vec<f64> {
    let last = edges.len().saturating_sub(2);
    if rel_width == 0.0 {
        return edges
            .windows(2)
            .enumerate()
            .map(|(i, e)| f64::from(u8::from(mass >= e[0] && (mass < e[1] || (i == last && mass == e[1])))))
            .collect();
    }
    let sigma = rel_width * mass;
    let phi = Normal::standard();
    edges.windows(2).map(|e| phi.cdf((e[1] - mass) / sigma) - phi.cdf((e[0] - mass) / sigma)).collect()
}

/// Asymptotic CLs from q̃_μ on the data and q_A on the background-only Asimov data set
/// (arXiv 1007.1727 eqs. 65–67; see the module docs). Returns 1 when q_A ≤ 0 (no sensitivity).
pub fn cls_asymptotic(q: f64, q_asimov: f64) -> f64 {
    if q_asimov.is_nan() || q_asimov <= 0.0 {
        return 1.0;
    }
    let phi = Normal::standard();
    let q = q.max(0.0);
    let (clsb, clb) = if q <= q_asimov {
        (phi.sf(q.sqrt()), phi.cdf(q_asimov.sqrt() - q.sqrt()))
    } else {
        let s = 2.0 * q_asimov.sqrt();
        (phi.sf((q + q_asimov) / s), phi.sf((q - q_asimov) / s))
    };
    clsb / clb
}

/// The signal hypothesis and the statistical settings of a limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitConfig {
    /// Signal mass m_X in GeV (inside the fit range).
    pub mass: f64,
    /// σ_X/m_X, ≥ 0 and < 1 (ATLAS: 0, 0.05, 0.10, 0.15); 0 = one bin.
    pub rel_width: f64,
    /// Confidence level; default 0.95.
    #[serde(default = "default_cl")]
    pub cl: f64,
    /// Integrated luminosity in fb⁻¹; when given, limits are also reported as σ × A × ε in fb.
    #[serde(default)]
    pub luminosity: Option<f64>,
    /// Pseudo-experiments for the observed limit instead of the asymptotic formulae.
    #[serde(default)]
    pub toys: Option<ToyConfig>,
}

/// Toy settings of [`LimitConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToyConfig {
    /// Pseudo-experiments per hypothesis and μ (≥ 10); default 1000 (physics-spec §9.7).
    #[serde(default = "default_toys")]
    pub n: usize,
    #[serde(default)]
    pub seed: u64,
}

impl Default for ToyConfig {
    fn default() -> Self {
        Self { n: default_toys(), seed: 0 }
    }
}

fn default_toys() -> usize {
    1000
}

fn default_cl() -> f64 {
    0.95
}

impl LimitConfig {
    /// A 95 % CL asymptotic limit without luminosity.
    pub fn new(mass: f64, rel_width: f64) -> Self {
        Self { mass, rel_width, cl: default_cl(), luminosity: None, toys: None }
    }

    pub fn validate(&self) -> Result<(), FitError> {
        let bad = |field, value: f64, expected| Err(FitError::Config { field, value: value.to_string(), expected });
        if !(self.mass.is_finite() && self.mass > 0.0) {
            return bad("mass", self.mass, "a finite mass > 0 GeV");
        }
        if !(self.rel_width.is_finite() && (0.0..1.0).contains(&self.rel_width)) {
            return bad("rel_width", self.rel_width, "σ_X/m_X in [0, 1)");
        }
        if !(self.cl > 0.0 && self.cl < 1.0) {
            return bad("cl", self.cl, "a confidence level in (0, 1)");
        }
        if let Some(l) = self.luminosity.filter(|l| !(l.is_finite() && *l > 0.0)) {
            return bad("luminosity", l, "a finite luminosity > 0 fb⁻¹");
        }
        if let Some(t) = self.toys.filter(|t| t.n < 10) {
            return Err(FitError::Config { field: "toys.n", value: t.n.to_string(), expected: "at least 10" });
        }
        Ok(())
    }
}

/// Expected limits (median and the ±1σ, ±2σ band edges) under the background-only hypothesis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExpectedLimits {
    pub minus2: f64,
    pub minus1: f64,
    pub median: f64,
    pub plus1: f64,
    pub plus2: f64,
}

impl ExpectedLimits {
    fn scaled(&self, f: f64) -> Self {
        Self {
            minus2: self.minus2 * f,
            minus1: self.minus1 * f,
            median: self.median * f,
            plus1: self.plus1 * f,
            plus2: self.plus2 * f,
        }
    }
}

/// Limits on σ × A × ε in fb (limits on μ divided by the luminosity).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CrossSectionLimits {
    pub luminosity_fb: f64,
    pub observed: f64,
    pub expected: ExpectedLimits,
}

/// The observed limit from pseudo-experiments.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ToyLimit {
    pub toys: usize,
    pub seed: u64,
    pub observed: f64,
    /// Toy CLs at `observed` (≈ 1 − CL within the toys' resolution).
    pub cls_at_observed: f64,
}

/// An upper limit on the number of signal events μ (asymptotic CLs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limit {
    pub mass: f64,
    pub rel_width: f64,
    pub cl: f64,
    /// Σ s_i: the fraction of the signal inside the fit range.
    pub signal_in_range: f64,
    /// Best-fit signal (may be negative) and its inverse-Hessian uncertainty.
    pub mu_hat: f64,
    pub mu_hat_error: Option<f64>,
    /// Observed upper limit on μ and CLs there (≈ 1 − CL).
    pub observed: f64,
    pub cls_at_observed: f64,
    pub expected: ExpectedLimits,
    pub cross_section_fb: Option<CrossSectionLimits>,
    /// The toy-based observed limit, when toys were requested.
    pub toys: Option<ToyLimit>,
    /// The background-only fit (absent for a fixed background).
    pub background_fit: Option<FitResult>,
}

/// The observed and expected upper limits on a Gaussian signal of `cfg.mass` above the
/// background fitted to `counts` with `fit` (which must use [`FitMethod::Poisson`]).
pub fn upper_limit(counts: &[f64], edges: &[f64], fit: &FitConfig, cfg: &LimitConfig) -> Result<Limit, FitError> {
    fit.validate()?;
    cfg.validate()?;
    if fit.method != FitMethod::Poisson {
        return Err(FitError::Config { field: "method", value: "neyman_chi2".into(), expected: "poisson for limits" });
    }
    let range = FitRange::select(counts, edges, fit)?;
    let (lo, hi) = (range.edges[0], range.edges[range.edges.len() - 1]);
    if !(lo..=hi).contains(&cfg.mass) {
        return Err(FitError::MassOutsideRange { mass: cfg.mass, lo, hi });
    }
    let background_fit = fit_in_range(&range, fit)?;
    let signal = gaussian_template(range.edges, cfg.mass, cfg.rel_width);
    let design = Design::new(fit.function, range.edges, fit.sqrt_s);
    let model = Model { background: Background::Function(&design), signal: Some(&signal), loss: Loss::Poisson };
    let mut start = [0.0; MAX_DIM];
    start[..crate::fit::N_PARAMS].copy_from_slice(&background_fit.theta());
    let limit = solve_limits(model, range.counts, &background_fit.expected, start, cfg)?;
    Ok(Limit { background_fit: Some(background_fit), ..limit })
}

/// Limits for a known background (no profiled parameters): `counts`, `background` and the
/// signal fractions `signal` per bin. The Asimov data set is `background` itself.
pub fn upper_limit_known_background(
    counts: &[f64],
    background: &[f64],
    signal: &[f64],
    cfg: &LimitConfig,
) -> Result<Limit, FitError> {
    cfg.validate()?;
    for (what, v) in [("background", background), ("signal", signal)] {
        if v.len() != counts.len() {
            return Err(FitError::TemplateLength { what, length: v.len(), bins: counts.len() });
        }
    }
    if let Some(bin) = counts.iter().position(|c| !(c.is_finite() && *c >= 0.0)) {
        return Err(FitError::Count { bin, value: counts[bin] });
    }
    if let Some(bin) = background.iter().position(|b| !(b.is_finite() && *b > 0.0)) {
        return Err(FitError::Config {
            field: "background",
            value: format!("{} in bin {bin}", background[bin]),
            expected: "> 0",
        });
    }
    let model = Model { background: Background::Fixed(background), signal: Some(signal), loss: Loss::Poisson };
    solve_limits(model, counts, background, [0.0; MAX_DIM], cfg)
}

/// q̃_μ on one data set: the unconditional fit once, conditional fits warm-started from the
/// previous μ.
struct TestStatistic<'a> {
    model: Model<'a>,
    data: &'a [f64],
    mu_hat: f64,
    mu_hat_error: Option<f64>,
    /// −ln L (up to a constant) at (μ̂, θ̂), or at (0, θ̂_0) if μ̂ < 0.
    reference: f64,
    warm: Vector,
}

impl<'a> TestStatistic<'a> {
    fn new(model: Model<'a>, data: &'a [f64], start: Vector) -> Result<Self, FitError> {
        let (m, mu_hat_error) = fit_with_signal(&model, data, start)?;
        let mu_hat = m.params[model.mu_index()];
        let mut s = Self { model, data, mu_hat, mu_hat_error, reference: m.value, warm: start };
        if s.mu_hat < 0.0 {
            s.reference = s.conditional(0.0)?;
        }
        Ok(s)
    }

    /// min over θ of the objective at fixed μ. A fit that stops short of the EDM tolerance
    /// still returns its best value: it can only overestimate the minimum, i.e. q̃.
    fn conditional(&mut self, mu: f64) -> Result<f64, FitError> {
        let mut p = self.warm;
        p[self.model.mu_index()] = mu;
        let free: Vec<usize> = (0..self.model.n_theta()).collect();
        let m = minimise(|q| self.model.eval(q, self.data), p, &free, &Settings::default())
            .ok_or_else(|| FitError::NoValidStart(format!("background fit at fixed μ = {mu}")))?;
        self.warm = m.params;
        Ok(m.value)
    }

    fn q_tilde(&mut self, mu: f64) -> Result<f64, FitError> {
        if self.mu_hat > mu {
            return Ok(0.0);
        }
        Ok((2.0 * (self.conditional(mu)? - self.reference)).max(0.0))
    }
}

fn solve_limits(
    model: Model,
    data: &[f64],
    asimov: &[f64],
    start: Vector,
    cfg: &LimitConfig,
) -> Result<Limit, FitError> {
    let alpha = 1.0 - cfg.cl;
    let mut observed = TestStatistic::new(model, data, start)?;
    let mut asimov = TestStatistic::new(model, asimov, start)?;
    let sigma = asimov.mu_hat_error.filter(|s| *s > 0.0 && s.is_finite()).unwrap_or(1.0);
    let phi = Normal::standard();
    let mut band = |n: f64| -> Result<f64, FitError> {
        let z = phi.inverse_cdf(1.0 - alpha * phi.cdf(n)) + n;
        bisect(|mu| Ok(asimov.q_tilde(mu)?.sqrt() > z), z * sigma)
    };
    let expected = ExpectedLimits {
        minus2: band(-2.0)?,
        minus1: band(-1.0)?,
        median: band(0.0)?,
        plus1: band(1.0)?,
        plus2: band(2.0)?,
    };
    let (mu_hat, mu_hat_error) = (observed.mu_hat, observed.mu_hat_error);
    let mut cls = |mu: f64| -> Result<f64, FitError> { Ok(cls_asymptotic(observed.q_tilde(mu)?, asimov.q_tilde(mu)?)) };
    let upper = bisect(|mu| Ok(cls(mu)? < alpha), expected.median.max(mu_hat))?;
    let cls_at_observed = cls(upper)?;
    let toys = match cfg.toys {
        Some(t) => Some(toy_limit(&mut observed, upper, alpha, &t)?),
        None => None,
    };
    let signal_in_range = model.signal.map_or(0.0, |s| s.iter().sum());
    Ok(Limit {
        mass: cfg.mass,
        rel_width: cfg.rel_width,
        cl: cfg.cl,
        signal_in_range,
        mu_hat,
        mu_hat_error,
        observed: upper,
        cls_at_observed,
        expected,
        cross_section_fb: cfg.luminosity.map(|l| CrossSectionLimits {
            luminosity_fb: l,
            observed: upper / l,
            expected: expected.scaled(1.0 / l),
        }),
        toys,
        background_fit: None,
    })
}

/// Bisection on the toy CLs of [`toy_cls`], started from the asymptotic limit `guess`.
fn toy_limit(observed: &mut TestStatistic, guess: f64, alpha: f64, t: &ToyConfig) -> Result<ToyLimit, FitError> {
    observed.conditional(0.0)?;
    let theta_0 = observed.warm;
    let mut cls = |mu: f64| toy_cls(observed, theta_0, mu, t);
    let upper = bisect(|mu| Ok(cls(mu)? < alpha), guess)?;
    Ok(ToyLimit { toys: t.n, seed: t.seed, observed: upper, cls_at_observed: cls(upper)? })
}

/// CLs(μ) = CLs+b/CLb from `t.n` pseudo-experiments per hypothesis (module docs); CLb is
/// floored at 1/n.
fn toy_cls(observed: &mut TestStatistic, theta_0: Vector, mu: f64, t: &ToyConfig) -> Result<f64, FitError> {
    let q_obs = observed.q_tilde(mu)?;
    let mut alt = observed.warm;
    alt[observed.model.mu_index()] = mu;
    let (model, null) = (observed.model, theta_0);
    let (nu_sb, nu_b) = (model.expected(&alt), model.expected(&null));
    let exceed = (0..t.n)
        .into_par_iter()
        .map(|k| {
            let mut rng = ChaCha8Rng::seed_from_u64(t.seed);
            rng.set_stream(k as u64);
            let (toy_sb, toy_b) = (poisson_toy(&nu_sb, &mut rng), poisson_toy(&nu_b, &mut rng));
            let q_sb = TestStatistic::new(model, &toy_sb, alt)?.q_tilde(mu)?;
            let q_b = TestStatistic::new(model, &toy_b, null)?.q_tilde(mu)?;
            Ok((u32::from(q_sb >= q_obs), u32::from(q_b >= q_obs)))
        })
        .collect::<Result<Vec<_>, FitError>>()?;
    let (sb, b) = exceed.iter().fold((0, 0), |(a, c), (x, y)| (a + x, c + y));
    Ok(f64::from(sb) / f64::from(b.max(1)))
}

/// Poisson counts around `nu`. All ν come from a valid model point (> 0 and finite), so
/// `Poisson::new` cannot fail; a failure would give 0 rather than a panic.
fn poisson_toy(nu: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64> {
    nu.iter().map(|&v| Poisson::new(v).map_or(0.0, |p| p.sample(rng))).collect()
}

/// The root μ > 0 of a monotone condition: `above(μ)` is false below the root and true above.
/// Brackets by doubling from `guess`, then bisects until the bracket is below 1e-4 relative.
fn bisect(mut above: impl FnMut(f64) -> Result<bool, FitError>, guess: f64) -> Result<f64, FitError> {
    let (mut lo, mut hi) = (0.0, if guess > 0.0 && guess.is_finite() { guess } else { 1.0 });
    let mut doublings = 0;
    while !above(hi)? {
        lo = hi;
        hi *= 2.0;
        doublings += 1;
        if doublings > 200 {
            return Err(FitError::NotBracketed { mu: hi });
        }
    }
    while hi - lo > 1e-4 * hi {
        let mid = 0.5 * (lo + hi);
        if above(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cls_is_one_at_zero_and_continuous_at_the_branch_point() {
        assert!((cls_asymptotic(0.0, 4.0) - 0.5 / Normal::standard().cdf(2.0)).abs() < 1e-15);
        let a = cls_asymptotic(4.0 - 1e-9, 4.0);
        let b = cls_asymptotic(4.0 + 1e-9, 4.0);
        assert!((a - b).abs() < 1e-8, "{a} {b}");
        assert_eq!(cls_asymptotic(3.0, 0.0), 1.0);
    }

    #[test]
    fn zero_width_template_fills_one_bin() {
        let edges = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(gaussian_template(&edges, 1.0, 0.0), vec![0.0, 1.0, 0.0]);
        assert_eq!(gaussian_template(&edges, 3.0, 0.0), vec![0.0, 0.0, 1.0]);
        assert_eq!(gaussian_template(&edges, 3.5, 0.0), vec![0.0, 0.0, 0.0]);
    }

    #[test]
    fn bisect_finds_a_root_to_the_tolerance() {
        let root = bisect(|x| Ok(x * x > 2.0), 0.1).expect("bracketed");
        assert!((root - 2f64.sqrt()).abs() < 1e-4 * 2f64.sqrt());
    }

    #[test]
    fn config_is_validated() {
        assert!(LimitConfig::new(1000.0, 0.05).validate().is_ok());
        assert!(matches!(LimitConfig::new(1000.0, -0.1).validate(), Err(FitError::Config { field: "rel_width", .. })));
        let cfg = LimitConfig { luminosity: Some(0.0), ..LimitConfig::new(1000.0, 0.0) };
        assert!(matches!(cfg.validate(), Err(FitError::Config { field: "luminosity", .. })));
    }
}
