//! How well a detector finds each signal: the weighted AUC, the signal efficiency at the
//! DarkMachines background efficiencies (10⁻², 10⁻³, 10⁻⁴; flagged when fewer than 10
//! background events are expected above the threshold), maxSI (physics-spec §8), and the
//! normalised score distributions as a picture.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use oddity_eval::{BootstrapConfig, Evaluation, ScoredSample, Uncertainty, bootstrap, evaluate};
use oddity_plot::{Curve, Hist1D, LegendPosition, Lines, Series, render_hist1d, render_lines};
use serde::Serialize;

/// Scores and event weights of one sample.
#[derive(Debug, Clone)]
pub struct Scored {
    pub name: String,
    pub scores: Vec<f64>,
    pub weights: Vec<f64>,
}

impl Scored {
    /// All events of `parts` as one sample named `name`.
    pub fn merged(name: &str, parts: Vec<Scored>) -> Self {
        let mut all = Scored { name: name.to_owned(), scores: Vec::new(), weights: Vec::new() };
        for p in parts {
            all.scores.extend(p.scores);
            all.weights.extend(p.weights);
        }
        all
    }

    /// (Σw, effective number of events (Σw)²/Σw²).
    pub fn ess(&self) -> (f64, f64) {
        let sw: f64 = self.weights.iter().sum();
        let sw2: f64 = self.weights.iter().map(|w| w * w).sum();
        (sw, if sw2 > 0.0 { sw * sw / sw2 } else { 0.0 })
    }
}

/// A bootstrap uncertainty, compactly (physics-spec §8; oddity-eval's Poisson bootstrap).
#[derive(Debug, Clone, Serialize)]
pub struct Spread {
    pub std: f64,
    /// Central 68.27 % interval of the replicas.
    pub low: f64,
    pub high: f64,
}

impl From<&Uncertainty> for Spread {
    fn from(u: &Uncertainty) -> Self {
        Self { std: u.std, low: u.low, high: u.high }
    }
}

/// Bootstrap uncertainties of one signal's AUC and efficiencies.
#[derive(Debug, Clone, Serialize)]
pub struct Spreads {
    pub replicas: usize,
    pub auc: Spread,
    /// One per working point, in order.
    pub es: Vec<Spread>,
}

/// One signal against the background.
#[derive(Debug, Clone, Serialize)]
pub struct SignalRow {
    pub signal: String,
    pub signal_events: usize,
    pub signal_ess: f64,
    #[serde(flatten)]
    pub evaluation: Evaluation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<Spreads>,
}

/// The labelled, weighted sample of `background` and `signal`.
fn sample(background: &Scored, signal: &Scored) -> Result<ScoredSample> {
    let scores: Vec<f64> = background.scores.iter().chain(&signal.scores).copied().collect();
    let weights: Vec<f64> = background.weights.iter().chain(&signal.weights).copied().collect();
    let is_signal: Vec<bool> = (0..scores.len()).map(|i| i >= background.scores.len()).collect();
    ScoredSample::new(&scores, &is_signal, Some(&weights))
        .with_context(|| format!("evaluating {} against {}", signal.name, background.name))
}

/// Evaluates every signal against `background` at the background efficiencies `eb`
/// (weighted, physics-spec §8.1-8.3), with bootstrap uncertainties when `replicas` > 0.
pub fn evaluate_signals(
    background: &Scored,
    signals: &[Scored],
    eb: &[f64],
    replicas: usize,
) -> Result<Vec<SignalRow>> {
    signals
        .iter()
        .map(|s| {
            let sample = sample(background, s)?;
            let evaluation = evaluate(&sample, eb)?;
            let bootstrap = if replicas > 0 {
                let config = BootstrapConfig { replicas, seed: 0, working_points: eb.to_vec() };
                let b = bootstrap(&sample, &config)?;
                Some(Spreads {
                    replicas: b.used,
                    auc: (&b.auc).into(),
                    es: b.efficiencies.iter().map(|(_, u)| u.into()).collect(),
                })
            } else {
                None
            };
            Ok(SignalRow {
                signal: s.name.clone(),
                signal_events: s.scores.len(),
                signal_ess: s.ess().1,
                evaluation,
                bootstrap,
            })
        })
        .collect()
}

