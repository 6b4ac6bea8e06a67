//! DarkMachines tables (physics-spec §8.5): the submission CSV and the TI table, read and
//! written exactly, and rendered as Markdown.
//!
//! - Submission CSV: header `Signal,Model,Chan,AUC,1e-2,1e-3,1e-4`, one row per (signal,
//!   channel), `Chan` ∈ {1, 2a, 2b, 3}.
//! - TI table: header `Model,MinTotalImprovement,MedianTotalImprovement,MaxTotalImprovement`.
//!
//! Numbers are parsed with Rust's correctly rounded parser and written as shortest
//! round-trip decimals spelled as Python's `repr` ([`crate::format_float`]), so reading and
//! writing a published table reproduces it byte for byte. The format is plain
//! comma-separated text without quoting (names contain no commas); LF or CRLF line ends; a
//! final newline is optional. Blank lines, quoted fields, wrong field counts, unknown
//! channels and non-finite or unparsable numbers are errors naming the file, the 1-based line
//! and the field. Files are written atomically (temporary file, then rename).

use crate::error::EvalError;
use crate::format::format_float;
use crate::ti::{Channel, ModelTi, SubmissionRow};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Header of a submission CSV.
pub const SUBMISSION_HEADER: &str = "Signal,Model,Chan,AUC,1e-2,1e-3,1e-4";
/// Header of a TI table.
pub const TI_HEADER: &str = "Model,MinTotalImprovement,MedianTotalImprovement,MaxTotalImprovement";

/// One row of a TI table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TiRow {
    pub model: String,
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl From<&ModelTi> for TiRow {
    fn from(m: &ModelTi) -> Self {
        Self { model: m.model.clone(), min: m.min, median: m.median, max: m.max }
    }
}

fn parse_error(file: &str, line: usize, field: &str, message: impl Into<String>) -> EvalError {
    EvalError::Parse { file: file.to_owned(), line, field: field.to_owned(), message: message.into() }
}

/// Splits `text` into numbered data lines after checking the header; `file` names the source
/// in errors.
fn data_lines<'a>(
    text: &'a str,
    file: &str,
    header: &str,
    columns: &'static [&'static str],
) -> Result<Vec<(usize, Vec<&'a str>)>, EvalError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut lines = body.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next().unwrap_or("");
    if first != header {
        return Err(parse_error(file, 1, "header", format!("expected {header:?}, found {first:?}")));
    }
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        let line_no = i + 2;
        if line.trim().is_empty() {
            return Err(parse_error(file, line_no, "-", "blank line"));
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != columns.len() {
            return Err(parse_error(
                file,
                line_no,
                "-",
                format!("{} fields, expected {} ({})", fields.len(), columns.len(), columns.join(",")),
            ));
        }
        for (value, name) in fields.iter().zip(columns) {
            if value.starts_with('"') {
                return Err(parse_error(file, line_no, name, "quoted fields are not supported"));
            }
            if value.is_empty() {
                return Err(parse_error(file, line_no, name, "empty value"));
            }
        }
        out.push((line_no, fields));
    }
    Ok(out)
}

fn parse_number(value: &str, file: &str, line: usize, field: &str) -> Result<f64, EvalError> {
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(parse_error(file, line, field, format!("{value:?} is not a finite number"))),
        Err(_) => Err(parse_error(file, line, field, format!("cannot parse {value:?} as a number"))),
    }
}

const SUBMISSION_COLUMNS: &[&str] = &["Signal", "Model", "Chan", "AUC", "1e-2", "1e-3", "1e-4"];
const TI_COLUMNS: &[&str] = &["Model", "MinTotalImprovement", "MedianTotalImprovement", "MaxTotalImprovement"];

