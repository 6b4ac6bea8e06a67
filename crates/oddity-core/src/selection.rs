//! Object preselection and event selections (physics-spec §3).
//!
//! A [`Selection`] is a conjunction of event-level cuts (HT, MET, MET/HT) and object-count
//! requirements ([`CountCut`]), plus optional alternatives (`any_of`: at least one group of
//! count cuts must pass). The built-in selections (DarkMachines channels 1, 2a, 2b, 3 and the
//! 4-top region) are TOML files compiled into the crate and parsed by the same code as user
//! files, so built-in and user-defined selections cannot drift apart.
//!
//! Conventions (physics-spec §3.2 decision): event-level thresholds are inclusive (≥) unless
//! `ht_strict` is set; object pT thresholds are strict (>). HT sums every written j and b
//! (physics-spec §1) unless `ht_eta_max` is given.

use serde::Deserialize;

use crate::{Event, EventTable, ObjectKind};

/// A selection file or built-in name could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    #[error("{origin}: {source}")]
    Toml { origin: String, source: Box<toml::de::Error> },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("unknown selection '{0}', expected one of {list} or a path to a TOML file", list = Selection::BUILTIN_NAMES.join(", "))]
    UnknownBuiltin(String),
}

/// Object preselection profiles (physics-spec §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preselection {
    /// Keep every object as written (default: the real files violate the documented
    /// thresholds, and the hackathon files are already selected).
    #[default]
    None,
    /// The documented storage thresholds: (b-)jets pT > 20 GeV, |η| < 2.8; e/μ pT > 15 GeV,
    /// |η| < 2.7; photons pT > 20 GeV, |η| < 2.37 (dataset.pdf).
    DatasetDoc,
}

impl Preselection {
    /// True when an object of `kind` with `pt` (GeV) and `eta` survives the profile.
    pub fn keeps(self, kind: ObjectKind, pt: f64, eta: f64) -> bool {
        match self {
            Self::None => true,
            Self::DatasetDoc => {
                let (pt_min, eta_max) = match kind {
                    ObjectKind::Jet | ObjectKind::BJet => (20.0, 2.8),
                    ObjectKind::Photon => (20.0, 2.37),
                    _ => (15.0, 2.7),
                };
                pt > pt_min && eta.abs() < eta_max
            }
        }
    }

    /// A copy of `table` without the objects the profile drops, and how many were dropped.
    pub fn apply(self, table: &EventTable) -> (EventTable, usize) {
        if self == Self::None {
            return (table.clone(), 0);
        }
        let mut out = table.clone();
        out.offsets.clear();
        out.offsets.push(0);
        out.kind.clear();
        out.e.clear();
        out.pt.clear();
        out.eta.clear();
        out.phi.clear();
        for i in 0..table.len() {
            for j in table.object_range(i) {
                if self.keeps(table.kind[j], table.pt[j], table.eta[j]) {
                    out.kind.push(table.kind[j]);
                    out.e.push(table.e[j]);
                    out.pt.push(table.pt[j]);
                    out.eta.push(table.eta[j]);
                    out.phi.push(table.phi[j]);
                }
            }
            out.offsets.push(out.kind.len() as u64);
        }
        let dropped = table.object_count() - out.object_count();
        (out, dropped)
    }
}

/// A set of object kinds, written in files as tokens (`j`, `b`, `e-`, `e+`, `m-`, `m+`,
/// `mu-`, `mu+`, `g`) or groups (`jets` = j+b, `leptons`, `electrons`, `muons`, `photons`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KindSet(u8);

impl KindSet {
    fn insert(&mut self, kind: ObjectKind) {
        self.0 |= 1 << kind.code();
    }

    /// True when `kind` is in the set.
    pub fn contains(self, kind: ObjectKind) -> bool {
        self.0 & (1 << kind.code()) != 0
    }

    /// Parses a list of tokens and group names.
    pub fn parse(names: &[String]) -> Result<Self, String> {
        let mut set = KindSet::default();
        for name in names {
            let group: &[ObjectKind] = match name.as_str() {
                "jets" => &[ObjectKind::Jet, ObjectKind::BJet],
                "leptons" => {
                    &[ObjectKind::ElectronMinus, ObjectKind::ElectronPlus, ObjectKind::MuonMinus, ObjectKind::MuonPlus]
                }
                "electrons" => &[ObjectKind::ElectronMinus, ObjectKind::ElectronPlus],
                "muons" => &[ObjectKind::MuonMinus, ObjectKind::MuonPlus],
                "photons" => &[ObjectKind::Photon],
                token => match ObjectKind::from_token(token.as_bytes()) {
                    Ok(kind) => {
                        set.insert(kind);
                        continue;
                    }
                    Err(_) => {
                        return Err(format!(
                            "unknown object name '{token}', expected a token ({}) or a group (jets, leptons, electrons, muons, photons)",
                            ObjectKind::ACCEPTED_TOKENS
                        ));
                    }
                },
            };
            group.iter().for_each(|k| set.insert(*k));
        }
        if set.0 == 0 {
            return Err("'objects' must name at least one object kind".into());
        }
        Ok(set)
    }
}

