//! The Rapidity-Mass Matrix (physics-spec §5.5; arXiv 1805.11650,
//! `chekanov/ADFilter:transform/Map2RMM/map2rmm/src/projectevent.cxx`).
//!
//! T = 5 object types in block order j, b, μ, e, γ (charge ignored), at most N objects per
//! type, pT-descending. The matrix has D = T·N + 1 rows; index 0 is MET, object rank k of
//! type t has index r = 1 + t·N + k. Dimensional cells are divided by √s = 13 000 GeV:
//!
//! | cell | value |
//! |---|---|
//! | `M[0][0]` | MET/√s |
//! | `M[0][r]` | m_T(MET, o)/√s if MET > 0, m_T² = (E_T + MET)² − (p_x + MET_x)² − (p_y + MET_y)² |
//! | `M[r][0]` | cosh(y) − 1 |
//! | `M[r][r]` | E_T/√s for k = 0; (E_T,prev − E_T)/(E_T,prev + E_T) for k > 0 |
//! | `M[a][b]`, a < b | m_ab/√s |
//! | `M[b][a]`, a < b | cosh((y_b − y_a)/2) − 1 |
//!
//! E_T = E·pT/|p| (physics-spec §1), y the rapidity (η where E ≤ |p_z|). The matrix is
//! flattened row-major and the excluded cells of the variant are removed. RMM inputs are never
//! standardised.
//!
//! **Stored sparse.** An event of k kept objects has at most (1 + k)² cells that are not 0 by
//! construction, of the 1287 (ATLAS): ~30 for DarkMachines events. The representation writes
//! only those, as the ragged arrays `x` (the values) and `cells` (each value's column in the
//! flattened matrix, an integer stored in f32, exact below 2²⁴), one row per cell, in the
//! order the matrix is built (not sorted). The dense `[N, D² − excluded]` matrix is
//! [`Rmm::densify`]; 17x less memory than dense for the monojet sample, and the encoding is
//! no longer bound by writing zeros. ATLAS stores its RMMs sparse too.

use multiversion::multiversion;
use oddity_core::fourvec::{FourMomentum, pair_mass, rapidity_arg};
use oddity_core::{EventTable, ObjectKind, Objects};
use serde::{Deserialize, Serialize};

use crate::token::pt_order;
use crate::vmath::LANES;
use crate::{ArraySpec, Representation, Scratch};

/// √s of the LHC run, GeV.
pub const SQRT_S: f64 = 13_000.0;

/// Most cells of a matrix: the columns of the stored cells are f32, exact up to 2²⁴.
const MAX_CELLS: usize = 1 << 24;

/// Number of object types (j, b, μ, e, γ).
pub const TYPES: usize = 5;

/// Type names in block order.
pub const TYPE_NAMES: [&str; TYPES] = ["j", "b", "mu", "e", "g"];

/// The RMM block of an object kind: j 0, b 1, μ± 2, e± 3, γ 4.
pub fn block(kind: ObjectKind) -> usize {
    match kind {
        ObjectKind::Jet => 0,
        ObjectKind::BJet => 1,
        ObjectKind::MuonMinus | ObjectKind::MuonPlus => 2,
        ObjectKind::ElectronMinus | ObjectKind::ElectronPlus => 3,
        ObjectKind::Photon => 4,
    }
}

/// Shape of the matrix and the cells left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RmmConfig {
    /// Variant name recorded in manifests (`atlas`, `adfilter`, `full`).
    pub variant: String,
    /// N, objects per type.
    pub per_type: usize,
    /// Excluded cells as (row, column), sorted.
    pub excluded: Vec<(usize, usize)>,
}

impl RmmConfig {
    /// Matrix size D = T·N + 1.
    pub fn dim(&self) -> usize {
        TYPES * self.per_type + 1
    }

    /// Index of object rank `k` (0-based) of type block `t`.
    pub fn index(&self, t: usize, k: usize) -> usize {
        1 + t * self.per_type + k
    }

