//! From events to network inputs: a representation, its standardisation (fitted on the
//! weighted training background and saved with the run), and the encoded tensors of a set of
//! events on a device, batched by event index.

use oddity_core::EventTable;
use oddity_nn::PartInput;
use oddity_repr::efficient::Efficient;
use oddity_repr::fixed::FixedVector;
use oddity_repr::leading::LeadingObjects;
use oddity_repr::particles::{MetMode, ParticleSet};
use oddity_repr::rmm::{Rmm, RmmConfig};
use oddity_repr::standardize::{Standardizer, StandardizerFit};
use oddity_repr::{FeatureBatch, Representation};
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use crate::DetectError;

/// The representation a detector sees (physics-spec §5), from the `[representation]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ReprConfig {
    /// The MLP's fixed-length vector.
    Fixed(FixedVector),
    /// The Particle Transformer's token set (with pair features and the SM channel as set).
    Particles(ParticleSet),
    /// The normalising flow's "Efficient" vector (53 features; 42 with `energies = false`).
    Efficient(Efficient),
    /// (p_T, η, φ, E) of the leading objects and MET, the SimpleAE input (§7.4).
    Leading(LeadingObjects),
    /// The flattened rapidity-mass matrix (§5.5), never standardised.
    Rmm(RmmInput),
}

/// The RMM variant of `[representation] kind = "rmm"` (`variant = "atlas"`, the default, or
/// `"adfilter"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RmmVariant {
    /// 5 types × 7, 36² − 9 = 1287 cells.
    #[default]
    Atlas,
    /// 5 types × 10, 51² − 5 = 2596 cells.
    Adfilter,
}

/// `kind = "rmm"`: the variant as written, and the encoder built from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "RmmTable", into = "RmmTable")]
pub struct RmmInput {
    pub variant: RmmVariant,
    rmm: Rmm,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RmmTable {
    variant: RmmVariant,
}

impl Default for RmmTable {
    fn default() -> Self {
        Self { variant: RmmVariant::Atlas }
    }
}

impl RmmInput {
    pub fn rmm(&self) -> &Rmm {
        &self.rmm
    }
}

impl From<RmmTable> for RmmInput {
    fn from(t: RmmTable) -> Self {
        let config = match t.variant {
            RmmVariant::Atlas => RmmConfig::atlas(),
            RmmVariant::Adfilter => RmmConfig::adfilter(),
        };
        Self { variant: t.variant, rmm: Rmm::new(config) }
    }
}

impl From<RmmInput> for RmmTable {
    fn from(r: RmmInput) -> Self {
        Self { variant: r.variant }
    }
}

impl Default for ReprConfig {
    fn default() -> Self {
        ReprConfig::Fixed(FixedVector::default())
    }
}

impl ReprConfig {
    pub fn representation(&self) -> &dyn Representation {
        match self {
            ReprConfig::Fixed(f) => f,
            ReprConfig::Particles(p) => p,
            ReprConfig::Efficient(e) => e,
            ReprConfig::Leading(l) => l,
            ReprConfig::Rmm(r) => &r.rmm,
        }
    }

    /// Checks the options.
    pub fn validate(&self) -> Result<(), DetectError> {
        match self {
            ReprConfig::Fixed(f) if f.slot_count() == 0 => {
                Err(DetectError::Config("the fixed vector needs at least one slot".into()))
            }
            ReprConfig::Particles(p) => p.validate().map_err(DetectError::Config),
            ReprConfig::Leading(l) if l.objects == 0 => {
                Err(DetectError::Config("the leading-object vector needs at least one object".into()))
            }
            ReprConfig::Fixed(_) | ReprConfig::Leading(_) | ReprConfig::Rmm(_) | ReprConfig::Efficient(_) => Ok(()),
        }
    }

    /// (token or vector width, pair channels, auxiliary width) the network must accept.
    pub fn input_dims(&self) -> (i64, i64, i64) {
        match self {
            ReprConfig::Fixed(f) => (f.width() as i64, 0, 0),
            ReprConfig::Efficient(e) => (e.width() as i64, 0, 0),
            ReprConfig::Leading(l) => (l.width() as i64, 0, 0),
            ReprConfig::Rmm(r) => (r.rmm.config.width() as i64, 0, 0),
            ReprConfig::Particles(p) => {
                (p.token_width() as i64, p.pair_channels() as i64, if p.met == MetMode::Aux { 2 } else { 0 })
            }
        }
    }

    /// Encodes `table`. The RMM, stored sparse by its representation, is densified here to
    /// `x` `[N, D² − excluded]`, the network input.
    pub fn encode(&self, table: &EventTable) -> FeatureBatch {
        let mut batch = self.representation().encode(table);
        if let ReprConfig::Rmm(r) = self {
            r.rmm.densify(&mut batch);
        }
        batch
    }

