use std::path::{Path, PathBuf};

use oddity_core::EventTable;

use crate::IoError;
use crate::csv::{CsvReader, CsvWriter, ReadOptions, ReadReport, Reject};
use crate::parquet::{ParquetReader, ParquetWriter};

/// A stream of event batches.
pub trait EventSource: Send {
    /// The next batch of at most `max` events (at least 1), or `None` at the end.
    fn next_batch(&mut self, max: usize) -> Result<Option<EventTable>, IoError>;
    /// What has been read so far (events, rejected lines, ...).
    fn report(&self) -> ReadReport;
    /// Lines rejected so far under `skip_bad_lines`, removed from the source (formats
    /// without lines have none).
    fn take_rejects(&mut self) -> Vec<Reject> {
        Vec::new()
    }
}

/// A destination for event batches. Files are written atomically: nothing appears under
/// the final name until [`EventSink::finish`] succeeds.
pub trait EventSink {
    /// Appends a batch.
    fn write(&mut self, table: &EventTable) -> Result<(), IoError>;
    /// Flushes and moves the file into place.
    fn finish(self: Box<Self>) -> Result<(), IoError>;
}

/// File formats known by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// DarkMachines CSV, `.csv`.
    Csv,
    /// gzip-compressed DarkMachines CSV, `.csv.gz`.
    CsvGz,
    /// Parquet, `.parquet` or `.pq`.
    Parquet,
}

impl Format {
    /// The format implied by a file name, `None` when the extension is not known.
    pub fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".csv.gz") {
            Some(Self::CsvGz)
        } else if name.ends_with(".csv") {
            Some(Self::Csv)
        } else if name.ends_with(".parquet") || name.ends_with(".pq") {
            Some(Self::Parquet)
        } else {
            None
        }
    }

    fn of(path: &Path) -> Result<Self, IoError> {
        Self::from_path(path).ok_or_else(|| IoError::UnknownFormat { path: PathBuf::from(path) })
    }
}

/// Opens an event file, choosing the reader by extension.
pub fn open(path: &Path, options: &ReadOptions) -> Result<Box<dyn EventSource>, IoError> {
    Ok(match Format::of(path)? {
        Format::Csv | Format::CsvGz => Box::new(CsvReader::open(path, options.clone())?),
        Format::Parquet => Box::new(ParquetReader::open(path)?),
    })
}

/// Creates an event file, choosing the writer by extension (`.csv.gz` is compressed).
pub fn create(path: &Path) -> Result<Box<dyn EventSink>, IoError> {
    Ok(match Format::of(path)? {
        Format::Csv | Format::CsvGz => Box::new(CsvWriter::create(path, Default::default())?),
        Format::Parquet => Box::new(ParquetWriter::create(path)?),
    })
}