/// Parses a submission CSV; `file` names the source in errors.
pub fn parse_submission_csv(text: &str, file: &str) -> Result<Vec<SubmissionRow>, EvalError> {
    data_lines(text, file, SUBMISSION_HEADER, SUBMISSION_COLUMNS)?
        .into_iter()
        .map(|(line, f)| {
            let channel = f[2].parse::<Channel>().map_err(|m| parse_error(file, line, "Chan", m))?;
            let num = |i: usize| parse_number(f[i], file, line, SUBMISSION_COLUMNS[i]);
            Ok(SubmissionRow {
                signal: f[0].to_owned(),
                model: f[1].to_owned(),
                channel,
                auc: num(3)?,
                efficiencies: [num(4)?, num(5)?, num(6)?],
            })
        })
        .collect()
}

/// Parses a TI table; `file` names the source in errors.
pub fn parse_ti_csv(text: &str, file: &str) -> Result<Vec<TiRow>, EvalError> {
    data_lines(text, file, TI_HEADER, TI_COLUMNS)?
        .into_iter()
        .map(|(line, f)| {
            let num = |i: usize| parse_number(f[i], file, line, TI_COLUMNS[i]);
            Ok(TiRow { model: f[0].to_owned(), min: num(1)?, median: num(2)?, max: num(3)? })
        })
        .collect()
}

fn read(path: &Path) -> Result<String, EvalError> {
    std::fs::read_to_string(path).map_err(|source| EvalError::Io { path: path.to_owned(), source })
}

/// Reads a submission CSV file.
pub fn read_submission_csv(path: &Path) -> Result<Vec<SubmissionRow>, EvalError> {
    parse_submission_csv(&read(path)?, &path.display().to_string())
}

/// Reads a TI table file.
pub fn read_ti_csv(path: &Path) -> Result<Vec<TiRow>, EvalError> {
    parse_ti_csv(&read(path)?, &path.display().to_string())
}

/// Formats rows as a submission CSV (LF line ends, final newline).
pub fn format_submission_csv(rows: &[SubmissionRow]) -> String {
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    out.push_str(SUBMISSION_HEADER);
    out.push('\n');
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            r.signal,
            r.model,
            r.channel,
            format_float(r.auc),
            format_float(r.efficiencies[0]),
            format_float(r.efficiencies[1]),
            format_float(r.efficiencies[2]),
        );
    }
    out
}

/// Formats rows as a TI table in the given order (LF line ends, final newline).
pub fn format_ti_csv(rows: &[TiRow]) -> String {
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    out.push_str(TI_HEADER);
    out.push('\n');
    for r in rows {
        let _ = writeln!(out, "{},{},{},{}", r.model, format_float(r.min), format_float(r.median), format_float(r.max));
    }
    out
}

