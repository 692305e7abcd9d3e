//! Stage 3: executing steps over HTTP — the shared client, variables and captures, paging
//! walks, and the teardown of everything a case created.

pub mod client;
pub mod ledger;
pub mod limit;
pub mod oauth;
pub mod run;
pub(crate) mod schedule;
pub mod sweep;
pub mod walk;
