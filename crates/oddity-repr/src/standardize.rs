//! Per-feature standardisation (physics-spec §5.6).
//!
//! Fitted on the **training background only**, with event weights, and applied unchanged to
//! every other sample; saved with the model as JSON. For each continuous feature the weighted
//! mean μ and standard deviation σ are taken over the **non-padded** entries only, and
//! x′ = (x − μ)/max(σ, 1e-6). Padded entries stay exactly 0. Type codes, one-hot columns,
//! masks, pair features and RMM cells are never standardised: a representation lists what is
//! standardised through [`crate::Representation::standardize_groups`].
//!
//! Weights: μ = Σ w x / Σ w and σ² = Σ w (x − μ)² / Σ w (the biased, population form, as
//! sklearn's `StandardScaler` with `sample_weight`), accumulated with West's weighted
//! incremental algorithm (D. H. D. West, Commun. ACM 22 (1979) 532) in f64. Every column
//! also records Σw and its effective number of entries (Σw)²/Σw².

use serde::{Deserialize, Serialize};

use crate::FeatureBatch;

/// Floor on σ so constant features do not divide by zero.
pub const SIGMA_FLOOR: f64 = 1e-6;

/// Which entries of a group's columns are real (not padding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Validity {
    /// Every entry.
    All,
    /// The array named here holds one value per row; rows where it is 0 are padding.
    Mask(String),
    /// For each column of the group, the column of the same row that holds the slot's type
    /// code; the entry is padding where that code is 0.
    TypeColumn(Vec<usize>),
}

/// A set of columns standardised together: the array is viewed as rows of `row_len` values
/// (one row per event for a flat vector, one per token for a particle set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StdGroup {
    pub array: String,
    pub row_len: usize,
    pub columns: Vec<usize>,
    pub validity: Validity,
}

/// A standardisation input did not fit the fitted layout.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StandardizeError {
    #[error("standardisation: the batch has no array '{0}'")]
    MissingArray(String),
    #[error(
        "standardisation: array '{array}' has {stride} values per event, not a multiple of the row length {row_len}"
    )]
    RowLength { array: String, stride: usize, row_len: usize },
    #[error("standardisation: {weights} weights for {events} events")]
    Weights { weights: usize, events: usize },
    #[error("standardisation: invalid JSON: {0}")]
    Json(String),
}

/// Running weighted mean and variance of one column (West 1979).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
struct Moments {
    sum_w: f64,
    sum_w2: f64,
    mean: f64,
    /// Σ w (x − mean)².
    m2: f64,
}

impl Moments {
    fn add(&mut self, x: f64, w: f64) {
        if w == 0.0 {
            return;
        }
        self.sum_w += w;
        self.sum_w2 += w * w;
        let delta = x - self.mean;
        self.mean += delta * w / self.sum_w;
        self.m2 += w * delta * (x - self.mean);
    }
}

/// Accumulates a standardisation over one or more training batches.
#[derive(Debug, Clone)]
pub struct StandardizerFit {
    groups: Vec<StdGroup>,
    moments: Vec<Vec<Moments>>,
}

/// The fitted parameters of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedGroup {
    #[serde(flatten)]
    pub group: StdGroup,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    /// Σw of the entries each column was fitted on.
    pub sum_weights: Vec<f64>,
    /// (Σw)²/Σw² of those entries.
    pub effective_entries: Vec<f64>,
}

/// Fitted standardisation of one representation, saved as `preprocess.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    /// Name of the representation it was fitted for.
    pub representation: String,
    pub groups: Vec<FittedGroup>,
}

/// Rows of `array` per event and the row view check.
fn rows_per_event(batch: &FeatureBatch, g: &StdGroup) -> Result<usize, StandardizeError> {
    let a = batch.get(&g.array).ok_or_else(|| StandardizeError::MissingArray(g.array.clone()))?;
    let stride = a.stride();
    if g.row_len == 0 || stride % g.row_len != 0 {
        return Err(StandardizeError::RowLength { array: g.array.clone(), stride, row_len: g.row_len });
    }
    Ok(stride / g.row_len)
}

