//! Encoded arrays: what a [`Representation`] produces from a batch of events.

use oddity_core::EventTable;
use rayon::prelude::*;

/// Name and per-event shape of one array of a representation's output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArraySpec {
    /// Array name, e.g. `x`, `mask`, `pairs`, `aux`.
    pub name: String,
    /// Shape of one event's entry (the batch dimension is not included).
    pub shape: Vec<usize>,
}

impl ArraySpec {
    pub fn new(name: &str, shape: &[usize]) -> Self {
        Self { name: name.to_owned(), shape: shape.to_vec() }
    }

    /// Number of values per event.
    pub fn stride(&self) -> usize {
        self.shape.iter().product()
    }
}

/// A row-major f32 array whose first dimension is the event.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub name: String,
    /// Full shape, `[events, ...]`.
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Array {
    /// A zero-filled array for `events` events of `spec`.
    pub fn zeros(spec: &ArraySpec, events: usize) -> Self {
        let mut shape = Vec::with_capacity(spec.shape.len() + 1);
        shape.push(events);
        shape.extend_from_slice(&spec.shape);
        Self { name: spec.name.clone(), shape, data: vec![0.0; events * spec.stride()] }
    }

    /// Values per event.
    pub fn stride(&self) -> usize {
        self.shape[1..].iter().product()
    }

    /// The entry of event `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        let s = self.stride();
        &self.data[i * s..(i + 1) * s]
    }
}

/// The arrays encoded from one batch of events, in the order of the representation's layout.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeatureBatch {
    pub arrays: Vec<Array>,
}

impl FeatureBatch {
    /// The array called `name`.
    pub fn get(&self, name: &str) -> Option<&Array> {
        self.arrays.iter().find(|a| a.name == name)
    }

    /// Mutable access to the array called `name`.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Array> {
        self.arrays.iter_mut().find(|a| a.name == name)
    }

    /// Number of events (0 for an empty batch).
    pub fn events(&self) -> usize {
        self.arrays.first().map_or(0, |a| a.shape[0])
    }

    /// Appends the events of `other` (same layout).
    ///
    /// # Panics
    /// If the layouts differ.
    pub fn append(&mut self, other: FeatureBatch) {
        if self.arrays.is_empty() {
            *self = other;
            return;
        }
        assert_eq!(self.arrays.len(), other.arrays.len(), "appending batches of different layouts");
        for (a, b) in self.arrays.iter_mut().zip(other.arrays) {
            assert!(a.name == b.name && a.shape[1..] == b.shape[1..], "appending batches of different layouts");
            a.shape[0] += b.shape[0];
            a.data.extend_from_slice(&b.data);
        }
    }
}

/// An event representation: a pure function of each event (physics-spec §5).
pub trait Representation: Send + Sync {
    /// Short name recorded in manifests (`fixed`, `particles`, `rmm`).
    fn name(&self) -> &str;

    /// The arrays produced per event, in output order.
    fn layout(&self) -> Vec<ArraySpec>;

    /// Encodes event `i` of `table`; `out[k]` is the (zeroed) entry of array `k` of the
    /// layout for this event. Implementations must not allocate per pair or per object in
    /// the hot path; per-thread scratch space comes in `scratch`.
    fn encode_event(&self, table: &EventTable, i: usize, scratch: &mut Scratch, out: &mut [&mut [f32]]);

    /// The continuous columns the standardisation fits and scales (none by default).
    fn standardize_groups(&self) -> Vec<crate::standardize::StdGroup> {
        Vec::new()
    }

    /// Encodes every event of `table` in parallel into freshly allocated arrays.
    fn encode(&self, table: &EventTable) -> FeatureBatch {
        let specs = self.layout();
        let n = table.len();
        let mut arrays: Vec<Array> = specs.iter().map(|s| Array::zeros(s, n)).collect();
        encode_rows(self, table, 0..n, &specs, &mut arrays, false);
        FeatureBatch { arrays }
    }

    /// Encodes every event of `table` in parallel into `batch`, reusing its storage (see
    /// [`Representation::encode_range_into`]).
    fn encode_into(&self, table: &EventTable, batch: &mut FeatureBatch) {
        self.encode_range_into(table, 0..table.len(), batch);
    }

