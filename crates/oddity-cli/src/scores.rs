//! Score files: one row per scored event with the observables the evaluation and the search
//! need, as Parquet (`file`, `process`, `source_line`, `event_id`, `weight`, `score`, `met`,
//! `ht`, `mjj`). Documented in `docs/run-files.md`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use oddity_core::EventTable;
use parquet::arrow::ArrowWriter;

use crate::evaluation::Scored;

/// Scored events of one or more files.
#[derive(Debug, Default)]
pub struct ScoreTable {
    file: Vec<String>,
    process: Vec<String>,
    source_line: Vec<u64>,
    event_id: Vec<i64>,
    weight: Vec<f64>,
    score: Vec<f64>,
    met: Vec<f64>,
    ht: Vec<f64>,
    mjj: Vec<f64>,
}

/// Invariant mass of the two leading (b-)jets, GeV; NaN with fewer than two.
fn mjj(table: &EventTable, i: usize) -> f64 {
    let e = table.event(i);
    let mut jets: Vec<_> = e.objects.iter().filter(|o| o.kind.is_jet()).collect();
    if jets.len() < 2 {
        return f64::NAN;
    }
    jets.sort_by(|a, b| b.pt.total_cmp(&a.pt));
    oddity_core::fourvec::pair_mass(jets[0].p4(), jets[1].p4())
}

impl ScoreTable {
    /// Appends the events of `table` (read from `file`) with their `scores`.
    pub fn push(&mut self, file: &str, table: &EventTable, scores: &[f64]) {
        for (i, &s) in scores.iter().enumerate().take(table.len()) {
            self.file.push(file.to_owned());
            self.process.push(table.process_names[table.process[i] as usize].clone());
            self.source_line.push(table.source_line[i]);
            self.event_id.push(table.event_id[i]);
            self.weight.push(table.weight[i]);
            self.score.push(s);
            self.met.push(table.met[i]);
            self.ht.push(table.event(i).ht(None));
            self.mjj.push(mjj(table, i));
        }
    }

    pub fn len(&self) -> usize {
        self.score.len()
    }

    /// Writes the table as Parquet, atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let f64s = |v: &[f64]| Arc::new(Float64Array::from(v.to_vec())) as ArrayRef;
        let columns: Vec<(&str, DataType, ArrayRef)> = vec![
            ("file", DataType::Utf8, Arc::new(StringArray::from(self.file.clone()))),
            ("process", DataType::Utf8, Arc::new(StringArray::from(self.process.clone()))),
            ("source_line", DataType::UInt64, Arc::new(UInt64Array::from(self.source_line.clone()))),
            ("event_id", DataType::Int64, Arc::new(Int64Array::from(self.event_id.clone()))),
            ("weight", DataType::Float64, f64s(&self.weight)),
            ("score", DataType::Float64, f64s(&self.score)),
            ("met", DataType::Float64, f64s(&self.met)),
            ("ht", DataType::Float64, f64s(&self.ht)),
            ("mjj", DataType::Float64, f64s(&self.mjj)),
        ];
        let schema =
            Arc::new(Schema::new(columns.iter().map(|(n, t, _)| Field::new(*n, t.clone(), false)).collect::<Vec<_>>()));
        let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, _, a)| a).collect())
            .context("building the score table")?;
        let mut bytes = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut bytes, schema, None).context("Parquet writer")?;
        writer.write(&batch).context("writing scores")?;
        writer.close().context("writing scores")?;
        crate::input::write_atomic(path, &bytes)
    }
}

/// Reads a score file written by [`ScoreTable::write`]: one [`Scored`] per distinct value of
/// the `file` column, in order of first appearance.
pub fn read_scores(path: &Path) -> Result<Vec<Scored>> {
    read_scores_by(path, "file")
}

/// Like [`read_scores`], grouped by the string column `group` (`file` or `process`).
pub fn read_scores_by(path: &Path, group: &str) -> Result<Vec<Scored>> {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Float64Type;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("{}: not a Parquet file", path.display()))?
        .build()
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let mut groups: Vec<Scored> = Vec::new();
    let mut row = 0usize;
    for batch in reader {
        let batch = batch.with_context(|| format!("{}: cannot read", path.display()))?;
        let column = |name: &str| {
            batch.column_by_name(name).cloned().with_context(|| {
                let have: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
                format!(
                    "{}: no column '{name}' (a score file from `oddity score` has file, process, source_line, event_id, weight, score, met, ht, mjj; found {})",
                    path.display(),
                    have.join(", ")
                )
            })
        };
        let (files, weights, scores) = (column(group)?, column("weight")?, column("score")?);
        let files = files
            .as_string_opt::<i32>()
            .with_context(|| format!("{}: column '{group}' is not a string", path.display()))?;
        let weights = weights
            .as_primitive_opt::<Float64Type>()
            .with_context(|| format!("{}: column 'weight' is not float64", path.display()))?;
        let scores = scores
            .as_primitive_opt::<Float64Type>()
            .with_context(|| format!("{}: column 'score' is not float64", path.display()))?;
        for i in 0..batch.num_rows() {
            row += 1;
            if files.is_null(i) || weights.is_null(i) || scores.is_null(i) {
                anyhow::bail!("{}: row {row}: null {group}, weight or score", path.display());
            }
            let (f, w, s) = (files.value(i), weights.value(i), scores.value(i));
            if !(w.is_finite() && w >= 0.0) {
                anyhow::bail!("{}: row {row}: weight {w} (expected finite and >= 0)", path.display());
            }
            if s.is_nan() {
                anyhow::bail!("{}: row {row}: score is NaN", path.display());
            }
            let g = match groups.iter().position(|g| g.name == f) {
                Some(g) => g,
                None => {
                    groups.push(Scored { name: f.to_owned(), scores: Vec::new(), weights: Vec::new() });
                    groups.len() - 1
                }
            };
            groups[g].scores.push(s);
            groups[g].weights.push(w);
        }
    }
    if groups.is_empty() {
        anyhow::bail!("{}: no scored events", path.display());
    }
    Ok(groups)
}
