//! ROOT input: the BumpHunter reference file (`../shared/data/bumphunter/data.root`, three trees
//! with three key cycles each) must histogram to the exact counts of physics-spec §9.6, every
//! numeric leaf type of the uproot fixture (`tools/reference/make_root_fixture.py`) must read as
//! uproot reads it, and errors must name the file and the nearest valid names.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap fixture reads

use std::path::{Path, PathBuf};

use oddity_io::root::LeafType;
use oddity_io::{IoError, RootColumn, list_root_file, read_root_column};
use oddity_stats::Hist1D;

fn bumphunter_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/bumphunter/data.root")
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mixed_types.root")
}

/// np.histogram(x, bins=60, range=(0, 20)) through the histogram the search uses: in-range
/// counts as numpy gives them, nothing in the flow bins (every value is below 20).
fn numpy_counts(values: &[f64]) -> Vec<u64> {
    let mut h = Hist1D::uniform(60, 0.0, 20.0).unwrap();
    h.fill_slice(values, None).unwrap();
    assert_eq!((h.underflow(), h.overflow(), h.nan_count()), ((0.0, 0.0), (0.0, 0.0), 0));
    h.sumw().iter().map(|&c| c as u64).collect()
}

const B_COUNTS: [u64; 60] = [
    15394, 13137, 11006, 9232, 7911, 6636, 5661, 4729, 4024, 3412, 2788, 2551, 2108, 1789, 1474, 1264, 1078, 894, 705,
    624, 552, 495, 394, 322, 275, 239, 178, 189, 151, 133, 100, 66, 69, 65, 47, 38, 43, 35, 32, 25, 19, 19, 23, 13, 10,
    8, 5, 7, 5, 5, 3, 4, 1, 1, 2, 1, 1, 3, 0, 1,
];
const D_COUNTS: [u64; 60] = [
    15133, 13122, 11053, 9347, 7862, 6678, 5629, 4645, 4125, 3404, 2916, 2509, 2028, 1818, 1510, 1268, 1121, 950, 771,
    667, 513, 488, 398, 324, 267, 231, 222, 183, 153, 132, 101, 82, 79, 60, 59, 44, 41, 35, 43, 22, 19, 19, 15, 6, 8,
    6, 9, 5, 5, 3, 2, 4, 2, 5, 3, 0, 1, 1, 1, 0,
];

#[test]
fn bumphunter_counts_are_exact() {
    let bkg = RootColumn::parse(&format!("{}:bkg/bkg", bumphunter_file().display())).unwrap().read().unwrap();
    let data = read_root_column(bumphunter_file(), "data", "data").unwrap();
    let sig = read_root_column(bumphunter_file(), "sig", "sig").unwrap();
    assert_eq!((bkg.len(), data.len(), sig.len()), (99_996, 100_147, 5000));
    assert_eq!(numpy_counts(&bkg), B_COUNTS);
    assert_eq!(numpy_counts(&data), D_COUNTS);
    let s = numpy_counts(&sig);
    assert_eq!(&s[12..20], &[1, 44, 368, 1206, 1857, 1184, 307, 33]);
    assert_eq!(s.iter().sum::<u64>(), 5000);
}

#[test]
fn listing_shows_each_tree_once_with_its_branches() {
    let listing = list_root_file(bumphunter_file()).unwrap();
    let names: Vec<(&str, i64)> = listing.trees.iter().map(|t| (t.name.as_str(), t.entries)).collect();
    assert_eq!(names, [("data", 100_147), ("bkg", 99_996), ("sig", 5000)]);
    for tree in &listing.trees {
        assert_eq!(tree.branches.len(), 1);
        assert_eq!(tree.branches[0].name, tree.name);
        assert_eq!(tree.branches[0].leaf, Some(LeafType::F64));
    }
    assert!(listing.other_keys.is_empty());
}

#[derive(serde::Deserialize)]
struct Expected {
    keys: Vec<String>,
    entries: usize,
    values: std::collections::BTreeMap<String, Vec<String>>,
}

