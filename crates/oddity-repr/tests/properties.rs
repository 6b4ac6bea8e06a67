//! Property tests of every representation (shapes, masks, padding, determinism, independence
//! of batching) and statistical tests of the DDD distortions on a large sample.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use oddity_core::{EventHeader, EventTable, ObjectKind};
use oddity_repr::distort::{DistortConfig, distort};
use oddity_repr::fixed::FixedVector;
use oddity_repr::pairs::{PairConfig, PairSet, dense_pairs};
use oddity_repr::particles::{MetMode, ParticleSet};
use oddity_repr::rmm::{Rmm, RmmConfig};
use oddity_repr::sm::SmMode;
use oddity_repr::standardize::{Standardizer, StandardizerFit};
use oddity_repr::{FeatureBatch, Representation};
use proptest::prelude::*;

/// One object: (kind index 0-6, pT GeV, η, φ, mass GeV).
type Obj = (usize, f64, f64, f64, f64);

fn table(events: &[(f64, f64, Vec<Obj>)]) -> EventTable {
    let mut t = EventTable::new();
    for (i, (met, met_phi, objs)) in events.iter().enumerate() {
        let process = if i % 3 == 0 { "a" } else { "b" };
        let h = EventHeader {
            event_id: i as i64,
            process,
            weight: 1.0 + i as f64,
            met: *met,
            met_phi: *met_phi,
            source_line: i as u64 + 1,
        };
        t.push_event(h);
        for &(k, pt, eta, phi, m) in objs {
            let e = (m * m + (pt * eta.cosh()).powi(2)).sqrt();
            t.push_object(ObjectKind::ALL[k], e, pt, eta, phi);
        }
    }
    t
}

fn event() -> impl Strategy<Value = (f64, f64, Vec<Obj>)> {
    let obj = (0usize..7, 1.0f64..2000.0, -4.9f64..4.9, -3.1f64..3.1, 0.0f64..50.0);
    (0.0f64..1500.0, -3.1f64..3.1, prop::collection::vec(obj, 0..26))
}

