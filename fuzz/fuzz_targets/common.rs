//! Shared helpers of the fuzz targets.

use std::io::Read;
use std::path::Path;

use oddity_core::EventTable;
use oddity_io::{CsvReader, EventSource, IoError, ReadOptions, ReadReport};

/// Every φ (MET and objects) read lies within [−π − 1e-6, π + 1e-6] (physics-spec §1: wrapped
/// into [−π, π), values up to π + 1e-6 kept; finding 3 in fuzz/README.md, fixed).
fn check_phi(t: &EventTable) {
    let lim = std::f64::consts::PI + 1e-6;
    for (what, col) in [("MET phi", &t.met_phi), ("object phi", &t.phi)] {
        if let Some(bad) = col.iter().find(|p| !(p.abs() <= lim)) {
            panic!("{what} {bad} outside [-pi, pi] after reading");
        }
    }
}

/// A reader that hands out at most `step` bytes per `read` call (exercises the chunk loop).
pub struct Trickle {
    pub data: Vec<u8>,
    pub pos: usize,
    pub step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// One event in a comparable form: (source line, id, process, weight, MET, METφ, objects as
/// (kind token, E, pt, η, φ)); floats as bit patterns.
pub type Row = (u64, i64, String, u64, u64, u64, Vec<(&'static str, u64, u64, u64, u64)>);

pub fn rows(t: &EventTable) -> Vec<Row> {
    t.events()
        .map(|ev| {
            let objs = ev
                .objects
                .iter()
                .map(|o| (o.kind.token(), o.e.to_bits(), o.pt.to_bits(), o.eta.to_bits(), o.phi.to_bits()))
                .collect();
            (
                ev.source_line,
                ev.event_id,
                ev.process.to_string(),
                ev.weight.to_bits(),
                ev.met.to_bits(),
                ev.met_phi.to_bits(),
                objs,
            )
        })
        .collect()
}

/// The outcome of one full read: rows, report and the rejected line numbers, or the error.
pub type Outcome = Result<(Vec<Row>, ReadReport, Vec<u64>), String>;

/// Reads `data` completely through `CsvReader::from_reader`, checking the invariants of
/// every batch on the way.
pub fn read_all(data: &[u8], options: ReadOptions, step: usize, max_batch: usize) -> Outcome {
    let input = Trickle { data: data.to_vec(), pos: 0, step: step.max(1) };
    let run = || -> Result<(Vec<Row>, ReadReport, Vec<u64>), IoError> {
        let mut reader = CsvReader::from_reader(Path::new("fuzz.csv"), input, options)?;
        let mut out = Vec::new();
        let mut rejected = Vec::new();
        let mut events = 0u64;
        while let Some(batch) = reader.next_batch(max_batch)? {
            assert!(!batch.is_empty(), "empty batch");
            assert!(batch.len() <= max_batch.max(1), "batch of {} > max {}", batch.len(), max_batch);
            events += batch.len() as u64;
            let checked = EventTable::from_columns(batch.clone());
            assert!(checked.is_ok(), "batch violates table invariants: {checked:?}");
            check_phi(&batch);
            out.extend(rows(&batch));
            rejected.extend(reader.take_rejects().into_iter().map(|r| r.error.line));
        }
        // Lines rejected after the last event (no batch follows them) are only handed out
        // here; `take_rejects` returns whatever was rejected so far.
        rejected.extend(reader.take_rejects().into_iter().map(|r| r.error.line));
        let report = reader.report();
        assert_eq!(report.events, events, "report.events");
        Ok((out, report, rejected))
    };
    run().map_err(|e| e.to_string())
}
