//! The DarkMachines CSV writer.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use oddity_core::EventTable;
use tempfile::NamedTempFile;

use super::parse::EnergyUnit;
use crate::{EventSink, IoError};

/// How numbers are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// C `%g` with 6 significant digits, the style of the DarkMachines files. Values that came
    /// from such a file are written back exactly as they were read.
    #[default]
    G6,
    /// The shortest text that reads back to the same f64 (lossless for any value).
    Shortest,
}

/// Options of [`CsvWriter`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    pub precision: Precision,
    /// Unit of E, pT and MET in the file (MeV, the DarkMachines convention, by default).
    pub unit: EnergyUnit,
}

/// Appends `x` formatted like C's `printf("%g", x)` (6 significant digits): exponent form
/// `d.ddddde±XX` when the decimal exponent is < −4 or ≥ 6, fixed otherwise, trailing zeros
/// removed.
pub fn format_g6(x: f64, out: &mut String) {
    use std::fmt::Write as _;
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0" } else { "0" });
        return;
    }
    if !x.is_finite() {
        let _ = write!(out, "{x}");
        return;
    }
    // The exponent of the rounded 6-digit scientific form decides the style, as in C.
    let sci = format!("{x:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        out.push_str(strip_zeros(mantissa));
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let _ = write!(out, "{:02}", exp.unsigned_abs());
    } else {
        let fixed = format!("{x:.*}", (5 - exp) as usize);
        out.push_str(strip_zeros(&fixed));
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
}

enum Out {
    Plain(BufWriter<NamedTempFile>),
    Gz(GzEncoder<BufWriter<NamedTempFile>>),
}

/// Writes events in the DarkMachines format, one line per event ending with `;` (as the real
/// files do), objects in stored order. The file is written to a temporary name in the target
/// directory and renamed into place by [`EventSink::finish`]; `.csv.gz` names are compressed.
pub struct CsvWriter {
    path: PathBuf,
    out: Out,
    options: WriteOptions,
    line: String,
}

impl std::fmt::Debug for CsvWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvWriter").field("path", &self.path).field("options", &self.options).finish()
    }
}

impl CsvWriter {
    /// Starts writing `path`.
    pub fn create(path: &Path, options: WriteOptions) -> Result<Self, IoError> {
        let tmp =
            crate::atomic::temp_file_beside(path).map_err(|source| IoError::Write { path: path.into(), source })?;
        let buf = BufWriter::with_capacity(1 << 20, tmp);
        let gz = path.to_string_lossy().to_ascii_lowercase().ends_with(".gz");
        let out = if gz { Out::Gz(GzEncoder::new(buf, flate2::Compression::default())) } else { Out::Plain(buf) };
        Ok(Self { path: path.into(), out, options, line: String::with_capacity(4096) })
    }

    fn number(&mut self, x: f64) {
        match self.options.precision {
            Precision::G6 => format_g6(x, &mut self.line),
            Precision::Shortest => {
                use std::fmt::Write as _;
                let _ = write!(self.line, "{x}");
            }
        }
    }

    fn write_err(&self, source: std::io::Error) -> IoError {
        IoError::Write { path: self.path.clone(), source }
    }
}

impl EventSink for CsvWriter {
    fn write(&mut self, table: &EventTable) -> Result<(), IoError> {
        use std::fmt::Write as _;
        let unit = self.options.unit;
        for ev in table.events() {
            self.line.clear();
            let _ = write!(self.line, "{};{};", ev.event_id, ev.process);
            self.number(ev.weight);
            self.line.push(';');
            self.number(unit.from_gev(ev.met));
            self.line.push(';');
            self.number(ev.met_phi);
            self.line.push(';');
            for o in ev.objects.iter() {
                self.line.push_str(o.kind.token());
                self.line.push(',');
                self.number(unit.from_gev(o.e));
                self.line.push(',');
                self.number(unit.from_gev(o.pt));
                self.line.push(',');
                self.number(o.eta);
                self.line.push(',');
                self.number(o.phi);
                self.line.push(';');
            }
            self.line.push('\n');
            let bytes = self.line.as_bytes();
            let res = match &mut self.out {
                Out::Plain(w) => w.write_all(bytes),
                Out::Gz(w) => w.write_all(bytes),
            };
            res.map_err(|e| self.write_err(e))?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), IoError> {
        let path = self.path;
        let werr = |source: std::io::Error| IoError::Write { path: path.clone(), source };
        let buf = match self.out {
            Out::Plain(w) => w,
            Out::Gz(gz) => gz.finish().map_err(werr)?,
        };
        let tmp = buf.into_inner().map_err(|e| werr(e.into_error()))?;
        tmp.as_file().sync_all().map_err(werr)?;
        tmp.persist(&path).map_err(|e| werr(e.error))?;
        Ok(())
    }
}

/// Convenience: writes a whole table to `path` (CSV or CSV.gz by name).
pub fn write_table(path: &Path, table: &EventTable, options: WriteOptions) -> Result<(), IoError> {
    let mut w = Box::new(CsvWriter::create(path, options)?);
    w.write(table)?;
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(x: f64) -> String {
        let mut s = String::new();
        format_g6(x, &mut s);
        s
    }

    #[test]
    fn matches_c_printf_g() {
        // Expected strings are what C's printf("%g") prints (checked with Python's '%g' %).
        let cases = [
            (832841.0, "832841"),
            (1069460.0, "1.06946e+06"),
            (88405.6, "88405.6"),
            (-0.523103, "-0.523103"),
            (2.44336e-05, "2.44336e-05"),
            (0.0001, "0.0001"),
            (0.00001234567, "1.23457e-05"),
            (999999.5, "1e+06"),
            (123456.7, "123457"),
            (1.0, "1"),
            (-3.06744, "-3.06744"),
            (1e100, "1e+100"),
            (0.0, "0"),
            (112288.0, "112288"),
            (54391.4, "54391.4"),
        ];
        for (x, want) in cases {
            assert_eq!(g(x), want, "{x}");
        }
    }
}
