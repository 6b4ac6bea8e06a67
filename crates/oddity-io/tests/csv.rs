//! DarkMachines CSV reader and writer against the real file, a malformed-input corpus,
//! chunking and threading invariance, gzip and round trips.

use std::io::Write;
use std::path::{Path, PathBuf};

use oddity_core::{EventTable, ObjectKind, Selection};
use oddity_io::csv::{CsvReader, EnergyUnit, Precision, ReadOptions, WriteOptions, write_table};
use oddity_io::{EventSource, IoError};

const REAL: &str = "../../../shared/data/darkmachines/monojet_Zp2000.0_DM_50.0_chan3.csv";

fn real() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(REAL)
}

fn read(path: &Path, options: ReadOptions) -> EventTable {
    CsvReader::read_all(path, options).expect("read").0
}

fn write_text(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

#[test]
fn real_file_facts() {
    let (t, report, rejects) = CsvReader::read_all(&real(), ReadOptions::default()).expect("read real file");
    assert!(rejects.is_empty());
    assert_eq!(t.len(), 6399);
    assert_eq!(report.lines, 6399);
    assert_eq!(report.bytes, 1_188_490);
    assert_eq!(t.process_names, vec!["monojet_Zp2000.0_DM_50.0"]);
    assert!(t.event_id.iter().all(|id| *id == 354));
    assert!(t.weight.iter().all(|w| *w == 2.44336e-05));
    let count = |k: ObjectKind| t.kind.iter().filter(|x| **x == k).count();
    assert_eq!(count(ObjectKind::Jet), 22_661);
    assert_eq!(count(ObjectKind::BJet), 718);
    assert_eq!(count(ObjectKind::Photon), 92);
    assert_eq!(count(ObjectKind::ElectronMinus), 1);
    assert_eq!(count(ObjectKind::ElectronPlus), 1);
    let mut multiplicity = std::collections::BTreeMap::new();
    for ev in t.events() {
        *multiplicity.entry(ev.objects.len()).or_insert(0) += 1;
    }
    let expected =
        [(1, 274), (2, 1180), (3, 1698), (4, 1546), (5, 1004), (6, 442), (7, 178), (8, 57), (9, 15), (10, 4), (12, 1)];
    assert_eq!(multiplicity.into_iter().collect::<Vec<_>>(), expected.to_vec());
    let min_met = t.met.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!((min_met - 100.727).abs() < 1e-9, "{min_met}");
    let min_ht = t.events().map(|e| e.ht(None)).fold(f64::INFINITY, f64::min);
    assert!((600.009..600.01).contains(&min_ht), "{min_ht}");
    let max_eta = t.eta.iter().map(|e| e.abs()).fold(0.0, f64::max);
    assert!((max_eta - 4.870).abs() < 1e-3, "{max_eta}");
    // Units: MeV in the file, GeV inside.
    assert_eq!(t.met[0], 832.841);
    // Source lines are 1-based and consecutive.
    assert_eq!(t.source_line.first(), Some(&1));
    assert_eq!(t.source_line.last(), Some(&6399));
    // Channel 3 applied to its own hackathon file keeps every event (physics-spec §3.2).
    let chan3 = Selection::builtin("chan3").expect("chan3");
    assert!(t.events().all(|e| chan3.passes(&e)));
    // With |eta| < 2.8 jets only, 269 events would fail (physics-spec §1).
    let ht28 = t.events().filter(|e| e.ht(Some(2.8)) < 600.0).count();
    assert_eq!(ht28, 269);
}

#[test]
fn chunking_and_threads_do_not_change_the_result() {
    let whole = read(&real(), ReadOptions::default());
    // Chunks under 64 KiB are parsed on the calling thread, larger ones as pool tasks.
    for chunk in [1, 7, 1000, 65_536, 70_000, 131_072, 300_000] {
        let options = ReadOptions { chunk_bytes: chunk, ..ReadOptions::default() };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().expect("pool");
        let t = pool.install(|| read(&real(), options));
        assert_eq!(t, whole, "chunk {chunk}");
    }
    // Batches of at most `max` events, in order.
    let mut r = CsvReader::open(&real(), ReadOptions { chunk_bytes: 100_000, ..ReadOptions::default() }).expect("open");
    let mut all = EventTable::new();
    while let Some(b) = r.next_batch(1000).expect("batch") {
        assert!(!b.is_empty() && b.len() <= 1000);
        all.append(&b);
    }
    assert_eq!(all, whole);
    assert_eq!(r.report().events, 6399);
}

#[test]
fn readers_inside_parallel_jobs_finish_and_agree() {
    // Every pool thread runs a reader that waits for parsing tasks queued on the same pool:
    // the waiting threads must run those tasks themselves rather than all block.
    use rayon::prelude::*;
    let whole = read(&real(), ReadOptions::default());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
    let options = ReadOptions { chunk_bytes: 100_000, ..ReadOptions::default() };
    let tables: Vec<EventTable> =
        pool.install(|| (0..6).into_par_iter().map(|_| read(&real(), options.clone())).collect());
    for t in &tables {
        assert_eq!(t, &whole);
    }
}

#[test]
fn malformed_corpus_reports_file_line_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = include_str!("data/malformed.tsv");
    let mut cases = 0;
    for row in corpus.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let cols: Vec<&str> = row.split('\t').collect();
        assert_eq!(cols.len(), 4, "bad corpus row {row}");
        let (name, line, field, message) = (cols[0], cols[1], cols[2], cols[3]);
        let text = format!("1;ok;1;150000;0;j,700000,650000,0,0;\n{line}\n2;ok;1;150000;0;\n");
        let path = write_text(dir.path(), &format!("{name}.csv"), &text);
        let err = CsvReader::read_all(&path, ReadOptions::default()).expect_err(name);
        let IoError::Parse(e) = &err else { panic!("{name}: not a parse error: {err}") };
        assert_eq!(e.line, 2, "{name}");
        let want_field = if field == "-" { None } else { Some(field.parse::<usize>().expect("field")) };
        assert_eq!(e.field, want_field, "{name}: {err}");
        let shown = err.to_string();
        assert!(shown.contains(message), "{name}: '{shown}' lacks '{message}'");
        assert!(shown.starts_with(&format!("{} line 2", path.display())), "{name}: {shown}");
        // With skip_bad_lines the two good lines survive and the bad one is reported.
        let options = ReadOptions { skip_bad_lines: true, ..ReadOptions::default() };
        let (t, report, rejects) = CsvReader::read_all(&path, options).expect(name);
        assert_eq!((t.len(), report.rejected, rejects.len()), (2, 1, 1), "{name}");
        assert_eq!(rejects[0].text, line);
        assert_eq!(t.source_line, vec![1, 3]);
        cases += 1;
    }
    assert!(cases >= 20, "only {cases} malformed cases");
}

