//! Flat numeric TTree branches from ROOT files, read with `oxyroot`.
//!
//! A column is named on the command line as `FILE.root:tree/branch` ([`RootColumn::parse`]) and
//! read into `f64` by [`read_root_column`], whatever its numeric leaf type (double, float,
//! (u)int8..64_t, bool; 64-bit integers above 2⁵³ round to the nearest f64). When a file holds
//! several key cycles of a tree (ROOT's autosaves, uproot rewrites), the **highest cycle** is
//! read, as `uproot` and ROOT do. [`list_root_file`] gives the trees with their branches and
//! types, for error messages and an `inspect`-style overview.
//!
//! Errors name the file and, for a missing tree or branch, list the available names nearest
//! first (Damerau–Levenshtein distance, `strsim`); a branch that is not one number per entry
//! (fixed or variable-length arrays, `std::vector`, strings) is refused with its C++ type.
//!
//! Top-level trees only: oxyroot does not descend into TDirectories. oxyroot panics on some
//! unsupported or corrupt inputs (its `todo!()`s); those panics are caught at this boundary and
//! returned as [`IoError::Root`] so that a bad file never aborts the program.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use oxyroot::{Branch, Named, RootFile, UnmarshalerInto};
use serde::Serialize;

use crate::IoError;

/// The ROOT class name of a tree key.
const TTREE: &str = "TTree";

/// One branch of one tree of one ROOT file: the `FILE.root:tree/branch` of the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootColumn {
    pub path: PathBuf,
    pub tree: String,
    pub branch: String,
}

impl RootColumn {
    /// Parses `FILE:tree/branch`.
    ///
    /// The file part ends at the **last** `.root:` so that paths containing `:` (`C:\data`,
    /// `run:3/x.root`) work; without `.root:` the last `:` separates the file. The part after it
    /// is split at its last `/` into tree and branch (branch names have no `/`). A `;cycle`
    /// suffix is refused: the highest cycle is always read.
    pub fn parse(spec: &str) -> Result<Self, IoError> {
        let bad = |message: &str| IoError::RootSpec { spec: spec.to_string(), message: message.to_string() };
        let split = spec.rfind(".root:").map(|i| i + ".root".len()).or_else(|| spec.rfind(':'));
        let Some(colon) = split else {
            return Err(bad("no ':' between the file and tree/branch"));
        };
        let (path, rest) = (&spec[..colon], &spec[colon + 1..]);
        let Some((tree, branch)) = rest.rsplit_once('/') else {
            return Err(bad("expected tree/branch after the file name"));
        };
        if path.is_empty() || tree.is_empty() || branch.is_empty() {
            return Err(bad("file, tree and branch must all be non-empty"));
        }
        if tree.contains(';') || branch.contains(';') {
            return Err(bad("key cycles (';N') cannot be chosen: the highest cycle of a tree is read"));
        }
        Ok(Self { path: PathBuf::from(path), tree: tree.to_string(), branch: branch.to_string() })
    }

    /// Reads the column (see [`read_root_column`]).
    pub fn read(&self) -> Result<Vec<f64>, IoError> {
        read_root_column(&self.path, &self.tree, &self.branch)
    }
}

impl std::str::FromStr for RootColumn {
    type Err = IoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for RootColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.path.display(), self.tree, self.branch)
    }
}

/// A numeric leaf type Oddity converts to `f64`, by its C++ name as oxyroot reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LeafType {
    F64,
    F32,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    Bool,
}

impl LeafType {
    /// The C++ names of flat numeric leaves (`TLeafD`, `TLeafF`, `TLeafB`/`S`/`I`/`L` signed and
    /// unsigned, `TLeafO`); anything else (`float[3]`, `vector<double>`, `char*`) is `None`.
    pub fn from_cpp(name: &str) -> Option<Self> {
        Some(match name {
            "double" => Self::F64,
            "float" => Self::F32,
            "int8_t" => Self::I8,
            "int16_t" => Self::I16,
            "int32_t" => Self::I32,
            "int64_t" => Self::I64,
            "uint8_t" => Self::U8,
            "uint16_t" => Self::U16,
            "uint32_t" => Self::U32,
            "uint64_t" => Self::U64,
            "bool" => Self::Bool,
            _ => return None,
        })
    }
}

/// A branch as listed by [`list_root_file`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RootBranchInfo {
    pub name: String,
    /// C++ type as oxyroot reports it (`double`, `int32_t`, `float[3]`, `vector<double>`, ...).
    pub type_name: String,
    /// The numeric type when the branch holds one number per entry, else `None`.
    pub leaf: Option<LeafType>,
    pub entries: i64,
}

