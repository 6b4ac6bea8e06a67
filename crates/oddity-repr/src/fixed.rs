//! The fixed-length vector of the DDD study's MLP (physics-spec §5.1).
//!
//! With K slots the vector has 5K + 2 entries:
//! `[type code of slot 1..K] + [ln MET, φ_MET] + K × [ln E, ln pT, η, φ]`,
//! energies in GeV, ln with the 1e-3 GeV floor. An empty slot has type 0 and four zeros.
//!
//! Slotting: per-type slots (seed 001 sec. 2.3; default 5 j, 5 b, 1 e-, 1 e+, 1 m-, 1 m+,
//! 0 γ: K = 14, 72 features) filled per kind in code order, pT-descending within a kind, extra
//! objects dropped lowest pT first; or any-type slots (`adrianrubio96/DarkMachines:utils/utils.py`,
//! "up to 18 objects": K = 18, 92 features) holding the K highest-pT objects, pT-descending
//! (default) or in a seeded random order.

use oddity_core::{EventTable, ObjectKind};
use rand::seq::SliceRandom;

use crate::standardize::{StdGroup, Validity};
use crate::{ArraySpec, Representation, Scratch, ln_gev};

/// How objects are assigned to slots.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "slots", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Slots {
    /// Slots reserved per kind: counts in code order j, b, e-, e+, m-, m+, γ.
    PerType { counts: [usize; 7] },
    /// `k` slots for objects of any kind.
    AnyType { k: usize, order: SlotOrder },
}

/// Order of objects in any-type slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "order", content = "seed")]
pub enum SlotOrder {
    /// pT-descending (the project default).
    #[default]
    Pt,
    /// The kept objects in a random order seeded by (seed, source line of the event), as
    /// upstream shuffles them; stable when the same file is re-read.
    Random(u64),
}

/// The fixed-length vector representation (the DDD study's 72-feature layout unless `slots`
/// is given).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FixedVector {
    pub slots: Slots,
}

impl Default for FixedVector {
    /// The DDD study's 72-feature layout.
    fn default() -> Self {
        Self::per_type([5, 5, 1, 1, 1, 1, 0])
    }
}

impl FixedVector {
    /// Per-type slots with `counts` in code order j, b, e-, e+, m-, m+, γ.
    pub fn per_type(counts: [usize; 7]) -> Self {
        Self { slots: Slots::PerType { counts } }
    }

    /// `k` any-type slots (18 in the DDD authors' code), pT-ordered.
    pub fn any_type(k: usize) -> Self {
        Self { slots: Slots::AnyType { k, order: SlotOrder::Pt } }
    }

    /// Number of slots K.
    pub fn slot_count(&self) -> usize {
        match &self.slots {
            Slots::PerType { counts } => counts.iter().sum(),
            Slots::AnyType { k, .. } => *k,
        }
    }

    /// Length of the vector, 5K + 2.
    pub fn width(&self) -> usize {
        5 * self.slot_count() + 2
    }

    /// Column names: `type_1..K`, `ln_met`, `met_phi`, then `ln_e_s`, `ln_pt_s`, `eta_s`,
    /// `phi_s` per slot s (1-based). Per-type slots are named after their kind (`j1`, `b2`).
    pub fn column_names(&self) -> Vec<String> {
        let slot_names: Vec<String> = match &self.slots {
            Slots::PerType { counts } => ObjectKind::ALL
                .iter()
                .zip(counts)
                .flat_map(|(kind, &n)| (1..=n).map(move |i| format!("{}{i}", kind.token())))
                .collect(),
            Slots::AnyType { k, .. } => (1..=*k).map(|i| format!("o{i}")).collect(),
        };
        let mut names: Vec<String> = slot_names.iter().map(|s| format!("type_{s}")).collect();
        names.push("ln_met".into());
        names.push("met_phi".into());
        for s in &slot_names {
            names.extend(["ln_e", "ln_pt", "eta", "phi"].iter().map(|f| format!("{f}_{s}")));
        }
        names
    }

    /// Fills `slots` with, per slot, the index of its object in the event or `None`.
    fn assign(&self, table: &EventTable, i: usize, scratch: &mut Scratch, slots: &mut Vec<Option<usize>>) {
        let objects = table.object_range(i);
        crate::token::pt_order(&table.pt[objects.clone()], &mut scratch.order);
        let kinds = &table.kind[objects];
        slots.clear();
        match &self.slots {
            Slots::PerType { counts } => {
                for (kind, &n) in ObjectKind::ALL.iter().zip(counts) {
                    let mut of_kind = scratch.order.iter().copied().filter(|&j| kinds[j] == *kind);
                    slots.extend((0..n).map(|_| of_kind.next()));
                }
            }
            Slots::AnyType { k, order } => {
                slots.extend(scratch.order.iter().take(*k).map(|&j| Some(j)));
                if let SlotOrder::Random(seed) = order {
                    slots.shuffle(&mut crate::event_rng(*seed, table.source_line[i]));
                }
                slots.resize(*k, None);
            }
        }
    }
}

impl Representation for FixedVector {
    fn name(&self) -> &str {
        "fixed"
    }

    /// # Shapes
    /// `x`: `[5K + 2]`.
    fn layout(&self) -> Vec<ArraySpec> {
        vec![ArraySpec::new("x", &[self.width()])]
    }

