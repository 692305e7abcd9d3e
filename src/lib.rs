//! # scimcheck
//!
//! A SCIM 2.0 conformance harness. Declarative YAML cases (`cases/`) run as trials against any
//! SCIM base URL; responses are validated against JSON Schemas derived from RFC 7643
//! (`schemas/`) and optionally snapshotted with insta (`snapshots/`). This page is the manual
//! for using it from Rust; the README is the manual for the `scimcheck` command, which goes
//! through the same [`run`].
//!
//! ## Running the catalogue from a test
//!
//! [`RunConfig::builder`] takes a base URL and [`Credentials`](exec::client::Credentials);
//! [`RunConfig::for_mock`] takes a running [`MockServer`](mock::MockServer) and every token it
//! issued. Each setting has `scimcheck run`'s default; [`RunBuilder::build`] checks them all.
//! [`RunBuilder::oauth`] fetches the SCIM token from an OAuth 2.0 token endpoint instead
//! ([`exec::oauth`]), and [`RunBuilder::revoked_token`] runs the token-rotation cases.
//! [`run`] is async and runs on the caller's tokio runtime (a `#[tokio::test]`, of either
//! flavour, is fine): the cases block on threads of their own, never on the caller's.
//!
//! ```
//! use scimcheck::mock::{MockConfig, MockServer};
//! use scimcheck::report::CaseOutcome;
//! use scimcheck::{Output, RunConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mock = MockServer::start(MockConfig::default(), "127.0.0.1:0".parse()?).await?;
//! let config = RunConfig::for_mock(&mock)
//!     .filter("users::create")   // like `scimcheck run users::create`
//!     .output(Output::Silent)     // the default: nothing printed, read the outcome
//!     .build()?;
//! let outcome = scimcheck::run(config).await?;
//! assert!(outcome.results.iter().all(|r| r.outcome == CaseOutcome::Passed));
//! let report = outcome.report();
//! assert_eq!(report.verdict.exit_code, 0, "{}", report.verdict.headline);
//! # Ok(())
//! # }
//! ```
//!
//! The [`RunOutcome`] holds one [`CaseResult`](report::CaseResult) per case that ran (its
//! failing step's request, response and mismatches with their RFC clause) and the run's
//! [`RunFacts`](report::RunFacts); [`RunOutcome::report`] groups failures into
//! [`Finding`](report::Finding)s and judges the [`Verdict`](report::Verdict), which every
//! [`report::Writer`] (console, JUnit, JSON, HTML, Markdown) renders.
//!
//! ## The mock as a test double for a provisioning client
//!
//! [`MockServer`](mock::MockServer) is a conformant SCIM service provider with two tenants.
//! A test can load it with [`seed`](mock::MockServer::seed), look at what a client left
//! behind with [`resources`](mock::MockServer::resources), read what the client sent with
//! [`requests`](mock::MockServer::requests) (when
//! [`MockConfig::record_requests`](mock::MockConfig::record_requests) is set; credentials
//! redacted), and turn vendor bugs on and off with
//! [`set_faults`](mock::MockServer::set_faults) between two runs.
//!
//! ```
//! use scimcheck::mock::{Fault, MockConfig, MockServer, Seed};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = MockConfig { record_requests: true, ..MockConfig::default() };
//! let mock = MockServer::start(config, "127.0.0.1:0".parse()?).await?;
//! let seeded = mock.seed(&Seed::from_json(r#"{
//!     "users": [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "alice"}],
//!     "groups": [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
//!                 "displayName": "staff", "members": [{"value": "alice"}]}]
//! }"#)?)?;
//! let alice = seeded.user_id("alice").expect("seeded");
//! assert_eq!(seeded.groups[0]["members"][0]["value"], alice);
//!
//! // … the provisioning client under test talks to mock.base_url() here …
//! assert!(mock.requests().iter().all(|r| r.method != "DELETE"));
//!
//! mock.set_faults([Fault::DeleteOnlyDeactivates]);
//! assert!(mock.faults().contains(&Fault::DeleteOnlyDeactivates));
//! # Ok(())
//! # }
//! ```
//!
//! [`MockServer::start_tls`](mock::MockServer::start_tls) serves HTTPS with a certificate
//! signed by a [`MockTls`](mock::MockTls) authority made for the run. Outside Rust,
//! [`serve`] (`scimcheck serve`) offers the same: `--env-file` says when it is ready, `--seed`,
//! `--record` (JSON lines), `--tls`, and an admin route (`/_admin/faults`, on its own token)
//! that switches faults while it runs.
//!
//! ## The pipeline
//!
//! The modules read in pipeline order:
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
mod runner;
pub mod scim;
pub mod serve;
pub mod suite;

pub use runner::{CaseSource, ConfigError, Output, RunBuilder, RunConfig, RunOutcome, run};
pub use suite::SuiteError;