    /// The ATLAS search's RMM (seed 004): N = 7, D = 36, 36² − 9 = 1287 inputs. The nine
    /// removed cells (*decision, inferred*, physics-spec §5.5) are the upper-triangle masses
    /// of the searched spectra m(j1,j2), m(j1,b1), m(b1,b2), m(j1,e1), m(j1,μ1), m(j1,γ1),
    /// m(b1,e1), m(b1,μ1), m(b1,γ1).
    pub fn atlas() -> Self {
        let mut c = Self { variant: "atlas".into(), per_type: 7, excluded: Vec::new() };
        let (j1, j2, b1, b2) = (c.index(0, 0), c.index(0, 1), c.index(1, 0), c.index(1, 1));
        let (m1, e1, g1) = (c.index(2, 0), c.index(3, 0), c.index(4, 0));
        c.excluded = vec![(j1, j2), (j1, b1), (b1, b2), (j1, e1), (j1, m1), (j1, g1), (b1, e1), (b1, m1), (b1, g1)];
        c.excluded.sort_unstable();
        c
    }

    /// ADFilter's RMM: N = 10, D = 51, without m(j1,j2), E_T(j1), m(j1,b1), E_T(b1),
    /// m(b1,b2) (`chekanov/ADFilter:transform/global_module.py`, translated from its
    /// column-major cell numbering).
    pub fn adfilter() -> Self {
        let mut c = Self { variant: "adfilter".into(), per_type: 10, excluded: Vec::new() };
        let (j1, j2, b1, b2) = (c.index(0, 0), c.index(0, 1), c.index(1, 0), c.index(1, 1));
        c.excluded = vec![(j1, j2), (j1, j1), (j1, b1), (b1, b1), (b1, b2)];
        c.excluded.sort_unstable();
        c
    }

    /// Every cell of an N-per-type matrix.
    pub fn full(per_type: usize) -> Self {
        Self { variant: "full".into(), per_type, excluded: Vec::new() }
    }

    /// Number of output values, D² minus the excluded cells.
    pub fn width(&self) -> usize {
        self.dim() * self.dim() - self.excluded.len()
    }

    /// Checks N ≥ 1, D² ≤ 2²⁴ and that excluded cells are inside the matrix and distinct.
    pub fn validate(&self) -> Result<(), String> {
        if self.per_type == 0 {
            return Err("the RMM needs at least one object per type".into());
        }
        // N first, so that D = 5N + 1 cannot overflow.
        let d = self.per_type.saturating_mul(TYPES).saturating_add(1);
        if self.per_type > MAX_CELLS || d * d > MAX_CELLS {
            return Err(format!(
                "an RMM of {d}x{d} cells is too large (cell columns are stored in f32, exact up to 2^24)"
            ));
        }
        if let Some(&(r, c)) = self.excluded.iter().find(|&&(r, c)| r >= d || c >= d) {
            return Err(format!("excluded RMM cell ({r}, {c}) is outside the {d}×{d} matrix"));
        }
        if self.excluded.windows(2).any(|w| w[0] >= w[1]) {
            return Err("excluded RMM cells must be sorted and distinct".into());
        }
        Ok(())
    }

    /// The name of the row/column `index`: `met`, `j1`, ..., `g7`.
    pub fn axis_name(&self, index: usize) -> String {
        if index == 0 {
            return "met".into();
        }
        let t = (index - 1) / self.per_type;
        let k = (index - 1) % self.per_type;
        format!("{}{}", TYPE_NAMES[t], k + 1)
    }

    /// Names of the output cells in order, `row:col` (e.g. `j1:b1`).
    pub fn cell_names(&self) -> Vec<String> {
        self.kept_cells().map(|(r, c)| format!("{}:{}", self.axis_name(r), self.axis_name(c))).collect()
    }

    /// The kept (row, column) cells in output (row-major) order.
    fn kept_cells(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let d = self.dim();
        (0..d).flat_map(move |r| (0..d).map(move |c| (r, c))).filter(|cell| self.excluded.binary_search(cell).is_err())
    }
}

/// One object kept in the matrix.
#[derive(Debug, Clone, Copy, Default)]
pub struct RmmObject {
    /// Matrix index r(t, k).
    pub index: usize,
    /// Position of the object in its event.
    pub object: usize,
    /// Transverse energy E·pT/|p|, GeV.
    pub et: f64,
    /// Rapidity (η where E ≤ |p_z|).
    pub y: f64,
    pub p: FourMomentum,
}

/// The RMM representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rmm {
    pub config: RmmConfig,
    /// Output position of each matrix cell (row-major), `None` for excluded cells.
    position: Vec<Option<usize>>,
}

