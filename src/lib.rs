//! # scimcheck
//!
//! A SCIM 2.0 conformance harness. Declarative YAML cases (`cases/`) run as libtest-mimic trials
//! against any SCIM base URL; responses are validated against JSON Schemas derived from
//! RFC 7643 (`schemas/`) and optionally snapshotted with insta (`snapshots/`).
//!
//! The pipeline reads in module order:
//! [`case`] (YAML → typed, spanned cases) → [`plan`] (capabilities, trials, skips) →
//! [`exec`] (HTTP, variables, captures, cleanup) → [`check`] (status, headers, schema, JSON
//! assertions, rules, snapshots) → [`report`]. [`suite`] runs the whole pipeline; [`config`]
//! reads a target's `scimcheck.toml`; [`contract`] what its vendor documents beyond the RFCs;
//! [`compare`] judges a run against a baseline and accepted deviations, and compares two
//! targets; [`files`] reads every file a user names, bounded; [`redact`] keeps secrets out of
//! everything written; [`cli`] defines the command line.
//!
//! [`mock`] is an embedded reference SCIM server with switchable faults; it shares only
//! [`scim`] with the harness.
#![forbid(unsafe_code)]

pub mod case;
mod catalog;
pub mod check;
pub mod cli;
pub mod compare;
pub mod config;
pub mod contract;
pub mod exec;
pub mod files;
pub mod mock;
pub mod plan;
pub mod redact;
pub mod report;
pub mod scim;
pub mod suite;
