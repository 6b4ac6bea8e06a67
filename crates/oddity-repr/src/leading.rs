//! The leading-object kinematics of the DarkMachines SimpleAE (arXiv 2105.14027 sec. 4.1;
//! physics-spec §7.4): (p_T, η, φ, E) of the K highest-p_T objects of any kind, without type
//! labels, zero-padded, then (MET, φ_MET): 4K + 2 values, 34 for the challenge's K = 8.
//!
//! Units GeV and rad. With `log = true`, p_T, E and MET are replaced by ln(max(x, 1e-3 GeV))
//! (a project option; the challenge used the raw values).
//!
//! Standardisation: every column, over real entries only; a slot is padding where its p_T
//! column is 0 (every stored object has p_T > 0; with `log`, ln p_T = 0 would need p_T = 1 GeV,
//! far below any DarkMachines threshold), and padded slots stay exactly 0.

use oddity_core::EventTable;
use serde::{Deserialize, Serialize};

use crate::standardize::{StdGroup, Validity};
use crate::{ArraySpec, Representation, Scratch, ln_gev};

/// Features per object slot: p_T, η, φ, E.
const PER_OBJECT: usize = 4;

/// The leading-object vector (`[representation] kind = "leading"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LeadingObjects {
    /// K, the number of object slots.
    pub objects: usize,
    /// Logarithms of p_T, E and MET instead of the raw GeV values.
    pub log: bool,
}

impl Default for LeadingObjects {
    /// The challenge's 34 features.
    fn default() -> Self {
        Self { objects: 8, log: false }
    }
}

impl LeadingObjects {
    /// Length of the vector, 4K + 2.
    pub fn width(&self) -> usize {
        PER_OBJECT * self.objects + 2
    }

    /// Column names: `pt_s`, `eta_s`, `phi_s`, `e_s` per slot s (1-based), `met`, `met_phi`
    /// (`ln_` in front of the dimensional ones with `log`).
    pub fn column_names(&self) -> Vec<String> {
        let ln = if self.log { "ln_" } else { "" };
        let mut names: Vec<String> = (1..=self.objects)
            .flat_map(|s| [format!("{ln}pt_{s}"), format!("eta_{s}"), format!("phi_{s}"), format!("{ln}e_{s}")])
            .collect();
        names.push(format!("{ln}met"));
        names.push("met_phi".into());
        names
    }

    fn energy(&self, x: f64) -> f32 {
        (if self.log { ln_gev(x) } else { x }) as f32
    }
}

impl Representation for LeadingObjects {
    fn name(&self) -> &str {
        "leading"
    }

    /// # Shapes
    /// `x`: `[4K + 2]`.
    fn layout(&self) -> Vec<ArraySpec> {
        vec![ArraySpec::new("x", &[self.width()])]
    }

    fn encode_event(&self, table: &EventTable, i: usize, scratch: &mut Scratch, out: &mut [&mut [f32]]) {
        let x = &mut *out[0];
        let objects = table.object_range(i);
        let base = objects.start;
        crate::token::pt_order(&table.pt[objects], &mut scratch.order);
        for (s, &j) in scratch.order.iter().take(self.objects).enumerate() {
            let o = base + j;
            let f = &mut x[PER_OBJECT * s..PER_OBJECT * (s + 1)];
            f[0] = self.energy(table.pt[o]);
            f[1] = table.eta[o] as f32;
            f[2] = table.phi[o] as f32;
            f[3] = self.energy(table.e[o]);
        }
        let k = PER_OBJECT * self.objects;
        x[k] = self.energy(table.met[i]);
        x[k + 1] = table.met_phi[i] as f32;
    }

    /// MET columns always; slot columns where the slot's p_T column is non-zero.
    fn standardize_groups(&self) -> Vec<StdGroup> {
        let (w, k) = (self.width(), PER_OBJECT * self.objects);
        vec![
            StdGroup { array: "x".into(), row_len: w, columns: vec![k, k + 1], validity: Validity::All },
            StdGroup {
                array: "x".into(),
                row_len: w,
                columns: (0..k).collect(),
                validity: Validity::TypeColumn((0..k).map(|c| c - c % PER_OBJECT).collect()),
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standardize::Standardizer;
    use oddity_core::{EventHeader, ObjectKind};

    fn table() -> EventTable {
        let mut t = EventTable::new();
        t.push_event(EventHeader { event_id: 1, process: "p", weight: 2.0, met: 150.0, met_phi: -0.5, source_line: 1 });
        for (kind, e, pt, eta, phi) in [
            (ObjectKind::Jet, 60.0, 50.0, 0.5, 0.1),
            (ObjectKind::Photon, 40.0, 30.0, -0.3, 1.0),
            (ObjectKind::BJet, 300.0, 250.0, -1.0, 2.0),
        ] {
            t.push_object(kind, e, pt, eta, phi);
        }
        t.push_event(EventHeader { event_id: 2, process: "p", weight: 1.0, met: 80.0, met_phi: 1.5, source_line: 2 });
        t.push_object(ObjectKind::MuonPlus, 45.0, 40.0, 0.3, -2.0);
        t
    }

    #[test]
    fn layout_by_hand() {
        let lead = LeadingObjects { objects: 2, log: false };
        let b = lead.encode(&table());
        let x = b.get("x").expect("x");
        assert_eq!(x.shape, vec![2, 10]);
        // pT-descending, no labels; the photon (third by pT) is dropped.
        assert_eq!(x.row(0), &[250.0, -1.0, 2.0, 300.0, 50.0, 0.5, 0.1, 60.0, 150.0, -0.5]);
        assert_eq!(x.row(1), &[40.0, 0.3, -2.0, 45.0, 0.0, 0.0, 0.0, 0.0, 80.0, 1.5]);
        assert_eq!(lead.column_names()[..4], ["pt_1", "eta_1", "phi_1", "e_1"]);
        assert_eq!(LeadingObjects::default().width(), 34);
        let log = LeadingObjects { objects: 2, log: true }.encode(&table());
        assert!((log.get("x").expect("x").row(1)[0] - 40f32.ln()).abs() < 1e-6);
    }

    #[test]
    fn standardisation_skips_padded_slots() {
        let lead = LeadingObjects { objects: 2, log: false };
        let mut b = lead.encode(&table());
        let s = Standardizer::fit("leading", lead.standardize_groups(), &b, &[2.0, 1.0]).expect("fit");
        s.apply(&mut b).expect("apply");
        let x = b.get("x").expect("x");
        // Slot 2 of event 2 is padding and stays 0 (and is not fitted: slot 2 of event 1, the
        // only entry of its columns, is its own mean and standardises to 0).
        assert_eq!(&x.row(1)[4..8], &[0.0; 4]);
        assert_eq!(&x.row(0)[4..8], &[0.0; 4]);
        // Slot 1 is fitted on both events: weighted mean pT (2·250 + 40)/3 = 180, weighted
        // σ = sqrt((2·70² + 140²)/3) = 98.99; event 1 → 70/98.99.
        assert!((x.row(0)[0] - 70.0 / (9800f32).sqrt()).abs() < 1e-5, "{:?}", x.row(0));
    }
}