impl Rmm {
    /// # Panics
    /// If the configuration does not validate (check with [`RmmConfig::validate`] first).
    pub fn new(config: RmmConfig) -> Self {
        if let Err(e) = config.validate() {
            panic!("invalid RMM configuration: {e}");
        }
        let d = config.dim();
        let mut position = vec![None; d * d];
        for (k, (r, c)) in config.kept_cells().enumerate() {
            position[r * d + c] = Some(k);
        }
        Self { config, position }
    }

    /// Fills the full D×D matrix of event `i` into `m` (row-major, zeroed by the caller).
    ///
    /// # Shapes
    /// - `m`: `[D, D]`
    pub fn matrix(&self, table: &EventTable, i: usize, scratch: &mut RmmScratch, m: &mut [f64]) {
        self.cells(table, i, scratch, |cell, v| m[cell] = v);
    }

    /// Calls `put(cell, value)` for every cell of event `i`'s matrix that is not 0 by
    /// construction (cell = row·D + column; the others are 0): at most (1 + k)² calls for k
    /// kept objects instead of D². `scratch` is reused from event to event.
    ///
    /// The four-vectors, rapidities and cosh − 1 are computed four objects or pairs at a time
    /// ([`crate::vmath`]); p_T is taken as read.
    fn cells(&self, table: &EventTable, i: usize, scratch: &mut RmmScratch, mut put: impl FnMut(usize, f64)) {
        let cfg = &self.config;
        let (n, d) = (cfg.per_type, cfg.dim());
        let event = table.event(i);
        let RmmScratch { order, objects, values } = scratch;
        pt_order(event.objects.pt, order);
        // The kept objects, in matrix order (block by block, rank by rank: a rank k > 0
        // follows rank k − 1 of its type), with their positions in the event.
        let mut counts = [0usize; TYPES];
        objects.clear();
        for &o in order.iter() {
            let t = block(event.objects.kind[o]);
            if counts[t] < n {
                objects.push(RmmObject { index: cfg.index(t, counts[t]), object: o, ..RmmObject::default() });
                counts[t] += 1;
            }
        }
        objects.sort_unstable_by_key(|o| o.index);
        let obj = &event.objects;
        object_kinematics(objects, obj, values);
        // y = ½ ln((E + p_z)/(E − p_z)), or η where E ≤ |p_z| (oddity_core::fourvec::rapidity).
        crate::vmath::ln_in_place(values);
        for (o, &ln) in objects.iter_mut().zip(values.iter()) {
            o.y = if rapidity_arg(o.p.e, o.p.pz).is_some() { 0.5 * ln } else { obj.eta[o.object] };
        }
        // cosh − 1 of y per object, then of (y_b − y_a)/2 per pair a < b, in that order.
        values.clear();
        values.extend(objects.iter().map(|o| o.y));
        for (a, oa) in objects.iter().enumerate() {
            values.extend(objects[a + 1..].iter().map(|ob| 0.5 * (ob.y - oa.y)));
        }
        crate::vmath::cosh_m1_in_place(values);
        let (cosh_y, mut cosh_pairs) = values.split_at(objects.len());

        let met = event.met;
        let (metx, mety) = (met * event.met_phi.cos(), met * event.met_phi.sin());
        put(0, met / SQRT_S);
        for (a, oa) in objects.iter().enumerate() {
            let r = oa.index;
            if met > 0.0 {
                let mt2 = (oa.et + met).powi(2) - (oa.p.px + metx).powi(2) - (oa.p.py + mety).powi(2);
                put(r, mt2.max(0.0).sqrt() / SQRT_S);
            }
            put(r * d, cosh_y[a]);
            let diagonal = if (r - 1) % n == 0 {
                oa.et / SQRT_S
            } else {
                let prev = objects[a - 1].et;
                if prev + oa.et > 0.0 { (prev - oa.et) / (prev + oa.et) } else { 0.0 }
            };
            put(r * d + r, diagonal);
            let later = &objects[a + 1..];
            let (cosh_half_dy, rest) = cosh_pairs.split_at(later.len());
            cosh_pairs = rest;
            for (ob, &c) in later.iter().zip(cosh_half_dy) {
                put(r * d + ob.index, pair_mass(oa.p, ob.p) / SQRT_S);
                put(ob.index * d + r, c);
            }
        }
    }
}