/// The table as Markdown; working points with low background statistics carry a `†`, values
/// with bootstrap uncertainties a `± std`.
pub fn markdown(background: &Scored, rows: &[SignalRow]) -> String {
    let (_, ess) = background.ess();
    let mut s = format!(
        "Background: {} ({} events, effective {:.0})\n\n| signal | events | AUC |",
        background.name,
        background.scores.len(),
        ess
    );
    let ebs: Vec<f64> =
        rows.first().map(|r| r.evaluation.working_points.iter().map(|w| w.eb).collect()).unwrap_or_default();
    for eb in &ebs {
        let _ = write!(s, " eS at eB={eb:.0e} |");
    }
    s.push_str(" maxSI |\n|---|---:|---:|");
    for _ in &ebs {
        s.push_str("---:|");
    }
    s.push_str("---:|\n");
    let pm = |spread: Option<&Spread>| spread.map(|u| format!(" ± {:.3}", u.std)).unwrap_or_default();
    let mut flagged = false;
    for r in rows {
        let b = r.bootstrap.as_ref();
        let _ = write!(s, "| {} | {} | {:.3}{} |", r.signal, r.signal_events, r.evaluation.auc, pm(b.map(|b| &b.auc)));
        for (k, wp) in r.evaluation.working_points.iter().enumerate() {
            flagged |= wp.low_statistics;
            let _ = write!(
                s,
                " {:.3}{}{} |",
                wp.es,
                pm(b.and_then(|b| b.es.get(k))),
                if wp.low_statistics { "†" } else { "" }
            );
        }
        let _ = writeln!(s, " {:.2} |", r.evaluation.max_si);
    }
    if flagged {
        s.push_str("\n† fewer than 10 background events expected above the threshold: low statistics.\n");
    }
    s
}

/// Histograms of the scores of every sample, each normalised to unit (weighted) area; log10
/// of the score when every score is positive and they span more than two decades. `None`
/// without any finite score.
pub fn score_hist(title: &str, samples: &[&Scored]) -> Option<Hist1D> {
    let all: Vec<f64> = samples.iter().flat_map(|s| s.scores.iter().copied()).filter(|x| x.is_finite()).collect();
    if all.is_empty() {
        return None;
    }
    let (lo, hi) = all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let log = lo > 0.0 && hi / lo > 100.0;
    let t = |x: f64| if log { x.log10() } else { x };
    let mut v: Vec<f64> = all.iter().map(|&x| t(x)).collect();
    v.sort_by(f64::total_cmp);
    // 0.1 % and 99.9 % quantiles, so one extreme event does not squeeze the picture.
    let q = |f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
    let (a, mut b) = (q(0.001), q(0.999));
    if b <= a {
        b = a + 1.0;
    }
    const BINS: usize = 40;
    let edges: Vec<f64> = (0..=BINS).map(|i| a + (b - a) * i as f64 / BINS as f64).collect();
    let width = (b - a) / BINS as f64;
    let series = samples
        .iter()
        .map(|s| {
            let mut values = vec![0.0; BINS];
            let total: f64 = s.weights.iter().sum();
            for (&x, &w) in s.scores.iter().zip(&s.weights) {
                if x.is_finite() {
                    let k = (((t(x) - a) / width).floor().max(0.0) as usize).min(BINS - 1);
                    values[k] += w;
                }
            }
            if total > 0.0 {
                values.iter_mut().for_each(|v| *v /= total * width);
            }
            Series { label: s.name.clone(), values }
        })
        .collect();
    Some(Hist1D {
        title: title.to_owned(),
        x_label: if log { "log10(anomaly score)".into() } else { "anomaly score".into() },
        y_label: "normalised (weighted) density".into(),
        edges,
        series,
        log_y: true,
    })
}

/// Writes [`score_hist`] to `path` (PNG or SVG by extension); nothing without scores.
pub fn score_plot(title: &str, samples: &[&Scored], path: &Path) -> Result<()> {
    let Some(hist) = score_hist(title, samples) else { return Ok(()) };
    create_parent(path)?;
    render_hist1d(&hist, path).with_context(|| format!("drawing {}", path.display()))
}

