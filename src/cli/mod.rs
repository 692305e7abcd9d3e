//! The `scimcheck` command line's arguments, defined once for the binary and for the tests
//! that check the README's commands against them. The binary (`src/main.rs`) acts on them.

mod args;
mod compare;
mod duration;
pub mod list;

pub use args::{
    CasesArg, Cli, Color, Command, ListArgs, ListFormat, LoadArgs, OutputFormat, RunArgs,
    SelectArgs, ServeArgs, SweepArgs, TargetArgs,
};
pub use compare::CompareArgs;
pub use duration::{DurationError, parse_duration};
