//! Golden test: Oddity's representations against an independent NumPy implementation of
//! physics-spec §5 (`tools/reference/repr_reference.py`), on the first 16 events of the real
//! DarkMachines file and on a hand-made file with every object kind, an event without
//! objects, MET = 0 and more objects than slots.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use oddity_io::{CsvReader, EventTable, ReadOptions};
use oddity_repr::fixed::FixedVector;
use oddity_repr::pairs::{PairConfig, PairSet, dense_pairs};
use oddity_repr::particles::ParticleSet;
use oddity_repr::rmm::{Rmm, RmmConfig};
use oddity_repr::sm::SmMode;
use oddity_repr::{FeatureBatch, Representation};
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn first_events(path: &Path, n: usize) -> EventTable {
    let (mut table, _, _) = CsvReader::open(path, ReadOptions::default()).unwrap().collect_all().unwrap();
    table.truncate(n);
    table
}

/// Compares every event's entry of `array` with the reference rows `key`.
fn compare(batch: &FeatureBatch, array: &str, reference: &Value, key: &str) {
    let rows = reference[key].as_array().unwrap();
    let a = batch.get(array).unwrap();
    assert_eq!(a.shape[0], rows.len(), "{key}: event count");
    for (i, row) in rows.iter().enumerate() {
        let want: Vec<f64> = row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let got = a.row(i);
        assert_eq!(got.len(), want.len(), "{key}: width of event {i}");
        for (k, (&g, &w)) in got.iter().zip(&want).enumerate() {
            let tol = 1e-5 * w.abs().max(1.0);
            assert!((f64::from(g) - w).abs() <= tol, "{key}: event {i} entry {k}: oddity {g}, reference {w}");
        }
    }
}

fn check(csv: &str, json: &str) {
    let reference: Value = serde_json::from_str(&std::fs::read_to_string(data(json)).unwrap()).unwrap();
    let n = reference["events"].as_u64().unwrap() as usize;
    let path = if csv.contains('/') { PathBuf::from(csv) } else { data(csv) };
    let table = first_events(&path, n);
    assert_eq!(table.len(), n);

    compare(&FixedVector::default().encode(&table), "x", &reference, "fixed_per_type");
    compare(&FixedVector::any_type(18).encode(&table), "x", &reference, "fixed_any_type");

    let ps = ParticleSet {
        pairs: Some(PairConfig { set: PairSet::Part4, use_eta: false }),
        sm: Some(SmMode::Running),
        ..ParticleSet::default()
    };
    let batch = ps.encode(&table);
    compare(&batch, "x", &reference, "particles_x");
    compare(&batch, "mask", &reference, "particles_mask");
    compare(&batch, "p4", &reference, "particles_p4");
    compare(&batch, "aux", &reference, "particles_aux");
    // The reference holds weaver's dense [C, P, P] layout; ours is one row per real pair.
    let dense = FeatureBatch { arrays: vec![dense_pairs(batch.get("pairs").unwrap(), ps.max_particles)] };
    compare(&dense, "pairs", &reference, "particles_pairs");

    // The reference holds the dense matrices; ours are the stored cells.
    let rmm = Rmm::new(RmmConfig::atlas());
    let mut cells = rmm.encode(&table);
    rmm.densify(&mut cells);
    compare(&cells, "x", &reference, "rmm_atlas");
}

#[test]
fn real_darkmachines_events_match_numpy() {
    let real =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/darkmachines/monojet_Zp2000.0_DM_50.0_chan3.csv");
    check(real, "repr_reference.json");
}

#[test]
fn every_object_kind_matches_numpy() {
    check("mixed.csv", "repr_reference_mixed.json");
}
