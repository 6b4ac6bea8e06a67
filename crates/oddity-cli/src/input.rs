//! Reading inputs with the common options (units, bad-line policy, rejects file) and a
//! progress bar, and writing outputs atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use oddity_core::EventTable;
use oddity_io::csv::{EnergyUnit, ReadOptions, ReadReport, Reject};

use crate::Global;

/// A failure to write an output file (exit code 1, not an input error).
#[derive(Debug)]
pub struct OutputError(pub String);

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OutputError {}

/// Options shared by every command that reads event files.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Skip malformed lines instead of failing; they are counted in the summary and written,
    /// with their error messages, to a rejects file.
    #[arg(long)]
    pub skip_bad_lines: bool,
    /// Where rejected lines go (default: `<output or input name>.rejects.txt` in the current
    /// directory).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Energy unit of E, pT and MET in CSV files (DarkMachines files use MeV).
    #[arg(long, value_enum, default_value_t = Unit::Mev)]
    pub units: Unit,
}

/// Energy unit in CSV files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Unit {
    Mev,
    Gev,
}

impl InputArgs {
    pub fn read_options(&self) -> ReadOptions {
        let unit = match self.units {
            Unit::Mev => EnergyUnit::MeV,
            Unit::Gev => EnergyUnit::GeV,
        };
        ReadOptions { skip_bad_lines: self.skip_bad_lines, unit, ..ReadOptions::default() }
    }
}

/// What reading one file produced besides the events.
#[derive(Debug, Clone)]
pub struct FileRead {
    pub report: ReadReport,
    /// Where the rejected lines were written, if any were rejected.
    pub rejects_file: Option<PathBuf>,
}

/// Streams every batch of `path` into `each`, with a progress bar on terminals; rejected
/// lines are written to the rejects file (`default_rejects` unless `--rejects` was given).
pub fn for_each_batch(
    path: &Path,
    args: &InputArgs,
    default_rejects: PathBuf,
    global: Global,
    mut each: impl FnMut(&EventTable) -> Result<()>,
) -> Result<FileRead> {
    let mut source = oddity_io::open(path, &args.read_options())?;
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(global, size, path);
    let mut rejects: Vec<Reject> = Vec::new();
    while let Some(batch) = source.next_batch(1 << 16)? {
        each(&batch)?;
        rejects.extend(source.take_rejects());
        if let Some(bar) = &bar {
            let r = source.report();
            bar.set_position(r.input_bytes);
            bar.set_message(format!("{} events", r.events));
        }
    }
    rejects.extend(source.take_rejects());
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = source.report();
    let rejects_file = if rejects.is_empty() {
        None
    } else {
        let target = args.rejects.clone().unwrap_or(default_rejects);
        write_rejects(&target, path, &rejects)?;
        tracing::warn!("{}: skipped {} malformed line(s); see {}", path.display(), rejects.len(), target.display());
        Some(target)
    };
    Ok(FileRead { report, rejects_file })
}

/// Reads a whole file into one table.
pub fn read_table(path: &Path, args: &InputArgs, global: Global) -> Result<EventTable> {
    let mut table = EventTable::new();
    for_each_batch(path, args, rejects_name(path), global, |batch| {
        table.append(batch);
        Ok(())
    })?;
    Ok(table)
}

fn progress_bar(global: Global, size: u64, path: &Path) -> Option<indicatif::ProgressBar> {
    if !global.progress || size < (32 << 20) {
        return None;
    }
    let bar = indicatif::ProgressBar::new(size);
    let style =
        indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    Some(bar)
}

/// The rejects file: for each rejected line, a `# ` line with the error, then the line as read.
fn write_rejects(target: &Path, input: &Path, rejects: &[Reject]) -> Result<()> {
    let mut text = format!("# oddity: {} malformed line(s) rejected from {}\n", rejects.len(), input.display());
    text.push_str("# each entry: '# <error>' then the original line\n");
    for r in rejects {
        text.push_str(&format!("# {}\n{}\n", r.error, r.text));
    }
    write_atomic(target, text.as_bytes())
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let fail =
        |what: &str, e: std::io::Error| anyhow::Error::new(OutputError(format!("{}: {what}: {e}", path.display())));
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail("cannot create directory", e))?;
    }
    let mut tmp = oddity_io::atomic::temp_file_beside(path).map_err(|e| fail("cannot create a temporary file", e))?;
    tmp.write_all(bytes).map_err(|e| fail("write error", e))?;
    tmp.persist(path).map_err(|e| fail("cannot move into place", e.error))?;
    Ok(())
}

/// `NAME.rejects.txt` in the current directory for an input or output path.
pub fn rejects_name(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "oddity".into());
    PathBuf::from(format!("{name}.rejects.txt"))
}
