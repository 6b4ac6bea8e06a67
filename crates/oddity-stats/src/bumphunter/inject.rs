//! Signal injection (physics-spec §9.4 step 8; pyBumpHunter 0.5.1 `signal_inject`).

use serde::{Deserialize, Serialize};
use std::fmt;

use super::engine::Engine;
use super::pvalue::z_from_p;
use super::{BumpHunterError, Mode, fmt_g};

/// How the signal strength grows from one step to the next.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrengthScale {
    /// μ₁ = `min`, μ_{k+1} = μ_k + `step` (pyBumpHunter `str_scale="lin"`).
    Lin { min: f64, step: f64 },
    /// μ₁ = 10^`min_exp`, step = μ₁, μ_{k+1} = μ_k + step, and the step grows tenfold
    /// whenever μ reaches ten steps: 0.1, 0.2, …, 1, 2, …, 10, 20, … (`str_scale="log"`).
    Log { min_exp: f64 },
}

/// Settings of the injection test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectionConfig {
    pub scale: StrengthScale,
    /// Expected signal events at μ = 1; `None`: the template's entries (Σ S).
    pub signal_exp: Option<f64>,
    /// Stop when the median injected significance reaches this (σ).
    pub sigma_limit: f64,
    /// Injected pseudo-experiments per strength (≥ 1).
    pub npe_inject: usize,
    /// In deficit mode, subtract the signal instead of adding it (pyBumpHunter `flip_sig`).
    pub flip_signal: bool,
    /// Safety stop on the number of strengths (pyBumpHunter loops without bound).
    pub max_steps: usize,
}

impl Default for InjectionConfig {
    /// pyBumpHunter's defaults (lin, 0.5 + 0.25 k, σ 5, 100 injections) with a 1000-step
    /// cap.
    fn default() -> Self {
        Self {
            scale: StrengthScale::Lin { min: 0.5, step: 0.25 },
            signal_exp: None,
            sigma_limit: 5.0,
            npe_inject: 100,
            flip_signal: true,
            max_steps: 1000,
        }
    }
}

/// One strength of the injection test. Quantiles of the injected t use numpy's linear
/// interpolation; the global p-values count background-only t strictly above them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InjectionStep {
    /// μ.
    pub strength: f64,
    /// Injected signal events μ·signal_exp.
    pub signal: f64,
    /// Median, 16 % and 84 % quantiles of the injected t.
    pub t_median: f64,
    pub t_16: f64,
    pub t_84: f64,
    /// Global p of the median, 16 % and 84 % t.
    pub p: f64,
    pub p_16: f64,
    pub p_84: f64,
    /// Z = Φ⁻¹(1 − max(p, 1/n_pe)) of the median, 16 % and 84 % t.
    pub z: f64,
    pub z_16: f64,
    pub z_84: f64,
}

/// Why the injection loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Z ≥ σ_limit.
    SigmaLimit,
    /// p ≤ 1/n_pe: no background-only pseudo-experiment is above the median injected t.
    StatLimit,
    /// `max_steps` strengths without reaching either limit.
    MaxSteps,
}

/// Result of the injection test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Injection {
    /// Every strength tried, in order (for an injection curve).
    pub steps: Vec<InjectionStep>,
    pub stop: StopReason,
    /// The last strength and its injected signal events.
    pub strength: f64,
    pub signal: f64,
    /// Background-only t distribution (n_pe pseudo-experiments, the same as `hunt`'s).
    pub t_background: Vec<f64>,
}

fn config_error(field: &'static str, value: impl fmt::Display, expected: &str) -> BumpHunterError {
    BumpHunterError::Config { field, value: value.to_string(), expected: expected.into() }
}

impl InjectionConfig {
    fn validate(&self) -> Result<(), BumpHunterError> {
        let positive = |field, v: f64| match v.is_finite() && v > 0.0 {
            true => Ok(()),
            false => Err(config_error(field, v, "a finite number > 0")),
        };
        match self.scale {
            StrengthScale::Lin { min, step } => {
                positive("scale.min", min)?;
                positive("scale.step", step)?;
            }
            StrengthScale::Log { min_exp } => positive("10^scale.min_exp", 10f64.powf(min_exp))?,
        }
        if let Some(e) = self.signal_exp {
            positive("signal_exp", e)?;
        }
        positive("sigma_limit", self.sigma_limit)?;
        if self.npe_inject == 0 {
            return Err(config_error("npe_inject", 0, "at least 1"));
        }
        if self.max_steps == 0 {
            return Err(config_error("max_steps", 0, "at least 1"));
        }
        Ok(())
    }
}

/// The strengths μ₁, μ₂, … of a scale (pyBumpHunter's recurrence, float for float).
fn strengths(scale: StrengthScale) -> impl Iterator<Item = f64> {
    let (first, mut step, log) = match scale {
        StrengthScale::Lin { min, step } => (min, step, false),
        StrengthScale::Log { min_exp } => {
            let m = 10f64.powf(min_exp);
            (m, m, true)
        }
    };
    std::iter::successors(Some(first), move |&mu| {
        let next = mu + step;
        if log && (next - 10.0 * step).abs() < 1e-6 {
            step *= 10.0;
        }
        Some(next)
    })
}

