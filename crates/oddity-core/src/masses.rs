//! The nine two-object invariant masses of the ATLAS anomaly-region search (physics-spec §9.2;
//! seed 004, arXiv 2307.01612; `chekanov/ADFilter:transform/global_module.py`).
//!
//! With j1, j2 the two leading light jets ([`ObjectKind::Jet`] only, not b-tagged), b1, b2 the
//! two leading b-jets, e1 the leading electron or positron, μ1 the leading muon of either
//! charge and γ1 the leading photon, "leading" meaning highest pT (ties: the object stored
//! first), the spectra are m_jj(j1,j2), m_jb(j1,b1), m_bb(b1,b2), m_je(j1,e1), m_jμ(j1,μ1),
//! m_jγ(j1,γ1), m_be(b1,e1), m_bμ(b1,μ1) and m_bγ(b1,γ1), each
//! m = sqrt(max((E_a + E_b)² − |p_a + p_b|², 0)) in GeV ([`crate::fourvec::pair_mass`]), with
//! E as read (no mass hypothesis). An event enters every spectrum whose two objects exist; a
//! spectrum whose objects are missing gets NaN.

use rayon::prelude::*;
use serde::Serialize;

use crate::fourvec::pair_mass;
use crate::{EventTable, ObjectKind, Objects};

/// One of the nine mass spectra, in the order of physics-spec §9.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum MassPair {
    Jj,
    Jb,
    Bb,
    Je,
    Jmu,
    Jgamma,
    Be,
    Bmu,
    Bgamma,
}

/// The leading objects the pairs are built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    J1,
    J2,
    B1,
    B2,
    E1,
    Mu1,
    Gamma1,
}

impl MassPair {
    /// All nine, in spec order (also the order of [`MassPair::index`]).
    pub const ALL: [MassPair; 9] =
        [Self::Jj, Self::Jb, Self::Bb, Self::Je, Self::Jmu, Self::Jgamma, Self::Be, Self::Bmu, Self::Bgamma];

    /// Position in [`MassPair::ALL`] and in [`EventMasses`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The stable column name: `mjj`, `mjb`, `mbb`, `mje`, `mjmu`, `mjgamma`, `mbe`, `mbmu`,
    /// `mbgamma`.
    pub fn column(self) -> &'static str {
        match self {
            Self::Jj => "mjj",
            Self::Jb => "mjb",
            Self::Bb => "mbb",
            Self::Je => "mje",
            Self::Jmu => "mjmu",
            Self::Jgamma => "mjgamma",
            Self::Be => "mbe",
            Self::Bmu => "mbmu",
            Self::Bgamma => "mbgamma",
        }
    }

    /// The pair of a column name (as [`MassPair::column`] writes it).
    pub fn from_column(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.column() == name)
    }

    fn slots(self) -> (Slot, Slot) {
        match self {
            Self::Jj => (Slot::J1, Slot::J2),
            Self::Jb => (Slot::J1, Slot::B1),
            Self::Bb => (Slot::B1, Slot::B2),
            Self::Je => (Slot::J1, Slot::E1),
            Self::Jmu => (Slot::J1, Slot::Mu1),
            Self::Jgamma => (Slot::J1, Slot::Gamma1),
            Self::Be => (Slot::B1, Slot::E1),
            Self::Bmu => (Slot::B1, Slot::Mu1),
            Self::Bgamma => (Slot::B1, Slot::Gamma1),
        }
    }
}

impl std::fmt::Display for MassPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.column())
    }
}

/// The nine masses of one event in GeV, NaN where the pair's objects are missing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EventMasses(pub [f64; 9]);

impl EventMasses {
    /// The mass of one pair (GeV, NaN if absent).
    pub fn get(&self, pair: MassPair) -> f64 {
        self.0[pair.index()]
    }
}

/// Indices (into the event's objects) of the leading objects, by [`Slot`].
#[derive(Debug, Default)]
struct Leading {
    jets: [Option<usize>; 2],
    bjets: [Option<usize>; 2],
    electron: Option<usize>,
    muon: Option<usize>,
    photon: Option<usize>,
}

