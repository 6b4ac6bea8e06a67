//! Golden check of physics-spec §8.6: the published DarkMachines total-improvement table is
//! recomputed from the published per-signal rows.
//!
//! Data: `tests/data/darkmachines-results/` is a copy of `../shared/data/darkmachines-results/`
//! (from `bostdiek/DarkMachines-UnsupervisedChallenge`, MIT licence, see the LICENSE file
//! there), committed so that the test runs in CI without the shared folder.
#![allow(clippy::unwrap_used)]

use oddity_eval::table::{
    format_submission_csv, format_ti_csv, parse_submission_csv, parse_ti_csv, read_submission_csv, read_ti_csv,
};
use oddity_eval::ti::{Channel, total_improvements};
use std::collections::HashMap;
use std::path::PathBuf;

const FAMILIES: [&str; 7] = ["AE", "Combined", "DeepSVDD", "DeepSetVAE", "Flow", "KDE", "VAE"];

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/darkmachines-results").join(name)
}

#[test]
fn total_improvements_reproduce_the_published_table_bit_for_bit() {
    let mut rows = Vec::new();
    for family in FAMILIES {
        rows.extend(read_submission_csv(&data(&format!("{family}.csv"))).unwrap());
    }
    assert_eq!(rows.len(), 9134);
    let report = total_improvements(&rows);
    assert_eq!(report.models.len() + report.excluded.len(), 271);

    // The 8 models without all four channels: DeepSVDD_*_d377, none of them published.
    assert_eq!(report.excluded.len(), 8);
    let published = read_ti_csv(&data("DarkMachinesUnsupervisedChallenge_TotalImprovements.csv")).unwrap();
    assert_eq!(published.len(), 1040);
    let published: HashMap<&str, _> = published.iter().map(|r| (r.model.as_str(), r)).collect();
    for ex in &report.excluded {
        assert!(ex.model.starts_with("DeepSVDD_") && ex.model.ends_with("_d377"), "{}", ex.model);
        assert!(!ex.missing.is_empty() && ex.missing.len() < Channel::ALL.len() + 1);
        assert!(!published.contains_key(ex.model.as_str()), "{} is published", ex.model);
    }

    // 263/263 shared models bit-identical.
    assert_eq!(report.models.len(), 263);
    let mut identical = 0;
    for m in &report.models {
        let p = published.get(m.model.as_str()).unwrap_or_else(|| panic!("{} not in the published table", m.model));
        let same = [(m.min, p.min), (m.median, p.median), (m.max, p.max)];
        if same.iter().all(|(a, b)| a.to_bits() == b.to_bits()) {
            identical += 1;
        } else {
            eprintln!("{}: {:?} vs published {:?}", m.model, (m.min, m.median, m.max), (p.min, p.median, p.max));
        }
    }
    assert_eq!(identical, 263);

    // The spec's examples.
    let get = |name: &str| report.models.iter().find(|m| m.model == name).unwrap();
    let flow = get("Flow-Efficient_Likelihood");
    assert_eq!((flow.min, flow.median, flow.max), (0.8999999999999999, 15.0, 54.0));
    let comb = get("Combined-AND-DeepSVDD-Flow");
    assert_eq!((comb.min, comb.median, comb.max), (0.31622776601683794, 10.0, 79.0));
    // Sorted by MedianTI descending.
    assert!(report.models.windows(2).all(|w| w[0].median >= w[1].median));
}

#[test]
fn published_tables_round_trip_byte_for_byte() {
    for family in FAMILIES {
        let text = std::fs::read_to_string(data(&format!("{family}.csv"))).unwrap();
        let rows = parse_submission_csv(&text, family).unwrap();
        assert_eq!(format_submission_csv(&rows), text, "{family}");
    }
    let text = std::fs::read_to_string(data("DarkMachinesUnsupervisedChallenge_TotalImprovements.csv")).unwrap();
    assert_eq!(format_ti_csv(&parse_ti_csv(&text, "ti").unwrap()), text);
}
