//! Loss-weight annealing of the contrastive VAE (physics-spec §7.7, BEAD's annealing config).
//!
//! A weight (the KL weight β or the contrastive weight w_c) follows one of:
//! - `trigger`: steps through `values`, advancing by one on each rising edge of its trigger
//!   "early-stopping counter ≥ `fraction`·patience" (BEAD: β at patience/3, w_c at
//!   patience/2); it starts at `values[0]` and stays at the last value;
//! - `linear` (constant pace): start + (end − start)·min(e − 1, epochs)/epochs in epoch e;
//! - `scheduled`: `{ "epoch" = value }`, the value of the latest listed epoch ≤ e, and the
//!   configured weight before the first.
//!
//! The current weights are read at every step (BEAD builds its loss once with the initial
//! weights, so its annealing never reaches the loss: not reproduced).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::DetectError;

/// How one loss weight changes during training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Schedule {
    Trigger { values: Vec<f64>, fraction: f64 },
    Linear { start: f64, end: f64, epochs: usize },
    Scheduled { values: BTreeMap<String, f64> },
}

/// `[detector.anneal]`: schedules of the KL weight and of the contrastive weight.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnnealConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<Schedule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contrastive: Option<Schedule>,
}

impl AnnealConfig {
    /// BEAD's defaults: β through [1e-3, 5e-3, 1e-2] at patience/3, w_c through
    /// [0, 0.005, 0.01, 0.02, 0.03] at patience/2.
    pub fn bead() -> Self {
        Self {
            beta: Some(Schedule::Trigger { values: vec![1e-3, 5e-3, 1e-2], fraction: 1.0 / 3.0 }),
            contrastive: Some(Schedule::Trigger { values: vec![0.0, 0.005, 0.01, 0.02, 0.03], fraction: 0.5 }),
        }
    }

    pub fn validate(&self, patience: Option<usize>) -> Result<(), DetectError> {
        for (name, s) in [("beta", &self.beta), ("contrastive", &self.contrastive)] {
            if let Some(s) = s {
                s.validate(patience).map_err(|e| DetectError::Config(format!("detector.anneal.{name}: {e}")))?;
            }
        }
        Ok(())
    }
}

impl Schedule {
    fn validate(&self, patience: Option<usize>) -> Result<(), String> {
        let finite = |v: f64| v.is_finite() && v >= 0.0;
        match self {
            Schedule::Trigger { values, fraction } => {
                if values.is_empty() || !values.iter().all(|&v| finite(v)) {
                    return Err(format!("values must be non-empty, finite and >= 0, got {values:?}"));
                }
                if !(*fraction > 0.0 && *fraction <= 1.0) {
                    return Err(format!("fraction must be in (0, 1], got {fraction}"));
                }
                if patience.is_none() {
                    return Err("a trigger schedule needs train.early_stopping (its patience)".into());
                }
            }
            Schedule::Linear { start, end, epochs } => {
                if !finite(*start) || !finite(*end) || *epochs == 0 {
                    return Err(format!("needs finite start, end >= 0 and epochs >= 1, got {start}, {end}, {epochs}"));
                }
            }
            Schedule::Scheduled { values } => {
                for (k, v) in values {
                    if k.parse::<usize>().map_or(true, |e| e == 0) || !finite(*v) {
                        return Err(format!("entry {k:?} = {v}: keys must be epochs >= 1, values finite and >= 0"));
                    }
                }
            }
        }
        Ok(())
    }
}

/// One weight being annealed: its schedule and the state of a trigger schedule.
#[derive(Debug, Clone)]
pub struct Annealed {
    schedule: Option<Schedule>,
    base: f64,
    patience: usize,
    /// Index into `values` (trigger schedules).
    step: usize,
    /// The trigger's value after the last epoch (for rising edges).
    armed: bool,
    /// The weight of the coming epoch.
    current: f64,
}

impl Annealed {
    /// `base` is the configured weight (used without a schedule, and by `scheduled` before
    /// its first epoch).
    pub fn new(schedule: Option<Schedule>, base: f64, patience: Option<usize>) -> Self {
        let mut a = Self { schedule, base, patience: patience.unwrap_or(0), step: 0, armed: false, current: base };
        a.current = a.value_for(1);
        a
    }

    /// The weight to use now.
    pub fn current(&self) -> f64 {
        self.current
    }

    fn value_for(&self, epoch: usize) -> f64 {
        match &self.schedule {
            None => self.base,
            Some(Schedule::Trigger { values, .. }) => values[self.step.min(values.len() - 1)],
            Some(Schedule::Linear { start, end, epochs }) => {
                start + (end - start) * ((epoch - 1).min(*epochs) as f64 / *epochs as f64)
            }
            Some(Schedule::Scheduled { values }) => values
                .iter()
                .filter_map(|(k, v)| k.parse::<usize>().ok().map(|e| (e, *v)))
                .filter(|&(e, _)| e <= epoch)
                .max_by_key(|&(e, _)| e)
                .map_or(self.base, |(_, v)| v),
        }
    }

    /// After epoch `epoch` with early-stopping counter `since_best`: sets the weight of epoch
    /// `epoch + 1`.
    pub fn end_epoch(&mut self, epoch: usize, since_best: usize) {
        if let Some(Schedule::Trigger { fraction, .. }) = &self.schedule {
            let fired = since_best as f64 >= fraction * self.patience as f64;
            if fired && !self.armed {
                self.step += 1;
            }
            self.armed = fired;
        }
        self.current = self.value_for(epoch + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_advances_on_rising_edges_only() {
        let s = Schedule::Trigger { values: vec![1.0, 2.0, 3.0], fraction: 1.0 / 3.0 };
        let mut a = Annealed::new(Some(s), 9.0, Some(6)); // fires at counter >= 2
        assert_eq!(a.current(), 1.0);
        let mut seen = Vec::new();
        for (e, since) in [0, 1, 2, 3, 0, 2, 0, 4, 5].into_iter().enumerate() {
            a.end_epoch(e + 1, since);
            seen.push(a.current());
        }
        assert_eq!(seen, vec![1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0]);
    }

    #[test]
    fn linear_and_scheduled() {
        let mut a = Annealed::new(Some(Schedule::Linear { start: 0.0, end: 1.0, epochs: 4 }), 0.5, None);
        let mut seen = vec![a.current()];
        for e in 1..6 {
            a.end_epoch(e, 0);
            seen.push(a.current());
        }
        assert_eq!(seen, vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.0]);
        let values = BTreeMap::from([("3".to_owned(), 0.1), ("5".to_owned(), 0.2)]);
        let mut a = Annealed::new(Some(Schedule::Scheduled { values }), 0.01, None);
        let mut seen = vec![a.current()];
        for e in 1..6 {
            a.end_epoch(e, 0);
            seen.push(a.current());
        }
        assert_eq!(seen, vec![0.01, 0.01, 0.1, 0.1, 0.2, 0.2]);
    }

    #[test]
    fn validation_names_the_problem() {
        let t = AnnealConfig::bead();
        assert!(t.validate(Some(100)).is_ok());
        let err = t.validate(None).unwrap_err().to_string();
        assert!(err.contains("detector.anneal.beta") && err.contains("early_stopping"), "{err}");
        let bad = AnnealConfig {
            contrastive: Some(Schedule::Scheduled { values: BTreeMap::from([("zero".to_owned(), 0.1)]) }),
            ..AnnealConfig::default()
        };
        assert!(bad.validate(None).unwrap_err().to_string().contains("\"zero\""));
    }
}