    /// Fits the standardisation on `batch` (the training background) with event `weights`.
    pub fn fit_standardizer(&self, batch: &FeatureBatch, weights: &[f64]) -> Result<Standardizer, DetectError> {
        let repr = self.representation();
        let mut fit = StandardizerFit::new(repr.standardize_groups());
        fit.add(batch, weights)?;
        Ok(fit.finish(repr.name())?)
    }
}

/// Everything a detector may train on: the background events of the training and validation
/// splits, the representation with its fitted standardisation (for detectors that transform
/// events before encoding them, like DDD), and the same events encoded and standardised.
#[derive(Debug, Clone, Copy)]
pub struct FitData<'a> {
    pub repr: &'a ReprConfig,
    pub standardizer: &'a Standardizer,
    pub train_events: &'a EventTable,
    pub valid_events: &'a EventTable,
    pub train: &'a Inputs,
    pub valid: &'a Inputs,
    /// Signal events for signal-assisted model selection (DROCC's `val_signals`), encoded.
    pub val_signals: Option<&'a Inputs>,
    pub device: Device,
}

/// Encoded, standardised events on a device, with their weights.
#[derive(Debug)]
pub struct Inputs {
    /// `x` of the representation: `[N, D]` (fixed) or `[N, P, F]` (particles).
    pub x: Tensor,
    /// `[N, P]` token mask (particles).
    pub mask: Option<Tensor>,
    /// Pair channels (particles with pair input), one row per pair of real tokens; batches
    /// get them densified to `[B, C, P, P]`.
    pub pairs: Option<PairRows>,
    /// `[N, 2]` (ln MET, φ_MET) (particles with `met = "aux"`).
    pub aux: Option<Tensor>,
    /// `[N]` event weights (f32, for losses) and the f64 originals.
    pub weight: Tensor,
    pub weights: Vec<f64>,
    /// `[N]` int64 generator labels (the contrastive VAE's; see [`crate::detectors::vae::LabelSource`]).
    pub labels: Option<Tensor>,
}

/// The pair channels of a particle set on a device as the representation encodes them, one
/// row per pair i ≤ j of an event's real tokens (`oddity_repr::pairs::row_pairs`), and
/// what is needed to densify the rows of a batch of events into weaver's `[B, C, P, P]`
/// layout (entries of padded tokens 0). Holding only real pairs takes about 1/40 of the
/// dense layout's memory for DarkMachines events (9.7 rows of 400 cells per channel for the
/// monojet sample, P = 20).
#[derive(Debug)]
pub struct PairRows {
    /// `[rows, C]`.
    values: Tensor,
    /// `events + 1` row offsets (on the CPU).
    offsets: Vec<usize>,
    /// Per row, the flat cells i·P + j and j·P + i of its pair in a `[P, P]` matrix.
    cells: Vec<(i64, i64)>,
    /// P, the token slots.
    slots: usize,
}

impl PairRows {
    /// The ragged `pairs` array of a particle-set batch on `device`, for `slots` token slots.
    ///
    /// # Panics
    /// If `pairs` is not ragged or an event has more than `slots` tokens.
    pub fn new(pairs: &oddity_repr::Array, slots: usize, device: Device) -> Self {
        let offsets = pairs.offsets.clone().expect("the particle set's pairs array is ragged");
        let channels = pairs.stride();
        let p = slots as i64;
        let cells = oddity_repr::pairs::row_pairs(&offsets)
            .map(|(e, i, j)| {
                assert!(j < slots, "event {e} has more tokens than the {slots} slots");
                (i as i64 * p + j as i64, j as i64 * p + i as i64)
            })
            .collect();
        let values =
            Tensor::from_slice(&pairs.data).reshape([pairs.shape[0] as i64, channels as i64]).to_device(device);
        Self { values, offsets, cells, slots }
    }

    /// Number of channels C.
    pub fn channels(&self) -> i64 {
        self.values.size()[1]
    }

