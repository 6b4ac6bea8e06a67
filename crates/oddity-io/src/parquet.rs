//! Events as Parquet, one row per event with a list-of-struct `objects` column
//! (layout in `docs/parquet-schema.md`).
//!
//! ```text
//! event_id: int64, process: utf8, weight: float64, met: float64, met_phi: float64,
//! source_line: uint64, objects: list<struct<type: int8, e, pt, eta, phi: float64>>
//! ```
//!
//! [`ParquetWriter`] builds the Arrow arrays directly from the columns of an [`EventTable`]
//! (the object offsets become the list offsets), compresses with zstd and moves the file into
//! place only when [`EventSink::finish`] succeeds. [`ParquetReader`] streams record batches in
//! bounded memory and accepts files written by other tools (pyarrow, awkward): plain or
//! dictionary-encoded strings, 32- or 64-bit list offsets, nullable fields without nulls, extra
//! columns, and no `source_line` column.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, GenericListArray, Int8Array, Int64Array, ListArray, OffsetSizeTrait,
    RecordBatch, StringArray, StructArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, Fields, Float64Type, Int8Type, Int64Type, Schema, SchemaRef, UInt64Type};
use oddity_core::{EventTable, ObjectKind};
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use tempfile::NamedTempFile;

use crate::csv::ReadReport;
use crate::{EventSink, EventSource, IoError};

/// Value of the `oddity.schema` file metadata key written by this version.
pub const SCHEMA_VERSION: &str = "events/1";
/// File metadata key holding [`SCHEMA_VERSION`].
pub const SCHEMA_KEY: &str = "oddity.schema";
/// File metadata key holding the energy unit (`GeV`).
pub const UNITS_KEY: &str = "oddity.units";
/// File metadata key holding the legend of the `objects.type` codes.
pub const TYPE_CODES_KEY: &str = "oddity.type_codes";
/// The legend of the `objects.type` codes ([`ObjectKind::code`]).
pub const TYPE_CODES: &str = "1=j,2=b,3=e-,4=e+,5=m-,6=m+,7=g";

/// Events per row group: ~10 MB of encoded data held in memory by the writer.
const ROW_GROUP_EVENTS: usize = 128 * 1024;
/// Events per decoded record batch in the reader.
const READ_BATCH_EVENTS: usize = 8192;
/// Name of the list element field (the Parquet spec's and pyarrow's choice).
const LIST_ITEM: &str = "element";

const EVENT_COLUMNS: [&str; 7] = ["event_id", "process", "weight", "met", "met_phi", "source_line", "objects"];
const OBJECT_FIELDS: [&str; 5] = ["type", "e", "pt", "eta", "phi"];
const EXPECTED: &str = "event_id: int64, process: utf8, weight: float64, met: float64, \
     met_phi: float64, source_line: uint64 (optional), \
     objects: list<struct<type: int8, e: float64, pt: float64, eta: float64, phi: float64>>";

fn object_fields() -> Fields {
    let mut fields = vec![Field::new("type", DataType::Int8, false)];
    fields.extend(OBJECT_FIELDS[1..].iter().map(|n| Field::new(*n, DataType::Float64, false)));
    Fields::from(fields)
}

fn list_item_field() -> Arc<Field> {
    Arc::new(Field::new(LIST_ITEM, DataType::Struct(object_fields()), false))
}

/// The Arrow schema Oddity writes (every field non-null).
pub fn event_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("event_id", DataType::Int64, false),
        Field::new("process", DataType::Utf8, false),
        Field::new("weight", DataType::Float64, false),
        Field::new("met", DataType::Float64, false),
        Field::new("met_phi", DataType::Float64, false),
        Field::new("source_line", DataType::UInt64, false),
        Field::new("objects", DataType::List(list_item_field()), false),
    ]))
}

fn parquet_err(path: &Path, message: impl Into<String>) -> IoError {
    IoError::Parquet { path: path.to_path_buf(), message: message.into() }
}

