//! The example of `docs/combine.md` loads and combines as the text says.
#![allow(clippy::unwrap_used)]

use oddity_eval::{Combination, CombineMode};

/// The first ```json block of the document.
fn json_block(doc: &str) -> &str {
    let start = doc.find("```json\n").unwrap() + "```json\n".len();
    &doc[start..start + doc[start..].find("```").unwrap()]
}

#[test]
fn documented_combination_loads_and_combines() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/combine.md")).unwrap();
    let stored: Combination = serde_json::from_str(json_block(&doc)).unwrap();
    let fitted = Combination::fit(CombineMode::Avg, &[&[0.5, 1.0, 1.5, 4.0], &[-2.0, 0.0, 1.0, 1.0]], None).unwrap();
    assert_eq!(stored, fitted);
    let combined = stored.combine(&[&[0.2, 1.2, 4.0, 9.0], &[1.0, -3.0, 0.5, 2.0]]).unwrap();
    let (sigma0, sigma1) = (stored.members[0].sigma(), stored.members[1].sigma());
    let last = 1.0 - ((-5.0 / sigma0).exp() / 5.0 + (-1.0 / sigma1).exp() / 5.0) / 2.0;
    assert_eq!(&combined[..3], &[0.2, 0.2, 0.5]);
    assert!((combined[3] - last).abs() < 1e-15 && format!("{:.5}", combined[3]) == "0.95336", "{}", combined[3]);
}
