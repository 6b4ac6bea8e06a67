//! Parquet reader and writer: round trips, batching, schema and value errors, atomic writes,
//! and a file checked with awkward-array (`tools/reference/parquet_awkward_check.py`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, DictionaryArray, Float32Array, Float64Array, Int8Array, Int32Array, Int64Array, LargeListArray,
    ListArray, RecordBatch, StringArray, StructArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Fields, Int32Type, Schema};
use oddity_core::{EventHeader, ObjectKind};
use oddity_io::parquet::{ParquetReader, ParquetWriter};
use oddity_io::{EventSink, EventSource, EventTable, IoError};
use parquet::arrow::ArrowWriter;

fn header(event_id: i64, process: &str, weight: f64, source_line: u64) -> EventHeader<'_> {
    EventHeader { event_id, process, weight, met: 10.0 + weight.abs().sqrt(), met_phi: -1.25, source_line }
}

/// Events with every kind, an empty event, several processes and extreme values.
fn hand_built() -> EventTable {
    let mut t = EventTable::new();
    t.push_event(header(1, "ttbar", 1e-7, 2));
    for (i, kind) in ObjectKind::ALL.into_iter().enumerate() {
        let x = i as f64;
        t.push_object(kind, 100.0 + x * 1.1, 50.0 + x / 3.0, -2.5 + x * 0.7, std::f64::consts::PI - x);
    }
    t.push_event(header(1, "njets", 1e3, 3)); // repeated event_id, no objects
    t.push_event(header(-42, "wjets", 0.1 + 0.2, 5));
    t.push_object(ObjectKind::MuonPlus, f64::MIN_POSITIVE / 4.0, -0.0, f64::MAX, f64::EPSILON);
    t.push_object(ObjectKind::Photon, 1.0 / 3.0, 7e-300, f64::INFINITY, -std::f64::consts::PI);
    t.push_event(header(i64::MAX, "ttbar", 123.456_789_012_345_67, u64::MAX));
    t.push_object(ObjectKind::BJet, 2.0e4, 1.5e3, 0.0, 0.0);
    t.push_event(header(i64::MIN, "single top", 3.3e-5, 0));
    t.met[4] = f64::NAN;
    t
}

/// Equality with floats compared bit for bit (NaN, −0.0).
fn assert_same(a: &EventTable, b: &EventTable) {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(a.len(), b.len());
    assert_eq!(a.event_id, b.event_id);
    let names = |t: &EventTable| t.process.iter().map(|&p| t.process_names[p as usize].clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b));
    for (name, x, y) in [
        ("weight", &a.weight, &b.weight),
        ("met", &a.met, &b.met),
        ("met_phi", &a.met_phi, &b.met_phi),
        ("e", &a.e, &b.e),
        ("pt", &a.pt, &b.pt),
        ("eta", &a.eta, &b.eta),
        ("phi", &a.phi, &b.phi),
    ] {
        assert_eq!(bits(x), bits(y), "column {name}");
    }
    assert_eq!(a.source_line, b.source_line);
    assert_eq!(a.offsets, b.offsets);
    assert_eq!(a.kind, b.kind);
}

fn write_file(path: &Path, batches: &[EventTable]) {
    let mut w = Box::new(ParquetWriter::create(path).expect("create"));
    for b in batches {
        w.write(b).expect("write");
    }
    w.finish().expect("finish");
}

/// Reads the whole file in batches of `max`, returning the batch sizes and their concatenation.
fn read_all(path: &Path, max: usize) -> (Vec<usize>, EventTable) {
    let mut r = ParquetReader::open(path).expect("open");
    let mut sizes = Vec::new();
    let mut all = EventTable::new();
    while let Some(b) = r.next_batch(max).expect("next_batch") {
        sizes.push(b.len());
        all.append(&b);
    }
    assert_eq!(r.report().events, all.len() as u64);
    (sizes, all)
}

fn read_err(path: &Path) -> String {
    let res = ParquetReader::open(path).and_then(|mut r| {
        while r.next_batch(1000)?.is_some() {}
        Ok(())
    });
    match res {
        Err(e @ IoError::Parquet { .. }) => e.to_string(),
        Err(e) => panic!("expected a Parquet error, got {e:?}"),
        Ok(()) => panic!("expected an error"),
    }
}

