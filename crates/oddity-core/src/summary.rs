//! Streaming summaries of event samples: counts, Σw, effective sample size, process mix,
//! object multiplicities and weighted MET/HT quantiles (what `oddity inspect` reports).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{EventTable, ObjectKind};

/// Largest multiplicity with its own column; larger counts go to the last column.
pub const MAX_MULTIPLICITY: usize = 10;

/// Weighted counts of a group of events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct WeightedCount {
    pub events: u64,
    /// Σw.
    pub sum_weights: f64,
    /// Σw².
    pub sum_weights2: f64,
}

impl WeightedCount {
    fn add(&mut self, w: f64) {
        self.events += 1;
        self.sum_weights += w;
        self.sum_weights2 += w * w;
    }

    /// Kish effective sample size (Σw)²/Σw²; equals `events` for equal weights, 0 if empty.
    pub fn ess(&self) -> f64 {
        if self.sum_weights2 > 0.0 { self.sum_weights * self.sum_weights / self.sum_weights2 } else { 0.0 }
    }
}

/// Accumulates a [`SummaryReport`] over batches.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    total: WeightedCount,
    negative_weights: u64,
    processes: BTreeMap<String, WeightedCount>,
    /// `multiplicity[k][n]`: events with n objects of kind k (k = 0..7 kinds, 7 = all objects).
    multiplicity: [[u64; MAX_MULTIPLICITY + 1]; 8],
    objects: [u64; 8],
    met: Vec<(f64, f64)>,
    ht: Vec<(f64, f64)>,
}

/// The finished summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryReport {
    pub events: u64,
    pub sum_weights: f64,
    pub sum_weights2: f64,
    /// Kish effective sample size (Σw)²/Σw².
    pub effective_sample_size: f64,
    pub negative_weights: u64,
    pub weight_min: f64,
    pub weight_max: f64,
    /// Per process label, sorted by name.
    pub processes: Vec<ProcessSummary>,
    /// Rows per object token plus `all`; `events_with[n]` counts events with exactly n such
    /// objects, the last entry n ≥ [`MAX_MULTIPLICITY`].
    pub multiplicity: Vec<MultiplicityRow>,
    /// Weighted quantiles of MET in GeV, at [`QUANTILES`].
    pub met_quantiles: Vec<f64>,
    /// Weighted quantiles of HT (all written j and b) in GeV, at [`QUANTILES`].
    pub ht_quantiles: Vec<f64>,
}

/// One process of a [`SummaryReport`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessSummary {
    pub process: String,
    pub events: u64,
    pub sum_weights: f64,
    pub effective_sample_size: f64,
    /// Share of the total Σw.
    pub weight_fraction: f64,
}

/// One row of the multiplicity table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultiplicityRow {
    pub kind: String,
    pub objects: u64,
    pub events_with: Vec<u64>,
}

/// Quantile levels reported for MET and HT.
pub const QUANTILES: [f64; 7] = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0];

impl Summary {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds every event of `table`.
    pub fn add(&mut self, table: &EventTable) {
        let mut per_process: Vec<WeightedCount> = vec![WeightedCount::default(); table.process_names.len()];
        for ev in table.events() {
            let w = ev.weight;
            self.total.add(w);
            if w < 0.0 {
                self.negative_weights += 1;
            }
            per_process[table.process[ev.index] as usize].add(w);
            let mut counts = [0usize; 8];
            for k in ev.objects.kind {
                counts[usize::from(k.code()) - 1] += 1;
            }
            counts[7] = ev.objects.len();
            for (row, n) in self.multiplicity.iter_mut().zip(counts) {
                row[n.min(MAX_MULTIPLICITY)] += 1;
            }
            for (total, n) in self.objects.iter_mut().zip(counts) {
                *total += n as u64;
            }
            self.met.push((ev.met, w));
            self.ht.push((ev.ht(None), w));
        }
        for (name, c) in table.process_names.iter().zip(per_process) {
            if c.events > 0 {
                let e = self.processes.entry(name.clone()).or_default();
                e.events += c.events;
                e.sum_weights += c.sum_weights;
                e.sum_weights2 += c.sum_weights2;
            }
        }
    }