#[test]
fn error_line_numbers_are_exact_across_chunks_and_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    for i in 0..20_000 {
        if i == 13_456 {
            text.push_str("7;p;1;2;0;j,1,1,0\n");
        } else {
            text.push_str("7;p;1;150000;0.5;j,700000,650000,0.1,-0.2;b,1e+06,9e+05,1.5,3;\n");
        }
    }
    let path = write_text(dir.path(), "bad.csv", &text);
    for chunk in [333, 8192, 1 << 20] {
        let err =
            CsvReader::read_all(&path, ReadOptions { chunk_bytes: chunk, ..ReadOptions::default() }).expect_err("bad");
        assert!(err.to_string().contains("line 13457, field 6"), "{err}");
    }
}

#[test]
fn empty_lines_gzip_crlf_and_no_final_newline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "1;a;1;150000;0;\r\n\r\n2;b;0.5;1.5e+05;1;g,30000,30000,0,0\n\n3;a;1;0;0";
    let plain = write_text(dir.path(), "x.csv", text);
    let gz = dir.path().join("x.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).expect("gz");
    std::fs::write(&gz, enc.finish().expect("gz")).expect("write gz");
    for p in [&plain, &gz] {
        let (t, report, _) = CsvReader::read_all(p, ReadOptions::default()).expect("read");
        assert_eq!(t.len(), 3);
        assert_eq!(report.empty_lines, 2);
        assert_eq!(report.lines, 5);
        assert_eq!(t.source_line, vec![1, 3, 5]);
        assert_eq!(t.process_names, vec!["a", "b"]);
        assert_eq!(t.event(1).objects.get(0).pt, 30.0);
    }
}

#[test]
fn line_without_end_is_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_text(dir.path(), "long.csv", &"1".repeat(10_000));
    let options = ReadOptions { max_line_bytes: 4096, chunk_bytes: 1024, ..ReadOptions::default() };
    let err = CsvReader::read_all(&path, options).expect_err("too long");
    assert!(err.to_string().contains("line 1: line is longer than 4096 bytes"), "{err}");
}

#[test]
fn missing_file_names_path() {
    let err = CsvReader::read_all(Path::new("/nonexistent/x.csv"), ReadOptions::default()).expect_err("missing");
    assert!(err.to_string().contains("/nonexistent/x.csv: cannot open"), "{err}");
}