/// `n` events with 0..=6 objects of rotating kinds and distinct values.
fn generated(n: usize) -> EventTable {
    let procs = ["ttbar", "njets", "wjets", "zjets"];
    let mut t = EventTable::new();
    for i in 0..n {
        let w = 10f64.powi((i % 11) as i32 - 7) * (1.0 + i as f64 / 7.0);
        t.push_event(header(i as i64 / 3, procs[(i / 5) % 4], w, i as u64 + 1));
        for j in 0..(i * 7 + 3) % 7 {
            let x = (i * 31 + j) as f64;
            t.push_object(
                ObjectKind::ALL[(i + j) % 7],
                x * 1.5 + 0.1,
                x + 0.3,
                (x * 0.37).sin() * 2.5,
                (x * 0.11).cos() * 3.0,
            );
        }
    }
    t
}

#[test]
fn round_trip_is_bit_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.parquet");
    let t = hand_built();
    write_file(&path, std::slice::from_ref(&t));
    let (sizes, back) = read_all(&path, usize::MAX);
    assert_eq!(sizes, vec![5]);
    assert_same(&t, &back);
    assert_eq!(back.process_names, vec!["ttbar", "njets", "wjets", "single top"]);
    assert_eq!(back.offsets, vec![0, 7, 7, 9, 10, 10]);
    assert!(back.event(1).objects.is_empty());
}

#[test]
fn batches_of_1000_read_back_in_batches_of_700() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("batched.parquet");
    let t = generated(2500);
    let batches: Vec<EventTable> = (0..3).map(|k| t.slice(k * 1000..((k + 1) * 1000).min(2500))).collect();
    write_file(&path, &batches);
    let (sizes, back) = read_all(&path, 700);
    assert_eq!(sizes, vec![700, 700, 700, 400]);
    assert_same(&t, &back);
}

#[test]
fn batches_cross_record_batch_and_row_group_boundaries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.parquet");
    let t = generated(140_000); // > one row group (131072) and many 8192-event record batches
    write_file(&path, &[t.slice(0..3), t.slice(3..100_000), t.slice(100_000..140_000)]);
    let (sizes, back) = read_all(&path, 5000);
    assert_eq!(sizes.len(), 28);
    assert!(sizes.iter().all(|&s| s == 5000));
    assert_same(&t, &back);
}

#[test]
fn writes_file_metadata_and_open_create_dispatch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("meta.pq");
    let mut sink = oddity_io::create(&path).expect("create");
    sink.write(&hand_built()).expect("write");
    sink.write(&EventTable::default()).expect("empty batch");
    sink.finish().expect("finish");

    let file = std::fs::File::open(&path).expect("open");
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(file).expect("parquet");
    use parquet::file::reader::FileReader;
    let kv = reader.metadata().file_metadata().key_value_metadata().expect("kv").clone();
    let get = |k: &str| kv.iter().find(|kv| kv.key == k).and_then(|kv| kv.value.clone());
    assert_eq!(get("oddity.schema").as_deref(), Some("events/1"));
    assert_eq!(get("oddity.units").as_deref(), Some("GeV"));
    assert_eq!(get("oddity.type_codes").as_deref(), Some("1=j,2=b,3=e-,4=e+,5=m-,6=m+,7=g"));

    let mut src = oddity_io::open(&path, &Default::default()).expect("open");
    let back = src.next_batch(100).expect("read").expect("events");
    assert_same(&hand_built(), &back);
    assert!(src.next_batch(100).expect("read").is_none());
}

#[test]
fn empty_file_round_trips() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty.parquet");
    write_file(&path, &[]);
    let mut r = ParquetReader::open(&path).expect("open");
    assert!(r.next_batch(10).expect("read").is_none());
    assert_eq!(r.report().events, 0);
}

#[test]
fn write_is_atomic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("atomic.parquet");
    let listing = || {
        let mut v: Vec<String> = std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let mut w = Box::new(ParquetWriter::create(&path).expect("create"));
    w.write(&generated(3000)).expect("write");
    assert!(!path.exists(), "nothing under the final name before finish");
    assert_eq!(listing().len(), 1, "one temporary file: {:?}", listing());
    drop(w);
    assert!(listing().is_empty(), "an abandoned write leaves nothing: {:?}", listing());

    std::fs::write(&path, b"old contents").expect("old file");
    let mut w = Box::new(ParquetWriter::create(&path).expect("create"));
    w.write(&generated(10)).expect("write");
    assert_eq!(std::fs::read(&path).expect("read"), b"old contents", "old file untouched before finish");
    w.finish().expect("finish");
    assert_eq!(listing(), vec!["atomic.parquet"]);
    assert_eq!(read_all(&path, 100).1.len(), 10);
}