    /// Finishes the summary.
    pub fn finish(mut self) -> SummaryReport {
        let (mut wmin, mut wmax) = (f64::INFINITY, f64::NEG_INFINITY);
        for &(_, w) in &self.met {
            wmin = wmin.min(w);
            wmax = wmax.max(w);
        }
        let total = self.total;
        let processes = self
            .processes
            .iter()
            .map(|(name, c)| ProcessSummary {
                process: name.clone(),
                events: c.events,
                sum_weights: c.sum_weights,
                effective_sample_size: c.ess(),
                weight_fraction: if total.sum_weights != 0.0 { c.sum_weights / total.sum_weights } else { 0.0 },
            })
            .collect();
        let names: Vec<String> =
            ObjectKind::ALL.iter().map(|k| k.token().to_owned()).chain(["all".to_owned()]).collect();
        let multiplicity = names
            .into_iter()
            .enumerate()
            .map(|(i, kind)| MultiplicityRow {
                kind,
                objects: self.objects[i],
                events_with: self.multiplicity[i].to_vec(),
            })
            .collect();
        SummaryReport {
            events: total.events,
            sum_weights: total.sum_weights,
            sum_weights2: total.sum_weights2,
            effective_sample_size: total.ess(),
            negative_weights: self.negative_weights,
            weight_min: if total.events > 0 { wmin } else { 0.0 },
            weight_max: if total.events > 0 { wmax } else { 0.0 },
            processes,
            multiplicity,
            met_quantiles: weighted_quantiles(&mut self.met, &QUANTILES),
            ht_quantiles: weighted_quantiles(&mut self.ht, &QUANTILES),
        }
    }
}

/// Weighted quantiles of (value, weight) pairs: for level q the smallest value x such that
/// the Σw of values ≤ x reaches q·Σw (q = 0 gives the minimum, q = 1 the maximum). Events
/// with weight ≤ 0 do not count towards the cumulative weight (they still bound q = 0 and 1).
/// Empty input gives NaN for every level.
pub fn weighted_quantiles(values: &mut [(f64, f64)], levels: &[f64]) -> Vec<f64> {
    if values.is_empty() {
        return vec![f64::NAN; levels.len()];
    }
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = values.iter().map(|v| v.1.max(0.0)).sum();
    levels
        .iter()
        .map(|&q| {
            if q <= 0.0 || total <= 0.0 {
                return if q >= 1.0 { values[values.len() - 1].0 } else { values[0].0 };
            }
            if q >= 1.0 {
                return values[values.len() - 1].0;
            }
            let target = q * total;
            let mut cum = 0.0;
            for &(x, w) in values.iter() {
                cum += w.max(0.0);
                if cum >= target {
                    return x;
                }
            }
            values[values.len() - 1].0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventHeader;

    #[test]
    fn ess_counts_and_multiplicity() {
        let mut t = EventTable::new();
        for (i, (p, w, n_jets)) in [("a", 1.0, 0), ("b", 3.0, 2), ("a", 1.0, 12)].into_iter().enumerate() {
            t.push_event(EventHeader {
                event_id: 0,
                process: p,
                weight: w,
                met: 100.0 * (i + 1) as f64,
                met_phi: 0.0,
                source_line: i as u64 + 1,
            });
            for _ in 0..n_jets {
                t.push_object(ObjectKind::Jet, 60.0, 50.0, 0.0, 0.0);
            }
        }
        let mut s = Summary::new();
        s.add(&t.slice(0..1));
        s.add(&t.slice(1..3));
        let r = s.finish();
        assert_eq!(r.events, 3);
        assert_eq!(r.sum_weights, 5.0);
        // (Σw)²/Σw² = 25/11.
        assert!((r.effective_sample_size - 25.0 / 11.0).abs() < 1e-12);
        assert_eq!(r.processes[0].process, "a");
        assert_eq!(r.processes[0].events, 2);
        assert_eq!(r.processes[1].weight_fraction, 0.6);
        let jets = &r.multiplicity[0];
        assert_eq!(jets.kind, "j");
        assert_eq!(jets.objects, 14);
        assert_eq!(jets.events_with[0], 1);
        assert_eq!(jets.events_with[2], 1);
        assert_eq!(jets.events_with[MAX_MULTIPLICITY], 1);
        // Weighted median MET: weights 1, 3, 1 at 100, 200, 300 -> 200.
        assert_eq!(r.met_quantiles[3], 200.0);
        assert_eq!(r.met_quantiles[0], 100.0);
        assert_eq!(r.met_quantiles[6], 300.0);
        assert_eq!(r.ht_quantiles[6], 600.0);
    }

    #[test]
    fn quantiles_follow_weights() {
        let mut v = vec![(1.0, 1.0), (2.0, 1.0), (3.0, 98.0)];
        assert_eq!(weighted_quantiles(&mut v, &[0.01, 0.02, 0.03, 0.5]), vec![1.0, 2.0, 3.0, 3.0]);
        assert!(weighted_quantiles(&mut [], &[0.5])[0].is_nan());
    }
}
