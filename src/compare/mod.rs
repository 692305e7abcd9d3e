//! Comparing one run with another: a CI baseline (an earlier JSON result of `run`) and the
//! deviations a team has accepted in `scimcheck.toml`, which together decide what a regression
//! is.

pub mod accept;
pub mod baseline;

pub use accept::{Acceptance, Gate};
pub use baseline::{Baseline, BaselineError};
