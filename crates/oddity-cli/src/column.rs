//! One column of numbers from a file, named on the command line as `PATH:SELECTOR`:
//!
//! - `FILE.root:tree/branch`: a flat numeric branch of a ROOT TTree (the highest key cycle);
//! - `FILE.parquet:column`: a numeric Parquet column (e.g. `scores.parquet:mjj`);
//! - `FILE.csv:column` (also `.txt`, `.tsv`): a CSV column with a header line, by name or by
//!   0-based index; comma, semicolon, tab or blank separated (detected from the header).
//!
//! The split is at the last `:` whose left part ends in a known extension, so paths that
//! contain `:` work. Every error names the file and, where there is one, the line and column.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// A parsed `PATH:SELECTOR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    pub path: PathBuf,
    pub kind: ColumnFile,
    pub selector: String,
}

/// The kind of file a column comes from, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnFile {
    Root,
    Parquet,
    Csv,
}

const EXTENSIONS: [(&str, ColumnFile); 5] = [
    (".root", ColumnFile::Root),
    (".parquet", ColumnFile::Parquet),
    (".csv", ColumnFile::Csv),
    (".tsv", ColumnFile::Csv),
    (".txt", ColumnFile::Csv),
];

impl std::str::FromStr for ColumnSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let usage = || {
            format!(
                "'{s}': expected FILE.root:tree/branch, FILE.parquet:column or FILE.csv:column (a file with one of the extensions .root, .parquet, .csv, .tsv, .txt, a ':' and what to read)"
            )
        };
        for (i, _) in s.match_indices(':').collect::<Vec<_>>().into_iter().rev() {
            let (path, selector) = (&s[..i], &s[i + 1..]);
            let lower = path.to_ascii_lowercase();
            if let Some((_, kind)) = EXTENSIONS.iter().find(|(ext, _)| lower.ends_with(ext)) {
                if selector.is_empty() {
                    return Err(format!("{}: nothing to read after ':'", usage()));
                }
                if *kind == ColumnFile::Root && !selector.contains('/') {
                    return Err(format!(
                        "'{s}': a ROOT column is FILE.root:tree/branch (got '{selector}' without '/')"
                    ));
                }
                return Ok(Self { path: PathBuf::from(path), kind: *kind, selector: selector.to_owned() });
            }
        }
        Err(usage())
    }
}

impl std::fmt::Display for ColumnSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.selector)
    }
}

impl ColumnSpec {
    /// Reads every value of the column (as f64).
    pub fn read(&self) -> Result<Vec<f64>> {
        match self.kind {
            ColumnFile::Root => {
                let (tree, branch) = self.selector.rsplit_once('/').unwrap_or((&self.selector, ""));
                Ok(oddity_io::root::read_root_column(&self.path, tree, branch)?)
            }
            ColumnFile::Parquet => read_parquet_column(&self.path, &self.selector),
            ColumnFile::Csv => read_csv_column(&self.path, &self.selector),
        }
    }
}

/// A numeric column of a Parquet file; nulls are an error naming the row.
pub fn read_parquet_column(path: &Path, name: &str) -> Result<Vec<f64>> {
    use arrow::array::{Array, AsArray};
    use arrow::compute::cast;
    use arrow::datatypes::{DataType, Float64Type};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("{}: not a Parquet file", path.display()))?;
    let fields: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let Some(index) = fields.iter().position(|f| f == name) else {
        bail!("{}: no column '{name}'; columns: {}", path.display(), nearest_first(name, &fields).join(", "));
    };
    let data_type = builder.schema().field(index).data_type().clone();
    if !data_type.is_numeric() {
        bail!("{}: column '{name}' is {data_type}, not a number", path.display());
    }
    let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), [index]);
    let reader = builder.with_projection(mask).build().with_context(|| format!("{}: cannot read", path.display()))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.with_context(|| format!("{}: cannot read", path.display()))?;
        let column = cast(batch.column(0), &DataType::Float64)
            .with_context(|| format!("{}: column '{name}' cannot be read as float64", path.display()))?;
        let values = column.as_primitive::<Float64Type>();
        if let Some(i) = (0..values.len()).find(|&i| values.is_null(i)) {
            bail!("{}: row {}: column '{name}' is null", path.display(), out.len() + i + 1);
        }
        out.extend(values.values().iter().copied());
    }
    Ok(out)
}