/// Reusable buffers of [`Rmm`]'s encoder.
#[derive(Debug, Default)]
pub struct RmmScratch {
    order: Vec<usize>,
    objects: Vec<RmmObject>,
    /// Arguments and results of the vectorised functions.
    values: Vec<f64>,
}

impl Rmm {
    /// Number of stored cells of event `i`: the cells [`Rmm::cells`] calls `put` for whose
    /// position is kept. They depend only on how many objects of each type the event has
    /// (capped at N) and on whether MET > 0, so no kinematics are computed: with K kept
    /// objects, `cells` emits 1 + K·(2 + [MET > 0]) + K(K − 1) cells, less the excluded ones
    /// among them.
    fn stored_cells(&self, table: &EventTable, i: usize) -> usize {
        let cfg = &self.config;
        let n = cfg.per_type;
        let mut kept_of_type = [0usize; TYPES];
        for &kind in &table.kind[table.object_range(i)] {
            let c = &mut kept_of_type[block(kind)];
            *c = (*c + 1).min(n);
        }
        let k: usize = kept_of_type.iter().sum();
        let met_positive = table.met[i] > 0.0;
        let present = |index: usize| index == 0 || (index - 1) % n < kept_of_type[(index - 1) / n];
        let emitted = |&&(r, c): &&(usize, usize)| match (r, c) {
            (0, 0) => true,
            (0, c) => met_positive && present(c),
            (r, c) => present(r) && present(c),
        };
        1 + k * (2 + usize::from(met_positive)) + k * k.saturating_sub(1) - cfg.excluded.iter().filter(emitted).count()
    }

    /// The dense matrices of a batch encoded by this representation: `x` `[N, D² − excluded]`
    /// in place of the ragged `x` and `cells` (other arrays are kept).
    ///
    /// # Panics
    /// If the batch has no ragged `x` and `cells` of this representation.
    pub fn densify(&self, batch: &mut crate::FeatureBatch) {
        let width = self.config.width();
        let take = |batch: &mut crate::FeatureBatch, name: &str| {
            let k = batch.arrays.iter().position(|a| a.name == name && a.offsets.is_some());
            batch.arrays.remove(k.unwrap_or_else(|| panic!("an RMM batch has the ragged array `{name}`")))
        };
        let (values, cells) = (take(batch, "x"), take(batch, "cells"));
        let offsets = values.offsets.as_deref().expect("ragged");
        let events = offsets.len() - 1;
        let mut x = vec![0.0f32; events * width];
        for e in 0..events {
            let row = &mut x[e * width..(e + 1) * width];
            for r in offsets[e]..offsets[e + 1] {
                row[cells.data[r] as usize] = values.data[r];
            }
        }
        batch.arrays.insert(0, crate::Array { name: "x".into(), shape: vec![events, width], data: x, offsets: None });
    }
}

impl Representation for Rmm {
    fn name(&self) -> &str {
        "rmm"
    }

    /// # Shapes
    /// - `x`: ragged, `[R]`, the values of an event's stored cells
    /// - `cells`: ragged, `[R]`, the column of each value in the row-major matrix without the
    ///   excluded cells (`[D² − excluded]`, see [`Rmm::densify`])
    fn layout(&self) -> Vec<ArraySpec> {
        vec![ArraySpec::ragged("x", &[]), ArraySpec::ragged("cells", &[])]
    }

    fn encode_event(&self, table: &EventTable, i: usize, scratch: &mut Scratch, out: &mut [&mut [f32]]) {
        let [x, cells] = out else { unreachable!("the RMM layout has two arrays") };
        let position = &self.position;
        let mut next = 0;
        self.cells(table, i, &mut scratch.rmm, |cell, v| {
            if let Some(k) = position[cell] {
                x[next] = v as f32;
                cells[next] = k as f32;
                next += 1;
            }
        });
        debug_assert_eq!(next, x.len(), "stored_cells counts every stored cell");
    }

    /// One row per stored cell.
    fn ragged_rows(&self, table: &EventTable, i: usize) -> usize {
        self.stored_cells(table, i)
    }
}