#[test]
fn real_file_round_trips_byte_for_byte_and_value_for_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = read(&real(), ReadOptions::default());
    let out = dir.path().join("copy.csv");
    write_table(&out, &t, WriteOptions::default()).expect("write");
    let back = read(&out, ReadOptions::default());
    assert_eq!(back, t);
    // The writer reproduces the original %g text exactly.
    let original = std::fs::read_to_string(real()).expect("read");
    let written = std::fs::read_to_string(&out).expect("read");
    assert_eq!(written, original);
    // gzip output reads back the same.
    let gz = dir.path().join("copy.csv.gz");
    write_table(&gz, &t, WriteOptions::default()).expect("write gz");
    assert_eq!(read(&gz, ReadOptions::default()), t);
    // GeV files with shortest precision are lossless for arbitrary values.
    let mut odd = t.slice(0..50);
    for x in odd.e.iter_mut() {
        *x *= std::f64::consts::PI;
    }
    let gev = dir.path().join("gev.csv");
    write_table(&gev, &odd, WriteOptions { precision: Precision::Shortest, unit: EnergyUnit::GeV }).expect("write");
    assert_eq!(read(&gev, ReadOptions { unit: EnergyUnit::GeV, ..ReadOptions::default() }), odd);
}

mod properties {
    use super::*;
    use oddity_core::EventHeader;
    use proptest::prelude::*;

    fn g6(x: f64) -> f64 {
        let mut s = String::new();
        oddity_io::csv::format_g6(x, &mut s);
        s.parse().expect("g6 parses")
    }

    prop_compose! {
        fn object()(k in 1u8..=7, pt in 0.0f64..5e6, extra in 0.0f64..5e6, eta in -5.0f64..5.0, phi in -3.0f64..3.0) -> (ObjectKind, f64, f64, f64, f64) {
            // Values on the 6-digit grid of the file, in MeV.
            let pt = g6(pt);
            (ObjectKind::from_code(k).expect("code"), g6(pt + extra).max(pt), pt, g6(eta), g6(phi))
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn write_then_read_is_identity(events in proptest::collection::vec((0i64..1000, 0.0f64..1e6, -3.0f64..3.0, 1e-9f64..1e3, proptest::collection::vec(object(), 0..12)), 0..40)) {
            let mut t = EventTable::new();
            for (i, (id, met, met_phi, w, objects)) in events.iter().enumerate() {
                t.push_event(EventHeader { event_id: *id, process: if i % 3 == 0 { "a" } else { "bb" }, weight: g6(*w), met: g6(*met) / 1000.0, met_phi: g6(*met_phi), source_line: i as u64 + 1 });
                for (k, e, pt, eta, phi) in objects {
                    t.push_object(*k, e / 1000.0, pt / 1000.0, *eta, *phi);
                }
            }
            let dir = tempfile::tempdir().expect("tempdir");
            let p = dir.path().join("p.csv");
            write_table(&p, &t, WriteOptions::default()).expect("write");
            let back = read(&p, ReadOptions::default());
            if t.is_empty() {
                prop_assert!(back.is_empty());
            } else {
                prop_assert_eq!(back, t);
            }
        }
    }
}

/// A reader that delivers one byte per read.
struct OneByte<R>(R);

impl<R: std::io::Read> std::io::Read for OneByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(1);
        self.0.read(&mut buf[..n])
    }
}

#[test]
fn gzip_is_recognised_over_short_reads_regression_fuzz_short_first_read() {
    let text = "1;p;1;150000;0.1;j,700000,650000,0.3,1.0;\n2;p;2;20000;0.2;\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).expect("gzip");
    let bytes = gz.finish().expect("gzip");
    let reader =
        CsvReader::from_reader(Path::new("short.csv.gz"), OneByte(std::io::Cursor::new(bytes)), ReadOptions::default())
            .expect("open");
    let (table, _, _) = reader.collect_all().expect("read");
    assert_eq!(table.len(), 2);
    assert_eq!(table.object_count(), 1);
    // Plain text and an empty input over short reads too.
    let plain = CsvReader::from_reader(
        Path::new("short.csv"),
        OneByte(std::io::Cursor::new(text.as_bytes().to_vec())),
        ReadOptions::default(),
    )
    .expect("open");
    assert_eq!(plain.collect_all().expect("read").0.len(), 2);
    let empty = CsvReader::from_reader(
        Path::new("empty.csv"),
        OneByte(std::io::Cursor::new(Vec::new())),
        ReadOptions::default(),
    )
    .expect("open");
    assert_eq!(empty.collect_all().expect("read").0.len(), 0);
}