impl Leading {
    /// One pass over the objects; strictly higher pT displaces, so equal pT keeps stored order.
    fn find(objects: &Objects<'_>) -> Self {
        let pt = objects.pt;
        let higher = |i: usize, slot: Option<usize>| slot.is_none_or(|j| pt[i] > pt[j]);
        let mut l = Self::default();
        for (i, kind) in objects.kind.iter().enumerate() {
            let top2 = match kind {
                ObjectKind::Jet => &mut l.jets,
                ObjectKind::BJet => &mut l.bjets,
                _ => {
                    let top1 = match kind {
                        k if k.is_electron() => &mut l.electron,
                        k if k.is_muon() => &mut l.muon,
                        _ => &mut l.photon,
                    };
                    if higher(i, *top1) {
                        *top1 = Some(i);
                    }
                    continue;
                }
            };
            if higher(i, top2[0]) {
                *top2 = [Some(i), top2[0]];
            } else if higher(i, top2[1]) {
                top2[1] = Some(i);
            }
        }
        l
    }

    fn get(&self, slot: Slot) -> Option<usize> {
        match slot {
            Slot::J1 => self.jets[0],
            Slot::J2 => self.jets[1],
            Slot::B1 => self.bjets[0],
            Slot::B2 => self.bjets[1],
            Slot::E1 => self.electron,
            Slot::Mu1 => self.muon,
            Slot::Gamma1 => self.photon,
        }
    }
}

/// The nine invariant masses of one event (GeV; NaN for a pair whose objects are missing).
pub fn event_masses(objects: Objects<'_>) -> EventMasses {
    let leading = Leading::find(&objects);
    EventMasses(MassPair::ALL.map(|pair| {
        let (a, b) = pair.slots();
        match (leading.get(a), leading.get(b)) {
            (Some(a), Some(b)) => pair_mass(objects.get(a).p4(), objects.get(b).p4()),
            _ => f64::NAN,
        }
    }))
}

/// The nine mass columns of a table, one value per event (GeV, NaN where absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MassColumns {
    columns: [Vec<f64>; 9],
}

impl MassColumns {
    /// The column of one pair, in event order.
    pub fn column(&self, pair: MassPair) -> &[f64] {
        &self.columns[pair.index()]
    }

    /// (pair, column) for the nine pairs in spec order.
    pub fn iter(&self) -> impl Iterator<Item = (MassPair, &[f64])> + '_ {
        MassPair::ALL.into_iter().map(|p| (p, self.column(p)))
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.columns[0].len()
    }

    /// True for a table without events.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Events per rayon task: below this, splitting costs more than the ~0.1 µs per event it shares.
const PARALLEL_MIN_EVENTS: usize = 8192;

/// [`event_masses`] for every event of `table`, computed in parallel (rayon) over event chunks.
pub fn table_masses(table: &EventTable) -> MassColumns {
    let rows: Vec<EventMasses> = (0..table.len())
        .into_par_iter()
        .with_min_len(PARALLEL_MIN_EVENTS)
        .map(|i| event_masses(table.event(i).objects))
        .collect();
    MassColumns { columns: std::array::from_fn(|k| rows.iter().map(|r| r.0[k]).collect()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_round_trip_and_are_unique() {
        for (i, pair) in MassPair::ALL.into_iter().enumerate() {
            assert_eq!(pair.index(), i);
            assert_eq!(MassPair::from_column(pair.column()), Some(pair));
        }
        assert_eq!(MassPair::Jgamma.column(), "mjgamma");
        assert_eq!(MassPair::from_column("mmumu"), None);
    }

    #[test]
    fn leading_keeps_the_two_highest_and_stored_order_on_ties() {
        let kind = [ObjectKind::Jet; 4];
        let pt = [10.0, 30.0, 20.0, 30.0];
        let zeros = [0.0; 4];
        let objects = Objects { kind: &kind, e: &zeros, pt: &pt, eta: &zeros, phi: &zeros };
        let l = Leading::find(&objects);
        assert_eq!(l.jets, [Some(1), Some(3)]);
        assert_eq!((l.bjets, l.electron, l.muon, l.photon), ([None, None], None, None, None));
    }
}