/// A tree (its highest cycle) as listed by [`list_root_file`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RootTreeInfo {
    pub name: String,
    pub entries: i64,
    /// Top-level branches in file order.
    pub branches: Vec<RootBranchInfo>,
}

/// A key that is not a TTree (a histogram, a directory, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootKeyInfo {
    pub name: String,
    pub class: String,
}

/// The contents of a ROOT file: trees (each name once, highest cycle) and the other keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RootListing {
    pub path: PathBuf,
    pub trees: Vec<RootTreeInfo>,
    pub other_keys: Vec<RootKeyInfo>,
}

/// Lists the top-level trees of a ROOT file with their branches and types.
pub fn list_root_file(path: impl AsRef<Path>) -> Result<RootListing, IoError> {
    let path = path.as_ref();
    let mut file = open(path)?;
    let (tree_names, other_keys) = top_level_keys(&file);
    let trees = tree_names
        .into_iter()
        .map(|name| {
            let tree = guarded(path, || file.get_tree(&name).map_err(|e| format!("tree '{name}': {e}")))?;
            let branches = tree.branches().map(branch_info).collect();
            Ok(RootTreeInfo { name, entries: tree.entries(), branches })
        })
        .collect::<Result<_, IoError>>()?;
    Ok(RootListing { path: path.to_path_buf(), trees, other_keys })
}

/// Reads one flat numeric branch of a tree (its highest cycle) as `f64`, one value per entry.
///
/// Errors: the file cannot be opened or is not ROOT; no such tree (lists the trees nearest
/// first) or the key is not a TTree; no such branch (lists the branches nearest first); the
/// branch is not one number per entry (names its C++ type).
pub fn read_root_column(path: impl AsRef<Path>, tree: &str, branch: &str) -> Result<Vec<f64>, IoError> {
    let path = path.as_ref();
    let mut file = open(path)?;
    let (trees, others) = top_level_keys(&file);
    if !trees.iter().any(|t| t == tree) {
        if let Some(other) = others.iter().find(|k| k.name == tree) {
            return Err(IoError::RootNotTree { path: path.into(), key: tree.into(), class: other.class.clone() });
        }
        return Err(IoError::RootTree { path: path.into(), tree: tree.into(), available: nearest_first(tree, &trees) });
    }
    let reader = guarded(path, || file.get_tree(tree).map_err(|e| format!("tree '{tree}': {e}")))?;
    let Some(found) = reader.branch(branch) else {
        let names: Vec<String> = reader.branches().map(|b| b.name().to_string()).collect();
        return Err(IoError::RootBranch {
            path: path.into(),
            tree: tree.into(),
            branch: branch.into(),
            available: nearest_first(branch, &names),
        });
    };
    let info = branch_info(found);
    let Some(leaf) = info.leaf else {
        return Err(IoError::RootNotFlat {
            path: path.into(),
            tree: tree.into(),
            branch: branch.into(),
            type_name: info.type_name,
        });
    };
    let values =
        guarded(path, || read_as_f64(found, leaf).map_err(|e| format!("tree '{tree}' branch '{branch}': {e}")))?;
    check_entries(path, tree, branch, values.len(), reader.entries())?;
    Ok(values)
}

/// Opens a ROOT file; a missing or unreadable file is [`IoError::Open`], a file that does not
/// start with ROOT's magic bytes `root` is [`IoError::Root`] (checked here because oxyroot
/// asserts on it).
fn open(path: &Path) -> Result<RootFile, IoError> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(path).map_err(|source| IoError::Open { path: path.into(), source })?;
    if file.read_exact(&mut magic).is_err() || &magic != b"root" {
        return Err(IoError::Root {
            path: path.into(),
            message: "not a ROOT file (it does not start with 'root')".into(),
        });
    }
    guarded(path, || RootFile::open(path).map_err(|e| format!("not a readable ROOT file: {e}")))
}

/// Top-level tree names (each once, in key order) and the other keys.
fn top_level_keys(file: &RootFile) -> (Vec<String>, Vec<RootKeyInfo>) {
    let mut trees: Vec<String> = Vec::new();
    let mut others: Vec<RootKeyInfo> = Vec::new();
    for key in file.keys() {
        let name = key.name().to_string();
        if key.class_name() == TTREE {
            if !trees.contains(&name) {
                trees.push(name);
            }
        } else if !others.iter().any(|k| k.name == name) {
            others.push(RootKeyInfo { name, class: key.class_name().to_string() });
        }
    }
    (trees, others)
}

fn branch_info(branch: &Branch) -> RootBranchInfo {
    let type_name = branch.item_type_name();
    // A branch with sub-branches (a split object) is not one number even if it reports a type.
    let leaf = if branch.branches().next().is_some() { None } else { LeafType::from_cpp(&type_name) };
    RootBranchInfo { name: branch.name().to_string(), type_name, leaf, entries: branch.entries() }
}

