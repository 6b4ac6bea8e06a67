//! The DarkMachines CSV format (physics-spec §2): streaming, parallel reader and writer.
//!
//! [`CsvReader`] reads the file in chunks of whole lines (8 MiB by default), splits each
//! chunk into pieces at line ends and parses the pieces as rayon tasks, two chunks at a time
//! (bounded memory: at most four chunk buffers, two of them being parsed, plus the parsed
//! events not yet handed out). Results are stitched back in file order, so the output, the
//! line numbers and the first error reported do not depend on the number of threads.
//! gzip input is recognised by its magic bytes (whatever the name) and decompressed on the
//! fly.
//!
//! Malformed lines abort the read with a [`ParseError`](crate::ParseError) naming the file,
//! line and field, unless [`ReadOptions::skip_bad_lines`] is set: then they are counted in
//! the [`ReadReport`] and handed out as [`Reject`]s, never dropped silently.

mod chunks;
mod parse;
mod write;

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use oddity_core::EventTable;

pub use parse::EnergyUnit;
pub use write::{CsvWriter, Precision, WriteOptions, format_g6, write_table};

use crate::error::excerpt;
use crate::{EventSource, IoError, ParseError};

/// Options of [`CsvReader`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Skip malformed lines (counted and returned as [`Reject`]s) instead of failing.
    pub skip_bad_lines: bool,
    /// Unit of E, pT and MET in the file.
    pub unit: EnergyUnit,
    /// Bytes read and parsed per step (default 8 MiB).
    pub chunk_bytes: usize,
    /// Longest accepted line (default 16 MiB); longer input is an error, so a file without
    /// line ends cannot exhaust memory.
    pub max_line_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self { skip_bad_lines: false, unit: EnergyUnit::MeV, chunk_bytes: 8 << 20, max_line_bytes: 16 << 20 }
    }
}

/// Counts of what a reader has seen so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReadReport {
    /// Events returned.
    pub events: u64,
    /// Lines read, including empty and rejected ones.
    pub lines: u64,
    /// Empty lines skipped (physics-spec §2.2).
    pub empty_lines: u64,
    /// Malformed lines skipped with `skip_bad_lines`.
    pub rejected: u64,
    /// φ values beyond π + 1e-6 that were wrapped into [−π, π) (physics-spec §1).
    pub wrapped_phi: u64,
    /// Bytes of (decompressed) text parsed.
    pub bytes: u64,
    /// Bytes consumed from the file itself (compressed for gzip), for progress.
    pub input_bytes: u64,
}

/// A malformed line skipped under [`ReadOptions::skip_bad_lines`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// The error, with file, line and field.
    pub error: ParseError,
    /// The whole line as read (lossily decoded as UTF-8).
    pub text: String,
}

/// Counts bytes read from the underlying file.
struct Counting<R> {
    inner: R,
    count: u64,
    shared: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        self.shared.store(self.count, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Streaming, parallel DarkMachines CSV reader (see the module docs).
pub struct CsvReader {
    name: String,
    path: PathBuf,
    /// The input until the read-ahead thread starts (on the first batch).
    input: Option<Box<dyn Read + Send>>,
    chunks: Option<chunks::Chunks>,
    input_bytes: std::sync::Arc<std::sync::atomic::AtomicU64>,
    options: ReadOptions,
    /// The input is exhausted (every chunk parsed).
    done: bool,
    /// A fatal error, returned again by later calls once the queue is drained.
    failed: Option<Failure>,
    next_line: u64,
    report: ReadReport,
    queue: VecDeque<EventTable>,
    rejects: Vec<Reject>,
    /// Chunks being parsed, oldest first, possibly ending with how the input stopped.
    pipeline: VecDeque<Stage>,
}

/// A fatal error kept to be reported again.
enum Failure {
    Parse(ParseError),
    Read(std::io::ErrorKind, String),
}

impl std::fmt::Debug for CsvReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvReader").field("path", &self.path).field("report", &self.report).finish()
    }
}

/// The parse result of one piece of a chunk; line numbers are relative to the piece.
#[derive(Default)]
struct Piece {
    table: EventTable,
    lines: u64,
    empty: u64,
    wrapped: u64,
    rejects: Vec<(u64, parse::LineError, Vec<u8>)>,
    error: Option<(u64, parse::LineError)>,
    /// Bytes of text parsed.
    bytes: u64,
}

/// Chunks smaller than this are parsed on the calling thread, in one piece.
const INLINE_BELOW: usize = 64 << 10;