/// A column of a text table with a header line, by name or 0-based index.
pub fn read_csv_column(path: &Path, selector: &str) -> Result<Vec<f64>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let Some((_, header)) = lines.next() else { bail!("{}: empty file (expected a header line)", path.display()) };
    let sep = [',', ';', '\t'].into_iter().find(|c| header.contains(*c));
    let split = |line: &'_ str| -> Vec<String> {
        match sep {
            Some(c) => line.split(c).map(|f| f.trim().to_owned()).collect(),
            None => line.split_whitespace().map(str::to_owned).collect(),
        }
    };
    let names = split(header);
    let index = match names.iter().position(|n| n == selector) {
        Some(i) => i,
        None => match selector.parse::<usize>() {
            Ok(i) if i < names.len() => i,
            _ => bail!(
                "{}: no column '{selector}' in the header; columns: {}",
                path.display(),
                nearest_first(selector, &names).join(", ")
            ),
        },
    };
    let mut out = Vec::new();
    for (n, line) in lines {
        let fields = split(line);
        let field = fields.get(index).with_context(|| {
            format!(
                "{} line {}: {} field(s), column '{}' is number {}",
                path.display(),
                n + 1,
                fields.len(),
                names[index],
                index + 1
            )
        })?;
        let value: f64 = field.parse().with_context(|| {
            format!("{} line {}: column '{}': '{field}' is not a number", path.display(), n + 1, names[index])
        })?;
        out.push(value);
    }
    Ok(out)
}

/// `names` ordered by edit distance to `want`, nearest first.
pub fn nearest_first(want: &str, names: &[String]) -> Vec<String> {
    let mut v: Vec<(usize, &String)> = names.iter().map(|n| (strsim::levenshtein(want, n), n)).collect();
    v.sort();
    v.into_iter().map(|(_, n)| n.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs_with_colons_in_paths() {
        let s: ColumnSpec = "/tmp/a:b/data.root:data/data".parse().expect("root");
        assert_eq!(
            (s.path, s.kind, s.selector.as_str()),
            (PathBuf::from("/tmp/a:b/data.root"), ColumnFile::Root, "data/data")
        );
        let s: ColumnSpec = "scores.parquet:mjj".parse().expect("parquet");
        assert_eq!(s.kind, ColumnFile::Parquet);
        let s: ColumnSpec = "m.CSV:2".parse().expect("csv");
        assert_eq!((s.kind, s.selector.as_str()), (ColumnFile::Csv, "2"));
        assert!("data.root:data".parse::<ColumnSpec>().unwrap_err().contains("tree/branch"));
        assert!("data.dat:x".parse::<ColumnSpec>().is_err());
        assert!("data.csv:".parse::<ColumnSpec>().is_err());
    }

    #[test]
    fn csv_columns_by_name_and_index_with_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("m.csv");
        std::fs::write(&p, "# masses\nmjj, weight\n100, 1\n\n250.5, 2\n").expect("write");
        assert_eq!(read_csv_column(&p, "mjj").expect("mjj"), vec![100.0, 250.5]);
        assert_eq!(read_csv_column(&p, "1").expect("index"), vec![1.0, 2.0]);
        let e = read_csv_column(&p, "mj").unwrap_err().to_string();
        assert!(e.contains("no column 'mj'") && e.contains("columns: mjj, weight"), "{e}");
        std::fs::write(&p, "a b\n1 2\n3 x\n").expect("write");
        let e = read_csv_column(&p, "b").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("'x' is not a number"), "{e}");
    }
}
