//! `scimcheck compare`: two targets (or two saved results) side by side, or their data.

use std::path::PathBuf;

use clap::Args;

use super::args::{CREDENTIALS, OUTPUT, SELECTION, TARGET, TEMPLATE};
use super::{CasesArg, LoadArgs, SelectArgs, TargetArgs};

const COMPARE_EXAMPLES: &str = "\
Examples:
  scimcheck compare --base-url https://old.example.com/scim/v2 --token-env OLD_TOKEN \\
      --against-url https://new.example.com/scim/v2 --against-token-env NEW_TOKEN --read-only
  scimcheck compare --results before.json after.json      two saved `run --json` results
  scimcheck compare --against-mock-variation minimal-user-schema
  scimcheck compare --snapshots-of snapshots/old.example.com-scim-v2 \\
      --against-url https://new.example.com/scim/v2 --against-token-env NEW_TOKEN
  scimcheck compare --inventory --base-url … --against-url … --map ids.csv

Exit codes: 0 B is nowhere worse than A, 1 it is somewhere, 2 configuration error.";

#[derive(Args)]
#[command(after_help = COMPARE_EXAMPLES, help_template = TEMPLATE)]
pub struct CompareArgs {
    /// Compare two saved JSON results (`run --json`, `--write-baseline`) instead of running:
    /// A, then B. They hold no discovery documents, so schemas are not compared.
    #[arg(long, num_args = 2, value_names = ["A", "B"], conflicts_with_all = ["base_url", "against_url"], help_heading = TARGET)]
    pub results: Vec<PathBuf>,
    /// Take A from a snapshot folder recorded by `run --snapshots` (`snapshots/<target>`)
    /// instead of calling it: B's steps are compared with it, status, shape, headers, paging.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["results", "base_url", "mock_fault", "mock_variation", "inventory"], help_heading = TARGET)]
    pub snapshots_of: Option<PathBuf>,
    /// Target A's SCIM base URL [default: the embedded mock]; its token from --token-env,
    /// --token-file or $SCIMCHECK_TOKEN.
    #[arg(long, help_heading = TARGET)]
    pub base_url: Option<String>,
    /// Target B's SCIM base URL [default: another embedded mock].
    #[arg(long, help_heading = TARGET)]
    pub against_url: Option<String>,
    /// A fault of the embedded mock standing in for A (repeatable).
    #[arg(long, value_name = "NAME", conflicts_with = "base_url", help_heading = TARGET)]
    pub mock_fault: Vec<String>,
    /// A conformant variation of the embedded mock standing in for A (repeatable).
    #[arg(long, value_name = "NAME", conflicts_with = "base_url", help_heading = TARGET)]
    pub mock_variation: Vec<String>,
    /// A fault of the embedded mock standing in for B (repeatable).
    #[arg(long, value_name = "NAME", conflicts_with = "against_url", help_heading = TARGET)]
    pub against_mock_fault: Vec<String>,
    /// A conformant variation of the embedded mock standing in for B (repeatable).
    #[arg(long, value_name = "NAME", conflicts_with = "against_url", help_heading = TARGET)]
    pub against_mock_variation: Vec<String>,
    /// Target A's contract (a TOML file) [default: contract in scimcheck.toml].
    #[arg(long, value_name = "PATH", help_heading = TARGET)]
    pub contract: Option<PathBuf>,
    /// Target B's contract [default: A's].
    #[arg(long, value_name = "PATH", help_heading = TARGET)]
    pub against_contract: Option<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Environment variable holding target B's SCIM token.
    #[arg(long, value_name = "VAR", requires = "against_url", help_heading = CREDENTIALS)]
    pub against_token_env: Option<String>,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub cases: CasesArg,
    /// Run only cases that change nothing on either target.
    #[arg(long, help_heading = SELECTION)]
    pub read_only: bool,
    /// Instead of running cases: sample A's Users and Groups (read-only), count the attributes
    /// they populate and flag those B's /Schemas does not declare, then match them with B's
    /// (users by userName, then externalId; groups by displayName). Names and counts only.
    #[arg(long, conflicts_with = "results", help_heading = SELECTION)]
    pub inventory: bool,
    /// Users and Groups read from each side with --inventory, at most.
    #[arg(long, value_name = "N", default_value_t = 1000, requires = "inventory",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000), help_heading = SELECTION)]
    pub sample: u32,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Trace every request and response on stderr (tokens redacted).
    #[arg(long, short, help_heading = OUTPUT)]
    pub verbose: bool,
    /// Write the comparison here: JSON when the name ends in .json, Markdown in .md, HTML
    /// otherwise (repeatable).
    #[arg(long, value_name = "PATH", help_heading = OUTPUT)]
    pub report: Vec<PathBuf>,
    /// With --inventory, write the old-id → new-id map here: CSV when the name ends in .csv,
    /// JSON otherwise. The only place values are written.
    #[arg(long, value_name = "PATH", requires = "inventory", help_heading = OUTPUT)]
    pub map: Option<PathBuf>,
}
