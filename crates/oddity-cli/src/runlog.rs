//! `log.txt` of a run directory: every log record of the process (debug level for Oddity's
//! crates, so per-epoch training lines are included) is appended to the file once a command
//! opens it, whatever the console shows. Appending keeps the history of resumed runs.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};

static FILE: Mutex<Option<File>> = Mutex::new(None);

/// The `MakeWriter` of the log-file layer: writes go to the open run log, or nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunLog;

/// One write to the run log.
#[derive(Debug)]
pub struct RunLogWriter;

impl Write for RunLogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut guard) = FILE.lock() {
            if let Some(f) = guard.as_mut() {
                f.write_all(buf)?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Ok(mut guard) = FILE.lock() {
            if let Some(f) = guard.as_mut() {
                f.flush()?;
            }
        }
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RunLog {
    type Writer = RunLogWriter;
    fn make_writer(&'a self) -> Self::Writer {
        RunLogWriter
    }
}

/// Starts appending the log to `path` (creating its directory).
pub fn open(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the run log {}", path.display()))?;
    if let Ok(mut guard) = FILE.lock() {
        *guard = Some(file);
    }
    Ok(())
}

/// Writes `line` to the run log only (command summaries printed on stdout).
pub fn note(line: &str) {
    let _ = writeln!(RunLogWriter, "{line}");
}
