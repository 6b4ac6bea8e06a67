//! Score files: one row per scored event with the observables the evaluation and the search
//! need, as Parquet (`file`, `process`, `source_line`, `event_id`, `weight`, `score`, `met`,
//! `ht` and the nine invariant masses of physics-spec §9.2: `mjj`, `mjb`, `mbb`, `mje`,
//! `mjmu`, `mjgamma`, `mbe`, `mbmu`, `mbgamma`, GeV, NaN where the objects are missing).
//! Documented in `docs/run-files.md`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use oddity_core::EventTable;
use oddity_core::masses::{MassPair, table_masses};
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
    /// The nine invariant masses, in [`MassPair::ALL`] order.
    masses: [Vec<f64>; 9],
}

impl ScoreTable {
    /// Appends the events of `table` (read from `file`) with their `scores`.
    pub fn push(&mut self, file: &str, table: &EventTable, scores: &[f64]) {
        let masses = table_masses(table);
        for (i, &s) in scores.iter().enumerate().take(table.len()) {
            self.file.push(file.to_owned());
            self.process.push(table.process_names[table.process[i] as usize].clone());
            self.source_line.push(table.source_line[i]);
            self.event_id.push(table.event_id[i]);
            self.weight.push(table.weight[i]);
            self.score.push(s);
            self.met.push(table.met[i]);
            self.ht.push(table.event(i).ht(None));
            for (pair, column) in masses.iter() {
                self.masses[pair.index()].push(column[i]);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.score.len()
    }

    /// Writes the table as Parquet, atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let f64s = |v: &[f64]| Arc::new(Float64Array::from(v.to_vec())) as ArrayRef;
        let mut columns: Vec<(&str, DataType, ArrayRef)> = vec![
            ("file", DataType::Utf8, Arc::new(StringArray::from(self.file.clone()))),
            ("process", DataType::Utf8, Arc::new(StringArray::from(self.process.clone()))),
            ("source_line", DataType::UInt64, Arc::new(UInt64Array::from(self.source_line.clone()))),
            ("event_id", DataType::Int64, Arc::new(Int64Array::from(self.event_id.clone()))),
            ("weight", DataType::Float64, f64s(&self.weight)),
            ("score", DataType::Float64, f64s(&self.score)),
            ("met", DataType::Float64, f64s(&self.met)),
            ("ht", DataType::Float64, f64s(&self.ht)),
        ];
        columns.extend(MassPair::ALL.iter().map(|p| (p.column(), DataType::Float64, f64s(&self.masses[p.index()]))));
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
                    "{}: no column '{name}' (a score file from `oddity score` has file, process, source_line, event_id, weight, score, met, ht and the mass columns mjj … mbgamma; found {})",
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

/// What the search needs of a score file: score, weight and the nine masses per event.
#[derive(Debug, Default, Clone)]
pub struct SearchSample {
    pub score: Vec<f64>,
    pub weight: Vec<f64>,
    masses: [Vec<f64>; 9],
}

impl SearchSample {
    /// `n` events of weight 1 and score 0, without masses (a raw column searched whole).
    pub fn unweighted(n: usize) -> Self {
        Self { score: vec![0.0; n], weight: vec![1.0; n], masses: Default::default() }
    }

    /// The masses of one pair, GeV (NaN where absent).
    pub fn masses(&self, pair: MassPair) -> &[f64] {
        &self.masses[pair.index()]
    }

    /// The same events with every weight multiplied by `factor` (pb to expected events).
    pub fn scaled(mut self, factor: f64) -> Self {
        self.weight.iter_mut().for_each(|w| *w *= factor);
        self
    }

    pub fn append(&mut self, other: SearchSample) {
        self.score.extend(other.score);
        self.weight.extend(other.weight);
        for (mine, theirs) in self.masses.iter_mut().zip(other.masses) {
            mine.extend(theirs);
        }
    }

    /// Events, Σw, Σw² and the effective sample size.
    pub fn summary(&self, files: Vec<std::path::PathBuf>) -> SampleTotals {
        let (sw, sw2) = self.weight.iter().fold((0.0, 0.0), |(a, b), w| (a + w, b + w * w));
        SampleTotals {
            files,
            events: self.score.len(),
            sum_weights: sw,
            sum_weights2: sw2,
            ess: if sw2 > 0.0 { sw * sw / sw2 } else { 0.0 },
        }
    }
}

/// Totals of a [`SearchSample`] for summaries.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SampleTotals {
    pub files: Vec<std::path::PathBuf>,
    pub events: usize,
    pub sum_weights: f64,
    pub sum_weights2: f64,
    /// Effective sample size (Σw)²/Σw².
    pub ess: f64,
}

/// Reads score, weight and the nine mass columns of a score file. A file written before the
/// mass columns existed is named with the columns it lacks.
pub fn read_search_sample(path: &Path) -> Result<SearchSample> {
    use crate::column::read_parquet_column;
    let read = |name: &str| {
        read_parquet_column(path, name).with_context(|| {
            format!("{}: reading column '{name}' (score files need score, weight and the nine mass columns; re-score with `oddity score` if they are missing)", path.display())
        })
    };
    let score = read("score")?;
    let weight = read("weight")?;
    if let Some(i) = score.iter().position(|s| s.is_nan()) {
        anyhow::bail!("{}: row {}: score is NaN", path.display(), i + 1);
    }
    if let Some(i) = weight.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        anyhow::bail!("{}: row {}: weight {} (expected finite and >= 0)", path.display(), i + 1, weight[i]);
    }
    let mut masses: [Vec<f64>; 9] = Default::default();
    for pair in MassPair::ALL {
        masses[pair.index()] = read(pair.column())?;
    }
    if score.is_empty() {
        anyhow::bail!("{}: no scored events", path.display());
    }
    Ok(SearchSample { score, weight, masses })
}
