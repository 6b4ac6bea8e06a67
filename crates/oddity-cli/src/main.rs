//! `oddity`: model-independent anomaly detection for LHC events, from the command line.
//!
//! A thin layer over the library crates: each subcommand has a clap `Args` struct, converts it
//! into validated options and calls the libraries. Exit codes: 0 success, 2 usage or input
//! error (malformed file, missing file, bad option), 1 anything else (e.g. a failed write).

mod cmd;
mod column;
mod embedded;
mod evaluation;
mod input;
mod report;
mod runlog;
mod scores;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Model-independent anomaly detection in LHC collision events.
#[derive(Debug, Parser)]
#[command(name = "oddity", version, about, propagate_version = true)]
struct Cli {
    /// No progress bars and no informational logs.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Summarise event files: events, Σw, effective sample size, processes, multiplicities,
    /// MET/HT quantiles.
    Inspect(cmd::inspect::Args),
    /// Apply a channel or a selection file and write the selected events (CSV or Parquet).
    Select(cmd::select::Args),
    /// Convert between DarkMachines CSV (.csv, .csv.gz) and Parquet.
    Convert(cmd::convert::Args),
    /// Encode events (fixed vector, particle set with pair features, RMM) and write the
    /// arrays as NumPy .npz.
    Features(cmd::features::Args),
    /// Train a detector from a TOML run file into a run directory.
    Train(cmd::train::Args),
    /// Score event files with a trained run; writes Parquet.
    Score(cmd::score::Args),
    /// Figures of merit of scored events (AUC, eS at eB, maxSI, bootstrap), or TI from a
    /// DarkMachines submission table.
    Eval(cmd::eval::Args),
    /// A self-contained HTML report comparing trained runs on signal files.
    Report(cmd::report::Args),
    /// The statistical search on score files: anomaly regions at fixed cross section, the
    /// nine invariant-mass spectra, dijet fits, BumpHunter, limits.
    Search(cmd::search::Args),
    /// BumpHunter scan of one observable (ROOT, Parquet or CSV column) against a reference.
    Bumphunt(cmd::bumphunt::Args),
    /// Combine the calibrated scores of several detectors (AND, OR, AVG, PROD) into a new
    /// score file.
    Combine(cmd::combine::Args),
    /// Run the demonstration on the embedded sample.
    Demo(cmd::demo::Args),
}

/// Global settings every command receives.
#[derive(Debug, Clone, Copy)]
pub struct Global {
    /// Show progress bars (stderr is a terminal and not `--quiet`).
    pub progress: bool,
    pub quiet: bool,
}

/// Jemalloc with transparent huge pages (`.cargo/config.toml`): fresh multi-gigabyte feature
/// arrays without a page fault per 4 KiB.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let level = if cli.quiet { "warn" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ODDITY_LOG").unwrap_or_else(|_| level.into());
    // The console shows `level` (or ODDITY_LOG); a run's log.txt gets Oddity's debug records.
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let console = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_filter(filter);
    let file_filter = tracing_subscriber::EnvFilter::new("warn,oddity=debug,oddity_nn=debug,oddity_detect=debug");
    let file = tracing_subscriber::fmt::layer()
        .with_writer(runlog::RunLog)
        .with_ansi(false)
        .with_target(false)
        .with_filter(file_filter);
    tracing_subscriber::registry().with(console).with(file).init();
    let global = Global { progress: !cli.quiet && std::io::stderr().is_terminal(), quiet: cli.quiet };
    let result = match cli.command {
        Command::Inspect(a) => cmd::inspect::run(a, global),
        Command::Select(a) => cmd::select::run(a, global),
        Command::Convert(a) => cmd::convert::run(a, global),
        Command::Features(a) => cmd::features::run(a, global),
        Command::Train(a) => cmd::train::run(a, global),
        Command::Score(a) => cmd::score::run(a, global),
        Command::Eval(a) => cmd::eval::run(a, global),
        Command::Report(a) => cmd::report::run(a, global),
        Command::Search(a) => cmd::search::run(a, global),
        Command::Bumphunt(a) => cmd::bumphunt::run(a, global),
        Command::Combine(a) => cmd::combine::run(a, global),
        Command::Demo(a) => cmd::demo::run(a, global),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut shown = format!("{e}");
            eprintln!("error: {shown}");
            for cause in e.chain().skip(1) {
                // Errors that already print their source in their own message are not repeated.
                let text = cause.to_string();
                if !shown.contains(&text) {
                    eprintln!("  caused by: {text}");
                    shown.push_str(&text);
                }
            }
            ExitCode::from(exit_code(&e))
        }
    }
}

/// 2 for input and usage errors, 1 for failures of the machine (writes, internal errors).
fn exit_code(e: &anyhow::Error) -> u8 {
    let is_write =
        e.chain().any(|c| matches!(c.downcast_ref::<oddity_io::IoError>(), Some(oddity_io::IoError::Write { .. })))
            || e.chain().any(|c| c.downcast_ref::<input::OutputError>().is_some())
            || e.chain().any(|c| c.downcast_ref::<oddity_plot::PlotError>().is_some());
    if is_write { 1 } else { 2 }
}
