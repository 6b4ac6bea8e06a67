//! Encoded arrays: what a [`Representation`] produces from a batch of events.

use oddity_core::EventTable;
use rayon::prelude::*;

/// Name and per-event shape of one array of a representation's output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArraySpec {
    /// Array name, e.g. `x`, `mask`, `pairs`, `aux`.
    pub name: String,
    /// Shape of one event's entry (the batch dimension is not included); for a ragged array,
    /// the shape of one of its rows.
    pub shape: Vec<usize>,
    /// Ragged: every event has its own number of rows of `shape`
    /// ([`Representation::ragged_rows`]), e.g. one row of pair channels per pair of real tokens.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ragged: bool,
}

impl ArraySpec {
    /// An array with one entry of `shape` per event.
    pub fn new(name: &str, shape: &[usize]) -> Self {
        Self { name: name.to_owned(), shape: shape.to_vec(), ragged: false }
    }

    /// A ragged array: a variable number of rows of `row_shape` per event.
    pub fn ragged(name: &str, row_shape: &[usize]) -> Self {
        Self { name: name.to_owned(), shape: row_shape.to_vec(), ragged: true }
    }

    /// Number of values per event (per row for a ragged array).
    pub fn stride(&self) -> usize {
        self.shape.iter().product()
    }
}

/// A row-major f32 array whose first dimension is the event, or, for a ragged array, the row
/// (event `i` owning rows `offsets[i]..offsets[i + 1]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub name: String,
    /// Full shape, `[events, ...]`, or `[rows, ...]` for a ragged array.
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
    /// Ragged arrays only: `events + 1` row offsets, starting at 0.
    pub offsets: Option<Vec<usize>>,
}

impl Array {
    /// A zero-filled array for `events` events of `spec` (a ragged one with no rows).
    pub fn zeros(spec: &ArraySpec, events: usize) -> Self {
        if spec.ragged {
            return Self::ragged_zeros(spec, vec![0; events + 1]);
        }
        let mut shape = Vec::with_capacity(spec.shape.len() + 1);
        shape.push(events);
        shape.extend_from_slice(&spec.shape);
        Self { name: spec.name.clone(), shape, data: vec![0.0; events * spec.stride()], offsets: None }
    }

    /// A zero-filled ragged array of `spec` with the given row offsets (`events + 1`
    /// entries, starting at 0, non-decreasing).
    pub fn ragged_zeros(spec: &ArraySpec, offsets: Vec<usize>) -> Self {
        debug_assert!(offsets.first() == Some(&0) && offsets.windows(2).all(|w| w[0] <= w[1]));
        let rows = offsets.last().copied().unwrap_or(0);
        let mut shape = Vec::with_capacity(spec.shape.len() + 1);
        shape.push(rows);
        shape.extend_from_slice(&spec.shape);
        Self { name: spec.name.clone(), shape, data: vec![0.0; rows * spec.stride()], offsets: Some(offsets) }
    }

    /// Values per event (per row for a ragged array).
    pub fn stride(&self) -> usize {
        self.shape[1..].iter().product()
    }

    /// Number of events.
    pub fn events(&self) -> usize {
        match &self.offsets {
            Some(o) => o.len() - 1,
            None => self.shape[0],
        }
    }

