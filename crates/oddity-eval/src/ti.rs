//! The DarkMachines total improvement (physics-spec §8.4; arXiv 2105.14027 sec. 5;
//! `bostdiek/DarkMachines-UnsupervisedChallenge:notebooks/04-SignificanceImprovement.ipynb`).
//!
//! For one model and one physics signal, TI is the largest maxSI over every submission row of
//! that model and signal, i.e. over all channels in which the signal appears and over
//! duplicate rows. maxSI of a row is max over eB* ∈ {1e-2, 1e-3, 1e-4} of eS(eB*)/√eB*
//! ([`crate::max_si`]). Per model, MinTI, MedianTI and MaxTI are taken over its signals (the
//! median of an even count is the mean of the two middle values). Models that lack any of
//! the four channels 1, 2a, 2b, 3 are excluded and listed in [`TiReport::excluded`]. Models
//! are ordered by MedianTI descending (ties by model name). Nothing is rounded, so the
//! published table is reproduced bit for bit (§8.6, `tests/darkmachines.rs`).

use crate::working_point::{DARKMACHINES_WORKING_POINTS, max_si};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A DarkMachines channel (physics-spec §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Channel {
    #[serde(rename = "1")]
    C1,
    #[serde(rename = "2a")]
    C2a,
    #[serde(rename = "2b")]
    C2b,
    #[serde(rename = "3")]
    C3,
}

impl Channel {
    /// The four channels in table order.
    pub const ALL: [Channel; 4] = [Channel::C1, Channel::C2a, Channel::C2b, Channel::C3];

    /// The name used in the tables: `1`, `2a`, `2b` or `3`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::C1 => "1",
            Channel::C2a => "2a",
            Channel::C2b => "2b",
            Channel::C3 => "3",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown channel {s:?}, expected one of 1, 2a, 2b, 3"))
    }
}

/// One row of a submission table: a model's AUC and signal efficiencies for one signal in one
/// channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubmissionRow {
    pub signal: String,
    pub model: String,
    pub channel: Channel,
    pub auc: f64,
    /// eS at eB* = 1e-2, 1e-3, 1e-4 ([`DARKMACHINES_WORKING_POINTS`]).
    pub efficiencies: [f64; 3],
}

impl SubmissionRow {
    /// maxSI of this row (§8.3).
    pub fn max_si(&self) -> f64 {
        max_si(DARKMACHINES_WORKING_POINTS.into_iter().zip(self.efficiencies))
    }
}

/// TI of one model for one signal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalTi {
    pub signal: String,
    pub ti: f64,
}

/// Min/Median/Max TI of one model over its signals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelTi {
    pub model: String,
    pub min: f64,
    pub median: f64,
    pub max: f64,
    /// TI per signal, by signal name.
    pub per_signal: Vec<SignalTi>,
}

/// A model left out of the TI table because it lacks channels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExcludedModel {
    pub model: String,
    pub missing: Vec<Channel>,
}

/// The TI table of a set of submissions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TiReport {
    /// Models with all four channels, by MedianTI descending (ties by name).
    pub models: Vec<ModelTi>,
    /// Models without all four channels, by name.
    pub excluded: Vec<ExcludedModel>,
}

/// Median of a non-empty, ascending slice (mean of the two middle values for an even count).
fn median_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// Computes the TI table of `rows` (§8.4).
pub fn total_improvements(rows: &[SubmissionRow]) -> TiReport {
    #[derive(Default)]
    struct Acc<'a> {
        channels: [bool; 4],
        ti: BTreeMap<&'a str, f64>,
    }
    let mut models: BTreeMap<&str, Acc> = BTreeMap::new();
    for row in rows {
        let acc = models.entry(&row.model).or_default();
        acc.channels[row.channel as usize] = true;
        let si = row.max_si();
        acc.ti.entry(&row.signal).and_modify(|ti| *ti = ti.max(si)).or_insert(si);
    }
    let mut report = TiReport { models: Vec::new(), excluded: Vec::new() };
    for (model, acc) in models {
        if acc.channels.contains(&false) {
            let missing = Channel::ALL.into_iter().filter(|c| !acc.channels[*c as usize]).collect();
            report.excluded.push(ExcludedModel { model: model.to_owned(), missing });
            continue;
        }
        let mut values: Vec<f64> = acc.ti.values().copied().collect();
        values.sort_by(f64::total_cmp);
        report.models.push(ModelTi {
            model: model.to_owned(),
            min: values[0],
            median: median_sorted(&values),
            max: values[values.len() - 1],
            per_signal: acc.ti.iter().map(|(s, ti)| SignalTi { signal: (*s).to_owned(), ti: *ti }).collect(),
        });
    }
    // Stable sort: equal medians keep the name order of the BTreeMap.
    report.models.sort_by(|a, b| b.median.total_cmp(&a.median));
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(signal: &str, model: &str, channel: Channel, eff: [f64; 3]) -> SubmissionRow {
        SubmissionRow { signal: signal.into(), model: model.into(), channel, auc: 0.5, efficiencies: eff }
    }

    #[test]
    fn channel_names() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(c));
        }
        assert!("2c".parse::<Channel>().unwrap_err().contains("expected one of 1, 2a, 2b, 3"));
    }

    #[test]
    fn ti_max_over_channels_and_duplicates() {
        let mut rows = Vec::new();
        for c in Channel::ALL {
            rows.push(row("a", "M", c, [0.1, 0.0, 0.0]));
        }
        rows.push(row("a", "M", Channel::C3, [0.0, 0.0, 0.05])); // duplicate row, SI 5
        rows.push(row("b", "M", Channel::C1, [0.2, 0.0, 0.0])); // SI 2
        rows.push(row("c", "M", Channel::C1, [0.3, 0.0, 0.0])); // SI 3
        rows.push(row("a", "N", Channel::C1, [0.3, 0.0, 0.0]));
        let rep = total_improvements(&rows);
        assert_eq!(
            rep.excluded,
            vec![ExcludedModel { model: "N".into(), missing: vec![Channel::C2a, Channel::C2b, Channel::C3] }]
        );
        let m = &rep.models[0];
        assert_eq!(m.per_signal[0], SignalTi { signal: "a".into(), ti: 0.05 / 1e-4_f64.sqrt() });
        assert_eq!((m.min, m.max), (0.2 / 0.1, 0.05 / 0.01));
        assert_eq!(m.median, 0.3 / 0.1);
    }

    #[test]
    fn median_of_even_count() {
        assert_eq!(median_sorted(&[1.0, 2.0, 4.0, 10.0]), 3.0);
        assert_eq!(median_sorted(&[1.0, 2.0, 4.0]), 2.0);
    }
}