/// Chunks parsed at once: while the oldest one's pieces are collected, the next one's are
/// parsed, so that no pool thread idles at the end of a chunk (parsed a chunk at a time,
/// both threads waited for the slowest piece of every chunk: about a fifth of the wall time
/// on two cores, 2026-12-07).
const PIPELINE_DEPTH: usize = 2;

/// A step of the pipeline: a chunk being parsed, or how the input stopped.
enum Stage {
    Parsing(Parsing),
    Stop(chunks::Stop),
}

/// A chunk whose pieces are being parsed on the rayon pool.
struct Parsing {
    results: Receiver<(usize, Piece)>,
    pieces: usize,
    buf: Arc<Vec<u8>>,
    input_bytes: u64,
}

impl Parsing {
    /// Waits for every piece: the pieces in file order (`None` if a task stopped without
    /// sending) and the chunk's buffer for reuse.
    fn collect(self) -> (Option<Vec<Piece>>, Option<Vec<u8>>) {
        let mut slots: Vec<Option<Piece>> = (0..self.pieces).map(|_| None).collect();
        for _ in 0..self.pieces {
            let Some((i, piece)) = receive(&self.results) else { return (None, None) };
            slots[i] = Some(piece);
        }
        (slots.into_iter().collect(), Arc::try_unwrap(self.buf).ok())
    }
}

/// The next value from `rx`, `None` once every sender is gone. On a rayon pool thread (a
/// reader used inside a parallel job), it runs other tasks while it waits, so that the
/// parsing tasks it waits for cannot be starved by threads that all wait.
fn receive<T>(rx: &Receiver<T>) -> Option<T> {
    if rayon::current_thread_index().is_none() {
        return rx.recv().ok();
    }
    loop {
        match rx.try_recv() {
            Ok(value) => return Some(value),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {
                if rayon::yield_now() != Some(rayon::Yield::Executed) {
                    std::thread::yield_now();
                }
            }
        }
    }
}

/// Batches are handed out piece by piece, without copying; only pieces smaller than this
/// (tiny chunks, the end of a chunk) are merged with the following ones.
const MERGE_BELOW: usize = 4096;

impl CsvReader {
    /// Opens `path` (plain or gzip, recognised by content).
    pub fn open(path: &Path, options: ReadOptions) -> Result<Self, IoError> {
        let file = File::open(path).map_err(|source| IoError::Open { path: path.into(), source })?;
        Self::from_reader(path, file, options)
    }

