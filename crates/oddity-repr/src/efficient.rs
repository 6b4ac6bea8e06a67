//! The "Efficient" input of the DarkMachines normalising flow (physics-spec §7.6; arXiv
//! 2105.14027 sec. 4.8): a flat vector of
//!
//! `[ln MET, φ_MET] + [count of j, b, e-, e+, m-, m+, γ] + 7 × (ln E, ln pT, η, φ) of the
//! leading (b-)jets + 4 × (ln E, ln pT, η, φ) of the leading leptons (e±, μ±)`,
//!
//! 53 features; "Efficient-No-E" (`energies = false`) drops the energies: 42 features. Jets
//! and b-jets share the jet slots and leptons of both flavours and charges share the lepton
//! slots, each pT-descending (ties in file order); extra objects are dropped lowest pT
//! first and photons are only counted. Empty slots are all zeros.
//!
//! *Project choice* (as §5.1): MET, E and pT enter as ln(max(x, 1e-3 GeV)), so that their
//! heavy tails fit the flow's spline interval. The counts are raw integers: the flow
//! dequantises them (§7.6), so they are not offset here.
//!
//! Standardisation (§5.6): every column is standardised; slot features only over filled
//! slots, which are recognised by a non-zero ln pT (an object with pT of exactly 1 GeV would
//! be taken for padding; stored objects have pT far above that, §3.1).

use oddity_core::{EventTable, ObjectKind};

use crate::standardize::{StdGroup, Validity};
use crate::{ArraySpec, Representation, Scratch, ln_gev};

/// Jet slots (jets and b-jets).
pub const JET_SLOTS: usize = 7;
/// Lepton slots (e±, μ±).
pub const LEPTON_SLOTS: usize = 4;
/// Columns before the slots: ln MET, φ_MET and the seven counts.
pub const HEADER: usize = 9;

/// The flow's flat input vector (53 features, or 42 without energies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Efficient {
    /// Include ln E of each slot ("Efficient"); without, "Efficient-No-E".
    pub energies: bool,
}

impl Default for Efficient {
    fn default() -> Self {
        Self { energies: true }
    }
}

impl Efficient {
    /// Features per slot: 4 with energies, 3 without.
    pub fn per_slot(&self) -> usize {
        if self.energies { 4 } else { 3 }
    }

    /// Length of the vector: 9 + 11 × (4 or 3).
    pub fn width(&self) -> usize {
        HEADER + (JET_SLOTS + LEPTON_SLOTS) * self.per_slot()
    }

    /// The count columns (j, b, e-, e+, m-, m+, γ), which are integers.
    pub fn count_columns(&self) -> std::ops::Range<usize> {
        2..HEADER
    }

    /// Column names: `ln_met`, `met_phi`, `n_j` … `n_g`, then `ln_e_s` (with energies),
    /// `ln_pt_s`, `eta_s`, `phi_s` for the slots `j1..j7`, `l1..l4`.
    pub fn column_names(&self) -> Vec<String> {
        let mut names = vec!["ln_met".to_owned(), "met_phi".to_owned()];
        names.extend(ObjectKind::ALL.iter().map(|k| format!("n_{}", k.token())));
        let slots = (1..=JET_SLOTS).map(|i| format!("j{i}")).chain((1..=LEPTON_SLOTS).map(|i| format!("l{i}")));
        let features: &[&str] = if self.energies { &["ln_e", "ln_pt", "eta", "phi"] } else { &["ln_pt", "eta", "phi"] };
        for s in slots {
            names.extend(features.iter().map(|f| format!("{f}_{s}")));
        }
        names
    }

    /// Column of slot `s`'s ln pT.
    fn pt_column(&self, s: usize) -> usize {
        HEADER + s * self.per_slot() + usize::from(self.energies)
    }
}

impl Representation for Efficient {
    fn name(&self) -> &str {
        if self.energies { "efficient" } else { "efficient-no-e" }
    }

    /// # Shapes
    /// `x`: `[53]` (`[42]` without energies).
    fn layout(&self) -> Vec<ArraySpec> {
        vec![ArraySpec::new("x", &[self.width()])]
    }

    fn encode_event(&self, table: &EventTable, i: usize, scratch: &mut Scratch, out: &mut [&mut [f32]]) {
        let x = &mut *out[0];
        x[0] = ln_gev(table.met[i]) as f32;
        x[1] = table.met_phi[i] as f32;
        let range = table.object_range(i);
        for o in range.clone() {
            x[2 + usize::from(table.kind[o].code()) - 1] += 1.0;
        }
        crate::token::pt_order(&table.pt[table.object_range(i)], &mut scratch.order);
        let (mut jets, mut leptons) = (0, 0);
        let per = self.per_slot();
        for &j in &scratch.order {
            let o = range.start + j;
            let kind = table.kind[o];
            let slot = if kind.is_jet() && jets < JET_SLOTS {
                jets += 1;
                jets - 1
            } else if kind.is_lepton() && leptons < LEPTON_SLOTS {
                leptons += 1;
                JET_SLOTS + leptons - 1
            } else {
                continue;
            };
            let f = &mut x[HEADER + slot * per..HEADER + (slot + 1) * per];
            let mut k = 0;
            if self.energies {
                f[0] = ln_gev(table.e[o]) as f32;
                k = 1;
            }
            f[k] = ln_gev(table.pt[o]) as f32;
            f[k + 1] = table.eta[o] as f32;
            f[k + 2] = table.phi[o] as f32;
        }
    }

