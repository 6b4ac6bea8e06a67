//! One module per subcommand.

pub mod convert;
pub mod demo;
pub mod eval;
pub mod features;
pub mod inspect;
pub mod report;
pub mod score;
pub mod select;
pub mod train;
