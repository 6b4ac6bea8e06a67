//! The nine invariant masses (physics-spec §9.2) on hand-made events with known masses, and
//! properties against an independent formula: m² = m_a² + m_b² + 2(m_T,a m_T,b cosh Δy −
//! p_T,a p_T,b cos Δφ) for the leading objects found by sorting.

use oddity_core::{EventHeader, EventTable, MassPair, ObjectKind, event_masses, table_masses};
use proptest::prelude::*;
use std::f64::consts::PI;

/// (kind, mass, pT, η, φ) with E = sqrt(m² + (pT cosh η)²).
type Obj = (ObjectKind, f64, f64, f64, f64);

fn energy(m: f64, pt: f64, eta: f64) -> f64 {
    (m * m + (pt * eta.cosh()).powi(2)).sqrt()
}

fn push(t: &mut EventTable, objects: &[Obj]) {
    t.push_event(EventHeader { event_id: 1, process: "test", weight: 1.0, met: 0.0, met_phi: 0.0, source_line: 1 });
    for &(kind, m, pt, eta, phi) in objects {
        t.push_object(kind, energy(m, pt, eta), pt, eta, phi);
    }
}

fn masses_of(objects: &[Obj]) -> [f64; 9] {
    let mut t = EventTable::new();
    push(&mut t, objects);
    event_masses(t.event(0).objects).0
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-9 * want.abs().max(1.0)
}

use ObjectKind::{BJet, ElectronMinus, ElectronPlus, Jet, MuonMinus, MuonPlus, Photon};

#[test]
fn massless_dijet_masses_match_hand_values() {
    // Back to back at η = 0: m = 2 pT.
    let m = masses_of(&[(Jet, 0.0, 100.0, 0.0, 0.3), (Jet, 0.0, 100.0, 0.0, 0.3 + PI)]);
    assert!(close(m[MassPair::Jj.index()], 200.0), "{m:?}");
    // m² = 2 pT1 pT2 (cosh Δη − cos Δφ) = 10⁴ cosh 1.5: 153.3756700146163 (Python math).
    let m = masses_of(&[(Jet, 0.0, 100.0, 0.5, 0.0), (Jet, 0.0, 50.0, -1.0, PI / 2.0)]);
    assert!(close(m[MassPair::Jj.index()], 153.375_670_014_616_3), "{m:?}");
}

#[test]
fn massive_pair_mass_matches_hand_value() {
    // b (m 10, pT 40, η 0.3, φ 0.2) + e− (m 4.7, pT 25, η −0.8, φ 2.0): 63.40858484825406 (Python).
    let m = masses_of(&[(BJet, 10.0, 40.0, 0.3, 0.2), (ElectronMinus, 4.7, 25.0, -0.8, 2.0)]);
    assert!(close(m[MassPair::Be.index()], 63.408_584_848_254_06), "{m:?}");
    // Two objects at rest: m = m_a + m_b.
    let m = masses_of(&[(BJet, 10.0, 0.0, 0.0, 0.0), (Photon, 5.0, 0.0, 0.0, 0.0)]);
    assert!(close(m[MassPair::Bgamma.index()], 15.0), "{m:?}");
}

#[test]
fn leading_objects_by_pt_light_jets_only_either_lepton_charge() {
    let objects = [
        (Jet, 0.0, 30.0, 0.1, 0.0),
        (BJet, 0.0, 200.0, 0.0, 1.0), // never a "j"
        (Jet, 0.0, 80.0, 0.0, 0.0),
        (ElectronMinus, 0.0, 20.0, 0.0, 2.0),
        (Jet, 0.0, 50.0, 0.0, PI),
        (ElectronPlus, 0.0, 60.0, 0.0, -2.0), // leading electron: positive charge
        (MuonPlus, 0.0, 10.0, 1.0, 0.5),
        (MuonMinus, 0.0, 15.0, -1.0, -0.5), // leading muon
    ];
    let m = masses_of(&objects);
    let j1 = (Jet, 0.0, 80.0, 0.0, 0.0);
    let pair = |a: Obj, b: Obj| masses_of(&[a, b]);
    // j1 (80) and j2 (50) massless back to back: m² = 2·80·50·(1 − cos π), m = 2·sqrt(4000).
    assert!(close(m[MassPair::Jj.index()], 2.0 * 4000f64.sqrt()), "{m:?}");
    assert!(close(m[MassPair::Jb.index()], pair(j1, objects[1])[MassPair::Jb.index()]));
    assert!(close(m[MassPair::Je.index()], pair(j1, objects[5])[MassPair::Je.index()]));
    assert!(close(m[MassPair::Jmu.index()], pair(j1, objects[7])[MassPair::Jmu.index()]));
    assert!(close(m[MassPair::Bmu.index()], pair(objects[1], objects[7])[MassPair::Bmu.index()]));
    for missing in [MassPair::Bb, MassPair::Jgamma, MassPair::Bgamma] {
        assert!(m[missing.index()].is_nan(), "{missing}: {m:?}");
    }
}

