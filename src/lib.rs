//! # scimcheck
//!
//! A SCIM 2.0 conformance harness. Declarative YAML cases (`cases/`) run as libtest-mimic trials against
//! any SCIM base URL; responses are validated against JSON Schemas derived from RFC 7643 (`schemas/`)
//! and optionally snapshotted with insta (`snapshots/`).
//!
//! The pipeline reads in module order:
//! [`case`] (YAML → typed, spanned cases) → [`plan`] (trials, capabilities, skips) →
//! [`exec`] (HTTP, variables, captures, cleanup) → [`check`] (status, headers, schema, JSON
//! assertions, snapshots) → [`report`].
//!
//! [`mock`] is an embedded reference SCIM server with switchable faults; it shares only [`scim`]
//! with the harness.
#![forbid(unsafe_code)]

pub mod mock;
pub mod scim;
