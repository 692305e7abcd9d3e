//! `scimcheck snapshots`: review the new versions `run --snapshots` left beside the stored
//! snapshots (`.snap.new`), without cargo-insta.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::args::TEMPLATE;

const SNAPSHOTS_EXAMPLES: &str = "\
Examples:
  scimcheck snapshots review                       every pending snapshot: what changed, then
                                                   accept, reject or skip each (on a terminal)
  scimcheck snapshots accept users::create         keep the new versions of one case
  scimcheck snapshots reject --dir snapshots/mock  drop every new version of the mock's

Exit codes: 0 done (or nothing pending), 2 a snapshot could not be read, renamed or removed.";

#[derive(Args)]
#[command(after_help = SNAPSHOTS_EXAMPLES, help_template = TEMPLATE)]
pub struct SnapshotsArgs {
    #[command(subcommand)]
    pub action: SnapshotAction,
}

#[derive(Subcommand)]
pub enum SnapshotAction {
    /// Show each pending snapshot's changes (JSON pointer, old and new value); on a terminal,
    /// ask whether to accept it.
    Review(Pending),
    /// Make the pending versions the stored snapshots.
    Accept(Pending),
    /// Drop the pending versions; the stored snapshots stay.
    Reject(Pending),
}

#[derive(Args)]
pub struct Pending {
    /// Only the snapshots of cases whose name contains one of these (all without).
    #[arg(value_name = "CASE")]
    pub cases: Vec<String>,
    /// The folder to look in, every target's below it.
    #[arg(long, value_name = "DIR", default_value = "snapshots")]
    pub dir: PathBuf,
}
