use std::path::PathBuf;

/// Errors of the event readers and writers. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("{path}: cannot open: {source}", path = path.display())]
    Open { path: PathBuf, source: std::io::Error },
    #[error("{path}: read error: {source}", path = path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: write error: {source}", path = path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A Parquet or Arrow problem: a missing or mistyped column, a corrupt file.
    #[error("{path}: {message}", path = path.display())]
    Parquet { path: PathBuf, message: String },
    #[error("{path}: cannot tell the format from the name; expected .csv, .csv.gz or .parquet", path = path.display())]
    UnknownFormat { path: PathBuf },
    /// A `FILE.root:tree/branch` column specification that does not parse.
    #[error("'{spec}': {message}; expected FILE.root:tree/branch")]
    RootSpec { spec: String, message: String },
    /// No TTree of that name; `available` lists the trees nearest first.
    #[error("{path}: no TTree '{tree}'; trees in the file, nearest first: {available}", path = path.display())]
    RootTree { path: PathBuf, tree: String, available: String },
    /// The key exists but holds another class (a histogram, a directory).
    #[error("{path}: key '{key}' is a {class}, not a TTree", path = path.display())]
    RootNotTree { path: PathBuf, key: String, class: String },
    /// No branch of that name; `available` lists the tree's branches nearest first.
    #[error("{path}: tree '{tree}' has no branch '{branch}'; branches, nearest first: {available}", path = path.display())]
    RootBranch { path: PathBuf, tree: String, branch: String, available: String },
    /// The branch holds arrays, vectors, strings or objects rather than one number per entry.
    #[error("{path}: tree '{tree}' branch '{branch}' holds '{type_name}', not one number per entry; expected a flat branch of double, float, (u)int8..64_t or bool", path = path.display())]
    RootNotFlat { path: PathBuf, tree: String, branch: String, type_name: String },
    /// oxyroot could not read the file, tree or branch (including files it does not support).
    #[error("{path}: {message}", path = path.display())]
    Root { path: PathBuf, message: String },
}

/// A malformed DarkMachines line (physics-spec §2.3).
///
/// Displayed as `FILE line N, field F: MESSAGE (text: 'TEXT')`; `field` is 1-based over the
/// `;`-separated fields, and `text` is the offending field or line truncated to 80 characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}{field}: {message}{text}", field = field.map(|f| format!(", field {f}")).unwrap_or_default(), text = if text.is_empty() { String::new() } else { format!(" (text: '{text}')") })]
pub struct ParseError {
    /// The file name as given by the user.
    pub file: String,
    /// 1-based line number.
    pub line: u64,
    /// 1-based `;`-field index, when the defect is inside one field.
    pub field: Option<usize>,
    pub message: String,
    pub text: String,
}

/// Truncates `bytes` to at most 80 characters for error messages.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let mut out: String = s.chars().take(80).collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}