#[test]
fn invalid_table_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = hand_built();
    t.offsets[2] = 1;
    let mut w = Box::new(ParquetWriter::create(&dir.path().join("x.parquet")).expect("create"));
    let err = w.write(&t).expect_err("decreasing offsets").to_string();
    assert!(err.contains("offsets"), "{err}");
    let mut t = hand_built();
    t.process[0] = 99;
    let err = w.write(&t).expect_err("bad process").to_string();
    assert!(err.contains("process index 99"), "{err}");
}

// ----- files written by other tools ------------------------------------------------------

fn object_fields(type_type: DataType, nullable: bool) -> Fields {
    let mut f = vec![Field::new("type", type_type, nullable)];
    f.extend(["e", "pt", "eta", "phi"].map(|n| Field::new(n, DataType::Float64, nullable)));
    Fields::from(f)
}

/// Objects as a `list<struct>` column; `codes[i]` are the type codes of event `i`.
fn objects(codes: &[&[i8]]) -> ArrayRef {
    let flat: Vec<i8> = codes.iter().flat_map(|c| c.iter().copied()).collect();
    let m = flat.len();
    let vals = |k: f64| -> ArrayRef { Arc::new(Float64Array::from((0..m).map(|j| j as f64 + k).collect::<Vec<_>>())) };
    let s = StructArray::new(
        object_fields(DataType::Int8, false),
        vec![Arc::new(Int8Array::from(flat)), vals(100.0), vals(50.0), vals(0.5), vals(0.25)],
        None,
    );
    let item = Arc::new(Field::new("element", s.data_type().clone(), false));
    Arc::new(ListArray::new(item, OffsetBuffer::from_lengths(codes.iter().map(|c| c.len())), Arc::new(s), None))
}

fn write_arrow(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let fields: Vec<Field> =
        columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), a.null_count() > 0)).collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).expect("batch");
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).expect("create"), schema, None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

fn f64s(v: &[f64]) -> ArrayRef {
    Arc::new(Float64Array::from(v.to_vec()))
}

/// Three events as a foreign tool would write them (no source_line).
fn foreign_columns() -> Vec<(&'static str, ArrayRef)> {
    vec![
        ("event_id", Arc::new(Int64Array::from(vec![7, 8, 9]))),
        ("process", Arc::new(StringArray::from(vec!["ttbar", "ttbar", "wjets"]))),
        ("weight", f64s(&[1.0, 2.0, 3.0])),
        ("met", f64s(&[10.0, 20.0, 30.0])),
        ("met_phi", f64s(&[0.1, 0.2, 0.3])),
        ("objects", objects(&[&[1, 2], &[], &[7]])),
    ]
}

fn foreign_path(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    (dir, path)
}

#[test]
fn reads_foreign_file_without_source_line() {
    let (_dir, path) = foreign_path("foreign.parquet");
    let mut cols = foreign_columns();
    cols.push(("extra", f64s(&[0.0, 0.0, 0.0]))); // ignored
    write_arrow(&path, cols);
    let (_, t) = read_all(&path, 10);
    assert_eq!(t.source_line, vec![0, 0, 0]);
    assert_eq!(t.event_id, vec![7, 8, 9]);
    assert_eq!(t.offsets, vec![0, 2, 2, 3]);
    assert_eq!(t.kind, vec![ObjectKind::Jet, ObjectKind::BJet, ObjectKind::Photon]);
    assert_eq!(t.pt, vec![50.0, 51.0, 52.0]);
    assert_eq!(t.event(2).process, "wjets");
}

#[test]
fn reads_dictionary_strings_large_lists_and_int64_source_line() {
    let (_dir, path) = foreign_path("awkwardish.parquet");
    let mut cols = foreign_columns();
    let dict: DictionaryArray<Int32Type> = vec!["ttbar", "ttbar", "wjets"].into_iter().collect();
    cols[1].1 = Arc::new(dict);
    let list = cols[5].1.as_any().downcast_ref::<ListArray>().expect("list").clone();
    let (field, offsets, values, nulls) = list.into_parts();
    let large = LargeListArray::new(field, OffsetBuffer::<i64>::from_lengths(offsets.lengths()), values, nulls);
    cols[5].1 = Arc::new(large);
    cols.push(("source_line", Arc::new(Int64Array::from(vec![3, 4, 5]))));
    write_arrow(&path, cols);
    let (_, t) = read_all(&path, 2);
    assert_eq!(t.source_line, vec![3, 4, 5]);
    assert_eq!(t.process_names, vec!["ttbar", "wjets"]);
    assert_eq!(t.offsets, vec![0, 2, 2, 3]);
    assert_eq!(t.phi, vec![0.25, 1.25, 2.25]);
}

