//! Comparing runs: a CI baseline (an earlier JSON result of `run`) and the deviations a team
//! has accepted in `scimcheck.toml`, which together decide what a regression is; and two
//! targets side by side (`scimcheck compare`), case by case, finding by finding and through
//! their discovery documents.

pub mod accept;
pub mod diff;
pub mod inventory;
pub mod reconcile;
pub mod record;
pub mod schema;
pub mod steps;

pub use accept::{Acceptance, Gate};
pub use diff::{Comparison, Difference, Severity, compare};
pub use record::{BaselineError, RunRecord};
