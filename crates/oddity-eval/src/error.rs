//! The crate's error type.

use std::fmt;
use std::path::PathBuf;

/// Signal or background, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Signal,
    Background,
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Class::Signal => "signal",
            Class::Background => "background",
        })
    }
}

/// Everything that can go wrong in `oddity-eval`.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// Input slices of different lengths.
    #[error("{what} has {len} entries but there are {expected} scores")]
    LengthMismatch { what: &'static str, len: usize, expected: usize },
    /// A NaN score.
    #[error("score of event {index} is NaN; scores must be numbers (±inf is allowed)")]
    NanScore { index: usize },
    /// A negative, NaN or infinite weight.
    #[error("weight of event {index} is {value}; weights must be finite and non-negative")]
    InvalidWeight { index: usize, value: f64 },
    /// No events of one class.
    #[error("no {class} events: a ROC needs both signal and background")]
    EmptyClass { class: Class },
    /// Events of one class, but all with weight zero.
    #[error("the {count} {class} events all have weight 0: the {class} efficiency is undefined")]
    ZeroWeightClass { class: Class, count: u64 },
    /// The total weight of one class is not representable.
    #[error("the total {class} weight overflows f64; rescale the weights")]
    WeightOverflow { class: Class },
    /// A background efficiency outside (0, 1].
    #[error("working point eB = {0} is not in (0, 1]")]
    InvalidWorkingPoint(f64),
    /// Bad bootstrap settings.
    #[error("bootstrap: {0}")]
    Bootstrap(String),
    /// A malformed table: names the file, the 1-based line and the field.
    #[error("{file} line {line}, field {field}: {message}")]
    Parse { file: String, line: usize, field: String, message: String },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
