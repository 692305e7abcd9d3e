//! The `scimcheck` command line's arguments, defined once for the binary and for the tests
//! that check the README's commands against them. The binary (`src/main.rs`) acts on them.

// Their doc comments are `--help` text, written for a terminal, not for rustdoc.
#[allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]
mod args;
mod compare;
mod duration;
pub mod list;
mod oauth;
mod snapshots;

pub use args::{
    CasesArg, Cli, Color, Command, ListArgs, ListFormat, LoadArgs, OutputFormat, Print, RunArgs,
    SelectArgs, ServeArgs, SweepArgs, TargetArgs,
};
pub use compare::CompareArgs;
pub use duration::{DurationError, parse_duration};
pub use oauth::OAuthArgs;
pub use snapshots::{SnapshotAction, SnapshotsArgs};