/// Calls `each(row index in the array, row values, column position, valid)` for every entry of
/// the group's columns.
fn visit(batch: &FeatureBatch, g: &StdGroup, mut each: impl FnMut(usize, usize, bool)) -> Result<(), StandardizeError> {
    let rows = rows_per_event(batch, g)? * batch.events();
    let data = &batch.get(&g.array).ok_or_else(|| StandardizeError::MissingArray(g.array.clone()))?.data;
    let mask = match &g.validity {
        Validity::Mask(name) => {
            Some(&batch.get(name).ok_or_else(|| StandardizeError::MissingArray(name.clone()))?.data)
        }
        _ => None,
    };
    for r in 0..rows {
        let row = &data[r * g.row_len..(r + 1) * g.row_len];
        for (c, _) in g.columns.iter().enumerate() {
            let valid = match &g.validity {
                Validity::All => true,
                Validity::Mask(_) => mask.is_some_and(|m| m[r] != 0.0),
                Validity::TypeColumn(type_cols) => row[type_cols[c]] != 0.0,
            };
            each(r, c, valid);
        }
    }
    Ok(())
}

impl StandardizerFit {
    pub fn new(groups: Vec<StdGroup>) -> Self {
        let moments = groups.iter().map(|g| vec![Moments::default(); g.columns.len()]).collect();
        Self { groups, moments }
    }

    /// Adds a training batch with one weight per event.
    pub fn add(&mut self, batch: &FeatureBatch, weights: &[f64]) -> Result<(), StandardizeError> {
        if weights.len() != batch.events() {
            return Err(StandardizeError::Weights { weights: weights.len(), events: batch.events() });
        }
        for (g, moments) in self.groups.iter().zip(&mut self.moments) {
            let per_event = rows_per_event(batch, g)?;
            let data = &batch.get(&g.array).ok_or_else(|| StandardizeError::MissingArray(g.array.clone()))?.data;
            visit(batch, g, |r, c, valid| {
                if valid {
                    let x = f64::from(data[r * g.row_len + g.columns[c]]);
                    moments[c].add(x, weights[r / per_event]);
                }
            })?;
        }
        Ok(())
    }

    /// The fitted standardisation. A column without entries in the training sample (e.g. the
    /// electron slot of a sample without electrons) gets the identity (mean 0, std 1) and is
    /// recorded with `sum_weights` 0, so its (rare) later entries pass unscaled rather than
    /// failing the run.
    pub fn finish(self, representation: &str) -> Result<Standardizer, StandardizeError> {
        let mut groups = Vec::with_capacity(self.groups.len());
        for (g, moments) in self.groups.into_iter().zip(self.moments) {
            let empty = |m: &Moments| m.sum_w <= 0.0;
            groups.push(FittedGroup {
                mean: moments.iter().map(|m| if empty(m) { 0.0 } else { m.mean }).collect(),
                std: moments.iter().map(|m| if empty(m) { 1.0 } else { (m.m2 / m.sum_w).max(0.0).sqrt() }).collect(),
                sum_weights: moments.iter().map(|m| m.sum_w.max(0.0)).collect(),
                effective_entries: moments
                    .iter()
                    .map(|m| if empty(m) { 0.0 } else { m.sum_w * m.sum_w / m.sum_w2 })
                    .collect(),
                group: g,
            });
        }
        Ok(Standardizer { representation: representation.to_owned(), groups })
    }
}

impl Standardizer {
    /// Fits on one batch (see [`StandardizerFit`] for several).
    pub fn fit(
        representation: &str,
        groups: Vec<StdGroup>,
        batch: &FeatureBatch,
        weights: &[f64],
    ) -> Result<Self, StandardizeError> {
        let mut fit = StandardizerFit::new(groups);
        fit.add(batch, weights)?;
        fit.finish(representation)
    }

    /// Standardises `batch` in place; padded entries are left untouched (0).
    pub fn apply(&self, batch: &mut FeatureBatch) -> Result<(), StandardizeError> {
        for fg in &self.groups {
            let g = &fg.group;
            let mut updates: Vec<(usize, f32)> = Vec::new();
            {
                let data = &batch.get(&g.array).ok_or_else(|| StandardizeError::MissingArray(g.array.clone()))?.data;
                visit(batch, g, |r, c, valid| {
                    if valid {
                        let at = r * g.row_len + g.columns[c];
                        let x = (f64::from(data[at]) - fg.mean[c]) / fg.std[c].max(SIGMA_FLOOR);
                        updates.push((at, x as f32));
                    }
                })?;
            }
            let a = batch.get_mut(&g.array).ok_or_else(|| StandardizeError::MissingArray(g.array.clone()))?;
            for (at, x) in updates {
                a.data[at] = x;
            }
        }
        Ok(())
    }

