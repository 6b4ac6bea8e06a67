//! One module per subcommand.

pub mod bumphunt;
pub mod combine;
pub mod convert;
pub mod demo;
pub mod eval;
pub mod features;
pub mod inspect;
pub mod report;
pub mod score;
pub mod search;
pub mod select;
pub mod train;