/// ROC curves of every signal against the background, with a logarithmic background
/// efficiency (as the DarkMachines paper draws them) and the random-guess diagonal.
pub fn roc_lines(title: &str, background: &Scored, signals: &[Scored]) -> Result<Lines> {
    let mut curves = Vec::new();
    for s in signals {
        let roc = sample(background, s)?.roc();
        curves.push(Curve::new(s.name.clone(), roc.eb().to_vec(), roc.es().to_vec()));
    }
    let lo = background.weights.iter().filter(|w| **w > 0.0).count().max(1) as f64;
    Ok(Lines {
        title: title.to_owned(),
        x_label: "background efficiency eB".into(),
        y_label: "signal efficiency eS".into(),
        curves,
        log_x: true,
        x_range: Some(((1.0 / lo).min(1e-4), 1.0)),
        y_range: Some((0.0, 1.0)),
        reference: Some(Curve::diagonal("random", (1.0 / lo).min(1e-4), 1.0)),
        legend: LegendPosition::UpperLeft,
        ..Lines::default()
    })
}

/// SI = eS/sqrt(eB) against eB for every signal (physics-spec §8.3).
pub fn si_lines(title: &str, background: &Scored, signals: &[Scored]) -> Result<Lines> {
    let mut curves = Vec::new();
    for s in signals {
        let roc = sample(background, s)?.roc();
        let (x, y): (Vec<f64>, Vec<f64>) =
            roc.eb().iter().zip(roc.es()).filter(|(eb, _)| **eb > 0.0).map(|(eb, es)| (*eb, es / eb.sqrt())).unzip();
        curves.push(Curve::new(s.name.clone(), x, y));
    }
    Ok(Lines {
        title: title.to_owned(),
        x_label: "background efficiency eB".into(),
        y_label: "significance improvement eS/sqrt(eB)".into(),
        curves,
        log_x: true,
        reference: Some(Curve::new("SI = 1", vec![1e-6, 1.0], vec![1.0, 1.0])),
        ..Lines::default()
    })
}

/// Writes a line plot to `path` (PNG or SVG by extension).
pub fn lines_plot(lines: &Lines, path: &Path) -> Result<()> {
    create_parent(path)?;
    render_lines(lines, path).with_context(|| format!("drawing {}", path.display()))
}

fn create_parent(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(name: &str, scores: Vec<f64>) -> Scored {
        let weights = vec![1.0; scores.len()];
        Scored { name: name.into(), scores, weights }
    }

    #[test]
    fn perfect_and_useless_detectors() {
        let bkg = scored("bkg", (0..1000).map(|i| i as f64).collect());
        let perfect = scored("perfect", (0..50).map(|i| 2000.0 + i as f64).collect());
        let same = scored("same", (0..1000).map(|i| i as f64 + 0.5).collect());
        let rows = evaluate_signals(&bkg, &[perfect, same], &oddity_eval::DARKMACHINES_WORKING_POINTS, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows[0].evaluation.auc, 1.0);
        assert_eq!(rows[0].evaluation.working_points[0].es, 1.0);
        assert!((rows[1].evaluation.auc - 0.5).abs() < 0.01, "{}", rows[1].evaluation.auc);
        let md = markdown(&bkg, &rows);
        assert!(md.contains("| perfect | 50 | 1.000 |"), "{md}");
        // 1000 background events: eB = 1e-3 and 1e-4 expect fewer than 10 events above.
        assert!(md.contains('†'), "{md}");
        // With the bootstrap: uncertainties, zero for the perfect separation.
        let rows = evaluate_signals(&bkg, &rows_input(), &[0.1], 50).unwrap_or_else(|e| panic!("{e}"));
        let b = rows[0].bootstrap.as_ref().unwrap_or_else(|| panic!("bootstrap"));
        assert_eq!(b.auc.std, 0.0);
        assert!(markdown(&bkg, &rows).contains("1.000 ± 0.000"));
    }

    fn rows_input() -> Vec<Scored> {
        vec![scored("perfect", (0..50).map(|i| 2000.0 + i as f64).collect())]
    }

    #[test]
    fn weights_enter_the_effective_size() {
        let s = Scored { name: "w".into(), scores: vec![1.0, 2.0], weights: vec![1.0, 3.0] };
        let (sw, ess) = s.ess();
        assert_eq!(sw, 4.0);
        assert!((ess - 1.6).abs() < 1e-12);
    }
}