    /// Pretty JSON, as written to `preprocess.json`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| unreachable!("plain data serialises: {e}"))
    }

    /// Reads what [`Standardizer::to_json`] wrote.
    pub fn from_json(text: &str) -> Result<Self, StandardizeError> {
        serde_json::from_str(text).map_err(|e| StandardizeError::Json(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Array, FeatureBatch};

    fn batch(x: Vec<f32>, mask: Vec<f32>, events: usize) -> FeatureBatch {
        let rows = mask.len() / events;
        FeatureBatch {
            arrays: vec![
                Array { name: "x".into(), shape: vec![events, rows, 2], data: x, offsets: None },
                Array { name: "mask".into(), shape: vec![events, rows], data: mask, offsets: None },
            ],
        }
    }

    #[test]
    fn weighted_mean_and_std_over_unpadded_entries_match_by_hand() {
        // Two events, two tokens each; event 1's second token is padding.
        let b = batch(vec![1.0, 10.0, 3.0, 30.0, 5.0, 50.0, 0.0, 0.0], vec![1.0, 1.0, 1.0, 0.0], 2);
        let groups =
            vec![StdGroup { array: "x".into(), row_len: 2, columns: vec![0], validity: Validity::Mask("mask".into()) }];
        let s = Standardizer::fit("particles", groups, &b, &[1.0, 2.0]).expect("fit");
        // Entries 1 (w 1), 3 (w 1), 5 (w 2): mean 14/4 = 3.5; var (6.25 + 0.25 + 2*2.25)/4 = 2.75.
        let g = &s.groups[0];
        assert!((g.mean[0] - 3.5).abs() < 1e-12);
        assert!((g.std[0] - 2.75f64.sqrt()).abs() < 1e-12);
        assert_eq!(g.sum_weights[0], 4.0);
        assert!((g.effective_entries[0] - 16.0 / 6.0).abs() < 1e-12);
        let mut b2 = b.clone();
        s.apply(&mut b2).expect("apply");
        let x = &b2.get("x").expect("x").data;
        assert!((f64::from(x[0]) - (1.0 - 3.5) / 2.75f64.sqrt()).abs() < 1e-6);
        assert_eq!(x[1], 10.0, "column 1 is not in the group");
        assert_eq!(x[6], 0.0, "padding stays 0");
        let back = Standardizer::from_json(&s.to_json()).expect("round trip");
        assert_eq!(back, s);
    }

    #[test]
    fn type_column_validity_and_errors() {
        // Row: [type, feature]; the second event's slot is empty.
        let b = FeatureBatch {
            arrays: vec![Array {
                name: "x".into(),
                shape: vec![3, 2],
                data: vec![1.0, 2.0, 0.0, 0.0, 1.0, 4.0],
                offsets: None,
            }],
        };
        let g = StdGroup { array: "x".into(), row_len: 2, columns: vec![1], validity: Validity::TypeColumn(vec![0]) };
        let s = Standardizer::fit("fixed", vec![g.clone()], &b, &[1.0; 3]).expect("fit");
        assert_eq!(s.groups[0].mean[0], 3.0);
        assert_eq!(s.groups[0].std[0], 1.0);
        assert_eq!(
            Standardizer::fit("fixed", vec![g.clone()], &b, &[1.0; 2]),
            Err(StandardizeError::Weights { weights: 2, events: 3 })
        );
        let empty = FeatureBatch {
            arrays: vec![Array { name: "x".into(), shape: vec![1, 2], data: vec![0.0, 5.0], offsets: None }],
        };
        let identity = Standardizer::fit("fixed", vec![g], &empty, &[1.0]).expect("fit without entries");
        assert_eq!(
            (identity.groups[0].mean[0], identity.groups[0].std[0], identity.groups[0].sum_weights[0]),
            (0.0, 1.0, 0.0)
        );
    }
}