/// Reads every entry of a flat branch, converting its leaf type to `f64`.
fn read_as_f64(branch: &Branch, leaf: LeafType) -> oxyroot::Result<Vec<f64>> {
    fn read<T: UnmarshalerInto<Item = T>>(branch: &Branch, to_f64: fn(T) -> f64) -> oxyroot::Result<Vec<f64>> {
        Ok(branch.as_iter::<T>()?.map(to_f64).collect())
    }
    match leaf {
        LeafType::F64 => read::<f64>(branch, |v| v),
        LeafType::F32 => read::<f32>(branch, f64::from),
        LeafType::I8 => read::<i8>(branch, f64::from),
        LeafType::I16 => read::<i16>(branch, f64::from),
        LeafType::I32 => read::<i32>(branch, f64::from),
        LeafType::I64 => read::<i64>(branch, |v| v as f64),
        LeafType::U8 => read::<u8>(branch, f64::from),
        LeafType::U16 => read::<u16>(branch, f64::from),
        LeafType::U32 => read::<u32>(branch, f64::from),
        LeafType::U64 => read::<u64>(branch, |v| v as f64),
        LeafType::Bool => read::<bool>(branch, |v| f64::from(u8::from(v))),
    }
}

fn check_entries(path: &Path, tree: &str, branch: &str, got: usize, expected: i64) -> Result<(), IoError> {
    if i64::try_from(got).ok() == Some(expected) {
        return Ok(());
    }
    Err(IoError::Root {
        path: path.into(),
        message: format!("tree '{tree}' branch '{branch}': read {got} values, the tree has {expected} entries"),
    })
}

/// Runs an oxyroot call, turning both its errors and its panics into [`IoError::Root`].
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T, String>) -> Result<T, IoError> {
    let root_error = |message: String| IoError::Root { path: path.into(), message };
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(root_error),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown reason".to_string());
            Err(root_error(format!(
                "not a ROOT file oxyroot can read (corrupt, or a feature it does not support): {what}"
            )))
        }
    }
}

/// `names` sorted by Damerau–Levenshtein distance to `wanted` (then by name), comma-separated.
fn nearest_first(wanted: &str, names: &[String]) -> String {
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort_by_key(|name| (strsim::damerau_levenshtein(wanted, name), name.as_str()));
    if sorted.is_empty() {
        return "(none)".to_string();
    }
    sorted.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_splits_at_the_last_dot_root_colon() {
        let c = RootColumn::parse("data.root:bkg/bkg").unwrap();
        assert_eq!((c.path, c.tree.as_str(), c.branch.as_str()), (PathBuf::from("data.root"), "bkg", "bkg"));
        let c = RootColumn::parse("C:\\runs\\x:1.root:events/m_jj").unwrap();
        assert_eq!((c.path, c.tree.as_str()), (PathBuf::from("C:\\runs\\x:1.root"), "events"));
        let c = RootColumn::parse("dir:a/file.dat:t/b").unwrap();
        assert_eq!((c.path, c.tree.as_str(), c.branch.as_str()), (PathBuf::from("dir:a/file.dat"), "t", "b"));
        assert_eq!(RootColumn::parse("a.root:t/b").unwrap().to_string(), "a.root:t/b");
    }

    #[test]
    fn parse_rejects_incomplete_specs_and_cycles() {
        for (spec, needle) in [
            ("data.root", "no ':'"),
            ("data.root:bkg", "tree/branch"),
            ("data.root:/bkg", "non-empty"),
            (":t/b", "non-empty"),
            ("data.root:bkg;2/bkg", "highest cycle"),
        ] {
            let err = RootColumn::parse(spec).unwrap_err().to_string();
            assert!(err.contains(spec) && err.contains(needle), "{spec}: {err}");
        }
    }

    #[test]
    fn nearest_names_come_first() {
        let names = ["sig".to_string(), "data".to_string(), "bkg".to_string()];
        assert_eq!(nearest_first("bgk", &names), "bkg, sig, data");
        assert_eq!(nearest_first("dat", &names), "data, bkg, sig");
        assert_eq!(nearest_first("x", &[]), "(none)");
    }

    #[test]
    fn leaf_types_from_cpp_names() {
        assert_eq!(LeafType::from_cpp("double"), Some(LeafType::F64));
        assert_eq!(LeafType::from_cpp("uint64_t"), Some(LeafType::U64));
        assert_eq!(LeafType::from_cpp("bool"), Some(LeafType::Bool));
        for other in ["float[3]", "vector<double>", "char*", "int32_t[]", "unknown"] {
            assert_eq!(LeafType::from_cpp(other), None, "{other}");
        }
    }
}