/// Fills in the four-vectors and E_T = E·p_T/|p| of the kept `objects` of an event (`obj`,
/// its objects) and pushes to `values` their rapidity arguments (E + p_z)/(E − p_z), 1 where
/// the guard gives η. Four objects at a time ([`crate::vmath::momenta`]), with AVX2 where the
/// CPU has it (selected at run time, same results).
#[multiversion(targets("x86_64+avx2"))]
fn object_kinematics(objects: &mut [RmmObject], obj: &Objects<'_>, values: &mut Vec<f64>) {
    values.clear();
    for group in objects.chunks_mut(LANES) {
        let (mut pt, mut eta, mut phi) = ([1.0; LANES], [0.0; LANES], [0.0; LANES]);
        for (k, o) in group.iter().enumerate() {
            (pt[k], eta[k], phi[k]) = (obj.pt[o.object], obj.eta[o.object], obj.phi[o.object]);
        }
        let [px, py, pz] = crate::vmath::momenta(pt, eta, phi);
        for (k, o) in group.iter_mut().enumerate() {
            let e = obj.e[o.object];
            o.p = FourMomentum { e, px: px[k], py: py[k], pz: pz[k] };
            let pabs = o.p.p2().sqrt();
            o.et = if pabs > 0.0 { e * pt[k] / pabs } else { 0.0 };
            values.push(rapidity_arg(e, pz[k]).unwrap_or(1.0));
        }
    }
}

#[cfg(test)]
mod tests {
    use oddity_core::{EventHeader, ObjectKind};

    use super::*;

    /// Events with 0 to 12 objects of mixed types, one with 25 jets (more than N), MET zero
    /// or not.
    fn table() -> EventTable {
        use rand::Rng;
        let mut rng = crate::event_rng(8, 0);
        let mut t = EventTable::new();
        for e in 0..200u64 {
            let met = if e % 3 == 0 { 0.0 } else { rng.random_range(1.0..500.0) };
            let header =
                EventHeader { event_id: e as i64, process: "p", weight: 1.0, met, met_phi: 0.4, source_line: e + 1 };
            t.push_event(header);
            let n = if e == 7 { 25 } else { rng.random_range(0..13) };
            for _ in 0..n {
                let kind =
                    if e == 7 { ObjectKind::Jet } else { ObjectKind::ALL[rng.random_range(0..ObjectKind::ALL.len())] };
                let pt: f64 = rng.random_range(20.0..800.0);
                let eta: f64 = rng.random_range(-2.5..2.5);
                t.push_object(kind, pt * eta.cosh() + 1.0, pt, eta, rng.random_range(-3.1..3.1));
            }
        }
        t
    }

    #[test]
    fn matrices_too_large_for_f32_cell_columns_are_refused() {
        assert_eq!(RmmConfig::full(800).validate(), Ok(()));
        for n in [900, usize::MAX] {
            assert!(RmmConfig::full(n).validate().unwrap_err().contains("too large"), "N = {n}");
        }
    }

    /// The sparse rows, densified, are the full matrix ([`Rmm::matrix`]) without its excluded
    /// cells; the row counts are those of the cells written.
    #[test]
    fn densified_rows_are_the_matrix_without_the_excluded_cells() {
        let t = table();
        for config in [RmmConfig::atlas(), RmmConfig::adfilter(), RmmConfig::full(2)] {
            let rmm = Rmm::new(config);
            let mut batch = rmm.encode(&t);
            let offsets = batch.get("x").and_then(|a| a.offsets.clone()).expect("ragged x");
            assert_eq!(batch.get("cells").and_then(|a| a.offsets.clone()), Some(offsets.clone()));
            rmm.densify(&mut batch);
            let x = batch.get("x").expect("dense x");
            let (d, w) = (rmm.config.dim(), rmm.config.width());
            assert_eq!(x.shape, vec![t.len(), w]);
            let mut scratch = RmmScratch::default();
            for i in 0..t.len() {
                let mut m = vec![0.0; d * d];
                rmm.matrix(&t, i, &mut scratch, &mut m);
                let want: Vec<f32> = rmm.config.kept_cells().map(|(r, c)| m[r * d + c] as f32).collect();
                assert_eq!(x.row(i), &want[..], "event {i}, {}", rmm.config.variant);
                let nonzero = want.iter().filter(|&&v| v != 0.0).count();
                assert!(offsets[i + 1] - offsets[i] >= nonzero, "event {i}: every non-zero cell is stored");
            }
        }
    }
}
