//! Read-ahead of whole-line chunks on a background thread.
//!
//! [`Chunks`] owns the (possibly decompressing) input on a thread of its own that cuts it
//! into chunks of whole lines, exactly as a reader reading on the calling thread would, and
//! hands them over through a channel of capacity one. Reading and decompressing chunk k+1
//! thus overlaps parsing chunk k. Memory stays bounded: the thread fills at most one buffer
//! while one waits in the channel and the consumer holds the ones it parses; buffers are
//! handed back for reuse, so they are zero-filled only when first allocated or grown.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

/// A chunk of whole lines: `buf[..len]` (the last line may lack its `\n` at the end of the
/// input).
pub(super) struct Chunk {
    pub buf: Vec<u8>,
    pub len: usize,
    /// Bytes consumed from the file when the chunk was complete.
    pub input_bytes: u64,
}

/// What the read-ahead thread sends.
pub(super) enum Message {
    Chunk(Chunk),
    /// The thread stops.
    Stop(Stop),
}

/// Why the read-ahead thread stopped.
pub(super) enum Stop {
    /// No line end within `max_line_bytes`; the first bytes of the overlong line.
    LineTooLong(Vec<u8>),
    /// Reading failed (or the thread itself stopped unexpectedly).
    Failed(std::io::Error),
    /// The input ended.
    End,
}

/// The consumer's end of the read-ahead thread. Dropping it stops the thread and waits for
/// it, so no thread outlives its reader (a read in progress is finished first; on a pipe
/// that never delivers, that wait is as long as the read).
pub(super) struct Chunks {
    rx: Option<Receiver<Message>>,
    free: Option<Sender<Vec<u8>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Chunks {
    fn drop(&mut self) {
        // With our ends closed, the thread's next `send` fails and it returns.
        self.rx = None;
        self.free = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Chunks {
    /// Starts the read-ahead thread on `input`.
    pub fn spawn(
        input: Box<dyn Read + Send>,
        input_bytes: Arc<AtomicU64>,
        chunk_bytes: usize,
        max_line_bytes: usize,
    ) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(1);
        let (free, free_rx) = channel();
        let mut worker =
            Worker { input, input_bytes, chunk: chunk_bytes.max(1), max_line_bytes, eof: false, tx, free: free_rx };
        let thread = std::thread::Builder::new().name("oddity-csv-read".into()).spawn(move || worker.run())?;
        Ok(Self { rx: Some(rx), free: Some(free), thread: Some(thread) })
    }

    /// The next message (a failure when the thread stopped without saying why: it
    /// panicked).
    pub fn next(&self) -> Message {
        self.rx.as_ref().and_then(|rx| rx.recv().ok()).unwrap_or_else(|| {
            Message::Stop(Stop::Failed(std::io::Error::other("the read-ahead thread stopped unexpectedly")))
        })
    }

    /// Hands a chunk's buffer back for reuse.
    pub fn recycle(&self, buf: Vec<u8>) {
        // The thread may have stopped already; the buffer is then simply dropped.
        if let Some(free) = &self.free {
            let _ = free.send(buf);
        }
    }
}

struct Worker {
    input: Box<dyn Read + Send>,
    input_bytes: Arc<AtomicU64>,
    chunk: usize,
    max_line_bytes: usize,
    eof: bool,
    tx: SyncSender<Message>,
    free: Receiver<Vec<u8>>,
}

impl Worker {
    fn run(&mut self) {
        // `buf[..filled]` holds input not yet handed over (the storage beyond is reused).
        let mut buf = Vec::new();
        let mut filled = 0usize;
        loop {
            let message = match self.fill_chunk(&mut buf, &mut filled) {
                Ok(0) => {
                    let _ = self.tx.send(Message::Stop(Stop::End));
                    return;
                }
                Ok(n) => {
                    // The partial line after the chunk moves to the next buffer.
                    let mut next = self.spare_buffer();
                    let tail = filled - n;
                    if next.len() < tail {
                        next.resize(tail, 0);
                    }
                    next[..tail].copy_from_slice(&buf[n..filled]);
                    filled = tail;
                    let buf = std::mem::replace(&mut buf, next);
                    let input_bytes = self.input_bytes.load(Ordering::Relaxed);
                    Message::Chunk(Chunk { buf, len: n, input_bytes })
                }
                Err(stop) => {
                    let _ = self.tx.send(Message::Stop(stop));
                    return;
                }
            };
            if self.tx.send(message).is_err() {
                return; // the reader was dropped
            }
        }
    }

    /// A buffer handed back by the consumer, or a new one.
    fn spare_buffer(&self) -> Vec<u8> {
        self.free.try_recv().unwrap_or_default()
    }

    /// Reads until `buf[..filled]` holds a chunk of whole lines; returns its length (0 at the
    /// end). Same cuts as reading `chunk` bytes at a time on the calling thread.
    fn fill_chunk(&mut self, buf: &mut Vec<u8>, filled: &mut usize) -> Result<usize, Stop> {
        let mut target = self.chunk;
        loop {
            self.read_until(buf, filled, target).map_err(Stop::Failed)?;
            if self.eof {
                return Ok(*filled);
            }
            if let Some(last) = memchr::memrchr(b'\n', &buf[..*filled]) {
                return Ok(last + 1);
            }
            // No line end yet: read more, up to the line-length limit.
            if *filled >= self.max_line_bytes {
                return Err(Stop::LineTooLong(buf[..80.min(*filled)].to_vec()));
            }
            target = *filled + self.chunk;
        }
    }

    /// Reads until `buf[..filled]` holds `target` bytes or the input ends.
    fn read_until(&mut self, buf: &mut Vec<u8>, filled: &mut usize, target: usize) -> std::io::Result<()> {
        if *filled < target && buf.len() < target {
            buf.resize(target, 0);
        }
        while !self.eof && *filled < target {
            match self.input.read(&mut buf[*filled..target]) {
                Ok(0) => self.eof = true,
                Ok(n) => *filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