/// Maps a writer error: OS errors become [`IoError::Write`], the rest [`IoError::Parquet`].
fn write_err(path: &Path, e: ParquetError) -> IoError {
    match e {
        ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
            Ok(source) => IoError::Write { path: path.to_path_buf(), source: *source },
            Err(inner) => parquet_err(path, format!("cannot write Parquet: {inner}")),
        },
        other => parquet_err(path, format!("cannot write Parquet: {other}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

/// Writes [`EventTable`] batches to a zstd-compressed Parquet file.
///
/// Batches are appended to row groups of up to 131072 events. The data goes to a temporary
/// file in the destination directory, renamed to the final name by [`EventSink::finish`]; a
/// writer dropped before `finish` leaves nothing behind.
pub struct ParquetWriter {
    path: PathBuf,
    writer: ArrowWriter<BufWriter<NamedTempFile>>,
    schema: SchemaRef,
}

impl std::fmt::Debug for ParquetWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetWriter").field("path", &self.path).finish_non_exhaustive()
    }
}

impl ParquetWriter {
    /// Starts writing `path` (through a temporary file next to it).
    pub fn create(path: &Path) -> Result<Self, IoError> {
        let tmp =
            crate::atomic::temp_file_beside(path).map_err(|source| IoError::Write { path: path.into(), source })?;
        let level = ZstdLevel::try_new(3).map_err(|e| write_err(path, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_max_row_group_row_count(Some(ROW_GROUP_EVENTS))
            .set_key_value_metadata(Some(vec![
                KeyValue::new(SCHEMA_KEY.to_owned(), SCHEMA_VERSION.to_owned()),
                KeyValue::new(UNITS_KEY.to_owned(), "GeV".to_owned()),
                KeyValue::new(TYPE_CODES_KEY.to_owned(), TYPE_CODES.to_owned()),
            ]))
            .build();
        let schema = event_schema();
        let writer = ArrowWriter::try_new(BufWriter::with_capacity(1 << 20, tmp), schema.clone(), Some(props))
            .map_err(|e| write_err(path, e))?;
        Ok(Self { path: path.into(), writer, schema })
    }
}

/// Checks the invariants the Arrow arrays rely on (the table's fields are public).
fn check_table(t: &EventTable) -> Result<(), String> {
    let n = t.weight.len();
    let lens = [
        ("event_id", t.event_id.len()),
        ("process", t.process.len()),
        ("met", t.met.len()),
        ("met_phi", t.met_phi.len()),
        ("source_line", t.source_line.len()),
    ];
    if let Some((col, got)) = lens.iter().find(|(_, l)| *l != n) {
        return Err(format!("invalid event table: column '{col}' has {got} entries, expected {n}"));
    }
    let m = t.kind.len();
    let obj = [("e", t.e.len()), ("pt", t.pt.len()), ("eta", t.eta.len()), ("phi", t.phi.len())];
    if let Some((col, got)) = obj.iter().find(|(_, l)| *l != m) {
        return Err(format!("invalid event table: column '{col}' has {got} entries, expected {m}"));
    }
    let offsets_ok = t.offsets.len() == n + 1
        && t.offsets[0] == 0
        && t.offsets.windows(2).all(|w| w[0] <= w[1])
        && t.offsets[n] == m as u64;
    if !offsets_ok {
        return Err(format!("invalid event table: offsets are not a valid list of {n} events over {m} objects"));
    }
    if m > i32::MAX as usize {
        return Err(format!(
            "a batch of {m} objects exceeds the 2^31 objects of one Arrow list; write smaller batches"
        ));
    }
    let names = t.process_names.len();
    if let Some((i, p)) = t.process.iter().enumerate().find(|(_, p)| **p as usize >= names) {
        return Err(format!("invalid event table: process index {p} of event {i} is out of range ({names} names)"));
    }
    Ok(())
}

/// The record batch of a table that passed [`check_table`].
fn to_record_batch(t: &EventTable, schema: &SchemaRef) -> Result<RecordBatch, arrow::error::ArrowError> {
    let f64s = |v: &[f64]| -> ArrayRef { Arc::new(Float64Array::new(ScalarBuffer::from(v.to_vec()), None)) };
    let kind: Int8Array = t.kind.iter().map(|k| k.code() as i8).collect::<Vec<_>>().into();
    let objects = StructArray::try_new(
        object_fields(),
        vec![Arc::new(kind), f64s(&t.e), f64s(&t.pt), f64s(&t.eta), f64s(&t.phi)],
        None,
    )?;
    // check_table: offsets start at 0, never decrease, and end at m <= i32::MAX.
    let offsets: Vec<i32> = t.offsets.iter().map(|&o| o as i32).collect();
    let list =
        ListArray::try_new(list_item_field(), OffsetBuffer::new(ScalarBuffer::from(offsets)), Arc::new(objects), None)?;
    let names = &t.process_names;
    let process = StringArray::from_iter_values(t.process.iter().map(|&p| names[p as usize].as_str()));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(t.event_id.clone())),
        Arc::new(process),
        f64s(&t.weight),
        f64s(&t.met),
        f64s(&t.met_phi),
        Arc::new(arrow::array::UInt64Array::from(t.source_line.clone())),
        Arc::new(list),
    ];
    RecordBatch::try_new(schema.clone(), columns)
}

impl EventSink for ParquetWriter {
    fn write(&mut self, table: &EventTable) -> Result<(), IoError> {
        if table.is_empty() {
            return Ok(());
        }
        check_table(table).map_err(|m| parquet_err(&self.path, m))?;
        let batch = to_record_batch(table, &self.schema)
            .map_err(|e| parquet_err(&self.path, format!("cannot build Arrow arrays: {e}")))?;
        self.writer.write(&batch).map_err(|e| write_err(&self.path, e))
    }

    fn finish(self: Box<Self>) -> Result<(), IoError> {
        let path = self.path;
        let buf = self.writer.into_inner().map_err(|e| write_err(&path, e))?;
        let werr = |source: std::io::Error| IoError::Write { path: path.clone(), source };
        let tmp = buf.into_inner().map_err(|e| werr(e.into_error()))?;
        tmp.as_file().sync_all().map_err(werr)?;
        tmp.persist(&path).map_err(|e| werr(e.error))?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------

/// Reads an event Parquet file as [`EventTable`] batches, one record batch of at most 8192
/// events decoded at a time.
///
/// The schema is checked when the file is opened; values (nulls, object type codes) as they
/// are read. Rows in error messages are 0-based event indices in the file.
pub struct ParquetReader {
    path: PathBuf,
    reader: ParquetRecordBatchReader,
    has_source_line: bool,
    /// The decoded batch being handed out, if any.
    current: Option<Decoded>,
    /// Events taken from the file's earlier record batches.
    rows_before: u64,
    /// Events returned.
    events: u64,
}

impl std::fmt::Debug for ParquetReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetReader").field("path", &self.path).field("events", &self.events).finish_non_exhaustive()
    }
}

/// Human name of a data type for messages, in the schema document's spelling.
fn type_name(t: &DataType) -> String {
    match t {
        DataType::Int8 => "int8".into(),
        DataType::Int16 => "int16".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::UInt8 => "uint8".into(),
        DataType::UInt16 => "uint16".into(),
        DataType::UInt32 => "uint32".into(),
        DataType::UInt64 => "uint64".into(),
        DataType::Float16 => "float16".into(),
        DataType::Float32 => "float32".into(),
        DataType::Float64 => "float64".into(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "utf8".into(),
        other => other.to_string(),
    }
}

fn is_string(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => matches!(**v, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View),
        _ => false,
    }
}

fn wrong_type(column: &str, found: &DataType, expected: &str) -> String {
    format!("column '{column}' has type {}, expected {expected}", type_name(found))
}

/// Checks the type of one top-level column.
fn check_column(name: &str, t: &DataType) -> Result<(), String> {
    let ok = match name {
        "event_id" => *t == DataType::Int64,
        "process" => is_string(t),
        "weight" | "met" | "met_phi" => *t == DataType::Float64,
        "source_line" => matches!(t, DataType::UInt64 | DataType::Int64),
        "objects" => return check_objects(t),
        _ => true,
    };
    let expected = match name {
        "event_id" => "int64",
        "process" => "utf8 (plain or dictionary)",
        "source_line" => "uint64",
        _ => "float64",
    };
    if ok { Ok(()) } else { Err(wrong_type(name, t, expected)) }
}

fn check_objects(t: &DataType) -> Result<(), String> {
    const LIST: &str = "list<struct<type: int8, e: float64, pt: float64, eta: float64, phi: float64>>";
    let item = match t {
        DataType::List(f) | DataType::LargeList(f) => f,
        other => return Err(wrong_type("objects", other, LIST)),
    };
    let DataType::Struct(fields) = item.data_type() else {
        return Err(format!("column 'objects' has type list<{}>, expected {LIST}", type_name(item.data_type())));
    };
    for name in OBJECT_FIELDS {
        let Some((_, f)) = fields.find(name) else {
            let present: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
            return Err(format!(
                "column 'objects' lacks the struct field '{name}'; its fields are [{}], expected [{}]",
                present.join(", "),
                OBJECT_FIELDS.join(", ")
            ));
        };
        let (ok, expected) = if name == "type" {
            (*f.data_type() == DataType::Int8, "int8")
        } else {
            (*f.data_type() == DataType::Float64, "float64")
        };
        if !ok {
            return Err(wrong_type(&format!("objects.{name}"), f.data_type(), expected));
        }
    }
    Ok(())
}

impl ParquetReader {
    /// Opens `path` and checks its schema.
    pub fn open(path: &Path) -> Result<Self, IoError> {
        let file = File::open(path).map_err(|source| IoError::Open { path: path.into(), source })?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| parquet_err(path, format!("not a readable Parquet file: {e}")))?;
        if let Some(kv) = builder.metadata().file_metadata().key_value_metadata() {
            if let Some(v) = kv.iter().find(|kv| kv.key == SCHEMA_KEY).and_then(|kv| kv.value.as_deref()) {
                if v != SCHEMA_VERSION {
                    return Err(parquet_err(
                        path,
                        format!("{SCHEMA_KEY} is '{v}', this version of Oddity reads '{SCHEMA_VERSION}'"),
                    ));
                }
            }
        }
        let schema = builder.schema().clone();
        let present: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let mut roots = Vec::with_capacity(EVENT_COLUMNS.len());
        let mut has_source_line = false;
        for name in EVENT_COLUMNS {
            match schema.index_of(name) {
                Ok(i) => {
                    check_column(name, schema.field(i).data_type()).map_err(|m| parquet_err(path, m))?;
                    roots.push(i);
                    has_source_line |= name == "source_line";
                }
                Err(_) if name == "source_line" => {}
                Err(_) => {
                    return Err(parquet_err(
                        path,
                        format!(
                            "missing column '{name}'; the file has columns [{}]; expected {EXPECTED}",
                            present.join(", ")
                        ),
                    ));
                }
            }
        }
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        let reader = builder
            .with_projection(mask)
            .with_batch_size(READ_BATCH_EVENTS)
            .build()
            .map_err(|e| parquet_err(path, format!("cannot read Parquet: {e}")))?;
        Ok(Self { path: path.into(), reader, has_source_line, current: None, rows_before: 0, events: 0 })
    }

    /// The next decoded record batch, `None` at the end of the file.
    fn fetch(&mut self) -> Result<Option<Decoded>, IoError> {
        loop {
            let Some(batch) = self.reader.next() else { return Ok(None) };
            let batch = batch.map_err(|e| parquet_err(&self.path, format!("cannot read Parquet data: {e}")))?;
            if batch.num_rows() == 0 {
                continue;
            }
            let first_row = self.rows_before;
            self.rows_before += batch.num_rows() as u64;
            return Decoded::new(&batch, first_row, self.has_source_line)
                .map(Some)
                .map_err(|m| parquet_err(&self.path, m));
        }
    }
}

