//! Oddity's event readers and writers.
//!
//! - [`csv`]: the DarkMachines variable-length CSV format (physics-spec §2), plain or gzip,
//!   streamed in bounded memory and parsed in parallel. [`CsvReader`] yields [`EventTable`]
//!   batches; [`CsvWriter`] writes them back in the same `%g` style.
//! - [`parquet`]: events as Parquet with a list-of-struct `objects` column that awkward-array
//!   users open with `ak.from_parquet`.
//! - [`root`]: flat numeric TTree branches (`FILE.root:tree/branch`, [`RootColumn`]) read
//!   into `f64` with oxyroot, highest key cycle first; [`list_root_file`] lists trees and
//!   branches. Missing trees and branches are reported with the available names nearest first.
//! - [`open`] dispatches on the file name (`.csv`, `.csv.gz`, `.parquet`) and returns an
//!   [`EventSource`].
//!
//! Errors ([`IoError`]) name the file, and for malformed lines the line and field.

pub mod atomic;
pub mod csv;
mod error;
pub mod npz;
pub mod parquet;
pub mod root;
mod source;

pub use csv::{CsvReader, CsvWriter, Precision, ReadOptions, ReadReport, Reject};
pub use error::{IoError, ParseError};
pub use oddity_core::EventTable;
pub use root::{RootColumn, RootListing, list_root_file, read_root_column};
pub use source::{EventSink, EventSource, Format, create, open};
