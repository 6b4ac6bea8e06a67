//! The TOML example in `docs/selections.md` parses and selects what its comments say.

use oddity_core::{EventHeader, EventTable, ObjectKind, Preselection, Selection};

fn doc_example() -> String {
    let doc = include_str!("../../../docs/selections.md");
    let start = doc.find("```toml\n").expect("docs/selections.md has a ```toml block") + "```toml\n".len();
    let len = doc[start..].find("```").expect("the toml block is closed");
    doc[start..start + len].to_owned()
}

/// One event: MET and (kind, pT, eta) objects at phi = 0, E = pT cosh(eta).
fn event(met: f64, objects: &[(ObjectKind, f64, f64)]) -> EventTable {
    let mut t = EventTable::new();
    t.push_event(EventHeader { event_id: 1, process: "test", weight: 1.0, met, met_phi: 0.0, source_line: 1 });
    for &(kind, pt, eta) in objects {
        t.push_object(kind, pt * f64::cosh(eta), pt, eta, 0.0);
    }
    t
}

fn selected(sel: &Selection, t: &EventTable) -> bool {
    sel.apply(t).0.len() == 1
}

#[test]
fn selections_doc_example_parses_and_selects() {
    let sel = Selection::from_toml_str(&doc_example(), "docs/selections.md").expect("the documented example is valid");
    assert_eq!(sel.name, "monojet");
    assert_eq!(sel.preselection, Preselection::DatasetDoc);
    assert_eq!(sel.met_min, Some(250.0));
    assert_eq!(sel.count.len(), 2);
    assert_eq!(sel.any_of.len(), 2);

    use ObjectKind::{BJet, ElectronMinus, Jet, Photon};
    // One hard central jet, MET 300: passes (first any_of group: at most 4 jets > 30).
    assert!(selected(&sel, &event(300.0, &[(Jet, 400.0, 0.5)])));
    // MET too low.
    assert!(!selected(&sel, &event(200.0, &[(Jet, 400.0, 0.5)])));
    // The hard jet is forward: fails the |eta| < 2.4 requirement.
    assert!(!selected(&sel, &event(300.0, &[(Jet, 400.0, 2.6)])));
    // Lepton veto; a 12 GeV electron is removed by the dataset-doc preselection first.
    assert!(!selected(&sel, &event(300.0, &[(Jet, 400.0, 0.5), (ElectronMinus, 30.0, 0.1)])));
    assert!(selected(&sel, &event(300.0, &[(Jet, 400.0, 0.5), (ElectronMinus, 12.0, 0.1)])));
    assert!(!selected(&sel, &event(300.0, &[(Jet, 400.0, 0.5), (Photon, 50.0, 0.1)])));
    // Five jets > 30 fail the first alternative; a b-jet satisfies the second.
    let five: Vec<_> = std::iter::once((Jet, 400.0, 0.5)).chain((0..4).map(|_| (Jet, 40.0, 1.0))).collect();
    assert!(!selected(&sel, &event(300.0, &five)));
    let with_b: Vec<_> = five.iter().copied().chain([(BJet, 40.0, 1.0)]).collect();
    assert!(selected(&sel, &event(300.0, &with_b)));
}

#[test]
fn misspelt_key_is_an_error_naming_the_key_and_origin() {
    let text = doc_example().replace("met_min", "met_mni");
    let err = Selection::from_toml_str(&text, "my.toml").expect_err("unknown key must be rejected").to_string();
    assert!(err.contains("my.toml") && err.contains("met_mni"), "{err}");
}