#[test]
fn missing_column_lists_present_and_expected() {
    let (_dir, path) = foreign_path("missing.parquet");
    let cols = foreign_columns().into_iter().filter(|(n, _)| *n != "met").collect();
    write_arrow(&path, cols);
    let err = read_err(&path);
    assert!(err.contains("missing column 'met'"), "{err}");
    assert!(err.contains("[event_id, process, weight, met_phi, objects]"), "{err}");
    assert!(err.contains("expected event_id: int64") && err.contains("met: float64"), "{err}");
    assert!(err.contains("missing.parquet"), "{err}");
}

#[test]
fn missing_object_field_is_named() {
    let (_dir, path) = foreign_path("nopt.parquet");
    let mut cols = foreign_columns();
    let s = StructArray::new(
        Fields::from(vec![Field::new("type", DataType::Int8, false), Field::new("e", DataType::Float64, false)]),
        vec![Arc::new(Int8Array::from(vec![1])), f64s(&[1.0])],
        None,
    );
    let item = Arc::new(Field::new("element", s.data_type().clone(), false));
    cols[5].1 = Arc::new(ListArray::new(item, OffsetBuffer::from_lengths([1, 0, 0]), Arc::new(s), None));
    write_arrow(&path, cols);
    let err = read_err(&path);
    assert!(err.contains("lacks the struct field 'pt'") && err.contains("[type, e]"), "{err}");
}

#[test]
fn wrong_types_are_named() {
    let (_dir, path) = foreign_path("f32.parquet");
    let mut cols = foreign_columns();
    cols[2].1 = Arc::new(Float32Array::from(vec![1.0f32, 2.0, 3.0]));
    write_arrow(&path, cols);
    let err = read_err(&path);
    assert!(err.contains("column 'weight' has type float32, expected float64"), "{err}");

    let (_dir, path) = foreign_path("i32type.parquet");
    let mut cols = foreign_columns();
    let s = StructArray::new(
        object_fields(DataType::Int32, false),
        vec![Arc::new(Int32Array::from(vec![1])), f64s(&[1.0]), f64s(&[1.0]), f64s(&[1.0]), f64s(&[1.0])],
        None,
    );
    let item = Arc::new(Field::new("element", s.data_type().clone(), false));
    cols[5].1 = Arc::new(ListArray::new(item, OffsetBuffer::from_lengths([1, 0, 0]), Arc::new(s), None));
    write_arrow(&path, cols);
    let err = read_err(&path);
    assert!(err.contains("column 'objects.type' has type int32, expected int8"), "{err}");
}

#[test]
fn bad_type_code_names_row_and_value() {
    for (code, row) in [(9i8, 2u64), (0, 0), (-1, 2)] {
        let (_dir, path) = foreign_path("badcode.parquet");
        let mut cols = foreign_columns();
        let codes: [&[i8]; 3] = if row == 0 { [&[code, 1], &[], &[7]] } else { [&[1, 2], &[], &[code]] };
        cols[5].1 = objects(&codes);
        write_arrow(&path, cols);
        let err = read_err(&path);
        assert!(err.contains(&format!("objects.type value {code} in row {row}")), "{err}");
        assert!(err.contains("expected 1..7"), "{err}");
    }
}

#[test]
fn nulls_name_column_and_row() {
    let (_dir, path) = foreign_path("nullmet.parquet");
    let mut cols = foreign_columns();
    cols[3].1 = Arc::new(Float64Array::from(vec![Some(1.0), None, Some(3.0)]));
    write_arrow(&path, cols);
    let err = read_err(&path);
    assert!(err.contains("column 'met' is null in row 1"), "{err}");

    let (_dir, path) = foreign_path("nullpt.parquet");
    let mut cols = foreign_columns();
    let nullable = object_fields(DataType::Int8, true);
    let s = StructArray::new(
        nullable,
        vec![
            Arc::new(Int8Array::from(vec![1, 2, 7])),
            f64s(&[1.0, 2.0, 3.0]),
            Arc::new(Float64Array::from(vec![Some(1.0), Some(2.0), None])),
            f64s(&[1.0, 2.0, 3.0]),
            f64s(&[1.0, 2.0, 3.0]),
        ],
        None,
    );
    let item = Arc::new(Field::new("element", s.data_type().clone(), true));
    cols[5].1 = Arc::new(ListArray::new(item, OffsetBuffer::from_lengths([2, 0, 1]), Arc::new(s), None));
    write_arrow(&path, cols);
    let err = read_err(&path);
    assert!(err.contains("column 'objects.pt' is null in row 2"), "{err}");

    let (_dir, path) = foreign_path("nulllist.parquet");
    let mut cols = foreign_columns();
    let list = cols[5].1.as_any().downcast_ref::<ListArray>().expect("list").clone();
    let (field, offsets, values, _) = list.into_parts();
    let nulls = Some(NullBuffer::from(vec![true, false, true]));
    cols[5].1 = Arc::new(ListArray::new(field, offsets, values, nulls));
    write_arrow(&path, cols);
    let err = read_err(&path);
    assert!(err.contains("column 'objects' is null in row 1"), "{err}");
}