    /// The entry of event `i` (all its rows for a ragged array).
    pub fn row(&self, i: usize) -> &[f32] {
        let s = self.stride();
        match &self.offsets {
            Some(o) => &self.data[o[i] * s..o[i + 1] * s],
            None => &self.data[i * s..(i + 1) * s],
        }
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
        self.arrays.first().map_or(0, Array::events)
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
            assert!(
                a.name == b.name && a.shape[1..] == b.shape[1..] && a.offsets.is_some() == b.offsets.is_some(),
                "appending batches of different layouts"
            );
            if let (Some(ao), Some(bo)) = (a.offsets.as_mut(), &b.offsets) {
                let base = a.shape[0];
                ao.extend(bo[1..].iter().map(|&o| base + o));
            }
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
    /// layout for this event (for a ragged array, its [`Representation::ragged_rows`] rows).
    /// Implementations must not allocate per pair or per object in the hot path; per-thread
    /// scratch space comes in `scratch`.
    fn encode_event(&self, table: &EventTable, i: usize, scratch: &mut Scratch, out: &mut [&mut [f32]]);

    /// The continuous columns the standardisation fits and scales (none by default).
    fn standardize_groups(&self) -> Vec<crate::standardize::StdGroup> {
        Vec::new()
    }

    /// Rows of every ragged array of the layout for event `i` of `table` (0 for layouts
    /// without ragged arrays). [`Representation::encode_event`] receives exactly this many
    /// rows of each ragged array.
    fn ragged_rows(&self, _table: &EventTable, _i: usize) -> usize {
        0
    }

    /// Encodes every event of `table` in parallel into freshly allocated arrays.
    fn encode(&self, table: &EventTable) -> FeatureBatch {
        let specs = self.layout();
        let n = table.len();
        let offsets = ragged_offsets(self, table, 0..n, &specs);
        let mut arrays: Vec<Array> = specs
            .iter()
            .map(|s| match &offsets {
                Some(o) if s.ragged => Array::ragged_zeros(s, o.clone()),
                _ => Array::zeros(s, n),
            })
            .collect();
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
        let offsets = ragged_offsets(self, table, events.clone(), &specs);
        batch.arrays.truncate(specs.len());
        for (k, spec) in specs.iter().enumerate() {
            if k == batch.arrays.len() {
                batch.arrays.push(Array { name: String::new(), shape: Vec::new(), data: Vec::new(), offsets: None });
            }
            let a = &mut batch.arrays[k];
            if a.name != spec.name {
                a.name.clone_from(&spec.name);
            }
            let rows = match (&offsets, spec.ragged) {
                (Some(o), true) => {
                    // Reuses the offsets' storage as well.
                    let mut own = a.offsets.take().unwrap_or_default();
                    own.clone_from(o);
                    a.offsets = Some(own);
                    o[n]
                }
                _ => {
                    a.offsets = None;
                    n
                }
            };
            a.shape.clear();
            a.shape.push(rows);
            a.shape.extend_from_slice(&spec.shape);
            // Zeroed event by event in `encode_rows`; `resize` only initialises new storage.
            a.data.resize(rows * spec.stride(), 0.0);
        }
        encode_rows(self, table, events, &specs, &mut batch.arrays, true);
    }
}

/// Row offsets (`events.len() + 1`, from 0) of the ragged arrays of `specs`, or `None` when
/// the layout has none.
fn ragged_offsets<R: Representation + ?Sized>(
    repr: &R,
    table: &EventTable,
    events: std::ops::Range<usize>,
    specs: &[ArraySpec],
) -> Option<Vec<usize>> {
    if !specs.iter().any(|s| s.ragged) {
        return None;
    }
    let mut offsets = Vec::with_capacity(events.len() + 1);
    let mut total = 0;
    offsets.push(0);
    for i in events {
        total += repr.ragged_rows(table, i);
        offsets.push(total);
    }
    Some(offsets)
}

/// Reusable per-thread buffers for encoders (object order, tokens).
#[derive(Debug, Default)]
pub struct Scratch {
    pub order: Vec<usize>,
    pub tokens: Vec<crate::token::Token>,
    pub slots: Vec<Option<usize>>,
    pub rmm: crate::rmm::RmmScratch,
    pub pairs: crate::pairs::PairScratch,
}

/// Events per parallel work item: large enough to amortise scheduling, small enough to
/// balance two to many cores.
const CHUNK: usize = 256;

/// The most arrays a layout has (particles: x, mask, p4, aux, pairs).
const MAX_ARRAYS: usize = 8;

/// Consecutive per-event rows of one array's chunk: fixed `stride` values per event, or, for
/// a ragged array, `stride` times the event's row count (from the array's offsets).
struct RowCursor<'a> {
    rest: &'a mut [f32],
    stride: usize,
    /// Ragged arrays: the offsets of the chunk's events (one more than its events).
    offsets: Option<&'a [usize]>,
    next: usize,
}

impl<'a> RowCursor<'a> {
    #[inline]
    fn take(&mut self) -> &'a mut [f32] {
        let len = match self.offsets {
            Some(o) => (o[self.next + 1] - o[self.next]) * self.stride,
            None => self.stride,
        };
        self.next += 1;
        let (row, rest) = std::mem::take(&mut self.rest).split_at_mut(len);
        self.rest = rest;
        row
    }
}

/// Encodes the events `events` of `table` into `arrays` (laid out as `specs`, sized for
/// `events.len()` events; ragged arrays carry their offsets) in parallel chunks of [`CHUNK`]
/// events; with `zero`, each event's rows are zeroed first.
fn encode_rows<R: Representation + ?Sized>(
    repr: &R,
    table: &EventTable,
    events: std::ops::Range<usize>,
    specs: &[ArraySpec],
    arrays: &mut [Array],
    zero: bool,
) {
    let n = events.len();
    let chunks = n.div_ceil(CHUNK);
    assert!(specs.len() <= MAX_ARRAYS, "a layout has at most {MAX_ARRAYS} arrays");
    // Split every array into per-chunk cursors, then zip the chunks of all arrays together.
    let mut per_chunk: Vec<Vec<RowCursor<'_>>> = (0..chunks).map(|_| Vec::with_capacity(specs.len())).collect();
    for (a, spec) in arrays.iter_mut().zip(specs) {
        let stride = spec.stride();
        assert!(stride > 0, "every array of a layout holds at least one value per event or row");
        let offsets = a.offsets.as_deref();
        debug_assert_eq!(offsets.is_some(), spec.ragged);
        let mut rest = a.data.as_mut_slice();
        for (c, cursors) in per_chunk.iter_mut().enumerate() {
            let (lo, hi) = (c * CHUNK, ((c + 1) * CHUNK).min(n));
            let len = match offsets {
                Some(o) => (o[hi] - o[lo]) * stride,
                None => (hi - lo) * stride,
            };
            let (chunk, tail) = std::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            cursors.push(RowCursor { rest: chunk, stride, offsets: offsets.map(|o| &o[lo..=hi]), next: 0 });
        }
    }
    per_chunk.into_par_iter().enumerate().for_each_init(Scratch::default, |scratch, (c, mut cursors)| {
        let start = c * CHUNK;
        let end = (start + CHUNK).min(n);
        // An event takes the next row of each array.
        let mut rows: [&mut [f32]; MAX_ARRAYS] = Default::default();
        let rows = &mut rows[..cursors.len()];
        for i in start..end {
            for (row, cursor) in rows.iter_mut().zip(&mut cursors) {
                *row = cursor.take();
                if zero {
                    // Right before the encoder writes it (still in L1).
                    row.fill(0.0);
                }
            }
            repr.encode_event(table, events.start + i, scratch, rows);
        }
    });
}