    /// MET and counts over all events; slot features over filled slots (non-zero ln pT).
    fn standardize_groups(&self) -> Vec<StdGroup> {
        let w = self.width();
        let per = self.per_slot();
        let slot_columns: Vec<usize> = (HEADER..w).collect();
        vec![
            StdGroup { array: "x".into(), row_len: w, columns: (0..HEADER).collect(), validity: Validity::All },
            StdGroup {
                array: "x".into(),
                row_len: w,
                validity: Validity::TypeColumn(
                    slot_columns.iter().map(|c| self.pt_column((c - HEADER) / per)).collect(),
                ),
                columns: slot_columns,
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
        for (kind, e, pt, eta, phi) in [
            (ObjectKind::Jet, 60.0, 50.0, 0.5, 0.1),
            (ObjectKind::Photon, 40.0, 30.0, -0.3, 1.0),
            (ObjectKind::MuonPlus, 45.0, 40.0, 0.3, -1.5),
            (ObjectKind::BJet, 120.0, 100.0, 0.2, -1.0),
            (ObjectKind::ElectronMinus, 25.0, 20.0, 1.2, -2.0),
            (ObjectKind::Jet, 300.0, 250.0, -1.0, 2.0),
        ] {
            t.push_object(kind, e, pt, eta, phi);
        }
        // Nine jets (two beyond the slots) and five leptons (one beyond).
        t.push_event(EventHeader { event_id: 2, process: "p", weight: 1.0, met: 0.0, met_phi: 0.0, source_line: 2 });
        for k in 0..9 {
            t.push_object(ObjectKind::Jet, 100.0, 90.0 - k as f64, 0.0, 0.0);
        }
        for k in 0..5 {
            t.push_object(ObjectKind::ElectronPlus, 50.0, 40.0 - k as f64, 0.0, 0.0);
        }
        t
    }

    #[test]
    fn widths_are_53_and_42() {
        assert_eq!(Efficient::default().width(), 53);
        assert_eq!(Efficient { energies: false }.width(), 42);
        assert_eq!(Efficient::default().column_names().len(), 53);
        let names = Efficient { energies: false }.column_names();
        assert_eq!(names.len(), 42);
        assert_eq!(names[2], "n_j");
        assert_eq!(names[9], "ln_pt_j1");
        assert_eq!(names[41], "phi_l4");
    }

    #[test]
    fn layout_by_hand() {
        let b = Efficient::default().encode(&table());
        let x = b.get("x").expect("x");
        assert_eq!(x.shape, vec![2, 53]);
        let r = x.row(0);
        assert_eq!(r[0], 150f64.ln() as f32);
        assert_eq!(r[1], -0.5);
        // Counts j, b, e-, e+, m-, m+, γ.
        assert_eq!(&r[2..9], &[2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]);
        let slot = |s: usize| &r[9 + 4 * s..13 + 4 * s];
        // Jet slots: 250 j, 100 b, 50 j; lepton slots: 40 μ+, 20 e-.
        assert_eq!(slot(0), &[300f64.ln() as f32, 250f64.ln() as f32, -1.0, 2.0]);
        assert_eq!(slot(1), &[120f64.ln() as f32, 100f64.ln() as f32, 0.2, -1.0]);
        assert_eq!(slot(2), &[60f64.ln() as f32, 50f64.ln() as f32, 0.5, 0.1]);
        assert!(r[9 + 4 * 3..9 + 4 * 7].iter().all(|&v| v == 0.0), "empty jet slots");
        assert_eq!(slot(7), &[45f64.ln() as f32, 40f64.ln() as f32, 0.3, -1.5]);
        assert_eq!(slot(8), &[25f64.ln() as f32, 20f64.ln() as f32, 1.2, -2.0]);
        assert!(r[9 + 4 * 9..].iter().all(|&v| v == 0.0), "empty lepton slots");
        // Overflow: every object counted, the 7 and 4 highest-pT kept.
        let r = x.row(1);
        assert_eq!(&r[2..9], &[9.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0]);
        assert_eq!(r[9 + 4 * 6 + 1], 84f64.ln() as f32);
        assert_eq!(r[9 + 4 * 10 + 1], 37f64.ln() as f32);
        // Without energies the same objects, three features each.
        let n = Efficient { energies: false }.encode(&table());
        let r = n.get("x").expect("x").row(0);
        assert_eq!(&r[9..12], &[250f64.ln() as f32, -1.0, 2.0]);
    }

    #[test]
    fn standardisation_leaves_empty_slots_at_zero() {
        let repr = Efficient::default();
        let t = table();
        let mut b = repr.encode(&t);
        let s =
            crate::standardize::Standardizer::fit(repr.name(), repr.standardize_groups(), &b, &t.weight).expect("fit");
        s.apply(&mut b).expect("apply");
        let r = b.get("x").expect("x").row(0);
        assert!(r[9 + 4 * 3..9 + 4 * 7].iter().all(|&v| v == 0.0));
        // The leading jet's ln pT is standardised over the two filled entries: ±1.
        assert!((r[10].abs() - 1.0).abs() < 1e-5);
    }
}