    /// Reads from any byte stream (plain or gzip, recognised by content); `name` is used in
    /// error messages.
    pub fn from_reader(name: &Path, reader: impl Read + Send + 'static, options: ReadOptions) -> Result<Self, IoError> {
        let input_bytes = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut counting = Counting { inner: reader, count: 0, shared: input_bytes.clone() };
        // The format is recognised from the first four bytes; a reader may deliver them over
        // several reads (regression: fuzz/regressions/csv_parse-short-first-read-gzip).
        let mut head = Vec::with_capacity(4);
        while head.len() < 4 {
            let mut byte = [0u8; 4];
            let want = 4 - head.len();
            match counting.read(&mut byte[..want]) {
                Ok(0) => break,
                Ok(n) => head.extend_from_slice(&byte[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => return Err(IoError::Read { path: name.into(), source }),
            }
        }
        let buffered = BufReader::with_capacity(1 << 16, std::io::Cursor::new(head.clone()).chain(counting));
        if head.starts_with(b"PAR1") {
            return Err(IoError::Parquet {
                path: name.into(),
                message: "this is a Parquet file, not DarkMachines CSV; give it a .parquet name".into(),
            });
        }
        let input: Box<dyn Read + Send> = if head.starts_with(&[0x1f, 0x8b]) {
            Box::new(flate2::read::MultiGzDecoder::new(buffered))
        } else {
            Box::new(buffered)
        };
        Ok(Self {
            name: name.display().to_string(),
            path: name.into(),
            input: Some(input),
            chunks: None,
            input_bytes,
            options,
            done: false,
            failed: None,
            next_line: 1,
            report: ReadReport::default(),
            queue: VecDeque::new(),
            rejects: Vec::new(),
            pipeline: VecDeque::new(),
        })
    }

    /// Reads the whole file into one table.
    pub fn read_all(path: &Path, options: ReadOptions) -> Result<(EventTable, ReadReport, Vec<Reject>), IoError> {
        Self::open(path, options)?.collect_all()
    }

    /// Reads everything that is left into one table, with the report and the rejects.
    pub fn collect_all(mut self) -> Result<(EventTable, ReadReport, Vec<Reject>), IoError> {
        let mut table = EventTable::new();
        while let Some(batch) = self.next_batch(usize::MAX)? {
            if table.is_empty() {
                table = batch;
            } else {
                table.append(&batch);
            }
        }
        let rejects = self.take_rejects();
        Ok((table, self.report, rejects))
    }

    /// Remembers a fatal error (to be returned again by later calls) and returns it.
    fn fail(&mut self, error: IoError) -> IoError {
        self.failed = match &error {
            IoError::Parse(e) => Some(Failure::Parse(e.clone())),
            IoError::Read { source, .. } => Some(Failure::Read(source.kind(), source.to_string())),
            _ => None,
        };
        error
    }

    /// The remembered fatal error, if any.
    fn failure(&self) -> Option<IoError> {
        match self.failed.as_ref()? {
            Failure::Parse(e) => Some(e.clone().into()),
            Failure::Read(kind, message) => {
                Some(IoError::Read { path: self.path.clone(), source: std::io::Error::new(*kind, message.clone()) })
            }
        }
    }

    /// Reads and parses the next chunk into the queue; false at the end of the input.
    fn next_chunk(&mut self) -> Result<bool, IoError> {
        if let Some(error) = self.failure() {
            return Err(error);
        }
        if self.done {
            return Ok(false);
        }
        if self.chunks.is_none() {
            let input = self.input.take().expect("input is kept until the read-ahead thread starts");
            let chunks = chunks::Chunks::spawn(
                input,
                self.input_bytes.clone(),
                self.options.chunk_bytes,
                self.options.max_line_bytes,
            )
            .map_err(|source| IoError::Read { path: self.path.clone(), source })?;
            self.chunks = Some(chunks);
        }
        // Keep the pool busy: up to PIPELINE_DEPTH chunks are parsing while the oldest one's
        // pieces are collected, so no thread waits at the end of a chunk.
        while self.pipeline.len() < PIPELINE_DEPTH && !matches!(self.pipeline.back(), Some(Stage::Stop(_))) {
            let Some(chunks) = self.chunks.as_ref() else { break };
            let stage = match chunks.next() {
                chunks::Message::Chunk(chunk) => Stage::Parsing(self.submit(chunk)),
                chunks::Message::Stop(stop) => Stage::Stop(stop),
            };
            self.pipeline.push_back(stage);
        }
        let stop = match self.pipeline.pop_front().expect("the pipeline was just filled") {
            Stage::Parsing(parsing) => {
                let input_bytes = parsing.input_bytes;
                let (pieces, buf) = parsing.collect();
                if let (Some(chunks), Some(buf)) = (&self.chunks, buf) {
                    chunks.recycle(buf);
                }
                let Some(pieces) = pieces else {
                    let source = std::io::Error::other("a parsing task stopped unexpectedly");
                    return Err(self.fail(IoError::Read { path: self.path.clone(), source }));
                };
                self.report.input_bytes = input_bytes;
                self.take_pieces(pieces).map_err(|e| self.fail(e.into()))?;
                return Ok(true);
            }
            Stage::Stop(stop) => stop,
        };
        match stop {
            chunks::Stop::End => {
                self.done = true;
                self.chunks = None;
                self.report.input_bytes = self.input_bytes.load(std::sync::atomic::Ordering::Relaxed);
                Ok(false)
            }
            chunks::Stop::LineTooLong(text) => {
                let error = ParseError {
                    file: self.name.clone(),
                    line: self.next_line,
                    field: None,
                    message: format!(
                        "line is longer than {} bytes; is this a DarkMachines CSV file?",
                        self.options.max_line_bytes
                    ),
                    text: excerpt(&text),
                };
                Err(self.fail(error.into()))
            }
            chunks::Stop::Failed(source) => {
                let error = IoError::Read { path: self.path.clone(), source };
                Err(self.fail(error))
            }
        }
    }

    /// Starts parsing `chunk` on the rayon pool, piece by piece (a small chunk is parsed
    /// right away).
    fn submit(&self, chunk: chunks::Chunk) -> Parsing {
        let chunks::Chunk { buf, len, input_bytes } = chunk;
        let (tx, results) = channel();
        let (unit, skip) = (self.options.unit, self.options.skip_bad_lines);
        if len < INLINE_BELOW {
            // Parsed right here: handing a small chunk to another thread costs more than
            // parsing it (small files, small `chunk_bytes`).
            let _ = tx.send((0, parse_piece(&buf[..len], unit, skip)));
            return Parsing { results, pieces: 1, buf: Arc::new(buf), input_bytes };
        }
        let ranges = split_pieces(&buf[..len], rayon::current_num_threads() * 2);
        let buf = Arc::new(buf);
        for (i, range) in ranges.iter().cloned().enumerate() {
            let (buf, tx) = (Arc::clone(&buf), tx.clone());
            rayon::spawn(move || {
                let piece = parse_piece(&buf[range], unit, skip);
                // Dropped before sending, so that once every piece is received the buffer
                // is ours again.
                drop(buf);
                let _ = tx.send((i, piece));
            });
        }
        Parsing { results, pieces: ranges.len(), buf, input_bytes }
    }

    /// Moves parsed pieces (in file order) into the queue, with line numbers, counts and
    /// rejects; the first error, if any, is returned instead.
    fn take_pieces(&mut self, parsed: Vec<Piece>) -> Result<(), ParseError> {
        let mut line0 = self.next_line;
        for mut piece in parsed {
            if let Some((rel, e)) = piece.error {
                return Err(self.parse_error(line0 + rel, e));
            }
            for (rel, e, text) in piece.rejects {
                let error = self.parse_error(line0 + rel, e);
                self.rejects.push(Reject { error, text: String::from_utf8_lossy(&text).into_owned() });
                self.report.rejected += 1;
            }
            for l in &mut piece.table.source_line {
                *l += line0;
            }
            self.report.lines += piece.lines;
            self.report.empty_lines += piece.empty;
            self.report.wrapped_phi += piece.wrapped;
            self.report.bytes += piece.bytes;
            line0 += piece.lines;
            if !piece.table.is_empty() {
                self.queue.push_back(piece.table);
            }
        }
        self.next_line = line0;
        Ok(())
    }

    fn parse_error(&self, line: u64, e: parse::LineError) -> ParseError {
        ParseError { file: self.name.clone(), line, field: e.field, message: e.message, text: excerpt(&e.text) }
    }

    /// The lines rejected so far under `skip_bad_lines`, removed from the reader.
    pub fn take_rejects(&mut self) -> Vec<Reject> {
        std::mem::take(&mut self.rejects)
    }
}

/// Splits `chunk` into up to `n` pieces of whole lines of similar size (their ranges).
fn split_pieces(chunk: &[u8], n: usize) -> Vec<Range<usize>> {
    const MIN_PIECE: usize = 256 << 10;
    let n = n.clamp(1, chunk.len() / MIN_PIECE + 1);
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for k in 1..n {
        let target = (chunk.len() * k / n).max(start);
        let Some(nl) = memchr::memchr(b'\n', &chunk[target..]) else { break };
        let end = target + nl + 1;
        out.push(start..end);
        start = end;
    }
    if start < chunk.len() {
        out.push(start..chunk.len());
    }
    out
}

/// Parses the lines of one piece; line numbers in the result are 0-based within the piece.
fn parse_piece(piece: &[u8], unit: EnergyUnit, skip_bad_lines: bool) -> Piece {
    let mut out = Piece { table: EventTable::with_capacity(piece.len() / 128, piece.len() / 32), ..Piece::default() };
    let mut state = parse::LineState::default();
    let mut start = 0;
    let mut rel = 0u64;
    while start < piece.len() {
        let end = memchr::memchr(b'\n', &piece[start..]).map_or(piece.len(), |e| start + e);
        let line = &piece[start..end];
        match parse::parse_line(&piece[start..], line.len(), rel, unit, &mut out.table, &mut state) {
            Ok(parse::LineKind::Event { wrapped_phi }) => out.wrapped += u64::from(wrapped_phi),
            Ok(parse::LineKind::Empty) => out.empty += 1,
            Err(e) if skip_bad_lines => out.rejects.push((rel, e, line.to_vec())),
            Err(e) => {
                out.error = Some((rel, e));
                return out;
            }
        }
        rel += 1;
        start = end + 1;
    }
    out.lines = rel;
    out.bytes = piece.len() as u64;
    out
}

impl EventSource for CsvReader {
    fn next_batch(&mut self, max: usize) -> Result<Option<EventTable>, IoError> {
        let max = max.max(1);
        while self.queue.is_empty() {
            if !self.next_chunk()? {
                return Ok(None);
            }
        }
        let mut batch = self.queue.pop_front().unwrap_or_default();
        if batch.len() > max {
            let rest = batch.slice(max..batch.len());
            batch = batch.slice(0..max);
            self.queue.push_front(rest);
        }
        // Pieces are handed out as they are; only small ones are merged (copied).
        while batch.len() < MERGE_BELOW
            && let Some(next) = self.queue.front()
        {
            if batch.len() + next.len() > max {
                break;
            }
            if let Some(next) = self.queue.pop_front() {
                batch.append(&next);
            }
        }
        self.report.events += batch.len() as u64;
        Ok(Some(batch))
    }

    fn report(&self) -> ReadReport {
        self.report
    }

    fn take_rejects(&mut self) -> Vec<Reject> {
        CsvReader::take_rejects(self)
    }
}