fn representations() -> Vec<Box<dyn Representation>> {
    vec![
        Box::new(FixedVector::default()),
        Box::new(FixedVector::any_type(18)),
        Box::new(ParticleSet {
            pairs: Some(PairConfig { set: PairSet::Part4, use_eta: false }),
            sm: Some(SmMode::Running),
            ..ParticleSet::default()
        }),
        Box::new(ParticleSet {
            max_particles: 7,
            met: MetMode::Token,
            sm: Some(SmMode::Binary),
            ..ParticleSet::default()
        }),
        Box::new(Rmm::new(RmmConfig::atlas())),
        Box::new(Rmm::new(RmmConfig::adfilter())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn shapes_finite_values_and_batching_independence(events in prop::collection::vec(event(), 1..40), cut in 0usize..40) {
        let t = table(&events);
        let cut = cut.min(t.len());
        for repr in representations() {
            let all = repr.encode(&t);
            prop_assert_eq!(all.arrays.len(), repr.layout().len());
            for (a, spec) in all.arrays.iter().zip(repr.layout()) {
                prop_assert_eq!(a.events(), t.len());
                prop_assert_eq!(&a.shape[1..], &spec.shape[..]);
                if let Some(offsets) = &a.offsets {
                    // Ragged: as many rows as the representation says, event by event.
                    prop_assert!(spec.ragged && offsets[0] == 0 && offsets[t.len()] == a.shape[0]);
                    for i in 0..t.len() {
                        prop_assert_eq!(offsets[i + 1] - offsets[i], repr.ragged_rows(&t, i));
                    }
                } else {
                    prop_assert!(!spec.ragged && a.shape[0] == t.len());
                }
                prop_assert!(a.data.iter().all(|v| v.is_finite()), "{} {}: non-finite value", repr.name(), a.name);
            }
            // Encoding two halves separately gives the same rows, and encoding is repeatable.
            let mut parts = repr.encode(&t.slice(0..cut));
            parts.append(repr.encode(&t.slice(cut..t.len())));
            prop_assert_eq!(&parts, &all);
            prop_assert_eq!(&repr.encode(&t), &all);
            // Encoding into a reused batch (stale values of another layout, then of more
            // events) gives what a fresh encoding gives.
            let mut reused = representations().last().unwrap().encode(&t);
            repr.encode_into(&t, &mut reused);
            prop_assert_eq!(&reused, &all);
            repr.encode_into(&t.slice(cut..t.len()), &mut reused);
            prop_assert_eq!(&reused, &repr.encode(&t.slice(cut..t.len())));
            repr.encode_range_into(&t, 0..cut, &mut reused);
            prop_assert_eq!(&reused, &repr.encode(&t.slice(0..cut)));
        }
    }

    #[test]
    fn particle_mask_and_padding(events in prop::collection::vec(event(), 1..20)) {
        let t = table(&events);
        let ps = ParticleSet { pairs: Some(PairConfig::default()), sm: Some(SmMode::Binary), ..ParticleSet::default() };
        let b = ps.encode(&t);
        let (x, mask, p4, ragged) = (b.get("x").unwrap(), b.get("mask").unwrap(), b.get("p4").unwrap(), b.get("pairs").unwrap());
        let p = ps.max_particles;
        let pairs = dense_pairs(ragged, p);
        for i in 0..t.len() {
            let n = t.object_range(i).len().min(p);
            let m = mask.row(i);
            prop_assert!(m[..n].iter().all(|&v| v == 1.0) && m[n..].iter().all(|&v| v == 0.0));
            for tok in 0..p {
                let row = &x.row(i)[tok * 12..(tok + 1) * 12];
                // Exactly one class of the one-hot is set, the padding class iff padded.
                prop_assert_eq!(row[4..].iter().sum::<f32>(), 1.0);
                prop_assert_eq!(row[4] == 1.0, tok >= n);
                if tok >= n {
                    prop_assert!(row[..4].iter().all(|&v| v == 0.0));
                    prop_assert!(p4.row(i)[tok * 4..tok * 4 + 4].iter().all(|&v| v == 0.0));
                }
            }
            // One row of 3 channels per pair i <= j of the real tokens.
            prop_assert_eq!(ragged.row(i).len(), n * (n + 1) / 2 * 3);
            let pr = pairs.row(i);
            for c in 0..3 {
                for a in 0..p {
                    for bb in 0..p {
                        let v = pr[c * p * p + a * p + bb];
                        prop_assert_eq!(v, pr[c * p * p + bb * p + a]);
                        if a >= n || bb >= n {
                            prop_assert_eq!(v, 0.0);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn distortion_is_seeded_and_keeps_headers(events in prop::collection::vec(event(), 1..30), seed in any::<u64>()) {
        let t = table(&events);
        let cfg = DistortConfig { std: 0.05, p: 0.1, max_objects: 20 };
        let (a, sa) = distort(&t, &cfg, seed).unwrap();
        let (b, sb) = distort(&t, &cfg, seed).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(sa, sb);
        prop_assert_eq!(&a.event_id, &t.event_id);
        prop_assert_eq!(&a.weight, &t.weight);
        prop_assert_eq!(&a.source_line, &t.source_line);
        prop_assert!(a.met.iter().all(|&m| m >= 0.0));
        prop_assert!(a.met_phi.iter().chain(&a.phi).all(|&f| (-std::f64::consts::PI..std::f64::consts::PI).contains(&f)));
    }
}

/// A large sample of massive jets, one to six per event.
fn large_sample(events: usize) -> EventTable {
    let evs: Vec<(f64, f64, Vec<Obj>)> = (0..events)
        .map(|i| {
            let n = 1 + i % 6;
            let objs = (0..n)
                .map(|k| (k % 2, 50.0 + 10.0 * k as f64, 0.4 + 0.1 * k as f64, 1.0 - 0.2 * k as f64, 10.0))
                .collect();
            (200.0, 1.5, objs)
        })
        .collect();
    table(&evs)
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}

#[test]
fn shift_factors_have_mean_one_and_the_requested_std_and_keep_masses() {
    let t = large_sample(20_000);
    let std = 0.06;
    let (d, s) = distort(&t, &DistortConfig { std, p: 0.0, max_objects: 20 }, 99).unwrap();
    assert_eq!(s.removed + s.added, 0);
    let ratio = |a: &[f64], b: &[f64]| -> Vec<f64> { a.iter().zip(b).map(|(x, y)| x / y).collect() };
    for (name, r) in [("E", ratio(&d.e, &t.e)), ("eta", ratio(&d.eta, &t.eta)), ("met", ratio(&d.met, &t.met))] {
        let (m, sd) = mean_std(&r);
        assert!((m - 1.0).abs() < 0.003, "{name}: mean factor {m}");
        assert!((sd - std).abs() < 0.003, "{name}: std {sd}");
    }
    for o in 0..t.object_count() {
        let m2 = |e: f64, pt: f64, eta: f64| e * e - (pt * eta.cosh()).powi(2);
        let (before, after) = (m2(t.e[o], t.pt[o], t.eta[o]), m2(d.e[o], d.pt[o], d.eta[o]));
        assert!((after - before).abs() < 1e-6 * t.e[o].powi(2), "object {o}: m² {before} -> {after}");
    }
}

#[test]
fn removal_and_addition_rates_match_p() {
    let t = large_sample(20_000);
    let p = 0.08;
    let (d, s) = distort(&t, &DistortConfig { std: 0.0, p, max_objects: 100 }, 5).unwrap();
    let n = s.objects_in as f64;
    let sigma = (p * (1.0 - p) / n).sqrt();
    assert!((s.removed as f64 / n - p).abs() < 5.0 * sigma, "removal rate {}", s.removed as f64 / n);
    assert!((s.added as f64 / n - p).abs() < 5.0 * sigma, "addition rate {}", s.added as f64 / n);
    assert_eq!(s.additions_skipped_full + s.additions_skipped_no_donor, 0);
    assert_eq!(d.object_count() as u64, s.objects_out);
}

#[test]
fn standardizer_round_trips_through_json() {
    let t = large_sample(500);
    let ps = ParticleSet::default();
    let mut b: FeatureBatch = ps.encode(&t);
    let mut fit = StandardizerFit::new(ps.standardize_groups());
    fit.add(&b, &t.weight).unwrap();
    let st = fit.finish(ps.name()).unwrap();
    let back = Standardizer::from_json(&st.to_json()).unwrap();
    let mut b2 = b.clone();
    st.apply(&mut b).unwrap();
    back.apply(&mut b2).unwrap();
    assert_eq!(b, b2);
    // Weighted mean of the standardised real-token ln E is 0.
    let (x, mask) = (b.get("x").unwrap(), b.get("mask").unwrap());
    let (mut sw, mut swx) = (0.0, 0.0);
    for i in 0..t.len() {
        for tok in 0..ps.max_particles {
            if mask.row(i)[tok] == 1.0 {
                sw += t.weight[i];
                swx += t.weight[i] * f64::from(x.row(i)[tok * 12]);
            }
        }
    }
    assert!((swx / sw).abs() < 1e-4, "weighted mean {}", swx / sw);
}