/// Writes `text` to `path` atomically: a temporary file beside it, then a rename.
fn write_atomic(path: &Path, text: &str) -> Result<(), EvalError> {
    let io = |source| EvalError::Io { path: path.to_owned(), source };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Writes a submission CSV file atomically.
pub fn write_submission_csv(path: &Path, rows: &[SubmissionRow]) -> Result<(), EvalError> {
    write_atomic(path, &format_submission_csv(rows))
}

/// Writes a TI table file atomically, rows in the given order.
pub fn write_ti_csv(path: &Path, rows: &[TiRow]) -> Result<(), EvalError> {
    write_atomic(path, &format_ti_csv(rows))
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn md_number(x: f64, decimals: Option<usize>) -> String {
    match decimals {
        Some(d) => format!("{x:.d$}"),
        None => format_float(x),
    }
}

/// A Markdown table of submission rows; numbers with `decimals` decimals, or shortest
/// round-trip when `None`.
pub fn submission_markdown(rows: &[SubmissionRow], decimals: Option<usize>) -> String {
    let mut out = String::from(
        "| Signal | Model | Chan | AUC | eS(eB=1e-2) | eS(eB=1e-3) | eS(eB=1e-4) |\n|---|---|---|--:|--:|--:|--:|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            md_cell(&r.signal),
            md_cell(&r.model),
            r.channel,
            md_number(r.auc, decimals),
            md_number(r.efficiencies[0], decimals),
            md_number(r.efficiencies[1], decimals),
            md_number(r.efficiencies[2], decimals),
        );
    }
    out
}

/// A Markdown TI table in the given order; numbers as in [`submission_markdown`].
pub fn ti_markdown(rows: &[TiRow], decimals: Option<usize>) -> String {
    let mut out = String::from("| Model | Min TI | Median TI | Max TI |\n|---|--:|--:|--:|\n");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            md_cell(&r.model),
            md_number(r.min, decimals),
            md_number(r.median, decimals),
            md_number(r.max, decimals),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "Signal,Model,Chan,AUC,1e-2,1e-3,1e-4\nsig,M,2a,0.7240000000000001,0.5,1e-05,0.0\n";

    #[test]
    fn round_trip() {
        let rows = parse_submission_csv(GOOD, "x.csv").unwrap();
        assert_eq!(rows[0].channel, Channel::C2a);
        assert_eq!(rows[0].efficiencies, [0.5, 1e-5, 0.0]);
        assert_eq!(format_submission_csv(&rows), GOOD);
        let crlf = GOOD.replace('\n', "\r\n");
        assert_eq!(parse_submission_csv(&crlf, "x.csv").unwrap(), rows);
        let ti = "Model,MinTotalImprovement,MedianTotalImprovement,MaxTotalImprovement\nA,0.8999999999999999,15.0,54.0";
        let rows = parse_ti_csv(ti, "t.csv").unwrap();
        assert_eq!(format_ti_csv(&rows), format!("{ti}\n"));
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let msg = |t: &str| parse_submission_csv(t, "sub.csv").unwrap_err().to_string();
        assert_eq!(
            msg("Signal,Model,Chan,AUC\n"),
            "sub.csv line 1, field header: expected \"Signal,Model,Chan,AUC,1e-2,1e-3,1e-4\", found \"Signal,Model,Chan,AUC\""
        );
        assert_eq!(
            msg(&format!("{GOOD}s,M,4,0.5,0.1,0.1,0.1\n")),
            "sub.csv line 3, field Chan: unknown channel \"4\", expected one of 1, 2a, 2b, 3"
        );
        assert_eq!(
            msg(&format!("{GOOD}s,M,1,0.5,0.1,x,0.1\n")),
            "sub.csv line 3, field 1e-3: cannot parse \"x\" as a number"
        );
        assert_eq!(
            msg(&format!("{GOOD}s,M,1,nan,0.1,0.1,0.1\n")),
            "sub.csv line 3, field AUC: \"nan\" is not a finite number"
        );
        assert_eq!(
            msg(&format!("{GOOD}s,M,1,0.5\n")),
            "sub.csv line 3, field -: 4 fields, expected 7 (Signal,Model,Chan,AUC,1e-2,1e-3,1e-4)"
        );
        assert_eq!(msg(&format!("{GOOD}\ns,M,1,0.5,0.1,0.1,0.1\n")), "sub.csv line 3, field -: blank line");
        assert_eq!(msg(&format!("{GOOD}s,,1,0.5,0.1,0.1,0.1\n")), "sub.csv line 3, field Model: empty value");
        let e = read_ti_csv(Path::new("/nonexistent/ti.csv")).unwrap_err().to_string();
        assert!(e.starts_with("/nonexistent/ti.csv: "), "{e}");
    }

    #[test]
    fn markdown() {
        let rows = vec![TiRow { model: "A|B".into(), min: 0.8999999999999999, median: 15.0, max: 54.0 }];
        assert_eq!(
            ti_markdown(&rows, Some(2)),
            "| Model | Min TI | Median TI | Max TI |\n|---|--:|--:|--:|\n| A\\|B | 0.90 | 15.00 | 54.00 |\n"
        );
        assert!(ti_markdown(&rows, None).contains("| 0.8999999999999999 | 15.0 | 54.0 |"));
        let sub = parse_submission_csv(GOOD, "x.csv").unwrap();
        assert!(
            submission_markdown(&sub, None).ends_with("| sig | M | 2a | 0.7240000000000001 | 0.5 | 1e-05 | 0.0 |\n")
        );
    }
}