/// Linear-interpolation quantile of sorted values (numpy's default `method="linear"`).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let (a, b) = (sorted[lo], sorted[hi]);
    if a == b { a } else { a + (b - a) * (pos - lo as f64) }
}

/// Runs the injection loop over `engine` (physics-spec §9.4 step 8).
pub(crate) fn run(
    engine: &Engine,
    bkg: &[f64],
    signal: &[f64],
    config: &InjectionConfig,
    npe: usize,
    seed: u64,
    mode: Mode,
) -> Result<Injection, BumpHunterError> {
    config.validate()?;
    let entries: f64 = signal.iter().sum();
    if entries <= 0.0 {
        return Err(config_error("signal", "an empty histogram", "a template with entries > 0"));
    }
    let signal_exp = config.signal_exp.unwrap_or(entries);
    let sign = if mode == Mode::Deficit && config.flip_signal { -1.0 } else { 1.0 };
    let t_background = engine.pseudo_t(bkg, bkg, npe, seed, 0, None)?;
    let global = |t: f64| {
        let p = t_background.iter().filter(|&&tb| tb > t).count() as f64 / npe as f64;
        (p, z_from_p(p.max(1.0 / npe as f64)))
    };
    let mut steps = Vec::new();
    let mut stop = StopReason::MaxSteps;
    for (k, strength) in strengths(config.scale).take(config.max_steps).enumerate() {
        let expectation = bkg
            .iter()
            .zip(signal)
            .map(|(b, s)| b + sign * (s * strength * (signal_exp / entries)))
            .collect::<Vec<f64>>();
        if let Some(i) = expectation.iter().position(|&e| e < 0.0) {
            let value = expectation[i];
            return Err(BumpHunterError::NegativeExpectation { strength, bin: engine.bin_name(i), value });
        }
        let mut t = engine.pseudo_t(&expectation, bkg, config.npe_inject, seed, k as u64 + 1, None)?;
        t.sort_by(f64::total_cmp);
        let (t_median, t_16, t_84) = (quantile(&t, 0.5), quantile(&t, 0.16), quantile(&t, 0.84));
        let ((p, z), (p_16, z_16), (p_84, z_84)) = (global(t_median), global(t_16), global(t_84));
        steps.push(InjectionStep {
            strength,
            signal: strength * signal_exp,
            t_median,
            t_16,
            t_84,
            p,
            p_16,
            p_84,
            z,
            z_16,
            z_84,
        });
        if z >= config.sigma_limit {
            stop = StopReason::SigmaLimit;
            break;
        }
        if p <= 1.0 / npe as f64 {
            stop = StopReason::StatLimit;
            break;
        }
    }
    let last = steps.last().map_or((0.0, 0.0), |s| (s.strength, s.signal));
    Ok(Injection { steps, stop, strength: last.0, signal: last.1, t_background })
}

impl fmt::Display for Injection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.steps.iter().enumerate() {
            writeln!(
                f,
                "STEP {} : signal strength = {} ({} events)  global p {:.4} ({:.4} {:.4})  Z {:.5} ({:.5} {:.5})",
                i + 1,
                fmt_g(s.strength, 6),
                fmt_g(s.signal, 6),
                s.p,
                s.p_16,
                s.p_84,
                s.z,
                s.z_16,
                s.z_84
            )?;
        }
        let why = match self.stop {
            StopReason::SigmaLimit => "REACHED SIGMA LIMIT",
            StopReason::StatLimit => "REACHED STAT LIMIT",
            StopReason::MaxSteps => "STOPPED AT THE STEP LIMIT",
        };
        let z = self.steps.last().map_or(0.0, |s| s.z);
        write!(
            f,
            "{why} AT {z:.3} SIGMA\nNumber of signal events injected : {}\nSignal strength : {:.4}",
            fmt_g(self.signal, 6),
            self.strength
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_strengths_follow_pybumphunter() {
        let s: Vec<f64> = strengths(StrengthScale::Log { min_exp: -1.0 }).take(12).collect();
        // 0.1 + 0.1 + … reaches 0.9999999999999999 (as in results-1d.txt), then 2.0, 3.0.
        assert_eq!(s[2], 0.30000000000000004);
        assert_eq!(s[9], 0.9999999999999999);
        assert_eq!((s[10], s[11]), (2.0, 3.0));
        let s: Vec<f64> = strengths(StrengthScale::Lin { min: 0.5, step: 0.25 }).take(3).collect();
        assert_eq!(s, [0.5, 0.75, 1.0]);
    }

    #[test]
    fn quantiles_interpolate_linearly() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert!((quantile(&v, 0.16) - 1.48).abs() < 1e-12);
        assert_eq!(quantile(&[f64::INFINITY; 3], 0.5), f64::INFINITY);
    }
}
