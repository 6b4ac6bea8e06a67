//! Fuzz target: arbitrary bytes through `oddity_io::CsvReader::from_reader`.
//!
//! The first input byte picks the options (chunk size, bytes per `read` call, batch size,
//! energy unit); the rest is the file (plain or gzip). Each input is read three times:
//!
//! - A: strict, small chunks and short reads, small batches;
//! - R: strict, one chunk for the whole input (the reference);
//! - S: `skip_bad_lines`, small chunks.
//!
//! Checked: no panic anywhere; every batch satisfies the `EventTable` invariants and the
//! batch-size limit; A and R agree exactly (events, line numbers, report, error message for
//! plain input), since the output must not depend on chunking; S accepts whatever R accepts
//! with the same events and no rejects, and in S every line is counted as an event, an empty
//! line or a reject.
//!
//! Short reads include reads of fewer than 4 bytes at the start, which once defeated the
//! gzip/Parquet magic-byte sniffing in `from_reader` (finding 1 in fuzz/README.md, fixed).

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use oddity_io::ReadOptions;
use oddity_io::csv::EnergyUnit;

const CHUNKS: [usize; 8] = [1, 2, 3, 7, 16, 64, 1000, 4096];
const STEPS: [usize; 4] = [1, 3, 5, 1 << 16];
const BATCHES: [usize; 4] = [1, 2, 5, usize::MAX];

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, text)) = data.split_first() else { return };
    let chunk = CHUNKS[usize::from(ctl & 7)];
    let step = STEPS[usize::from((ctl >> 3) & 3)];
    let max_batch = BATCHES[usize::from((ctl >> 5) & 3)];
    let unit = if ctl & 0x80 != 0 { EnergyUnit::GeV } else { EnergyUnit::MeV };
    let small = ReadOptions { unit, chunk_bytes: chunk, ..ReadOptions::default() };
    let whole = ReadOptions { unit, chunk_bytes: 1 << 17, ..ReadOptions::default() };
    let skip = ReadOptions { skip_bad_lines: true, ..small.clone() };

    let a = common::read_all(text, small, step, max_batch);
    let r = common::read_all(text, whole, 1 << 16, usize::MAX);
    let s = common::read_all(text, skip, step, max_batch);

    let gzip = text.starts_with(&[0x1f, 0x8b]);
    match (&a, &r) {
        (Ok(a), Ok(r)) => assert_eq!(a, r, "small chunks and one chunk disagree"),
        (Err(ea), Err(er)) => {
            // For gzip a read error may come before or after a parse error depending on
            // how much is read per step; plain input has no read errors.
            if !gzip {
                assert_eq!(ea, er, "small chunks and one chunk report different errors");
            }
        }
        _ => panic!("small chunks: {:?}\none chunk: {:?}", a.as_ref().err(), r.as_ref().err()),
    }
    match (&r, &s) {
        (Ok(r), Ok(s)) => {
            assert_eq!(r.0, s.0, "skip mode changed the events of a valid input");
            assert!(s.2.is_empty(), "skip mode rejected lines of a valid input");
        }
        (Ok(_), Err(e)) => panic!("skip mode failed on a valid input: {e}"),
        _ => {}
    }
    if let Ok((rows, rep, rejected)) = &s {
        assert_eq!(rep.lines, rep.events + rep.empty_lines + rep.rejected, "line accounting: {rep:?}");
        assert_eq!(rep.rejected, rejected.len() as u64, "rejects handed out");
        assert_eq!(rep.events, rows.len() as u64);
        if !gzip && !text.starts_with(b"PAR1") {
            let newlines = text.iter().filter(|&&c| c == b'\n').count() as u64;
            let expected = newlines + u64::from(!text.is_empty() && !text.ends_with(b"\n"));
            assert_eq!(rep.lines, expected, "line count");
            assert_eq!(rep.bytes, text.len() as u64, "bytes parsed");
        }
        // Line numbers are strictly increasing and within the file.
        let mut lines: Vec<u64> = rows.iter().map(|r| r.0).chain(rejected.iter().copied()).collect();
        let n = lines.len();
        lines.sort_unstable();
        lines.dedup();
        assert_eq!(lines.len(), n, "a line number was used twice");
        assert!(lines.iter().all(|&l| l >= 1 && l <= rep.lines), "line number out of range");
    }
});
