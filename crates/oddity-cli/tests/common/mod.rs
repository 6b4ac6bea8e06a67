//! Helpers shared by the CLI tests that need score files without training a run.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, UInt64Array};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;

/// The nine mass columns of a score file (physics-spec §9.2).
pub const MASS_COLUMNS: [&str; 9] = ["mjj", "mjb", "mbb", "mje", "mjmu", "mjgamma", "mbe", "mbmu", "mbgamma"];

/// Writes a score file like `oddity score` does: `source_line` and `event_id` 1..=n, the
/// given score and weight, `mjj` (the other masses NaN).
pub fn write_scores(path: &Path, score: &[f64], weight: &[f64], mjj: &[f64]) {
    let n = score.len();
    let f64s = |v: &[f64]| Arc::new(Float64Array::from(v.to_vec())) as ArrayRef;
    let nan = vec![f64::NAN; n];
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        ("source_line", Arc::new(UInt64Array::from((1..=n as u64).collect::<Vec<_>>()))),
        ("event_id", Arc::new(Int64Array::from((1..=n as i64).collect::<Vec<_>>()))),
        ("weight", f64s(weight)),
        ("score", f64s(score)),
    ];
    for name in MASS_COLUMNS {
        columns.push((name, if name == "mjj" { f64s(mjj) } else { f64s(&nan) }));
    }
    let schema = Arc::new(Schema::new(
        columns.iter().map(|(name, a)| Field::new(*name, a.data_type().clone(), false)).collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).expect("batch");
    let file = std::fs::File::create(path).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

/// Reads one float64 column of a Parquet file.
pub fn read_f64(path: &Path, name: &str) -> Vec<f64> {
    use arrow::array::AsArray;
    use arrow::datatypes::Float64Type;
    let file = std::fs::File::open(path).expect("open");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let mut out = Vec::new();
    for b in reader {
        let b = b.expect("batch");
        out.extend(b.column_by_name(name).expect("column").as_primitive::<Float64Type>().values().iter().copied());
    }
    out
}