#[test]
fn missing_objects_give_nan() {
    assert!(masses_of(&[]).iter().all(|m| m.is_nan()));
    let m = masses_of(&[(BJet, 0.0, 50.0, 0.0, 0.0), (Photon, 0.0, 40.0, 1.0, 1.0)]);
    for pair in MassPair::ALL {
        assert_eq!(m[pair.index()].is_nan(), pair != MassPair::Bgamma, "{pair}: {m:?}");
    }
}

/// Deterministic pseudo-random events (SplitMix64), enough to cross the parallel chunk size.
fn many_events(n: usize) -> EventTable {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut t = EventTable::new();
    for _ in 0..n {
        let count = (next() * 8.0) as usize;
        let objects: Vec<Obj> = (0..count)
            .map(|_| {
                let kind = ObjectKind::ALL[(next() * 7.0) as usize % 7];
                (kind, next() * 20.0, 20.0 + next() * 500.0, next() * 5.0 - 2.5, next() * 2.0 * PI - PI)
            })
            .collect();
        push(&mut t, &objects);
    }
    t
}

#[test]
fn table_masses_equal_per_event_masses_in_order() {
    let t = many_events(20_000);
    let columns = table_masses(&t);
    assert_eq!(columns.len(), t.len());
    let mut present = [0usize; 9];
    for i in 0..t.len() {
        let row = event_masses(t.event(i).objects);
        for (pair, column) in columns.iter() {
            assert_eq!(column[i].to_bits(), row.get(pair).to_bits(), "event {i} {pair}");
            present[pair.index()] += usize::from(!column[i].is_nan());
        }
    }
    assert!(present.iter().all(|&n| n > 1000), "every spectrum is filled: {present:?}");
}

/// The independent reference: sort each kind class by pT (stable, so ties keep stored order)
/// and apply m² = m_a² + m_b² + 2(m_T,a m_T,b cosh Δy − p_T,a p_T,b cos Δφ).
fn reference(objects: &[Obj], pair: MassPair) -> f64 {
    let class = |pred: fn(ObjectKind) -> bool| {
        let mut v: Vec<Obj> = objects.iter().copied().filter(|o| pred(o.0)).collect();
        v.sort_by(|a, b| b.2.total_cmp(&a.2));
        v
    };
    let jets = class(|k| k == Jet);
    let bjets = class(|k| k == BJet);
    let e = class(ObjectKind::is_electron);
    let mu = class(ObjectKind::is_muon);
    let gamma = class(|k| k == Photon);
    let (a, b) = match pair {
        MassPair::Jj => (jets.first(), jets.get(1)),
        MassPair::Jb => (jets.first(), bjets.first()),
        MassPair::Bb => (bjets.first(), bjets.get(1)),
        MassPair::Je => (jets.first(), e.first()),
        MassPair::Jmu => (jets.first(), mu.first()),
        MassPair::Jgamma => (jets.first(), gamma.first()),
        MassPair::Be => (bjets.first(), e.first()),
        MassPair::Bmu => (bjets.first(), mu.first()),
        MassPair::Bgamma => (bjets.first(), gamma.first()),
    };
    let (Some(a), Some(b)) = (a, b) else { return f64::NAN };
    let mt = |o: &Obj| (o.1 * o.1 + o.2 * o.2).sqrt();
    let y = |o: &Obj| {
        let (e, pz) = (energy(o.1, o.2, o.3), o.2 * o.3.sinh());
        0.5 * ((e + pz) / (e - pz)).ln()
    };
    let m2 = a.1 * a.1 + b.1 * b.1 + 2.0 * (mt(a) * mt(b) * (y(a) - y(b)).cosh() - a.2 * b.2 * (a.4 - b.4).cos());
    m2.max(0.0).sqrt()
}

fn object() -> impl Strategy<Value = Obj> {
    (0usize..7, 0.0f64..30.0, 1.0f64..800.0, -2.5f64..2.5, -PI..PI)
        .prop_map(|(k, m, pt, eta, phi)| (ObjectKind::ALL[k], m, pt, eta, phi))
}

proptest! {
    #[test]
    fn masses_match_the_sorted_reference(objects in proptest::collection::vec(object(), 0..10)) {
        let m = masses_of(&objects);
        for pair in MassPair::ALL {
            let want = reference(&objects, pair);
            let got = m[pair.index()];
            prop_assert_eq!(got.is_nan(), want.is_nan(), "{}", pair);
            if !want.is_nan() {
                prop_assert!((got - want).abs() <= 1e-7 * want.max(1.0), "{}: {} vs {}", pair, got, want);
            }
        }
    }

    #[test]
    fn masses_do_not_depend_on_object_order(objects in proptest::collection::vec(object(), 0..10)) {
        let mut pts: Vec<f64> = objects.iter().map(|o| o.2).collect();
        pts.sort_by(f64::total_cmp);
        pts.dedup();
        prop_assume!(pts.len() == objects.len(), "distinct pT, so the leading objects are unique");
        let reversed: Vec<Obj> = objects.iter().rev().copied().collect();
        let (a, b) = (masses_of(&objects), masses_of(&reversed));
        for k in 0..9 {
            prop_assert!(a[k].to_bits() == b[k].to_bits() || (a[k] - b[k]).abs() <= 1e-9 * a[k].max(1.0));
        }
    }
}
