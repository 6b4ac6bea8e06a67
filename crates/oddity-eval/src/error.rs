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
    /// A NaN or infinite score in a calibration set.
    #[error("calibration score of event {index} is {value}; calibration scores must be finite")]
    CalibrationScore { index: usize, value: f64 },
    /// A calibration set without events of positive weight.
    #[error("the calibration set has no event of positive weight ({events} events given)")]
    EmptyCalibration { events: usize },
    /// A calibration set whose standard deviation cannot scale the tail.
    #[error(
        "the {events} calibration scores (from {min} to {max}) have standard deviation {sigma}: the tail beyond \
         the largest score needs a finite, positive spread"
    )]
    CalibrationSpread { events: usize, min: f64, max: f64, sigma: f64 },
    /// A stored calibration whose summary does not match its calibration set.
    #[error("stored calibration: {field} is {stored} but the stored calibration set gives {recomputed}")]
    CalibrationMismatch { field: &'static str, stored: f64, recomputed: f64 },
    /// A combination mode name that is not one of the four.
    #[error("unknown combination mode '{given}', expected one of and, or, avg, prod")]
    UnknownCombineMode { given: String },
    /// An error in one member of a combination or ensemble (0-based index).
    #[error("member {member}: {source}")]
    Member {
        member: usize,
        #[source]
        source: Box<EvalError>,
    },
    /// A number of score columns other than the number of calibrated members.
    #[error("the combination has {expected} members but {got} score columns were given")]
    MemberCount { expected: usize, got: usize },
    /// Members with different numbers of events.
    #[error("member {member} has {len} scores but member 0 has {expected}")]
    MemberLength { member: usize, len: usize, expected: usize },
    /// A combination or ensemble without members.
    #[error("the {what} needs at least one member")]
    NoMembers { what: &'static str },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl EvalError {
    /// Wraps the error with the index of the member it comes from.
    pub(crate) fn in_member(self, member: usize) -> Self {
        EvalError::Member { member, source: Box::new(self) }
    }
}