    /// Encodes the events `events` of `table` in parallel into `batch`, reusing its storage:
    /// the arrays are reshaped to this layout and `events.len()` events (allocating only when
    /// they grow), then each event's rows are zeroed and encoded while they are in cache. The
    /// result equals [`Representation::encode`] of those events. For encoding a large input
    /// batch by batch (scoring, streaming export, re-encoding per epoch) into one buffer,
    /// without the page faults of fresh output memory for every batch.
    ///
    /// # Panics
    /// If `events` is not within `0..table.len()`.
    fn encode_range_into(&self, table: &EventTable, events: std::ops::Range<usize>, batch: &mut FeatureBatch) {
        assert!(
            events.start <= events.end && events.end <= table.len(),
            "event range {events:?} out of 0..{}",
            table.len()
        );
        let specs = self.layout();
        let n = events.len();
        batch.arrays.truncate(specs.len());
        for (k, spec) in specs.iter().enumerate() {
            if k == batch.arrays.len() {
                batch.arrays.push(Array { name: String::new(), shape: Vec::new(), data: Vec::new() });
            }
            let a = &mut batch.arrays[k];
            if a.name != spec.name {
                a.name.clone_from(&spec.name);
            }
            a.shape.clear();
            a.shape.push(n);
            a.shape.extend_from_slice(&spec.shape);
            // Zeroed event by event in `encode_rows`; `resize` only initialises new storage.
            a.data.resize(n * spec.stride(), 0.0);
        }
        encode_rows(self, table, events, &specs, &mut batch.arrays, true);
    }
}

/// Reusable per-thread buffers for encoders (object order, tokens).
#[derive(Debug, Default)]
pub struct Scratch {
    pub order: Vec<usize>,
    pub tokens: Vec<crate::token::Token>,
    pub slots: Vec<Option<usize>>,
    pub rmm: Vec<crate::rmm::RmmObject>,
    pub pair_kin: Vec<crate::pairs::PairKin>,
}

/// Events per parallel work item: large enough to amortise scheduling, small enough to
/// balance two to many cores.
const CHUNK: usize = 256;

/// The most arrays a layout has (particles: x, mask, p4, aux, pairs).
const MAX_ARRAYS: usize = 8;

/// Encodes the events `events` of `table` into `arrays` (laid out as `specs`, sized for
/// `events.len()` events) in parallel chunks of [`CHUNK`] events; with `zero`, each event's
/// rows are zeroed first.
fn encode_rows<R: Representation + ?Sized>(
    repr: &R,
    table: &EventTable,
    events: std::ops::Range<usize>,
    specs: &[ArraySpec],
    arrays: &mut [Array],
    zero: bool,
) {
    let strides: Vec<usize> = specs.iter().map(ArraySpec::stride).collect();
    assert!(strides.iter().all(|&s| s > 0), "every array of a layout holds at least one value per event");
    // Split every array into per-chunk slices, then zip the chunks of all arrays together.
    let mut per_chunk: Vec<Vec<&mut [f32]>> = Vec::new();
    for (a, &s) in arrays.iter_mut().zip(&strides) {
        for (c, slice) in a.data.chunks_mut(s * CHUNK).enumerate() {
            if per_chunk.len() <= c {
                per_chunk.push(Vec::with_capacity(strides.len()));
            }
            per_chunk[c].push(slice);
        }
    }
    let n = events.len();
    assert!(specs.len() <= MAX_ARRAYS, "a layout has at most {MAX_ARRAYS} arrays");
    per_chunk.into_par_iter().enumerate().for_each_init(Scratch::default, |scratch, (c, slices)| {
        let start = c * CHUNK;
        let end = (start + CHUNK).min(n);
        // Each array's chunk cut into per-event rows; an event takes the next row of each.
        let mut row_iters: Vec<std::slice::ChunksMut<'_, f32>> =
            slices.into_iter().zip(&strides).map(|(slice, &s)| slice.chunks_mut(s)).collect();
        let mut rows: [&mut [f32]; MAX_ARRAYS] = Default::default();
        let rows = &mut rows[..row_iters.len()];
        for i in start..end {
            for (row, it) in rows.iter_mut().zip(&mut row_iters) {
                *row = it.next().expect("one row per event in every array");
                if zero {
                    // Right before the encoder writes it (still in L1).
                    row.fill(0.0);
                }
            }
            repr.encode_event(table, events.start + i, scratch, rows);
        }
    });
}
