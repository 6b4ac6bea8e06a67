//! End-to-end tests of `oddity features`: the `.npz` holds what `oddity-repr` computes on the
//! real DarkMachines file, with labels, weights and bookkeeping; option errors exit 2.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use oddity_io::npz::{NpyOwned, NpyValues, read_npz};
use oddity_io::{CsvReader, ReadOptions};
use oddity_repr::Representation;
use oddity_repr::pairs::{PairConfig, PairSet, dense_pairs};
use oddity_repr::particles::ParticleSet;
use oddity_repr::rmm::{Rmm, RmmConfig};
use oddity_repr::sm::SmMode;
use predicates::prelude::*;

fn real_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/darkmachines/monojet_Zp2000.0_DM_50.0_chan3.csv")
}

fn oddity(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("oddity").expect("the oddity binary is built");
    c.current_dir(dir).env_remove("ODDITY_LOG");
    c
}

fn array<'a>(arrays: &'a [NpyOwned], name: &str) -> &'a NpyOwned {
    arrays.iter().find(|a| a.name == name).unwrap_or_else(|| panic!("no array '{name}'"))
}

fn f32s(a: &NpyOwned) -> &[f32] {
    match &a.values {
        NpyValues::F32(v) => v,
        other => panic!("{}: not f32: {other:?}", a.name),
    }
}

#[test]
fn particles_with_pairs_match_the_library_and_label_signal() {
    let dir = tempfile::tempdir().unwrap();
    // The real file as background and a copy of it as "signal".
    let signal = dir.path().join("sig.csv");
    std::fs::copy(real_file(), &signal).unwrap();
    oddity(dir.path())
        .args(["features", "--repr", "particles", "--pairs=part4", "--sm-interactions", "-o", "f.npz"])
        .arg(real_file())
        .arg("--signal")
        .arg(&signal)
        .assert()
        .success()
        .stdout(predicate::str::contains("12798 events"));
    let arrays = read_npz(&dir.path().join("f.npz")).unwrap();
    let (table, _, _) = CsvReader::open(&real_file(), ReadOptions::default()).unwrap().collect_all().unwrap();
    let ps = ParticleSet {
        pairs: Some(PairConfig { set: PairSet::Part4, use_eta: false }),
        sm: Some(SmMode::Running),
        ..ParticleSet::default()
    };
    let want = ps.encode(&table);
    for name in ["x", "mask", "p4", "aux", "pairs"] {
        let got = array(&arrays, name);
        let w = want.get(name).unwrap();
        assert_eq!(got.shape[0], 2 * w.shape[0], "{name}");
        assert_eq!(got.shape[1..], w.shape[1..], "{name}");
        let data = f32s(got);
        // Background rows first, then the identical signal rows.
        assert_eq!(&data[..w.data.len()], &w.data[..], "{name}");
        assert_eq!(&data[w.data.len()..], &w.data[..], "{name}");
    }
    // The pair rows: offsets per event and the token pair (i, j) of each row.
    let rows = want.get("pairs").unwrap().shape[0];
    let want_offsets = want.get("pairs").unwrap().offsets.as_ref().unwrap();
    let NpyValues::I64(offsets) = &array(&arrays, "pairs_offsets").values else { panic!("pairs_offsets dtype") };
    assert_eq!(offsets.len(), 2 * table.len() + 1);
    let both: Vec<i64> = want_offsets
        .iter()
        .chain(&want_offsets[1..].iter().map(|o| o + rows).collect::<Vec<_>>())
        .map(|&o| o as i64)
        .collect();
    assert_eq!(offsets, &both);
    let NpyValues::I64(ij) = &array(&arrays, "pair_ij").values else { panic!("pair_ij dtype") };
    assert_eq!(array(&arrays, "pair_ij").shape, [2 * rows, 2]);
    let mask = f32s(array(&arrays, "mask"));
    for e in [0, 1, 17, table.len() - 1] {
        let k = mask[e * 20..(e + 1) * 20].iter().filter(|&&m| m == 1.0).count() as i64;
        let (lo, hi) = (offsets[e] as usize, offsets[e + 1] as usize);
        let want_ij: Vec<i64> = (0..k).flat_map(|i| (i..k).flat_map(move |j| [i, j])).collect();
        assert_eq!(&ij[2 * lo..2 * hi], &want_ij[..], "event {e}");
    }
    // --dense-pairs: weaver's [N, C, P, P] layout of the same values.
    oddity(dir.path())
        .args(["features", "--repr", "particles", "--pairs=part4", "--sm-interactions", "--dense-pairs", "-o", "d.npz"])
        .arg(real_file())
        .assert()
        .success()
        .stdout(predicate::str::contains("pairs [6399, 5, 20, 20]"));
    let dense = read_npz(&dir.path().join("d.npz")).unwrap();
    assert!(dense.iter().all(|a| a.name != "pairs_offsets" && a.name != "pair_ij"));
    assert_eq!(f32s(array(&dense, "pairs")), &dense_pairs(want.get("pairs").unwrap(), 20).data[..]);

    let NpyValues::I64(label) = &array(&arrays, "label").values else { panic!("label dtype") };
    assert_eq!(label.iter().filter(|&&l| l == 1).count(), table.len());
    assert_eq!(label[..table.len()].iter().sum::<i64>(), 0);
    let NpyValues::F64(weight) = &array(&arrays, "weight").values else { panic!("weight dtype") };
    assert_eq!(&weight[..table.len()], &table.weight[..]);
    let NpyValues::U64(lines) = &array(&arrays, "source_line").values else { panic!("source_line dtype") };
    assert_eq!(&lines[..table.len()], &table.source_line[..]);
    let NpyValues::Str(files) = &array(&arrays, "files").values else { panic!("files dtype") };
    assert_eq!(files.len(), 2);
}