fn expected() -> Expected {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mixed_types.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_numeric_leaf_type_reads_as_uproot_reads_it_from_the_highest_cycle() {
    let expected = expected();
    assert!(expected.keys.contains(&"mixed;1".to_string()) && expected.keys.contains(&"mixed;2".to_string()));
    assert_eq!(expected.values.len(), 11, "double, float, 4 signed, 4 unsigned, bool");
    for (branch, values) in &expected.values {
        let want: Vec<f64> = values.iter().map(|v| v.parse().unwrap()).collect();
        let got = read_root_column(fixture(), "mixed", branch).unwrap();
        assert_eq!(got.len(), expected.entries, "{branch}: cycle 1 has 2 entries, cycle 2 has 5");
        assert_eq!(got, want, "{branch}");
    }
}

#[test]
fn fixture_listing_marks_arrays_as_not_flat_and_other_keys() {
    let listing = list_root_file(fixture()).unwrap();
    let trees: Vec<&str> = listing.trees.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(trees, ["mixed", "other"]);
    let mixed = &listing.trees[0];
    assert_eq!(mixed.entries, 5);
    let flat = mixed.branches.iter().filter(|b| b.leaf.is_some()).count();
    assert_eq!(flat, 12, "11 typed branches and uproot's counter branch njagged");
    for name in ["jagged", "fixed3"] {
        let b = mixed.branches.iter().find(|b| b.name == name).unwrap();
        assert_eq!(b.leaf, None, "{name}: {}", b.type_name);
    }
    let others: Vec<(&str, &str)> = listing.other_keys.iter().map(|k| (k.name.as_str(), k.class.as_str())).collect();
    assert_eq!(others, [("hist", "TH1D"), ("ntuple", "ROOT::RNTuple")]);
}

fn err(path: &Path, tree: &str, branch: &str) -> (IoError, String) {
    let e = read_root_column(path, tree, branch).unwrap_err();
    let text = e.to_string();
    (e, text)
}

#[test]
fn missing_file_names_the_file() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/no_such_file.root");
    let (e, text) = err(&path, "t", "b");
    assert!(matches!(e, IoError::Open { .. }), "{e:?}");
    assert!(text.contains("no_such_file.root"), "{text}");
}

#[test]
fn a_file_that_is_not_root_is_an_error_not_a_panic() {
    let (e, text) = err(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/malformed.tsv"), "t", "b");
    assert!(matches!(e, IoError::Root { .. }), "{e:?}");
    assert!(text.contains("malformed.tsv") && text.contains("not a ROOT file"), "{text}");
}

#[test]
fn missing_tree_lists_the_trees_nearest_first() {
    let (e, text) = err(&bumphunter_file(), "bgk", "bkg");
    assert!(matches!(e, IoError::RootTree { .. }), "{e:?}");
    assert!(text.contains("data.root") && text.contains("'bgk'"), "{text}");
    assert!(text.ends_with("nearest first: bkg, sig, data"), "{text}");
    let (_, text) = err(&bumphunter_file(), "signal", "sig");
    for tree in ["bkg", "data", "sig"] {
        assert!(text.contains(tree), "{text}");
    }
}

#[test]
fn missing_branch_lists_the_branches_nearest_first() {
    let (e, text) = err(&fixture(), "mixed", "f46");
    assert!(matches!(e, IoError::RootBranch { .. }), "{e:?}");
    assert!(text.contains("mixed_types.root") && text.contains("tree 'mixed'") && text.contains("'f46'"), "{text}");
    let list = text.split("nearest first: ").nth(1).unwrap();
    assert!(list.starts_with("f64, "), "{text}");
    assert_eq!(list.split(", ").count(), 14, "{text}");
    let (_, text) = err(&bumphunter_file(), "bkg", "data");
    assert!(text.ends_with("nearest first: bkg"), "{text}");
}

#[test]
fn non_numeric_branches_name_their_type() {
    for branch in ["jagged", "fixed3"] {
        let (e, text) = err(&fixture(), "mixed", branch);
        assert!(matches!(e, IoError::RootNotFlat { .. }), "{branch}: {e:?}");
        assert!(text.contains(&format!("'{branch}'")) && text.contains("not one number per entry"), "{text}");
    }
}

#[test]
fn histogram_and_rntuple_keys_are_not_trees() {
    let (e, text) = err(&fixture(), "hist", "x");
    assert!(matches!(e, IoError::RootNotTree { .. }), "{e:?}");
    assert!(text.contains("'hist' is a TH1D, not a TTree"), "{text}");
    let (_, text) = err(&fixture(), "ntuple", "x");
    assert!(text.contains("'ntuple' is a ROOT::RNTuple, not a TTree"), "{text}");
}