#[test]
fn not_parquet_and_missing_file() {
    let (_dir, path) = foreign_path("text.parquet");
    std::fs::write(&path, "event_id;process\n").expect("write");
    let err = read_err(&path);
    assert!(err.contains("not a readable Parquet file"), "{err}");
    let missing = ParquetReader::open(Path::new("/nonexistent/x.parquet")).expect_err("missing");
    assert!(matches!(missing, IoError::Open { .. }), "{missing:?}");
}

// ----- awkward-array check ---------------------------------------------------------------

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// 12 events, 0..=7 objects each, two processes; energies with a few decimals.
fn awkward_sample() -> EventTable {
    let mut t = EventTable::new();
    for i in 0..12u64 {
        let process = if i % 3 == 0 { "ttbar" } else { "njets" };
        t.push_event(EventHeader {
            event_id: 1000 + i as i64,
            process,
            weight: 0.5 + i as f64 * 0.125,
            met: 20.0 + i as f64 * 3.5,
            met_phi: -3.0 + i as f64 * 0.5,
            source_line: i + 1,
        });
        for j in 0..(i * 5 % 8) {
            let kind = ObjectKind::ALL[((i + 2 * j) % 7) as usize];
            let pt = 25.0 + (i * 17 + j * 29) as f64 % 200.0 + 0.25 * j as f64;
            t.push_object(kind, pt * 1.5, pt, -2.0 + 0.3 * j as f64, -1.5 + 0.2 * i as f64);
        }
    }
    t
}

/// Reads (or with `ODDITY_REGEN` set, rewrites) `tests/data/awkward_sample.parquet` and checks
/// it against `awkward_sample.json`, the output of `tools/reference/parquet_awkward_check.py`.
#[test]
fn awkward_sample_matches_python_output() {
    let parquet = data_dir().join("awkward_sample.parquet");
    let expected = awkward_sample();
    if std::env::var_os("ODDITY_REGEN").is_some() {
        std::fs::create_dir_all(data_dir()).expect("mkdir");
        write_file(&parquet, std::slice::from_ref(&expected));
    }
    let (_, t) = read_all(&parquet, 1000);
    assert_same(&expected, &t);

    let json = std::fs::read_to_string(data_dir().join("awkward_sample.json")).expect("awkward_sample.json");
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["events"].as_u64(), Some(t.len() as u64));
    let counts: Vec<u64> = v["n_objects"].as_array().expect("n_objects").iter().filter_map(|x| x.as_u64()).collect();
    assert_eq!(counts, t.events().map(|e| e.objects.len() as u64).collect::<Vec<_>>());
    let sums: Vec<f64> = v["sum_pt"].as_array().expect("sum_pt").iter().filter_map(|x| x.as_f64()).collect();
    assert_eq!(sums.len(), t.len());
    for (ev, s) in t.events().zip(&sums) {
        let ours: f64 = ev.objects.pt.iter().sum();
        assert!((ours - s).abs() <= 1e-12 * ours.abs().max(1.0), "event {}: {ours} vs {s}", ev.index);
    }
    let types = v["first_types"].as_array().expect("first_types");
    assert!(!types.is_empty());
    for (i, codes) in types.iter().enumerate() {
        let codes: Vec<u64> = codes.as_array().expect("codes").iter().filter_map(|x| x.as_u64()).collect();
        let ours: Vec<u64> = t.event(i).objects.kind.iter().map(|k| u64::from(k.code())).collect();
        assert_eq!(codes, ours, "event {i}");
    }
    assert_eq!(v["metadata"]["oddity.schema"].as_str(), Some("events/1"));
    assert_eq!(v["metadata"]["oddity.units"].as_str(), Some("GeV"));
    let processes: Vec<&str> = v["process"].as_array().expect("process").iter().filter_map(|x| x.as_str()).collect();
    assert_eq!(processes, t.events().map(|e| e.process).collect::<Vec<_>>());
}