/// The columns of one record batch, checked for nulls and ready to copy.
struct Decoded {
    /// Next event to hand out.
    pos: usize,
    len: usize,
    event_id: ScalarBuffer<i64>,
    process: StringArray,
    weight: ScalarBuffer<f64>,
    met: ScalarBuffer<f64>,
    met_phi: ScalarBuffer<f64>,
    source_line: Option<ScalarBuffer<u64>>,
    /// `len + 1` object indices into the columns below.
    offsets: Vec<usize>,
    /// Object kinds from `offsets[0]` on (the other object columns start at index 0).
    kind: Vec<ObjectKind>,
    e: ScalarBuffer<f64>,
    pt: ScalarBuffer<f64>,
    eta: ScalarBuffer<f64>,
    phi: ScalarBuffer<f64>,
}

fn first_null(nulls: Option<&NullBuffer>) -> Option<usize> {
    nulls.filter(|n| n.null_count() > 0).and_then(|n| (0..n.len()).find(|&i| n.is_null(i)))
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, String> {
    batch.column_by_name(name).ok_or_else(|| format!("missing column '{name}'"))
}

impl Decoded {
    fn new(batch: &RecordBatch, first_row: u64, has_source_line: bool) -> Result<Self, String> {
        let len = batch.num_rows();
        let null_err =
            |name: &str, i: usize| format!("column '{name}' is null in row {} (0-based)", first_row + i as u64);
        let checked = |name: &str| -> Result<&ArrayRef, String> {
            let a = column(batch, name)?;
            match first_null(a.logical_nulls().as_ref()) {
                Some(i) => Err(null_err(name, i)),
                None => Ok(a),
            }
        };
        let f64s = |name: &str| -> Result<ScalarBuffer<f64>, String> {
            let a = checked(name)?;
            let p = a.as_primitive_opt::<Float64Type>().ok_or_else(|| wrong_type(name, a.data_type(), "float64"))?;
            Ok(p.values().clone())
        };
        let ids = checked("event_id")?;
        let event_id = ids
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| wrong_type("event_id", ids.data_type(), "int64"))?
            .values()
            .clone();
        let process =
            arrow::compute::cast(checked("process")?, &DataType::Utf8).map_err(|e| format!("column 'process': {e}"))?;
        let process = process.as_string_opt::<i32>().cloned().ok_or("column 'process' is not utf8")?;
        let source_line = if has_source_line {
            let a = checked("source_line")?;
            Some(match a.data_type() {
                DataType::Int64 => {
                    let v = a.as_primitive::<Int64Type>().values();
                    if let Some(i) = v.iter().position(|&x| x < 0) {
                        return Err(format!(
                            "column 'source_line' is negative ({}) in row {} (0-based)",
                            v[i],
                            first_row + i as u64
                        ));
                    }
                    v.iter().map(|&x| x as u64).collect()
                }
                t => a
                    .as_primitive_opt::<UInt64Type>()
                    .ok_or_else(|| wrong_type("source_line", t, "uint64"))?
                    .values()
                    .clone(),
            })
        } else {
            None
        };
        let objects = checked("objects")?;
        let (offsets, values) = if let Some(l) = objects.as_list_opt::<i32>() {
            list_parts(l)
        } else if let Some(l) = objects.as_list_opt::<i64>() {
            list_parts(l)
        } else {
            return Err(wrong_type("objects", objects.data_type(), "list<struct<...>>"));
        };
        let row_of = |j: usize| first_row + offsets.partition_point(|&o| o <= j).saturating_sub(1) as u64;
        let structs =
            values.as_struct_opt().ok_or_else(|| wrong_type("objects", objects.data_type(), "list<struct<...>>"))?;
        if let Some(j) = first_null(structs.logical_nulls().as_ref()) {
            return Err(format!("column 'objects' has a null object in row {} (0-based)", row_of(j)));
        }
        let field = |name: &str| -> Result<&ArrayRef, String> {
            let a = structs
                .column_by_name(name)
                .ok_or_else(|| format!("column 'objects' lacks the struct field '{name}'"))?;
            match first_null(a.logical_nulls().as_ref()) {
                Some(j) => Err(format!("column 'objects.{name}' is null in row {} (0-based)", row_of(j))),
                None => Ok(a),
            }
        };
        let obj_f64 = |name: &str| -> Result<ScalarBuffer<f64>, String> {
            let a = field(name)?;
            let p = a
                .as_primitive_opt::<Float64Type>()
                .ok_or_else(|| wrong_type(&format!("objects.{name}"), a.data_type(), "float64"))?;
            Ok(p.values().clone())
        };
        let codes = field("type")?;
        let codes = codes
            .as_primitive_opt::<Int8Type>()
            .ok_or_else(|| wrong_type("objects.type", codes.data_type(), "int8"))?
            .values();
        let e = obj_f64("e")?;
        let pt = obj_f64("pt")?;
        let eta = obj_f64("eta")?;
        let phi = obj_f64("phi")?;
        let start = offsets.first().copied().unwrap_or(0);
        let end = offsets.last().copied().unwrap_or(0);
        if [codes.len(), e.len(), pt.len(), eta.len(), phi.len()].iter().any(|&l| l < end) {
            return Err("column 'objects': list offsets run past the object values".into());
        }
        // Decoded once here (one byte per object) so that `take` cannot fail.
        let mut kind = Vec::with_capacity(end - start);
        for (j, &c) in codes[start..end].iter().enumerate() {
            let Some(k) = u8::try_from(c).ok().and_then(ObjectKind::from_code) else {
                return Err(format!(
                    "objects.type value {c} in row {} (0-based) is not an object type code (expected 1..7: {TYPE_CODES})",
                    row_of(start + j)
                ));
            };
            kind.push(k);
        }
        Ok(Self {
            pos: 0,
            len,
            event_id,
            process,
            weight: f64s("weight")?,
            met: f64s("met")?,
            met_phi: f64s("met_phi")?,
            source_line,
            offsets,
            kind,
            e,
            pt,
            eta,
            phi,
        })
    }

    fn remaining(&self) -> usize {
        self.len - self.pos
    }

    /// Moves the next `k` events into `t`.
    fn take(&mut self, k: usize, t: &mut EventTable) {
        let (a, b) = (self.pos, self.pos + k);
        t.event_id.extend_from_slice(&self.event_id[a..b]);
        for i in a..b {
            let p = t.intern_process(self.process.value(i));
            t.process.push(p);
        }
        t.weight.extend_from_slice(&self.weight[a..b]);
        t.met.extend_from_slice(&self.met[a..b]);
        t.met_phi.extend_from_slice(&self.met_phi[a..b]);
        match &self.source_line {
            Some(s) => t.source_line.extend_from_slice(&s[a..b]),
            None => t.source_line.resize(t.source_line.len() + k, 0),
        }
        let (lo, hi) = (self.offsets[a], self.offsets[b]);
        let base = t.kind.len();
        t.offsets.extend(self.offsets[a + 1..=b].iter().map(|&o| (o - lo + base) as u64));
        let k0 = self.offsets[0];
        t.kind.extend_from_slice(&self.kind[lo - k0..hi - k0]);
        t.e.extend_from_slice(&self.e[lo..hi]);
        t.pt.extend_from_slice(&self.pt[lo..hi]);
        t.eta.extend_from_slice(&self.eta[lo..hi]);
        t.phi.extend_from_slice(&self.phi[lo..hi]);
        self.pos = b;
    }
}

/// The offsets (as object indices) and object values of a list column without list nulls.
fn list_parts<O: OffsetSizeTrait>(l: &GenericListArray<O>) -> (Vec<usize>, ArrayRef) {
    (l.offsets().iter().map(|o| o.as_usize()).collect(), l.values().clone())
}

impl EventSource for ParquetReader {
    fn next_batch(&mut self, max: usize) -> Result<Option<EventTable>, IoError> {
        let max = max.max(1);
        let mut table: Option<EventTable> = None;
        while table.as_ref().map_or(0, EventTable::len) < max {
            let cur = match &mut self.current {
                Some(c) if c.remaining() > 0 => c,
                _ => match self.fetch()? {
                    Some(d) => self.current.insert(d),
                    None => {
                        self.current = None;
                        break;
                    }
                },
            };
            let t = table.get_or_insert_with(|| EventTable::with_capacity(max.min(cur.remaining()), 0));
            let k = cur.remaining().min(max - t.len());
            cur.take(k, t);
        }
        if let Some(t) = &table {
            self.events += t.len() as u64;
        }
        Ok(table)
    }

    fn report(&self) -> ReadReport {
        ReadReport { events: self.events, ..ReadReport::default() }
    }
}