/// A requirement on the number of objects of some kinds above a pT threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct CountCut {
    /// Which kinds are counted.
    pub objects: KindSet,
    /// Strict lower pT threshold in GeV (objects with pT > `pt_min` count); 0 counts all.
    pub pt_min: f64,
    /// Only objects with |η| < `eta_max` count.
    pub eta_max: Option<f64>,
    /// At least this many.
    pub min: u32,
    /// At most this many.
    pub max: Option<u32>,
    /// All counted objects must carry the same non-zero charge (e.g. same-sign dileptons).
    pub same_charge: bool,
}

impl CountCut {
    /// True when `event` satisfies the requirement.
    pub fn passes(&self, event: &Event<'_>) -> bool {
        let mut n = 0u32;
        let mut charge_sum = 0i32;
        for o in event.objects.iter() {
            if self.objects.contains(o.kind) && o.pt > self.pt_min && self.eta_max.is_none_or(|m| o.eta.abs() < m) {
                n += 1;
                charge_sum += i32::from(o.kind.charge());
            }
        }
        let same_charge_ok = !self.same_charge || (n > 0 && charge_sum.unsigned_abs() == n);
        n >= self.min && self.max.is_none_or(|m| n <= m) && same_charge_ok
    }
}

/// An event selection (see the module docs for the conventions).
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub name: String,
    pub description: String,
    pub preselection: Preselection,
    pub ht_min: Option<f64>,
    /// Use HT > `ht_min` instead of ≥ (the 4-top region's "HT > 500 GeV").
    pub ht_strict: bool,
    pub ht_max: Option<f64>,
    /// Sum only (b-)jets with |η| < `ht_eta_max` into HT (default: all written jets).
    pub ht_eta_max: Option<f64>,
    pub met_min: Option<f64>,
    pub met_max: Option<f64>,
    pub met_over_ht_min: Option<f64>,
    /// Every cut must pass.
    pub count: Vec<CountCut>,
    /// When non-empty, at least one group must pass in full.
    pub any_of: Vec<Vec<CountCut>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountCutFile {
    objects: Vec<String>,
    #[serde(default)]
    pt_min: f64,
    eta_max: Option<f64>,
    #[serde(default)]
    min: u32,
    max: Option<u32>,
    #[serde(default)]
    same_charge: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnyOfFile {
    count: Vec<CountCutFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectionFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    preselection: Preselection,
    ht_min: Option<f64>,
    #[serde(default)]
    ht_strict: bool,
    ht_max: Option<f64>,
    ht_eta_max: Option<f64>,
    met_min: Option<f64>,
    met_max: Option<f64>,
    met_over_ht_min: Option<f64>,
    #[serde(default)]
    count: Vec<CountCutFile>,
    #[serde(default)]
    any_of: Vec<AnyOfFile>,
}

const BUILTIN: [(&str, &str); 5] = [
    ("chan1", include_str!("selections/chan1.toml")),
    ("chan2a", include_str!("selections/chan2a.toml")),
    ("chan2b", include_str!("selections/chan2b.toml")),
    ("chan3", include_str!("selections/chan3.toml")),
    ("4top", include_str!("selections/4top.toml")),
];

impl Selection {
    /// Names accepted by [`Selection::builtin`].
    pub const BUILTIN_NAMES: [&'static str; 5] = ["chan1", "chan2a", "chan2b", "chan3", "4top"];

    /// A built-in selection: `chan1`, `chan2a`, `chan2b`, `chan3` (also `1`, `2a`, `2b`, `3`)
    /// or `4top`.
    pub fn builtin(name: &str) -> Result<Self, SelectionError> {
        let key = match name {
            "1" | "2a" | "2b" | "3" => format!("chan{name}"),
            other => other.to_owned(),
        };
        let (_, text) =
            BUILTIN.iter().find(|(n, _)| *n == key).ok_or_else(|| SelectionError::UnknownBuiltin(name.to_owned()))?;
        Self::from_toml_str(text, &format!("built-in selection '{key}'"))
    }

    /// Parses and validates a selection from TOML text; `origin` names the source in errors
    /// (a file path, or a built-in name).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, SelectionError> {
        let file: SelectionFile = toml::from_str(text)
            .map_err(|e| SelectionError::Toml { origin: origin.to_owned(), source: Box::new(e) })?;
        let invalid = |message: String| SelectionError::Invalid { origin: origin.to_owned(), message };
        let convert = |cuts: Vec<CountCutFile>, what: &str| -> Result<Vec<CountCut>, SelectionError> {
            cuts.into_iter()
                .enumerate()
                .map(|(i, c)| {
                    let objects = KindSet::parse(&c.objects).map_err(|m| invalid(format!("{what}[{i}]: {m}")))?;
                    if !c.pt_min.is_finite() || c.pt_min < 0.0 {
                        return Err(invalid(format!(
                            "{what}[{i}]: pt_min must be a finite value >= 0 GeV, got {}",
                            c.pt_min
                        )));
                    }
                    if let Some(m) = c.eta_max.filter(|m| !(m.is_finite() && *m > 0.0)) {
                        return Err(invalid(format!("{what}[{i}]: eta_max must be positive, got {m}")));
                    }
                    if let Some(max) = c.max.filter(|max| *max < c.min) {
                        return Err(invalid(format!("{what}[{i}]: max ({max}) is below min ({})", c.min)));
                    }
                    Ok(CountCut {
                        objects,
                        pt_min: c.pt_min,
                        eta_max: c.eta_max,
                        min: c.min,
                        max: c.max,
                        same_charge: c.same_charge,
                    })
                })
                .collect()
        };
        for (field, value) in [
            ("ht_min", file.ht_min),
            ("ht_max", file.ht_max),
            ("ht_eta_max", file.ht_eta_max),
            ("met_min", file.met_min),
            ("met_max", file.met_max),
            ("met_over_ht_min", file.met_over_ht_min),
        ] {
            if let Some(v) = value.filter(|v| !v.is_finite() || *v < 0.0) {
                return Err(invalid(format!("{field} must be a finite value >= 0, got {v}")));
            }
        }
        if file.name.trim().is_empty() {
            return Err(invalid("name must not be empty".into()));
        }
        let count = convert(file.count, "count")?;
        let any_of = file
            .any_of
            .into_iter()
            .enumerate()
            .map(|(i, g)| convert(g.count, &format!("any_of[{i}].count")))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            name: file.name,
            description: file.description,
            preselection: file.preselection,
            ht_min: file.ht_min,
            ht_strict: file.ht_strict,
            ht_max: file.ht_max,
            ht_eta_max: file.ht_eta_max,
            met_min: file.met_min,
            met_max: file.met_max,
            met_over_ht_min: file.met_over_ht_min,
            count,
            any_of,
        })
    }

    /// True when `event` passes. Apply [`Selection::preselection`] to the table first
    /// (see [`Selection::apply`]).
    pub fn passes(&self, event: &Event<'_>) -> bool {
        let ht = event.ht(self.ht_eta_max);
        let ht_ok = self.ht_min.is_none_or(|m| if self.ht_strict { ht > m } else { ht >= m });
        // MET/HT with HT = 0 is +inf for MET > 0, which passes any ratio cut.
        let ratio_ok = self.met_over_ht_min.is_none_or(|m| event.met >= m * ht);
        ht_ok
            && self.ht_max.is_none_or(|m| ht <= m)
            && self.met_min.is_none_or(|m| event.met >= m)
            && self.met_max.is_none_or(|m| event.met <= m)
            && ratio_ok
            && self.count.iter().all(|c| c.passes(event))
            && (self.any_of.is_empty() || self.any_of.iter().any(|g| g.iter().all(|c| c.passes(event))))
    }

    /// Applies the preselection, then the event cuts: the selected events, and the number of
    /// objects the preselection dropped.
    pub fn apply(&self, table: &EventTable) -> (EventTable, usize) {
        let (pre, dropped) = self.preselection.apply(table);
        let keep: Vec<bool> = pre.events().map(|e| self.passes(&e)).collect();
        (pre.filter(&keep), dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::EventHeader;

    fn event_table(met: f64, objects: &[(ObjectKind, f64, f64)]) -> EventTable {
        let mut t = EventTable::new();
        t.push_event(EventHeader { event_id: 0, process: "p", weight: 1.0, met, met_phi: 0.0, source_line: 1 });
        for &(k, pt, eta) in objects {
            t.push_object(k, pt * eta.cosh(), pt, eta, 0.0);
        }
        t
    }

    fn passes(sel: &str, met: f64, objects: &[(ObjectKind, f64, f64)]) -> bool {
        let s = Selection::builtin(sel).unwrap();
        let t = event_table(met, objects);
        s.passes(&t.event(0))
    }

    use ObjectKind::*;

    #[test]
    fn every_builtin_parses() {
        for name in Selection::BUILTIN_NAMES {
            assert_eq!(Selection::builtin(name).unwrap().name, name);
        }
        assert_eq!(Selection::builtin("3").unwrap().name, "chan3");
        assert!(matches!(Selection::builtin("chan4"), Err(SelectionError::UnknownBuiltin(_))));
    }

    #[test]
    fn channel3_thresholds_are_inclusive_and_count_forward_jets() {
        assert!(passes("3", 100.0, &[(Jet, 590.0, 0.0), (BJet, 10.0, 4.8)]));
        assert!(!passes("3", 99.999, &[(Jet, 600.0, 0.0)]));
        assert!(!passes("3", 100.0, &[(Jet, 599.99, 0.0), (Photon, 50.0, 0.0)]));
    }

    #[test]
    fn channel1_counts_b_and_light_jets_with_strict_pt() {
        let four = [(Jet, 250.0, 0.0), (BJet, 200.0, 0.0), (Jet, 100.0, 0.0), (BJet, 60.0, 0.0)];
        assert!(passes("1", 200.0, &four));
        // MET/HT = 200/610 < 0.2 fails; the fourth jet at exactly 50 GeV does not count.
        assert!(!passes("1", 100.0, &four));
        let edge = [(Jet, 250.0, 0.0), (BJet, 200.0, 0.0), (Jet, 100.0, 0.0), (BJet, 50.0, 0.0)];
        assert!(!passes("1", 200.0, &edge));
        let no_hard = [(Jet, 200.0, 0.0), (BJet, 200.0, 0.0), (Jet, 150.0, 0.0), (BJet, 60.0, 0.0)];
        assert!(!passes("1", 200.0, &no_hard));
    }

    #[test]
    fn lepton_channels() {
        let three = [(ElectronMinus, 20.0, 0.0), (MuonPlus, 16.0, 0.0), (ElectronPlus, 30.0, 0.0)];
        assert!(passes("2a", 50.0, &three));
        assert!(!passes("2a", 49.0, &three));
        assert!(!passes("2a", 60.0, &three[..2]));
        assert!(passes("2b", 60.0, &[(ElectronMinus, 20.0, 0.0), (MuonPlus, 16.0, 0.0), (Jet, 50.0, 0.0)]));
        assert!(!passes("2b", 60.0, &[(ElectronMinus, 20.0, 0.0), (MuonPlus, 15.0, 0.0), (Jet, 50.0, 0.0)]));
    }

    #[test]
    fn four_top_region_charge_logic() {
        let jets = [
            (Jet, 100.0, 0.0),
            (Jet, 100.0, 0.0),
            (Jet, 100.0, 0.0),
            (Jet, 100.0, 0.0),
            (BJet, 60.0, 0.0),
            (BJet, 60.0, 0.0),
        ];
        let with = |leptons: &[(ObjectKind, f64, f64)]| {
            let mut all = jets.to_vec();
            all.extend_from_slice(leptons);
            passes("4top", 0.0, &all)
        };
        assert!(with(&[(ElectronPlus, 30.0, 0.0), (MuonPlus, 30.0, 0.0)]));
        assert!(with(&[(ElectronMinus, 30.0, 0.0), (MuonMinus, 30.0, 0.0)]));
        assert!(!with(&[(ElectronMinus, 30.0, 0.0), (MuonPlus, 30.0, 0.0)]));
        assert!(with(&[(ElectronMinus, 30.0, 0.0), (MuonPlus, 30.0, 0.0), (MuonMinus, 30.0, 0.0)]));
        assert!(!with(&[(ElectronPlus, 30.0, 0.0)]));
        // HT = 520 > 500 passes; the same with one b-jet fails.
        let mut one_b = jets.to_vec();
        one_b[5].0 = Jet;
        one_b.extend_from_slice(&[(ElectronPlus, 30.0, 0.0), (MuonPlus, 30.0, 0.0)]);
        assert!(!passes("4top", 0.0, &one_b));
    }

    #[test]
    fn user_toml_errors_name_origin_and_field() {
        let err = Selection::from_toml_str("name = \"x\"\nht_mn = 3\n", "cuts.toml").unwrap_err().to_string();
        assert!(err.starts_with("cuts.toml") && err.contains("ht_mn"), "{err}");
        let err = Selection::from_toml_str("name = \"x\"\ncount = [{ objects = [\"tau\"], min = 1 }]\n", "cuts.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("count[0]") && err.contains("'tau'"), "{err}");
        let err =
            Selection::from_toml_str("name = \"x\"\ncount = [{ objects = [\"jets\"], min = 3, max = 1 }]\n", "c.toml")
                .unwrap_err()
                .to_string();
        assert!(err.contains("max (1) is below min (3)"), "{err}");
    }

    #[test]
    fn dataset_doc_preselection_drops_objects_and_changes_ht() {
        let t = event_table(150.0, &[(Jet, 700.0, 0.0), (Jet, 100.0, 3.5), (Photon, 12.0, 0.0)]);
        let (pre, dropped) = Preselection::DatasetDoc.apply(&t);
        assert_eq!(dropped, 2);
        assert_eq!(pre.event(0).ht(None), 700.0);
        assert_eq!(Preselection::None.apply(&t).1, 0);
    }
}
