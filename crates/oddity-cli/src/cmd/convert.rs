//! `oddity convert IN -o OUT`: between DarkMachines CSV (.csv, .csv.gz) and Parquet.

use std::path::{Path, PathBuf};

use anyhow::Result;
use oddity_io::csv::{CsvWriter, Precision, WriteOptions};
use oddity_io::{EventSink, Format, IoError};

use crate::Global;
use crate::input::{self, InputArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input event file (.csv, .csv.gz, .parquet).
    #[arg(value_name = "IN")]
    pub input_file: PathBuf,
    /// Output file (.csv, .csv.gz, .parquet).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Number format of CSV output: g6 (the DarkMachines %g style; exact for values read from
    /// such files) or shortest (lossless for any value).
    #[arg(long, value_enum, default_value_t = PrecisionArg::G6)]
    pub precision: PrecisionArg,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrecisionArg {
    G6,
    Shortest,
}

/// Creates the writer for `path` by extension, with the CSV number format.
pub fn create_sink(path: &Path, precision: PrecisionArg) -> Result<Box<dyn EventSink>> {
    let precision = match precision {
        PrecisionArg::G6 => Precision::G6,
        PrecisionArg::Shortest => Precision::Shortest,
    };
    Ok(match Format::from_path(path) {
        Some(Format::Csv | Format::CsvGz) => {
            Box::new(CsvWriter::create(path, WriteOptions { precision, ..WriteOptions::default() })?)
        }
        Some(Format::Parquet) => oddity_io::create(path)?,
        None => return Err(IoError::UnknownFormat { path: path.into() }.into()),
    })
}

pub fn run(args: Args, global: Global) -> Result<()> {
    let mut sink = create_sink(&args.output, args.precision)?;
    let read =
        input::for_each_batch(&args.input_file, &args.input, input::rejects_name(&args.output), global, |batch| {
            Ok(sink.write(batch)?)
        })?;
    sink.finish()?;
    println!(
        "{} -> {}: {} events{}",
        args.input_file.display(),
        args.output.display(),
        read.report.events,
        if read.report.rejected > 0 {
            format!(", {} malformed line(s) rejected", read.report.rejected)
        } else {
            String::new()
        }
    );
    Ok(())
}