    fn encode_event(&self, table: &EventTable, i: usize, scratch: &mut Scratch, out: &mut [&mut [f32]]) {
        let k = self.slot_count();
        let x = &mut *out[0];
        let mut slots = std::mem::take(&mut scratch.slots);
        self.assign(table, i, scratch, &mut slots);
        x[k] = ln_gev(table.met[i]) as f32;
        x[k + 1] = table.met_phi[i] as f32;
        let base = table.object_range(i).start;
        for (s, slot) in slots.iter().enumerate() {
            let Some(j) = *slot else { continue };
            let o = base + j;
            x[s] = f32::from(table.kind[o].code());
            let f = &mut x[k + 2 + 4 * s..k + 6 + 4 * s];
            f[0] = ln_gev(table.e[o]) as f32;
            f[1] = ln_gev(table.pt[o]) as f32;
            f[2] = table.eta[o] as f32;
            f[3] = table.phi[o] as f32;
        }
        scratch.slots = slots;
    }

    /// MET columns always; slot features only where the slot's type code is non-zero. Type
    /// codes are left raw (physics-spec §5.1).
    fn standardize_groups(&self) -> Vec<StdGroup> {
        let k = self.slot_count();
        let w = self.width();
        vec![
            StdGroup { array: "x".into(), row_len: w, columns: vec![k, k + 1], validity: Validity::All },
            StdGroup {
                array: "x".into(),
                row_len: w,
                columns: (0..4 * k).map(|c| k + 2 + c).collect(),
                validity: Validity::TypeColumn((0..4 * k).map(|c| c / 4).collect()),
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oddity_core::EventHeader;

    fn table() -> EventTable {
        let mut t = EventTable::new();
        t.push_event(EventHeader { event_id: 1, process: "p", weight: 1.0, met: 150.0, met_phi: -0.5, source_line: 1 });
        // Deliberately out of pT order, three jets, a b, an electron, a photon.
        for (kind, e, pt, eta, phi) in [
            (ObjectKind::Jet, 60.0, 50.0, 0.5, 0.1),
            (ObjectKind::Photon, 40.0, 30.0, -0.3, 1.0),
            (ObjectKind::Jet, 300.0, 250.0, -1.0, 2.0),
            (ObjectKind::ElectronMinus, 25.0, 20.0, 1.2, -2.0),
            (ObjectKind::BJet, 120.0, 100.0, 0.2, -1.0),
            (ObjectKind::Jet, 90.0, 80.0, 2.0, 3.0),
        ] {
            t.push_object(kind, e, pt, eta, phi);
        }
        t.push_event(EventHeader { event_id: 2, process: "p", weight: 1.0, met: 0.0, met_phi: 0.0, source_line: 2 });
        t
    }

    #[test]
    fn per_type_layout_by_hand() {
        let fv = FixedVector::per_type([2, 1, 1, 0, 0, 0, 0]);
        let b = fv.encode(&table());
        let x = b.get("x").expect("x");
        assert_eq!(x.shape, vec![2, 22]);
        let r = x.row(0);
        // Types: j (250), j (80), b, e-; the 50 GeV jet and the photon are dropped.
        assert_eq!(&r[..4], &[1.0, 1.0, 2.0, 3.0]);
        assert_eq!(r[4], (150f64).ln() as f32);
        assert_eq!(r[5], -0.5);
        let slot = |s: usize| &r[6 + 4 * s..10 + 4 * s];
        assert_eq!(slot(0), &[300f64.ln() as f32, 250f64.ln() as f32, -1.0, 2.0]);
        assert_eq!(slot(1), &[90f64.ln() as f32, 80f64.ln() as f32, 2.0, 3.0]);
        assert_eq!(slot(2), &[120f64.ln() as f32, 100f64.ln() as f32, 0.2, -1.0]);
        assert_eq!(slot(3), &[25f64.ln() as f32, 20f64.ln() as f32, 1.2, -2.0]);
        // Empty event: all slots empty, ln MET floored at 1e-3 GeV.
        let r = x.row(1);
        assert_eq!(r[4], (1e-3f64).ln() as f32);
        assert!(r[..4].iter().chain(&r[5..]).all(|&v| v == 0.0));
    }

    #[test]
    fn default_is_the_72_feature_layout_and_any_type_18_is_92() {
        assert_eq!(FixedVector::default().width(), 72);
        assert_eq!(FixedVector::any_type(18).width(), 92);
        assert_eq!(FixedVector::any_type(19).width(), 97);
        let names = FixedVector::default().column_names();
        assert_eq!(names.len(), 72);
        assert_eq!(names[0], "type_j1");
        assert_eq!(names[14], "ln_met");
        assert_eq!(names[16], "ln_e_j1");
        assert_eq!(names[71], "phi_m+1");
    }

    #[test]
    fn any_type_keeps_highest_pt_and_random_order_is_a_seeded_permutation() {
        let t = table();
        let x = FixedVector::any_type(4).encode(&t);
        let r = x.get("x").expect("x").row(0);
        assert_eq!(&r[..4], &[1.0, 2.0, 1.0, 1.0]); // 250 j, 100 b, 80 j, 50 j
        let shuffled = FixedVector { slots: Slots::AnyType { k: 4, order: SlotOrder::Random(7) } };
        let a = shuffled.encode(&t);
        assert_eq!(a, shuffled.encode(&t), "same seed, same order");
        let ra = a.get("x").expect("x").row(0);
        let mut types: Vec<f32> = ra[..4].to_vec();
        types.sort_by(f32::total_cmp);
        assert_eq!(types, [1.0, 1.0, 1.0, 2.0]);
        // Each slot moves with its four features.
        for s in 0..4 {
            let feats = &ra[6 + 4 * s..10 + 4 * s];
            let found = (0..4).any(|q| &r[6 + 4 * q..10 + 4 * q] == feats && r[q] == ra[s]);
            assert!(found, "slot {s} is one of the kept objects");
        }
    }
}