#[test]
fn rmm_matches_the_library_distortion_is_reproducible_bad_options_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    oddity(dir.path())
        .args(["features", "--repr", "rmm", "-o", "r.npz"])
        .arg(real_file())
        .assert()
        .success()
        .stdout(predicate::str::contains("cells ["));
    oddity(dir.path())
        .args(["features", "--repr", "rmm", "--dense-rmm", "-o", "dense.npz"])
        .arg(real_file())
        .assert()
        .success()
        .stdout(predicate::str::contains("x [6399, 1287]"));
    let (table, _, _) = CsvReader::open(&real_file(), ReadOptions::default()).unwrap().collect_all().unwrap();
    let rmm = Rmm::new(RmmConfig::atlas());
    let mut want = rmm.encode(&table);
    // Stored cells: values, their offsets, and the int64 columns.
    let arrays = read_npz(&dir.path().join("r.npz")).unwrap();
    assert_eq!(f32s(array(&arrays, "x")), &want.get("x").unwrap().data[..]);
    let NpyValues::I64(offsets) = &array(&arrays, "x_offsets").values else { panic!("x_offsets dtype") };
    let want_offsets = want.get("x").unwrap().offsets.clone().unwrap();
    assert!(offsets.iter().map(|&o| o as usize).eq(want_offsets));
    let NpyValues::I64(cells) = &array(&arrays, "cells").values else { panic!("cells dtype") };
    assert!(cells.iter().map(|&c| c as f32).eq(want.get("cells").unwrap().data.iter().copied()));
    assert!(arrays.iter().all(|a| a.name != "cells_offsets"));
    // Dense: the densified matrices.
    rmm.densify(&mut want);
    let dense = read_npz(&dir.path().join("dense.npz")).unwrap();
    assert_eq!(f32s(array(&dense, "x")), &want.get("x").unwrap().data[..]);
    assert!(dense.iter().all(|a| a.name != "cells" && a.name != "x_offsets"));

    for out in ["d1.npz", "d2.npz"] {
        oddity(dir.path())
            .args(["features", "--repr", "fixed", "--distort", "std=0.06,p=0.06", "--seed", "3", "-o", out])
            .arg(real_file())
            .assert()
            .success();
    }
    let a = read_npz(&dir.path().join("d1.npz")).unwrap();
    let b = read_npz(&dir.path().join("d2.npz")).unwrap();
    assert_eq!(a, b);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("d1.distortion.json")).unwrap()).unwrap();
    assert!(summary[0]["distortion"]["removed"].as_u64().unwrap() > 0);

    oddity(dir.path())
        .args(["features", "--repr", "fixed", "--pairs", "-o", "bad.npz"])
        .arg(real_file())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--repr particles only"));
    oddity(dir.path())
        .args(["features", "--repr", "particles", "--dense-rmm", "-o", "bad.npz"])
        .arg(real_file())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--dense-rmm applies to --repr rmm only"));
    oddity(dir.path())
        .args(["features", "--repr", "fixed", "--distort", "std=0.1,p=2", "--seed", "1", "-o", "bad.npz"])
        .arg(real_file())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("probability p must be in [0, 1]"));
    assert!(!dir.path().join("bad.npz").exists());
}