    /// The pair channels of events `indices`, dense.
    ///
    /// # Shapes
    /// - returns `[B, C, P, P]`, B = `indices.len()`
    pub fn dense(&self, indices: &[usize]) -> Tensor {
        let p2 = (self.slots * self.slots) as i64;
        let (mut rows, mut upper, mut lower) = (Vec::new(), Vec::new(), Vec::new());
        for (b, &e) in indices.iter().enumerate() {
            let base = b as i64 * p2;
            for r in self.offsets[e]..self.offsets[e + 1] {
                let (ij, ji) = self.cells[r];
                rows.push(r as i64);
                upper.push(base + ij);
                lower.push(base + ji);
            }
        }
        let device = self.values.device();
        let index = |v: &[i64]| Tensor::from_slice(v).to_device(device);
        // [R, C] rows of the batch, copied into (b, i, j) and (b, j, i) of [B·P·P, C].
        let values = self.values.index_select(0, &index(&rows));
        let mut dense = Tensor::zeros([indices.len() as i64 * p2, self.channels()], (Kind::Float, device));
        dense = dense.index_copy(0, &index(&upper), &values).index_copy(0, &index(&lower), &values);
        let (b, p) = (indices.len() as i64, self.slots as i64);
        dense.view([b, p, p, self.channels()]).permute([0, 3, 1, 2]).contiguous()
    }

    /// The pair channels of every event, dense (`[N, C, P, P]`; for tests and small sets).
    pub fn dense_all(&self) -> Tensor {
        self.dense(&(0..self.offsets.len() - 1).collect::<Vec<_>>())
    }
}

/// An f32 array of a batch as a tensor `[N, ...]` on `device`.
fn tensor(batch: &FeatureBatch, name: &str, device: Device) -> Option<Tensor> {
    batch.get(name).map(|a| {
        let shape: Vec<i64> = a.shape.iter().map(|&d| d as i64).collect();
        Tensor::from_slice(&a.data).reshape(shape.as_slice()).to_device(device)
    })
}

impl Inputs {
    /// Encodes `table`, applies `standardizer` and moves the tensors to `device`.
    pub fn new(
        repr: &ReprConfig,
        standardizer: &Standardizer,
        table: &EventTable,
        device: Device,
    ) -> Result<Self, DetectError> {
        let mut batch = repr.encode(table);
        standardizer.apply(&mut batch)?;
        Ok(Self::from_batch(&batch, &table.weight, device))
    }

    /// Tensors from an already standardised batch.
    pub fn from_batch(batch: &FeatureBatch, weights: &[f64], device: Device) -> Self {
        let w32: Vec<f32> = weights.iter().map(|&w| w as f32).collect();
        Self {
            x: tensor(batch, "x", device).unwrap_or_else(|| Tensor::zeros([0], (Kind::Float, device))),
            mask: tensor(batch, "mask", device),
            pairs: batch.get("pairs").map(|a| {
                let slots = batch.get("mask").expect("a particle set with pairs has a mask").shape[1];
                PairRows::new(a, slots, device)
            }),
            aux: tensor(batch, "aux", device),
            weight: Tensor::from_slice(&w32).to_device(device),
            weights: weights.to_vec(),
            labels: None,
        }
    }

    /// The same events with generator labels (one per event).
    ///
    /// # Panics
    /// If `labels` does not have one entry per event.
    pub fn with_labels(mut self, labels: &[i64]) -> Self {
        assert_eq!(labels.len(), self.len(), "one generator label per event");
        self.labels = Some(Tensor::from_slice(labels).to_device(self.x.device()));
        self
    }

    /// The labels of events `indices`, `[B]` (None without labels).
    pub fn select_labels(&self, indices: &[usize]) -> Option<Tensor> {
        self.labels.as_ref().map(|l| {
            let idx = Tensor::from_slice(&indices.iter().map(|&i| i as i64).collect::<Vec<_>>()).to_device(l.device());
            l.index_select(0, &idx)
        })
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// The events `indices` (into this set) as a batch.
    pub fn select(&self, indices: &[usize]) -> Batch {
        let idx = Tensor::from_slice(&indices.iter().map(|&i| i as i64).collect::<Vec<_>>()).to_device(self.x.device());
        let pick = |t: &Tensor| t.index_select(0, &idx);
        Batch {
            x: pick(&self.x),
            mask: self.mask.as_ref().map(pick),
            pairs: self.pairs.as_ref().map(|p| p.dense(indices)),
            aux: self.aux.as_ref().map(pick),
            weight: pick(&self.weight),
        }
    }
}

/// A batch of events as network inputs.
#[derive(Debug)]
pub struct Batch {
    pub x: Tensor,
    pub mask: Option<Tensor>,
    pub pairs: Option<Tensor>,
    pub aux: Option<Tensor>,
    /// `[B]` event weights.
    pub weight: Tensor,
}

impl Batch {
    /// The particle-set view (panics if this batch is not a particle set).
    pub fn part_input(&self) -> PartInput<'_> {
        PartInput {
            x: &self.x,
            mask: self.mask.as_ref().expect("a particle-set batch has a mask"),
            pairs: self.pairs.as_ref(),
            aux: self.aux.as_ref(),
        }
    }
}
