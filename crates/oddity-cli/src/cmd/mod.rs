//! One module per subcommand.

pub mod convert;
pub mod demo;
pub mod inspect;
pub mod select;
