//! An embedded reference SCIM 2.0 service provider (RFC 7643, RFC 7644, RFC 9865) with
//! switchable [`Fault`]s that imitate real vendor bugs.
//!
//! Two tenants share one server: [`MockCredentials::scim_token`] opens tenant A and
//! [`MockCredentials::other_tenant_token`] tenant B; neither sees the other's data.
//! `GET /api/v1/account` is a non-SCIM vendor API that only the API key opens.

mod auth;
mod bulk;
mod config;
mod cursor;
mod discovery;
mod error;
mod extract;
mod faults;
mod ops;
mod patch;
mod query;
mod resource;
mod routes;
mod schema;
mod server;
mod state;
mod store;

pub use config::{MockConfig, MockCredentials};
pub use faults::Fault;
pub use server::MockServer;
