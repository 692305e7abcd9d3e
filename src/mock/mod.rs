//! An embedded reference SCIM 2.0 service provider (RFC 7643, RFC 7644, RFC 9865) with
//! switchable [`Fault`]s that imitate real vendor bugs and [`Variation`]s that make the choices
//! the RFCs leave open differently.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use scimcheck::mock::{Fault, MockConfig, MockServer};
//! let server = MockServer::start(
//!     MockConfig::with_faults([Fault::AcceptAnyToken]),
//!     "127.0.0.1:0".parse().expect("address"),
//! )
//! .await?;
//! println!("{} with token {}", server.base_url(), server.credentials().scim_token);
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! What a clean server does, where the RFCs leave a choice:
//! - Two tenants: [`MockCredentials::scim_token`] opens tenant A and
//!   [`MockCredentials::other_tenant_token`] tenant B; neither sees the other's data or cursors.
//!   `GET /api/v1/account` (outside the SCIM base) is a vendor API only the API key opens.
//! - `/ServiceProviderConfig` is public; `/Schemas` and `/ResourceTypes` need the SCIM token.
//!   Discovery lists ignore paging and answer a `filter` with 403.
//! - Users (core + enterprise extension) and Groups. `User.groups` is derived from group
//!   membership. Group members must be existing users or groups of the tenant (400
//!   `invalidValue` otherwise); a deleted resource leaves every group it was in.
//! - Writes ignore read-only attributes (`id`, `meta`, `groups`) and attributes the schemas do
//!   not define; `null` and `[]` mean unassigned. `password` is stored and never returned.
//!   Entra's string booleans (`"False"`) are accepted for boolean attributes.
//! - PATCH answers 200 with the resource and is atomic. Unknown attributes in a path are
//!   `invalidPath`; a value filter matching nothing is `noTarget` (also for `remove`).
//! - Filters on attributes the schemas do not define are `invalidFilter`, as are ordering
//!   operators on booleans and filters on `password`.
//! - A big tenant is queried as a real server would: `eq` and `sw` on `userName`,
//!   `displayName`, `externalId` and `emails.value` (case-insensitively) and `eq` on `id`, alone
//!   or joined by `and` / `or`, are answered from indexes; other filters scan; only the filtered
//!   set is sorted, and only the returned page is rendered.
//! - Index paging defaults to [`MockConfig::default_page_size`] and caps `count` at
//!   [`MockConfig::max_page_size`]; cursor paging (`cursor=`) refuses a larger `count` with
//!   `invalidCount`. Cursors hold the position key, so changes between pages neither skip
//!   nor repeat resources.
//! - Bulk is supported, with `bulkId` references in any order, `failOnErrors` and
//!   `maxOperations` / `maxPayloadSize` (413).
//! - ETags are weak (`W/"n"`) and compared weakly for `If-Match` and `If-None-Match`.
//! - Every failure is a SCIM error, whatever a client sends: filters and PATCH paths are bounded
//!   (see [`crate::scim::filter`] and [`crate::scim::path`]), bodies are read whole and capped
//!   at `maxPayloadSize` (413), JSON nests at most 128 levels (`invalidSyntax`), a path that is
//!   not UTF-8 is a 404, and a handler that panics answers 500 without closing the connection.
//!
//! [`MockConfig::variations`] makes some of these choices differently, as the RFCs allow (one
//! adds a read-only custom resource type, `Device` at `/Devices`).

mod admin;
mod auth;
mod bulk;
mod config;
mod cursor;
mod device;
mod discovery;
mod error;
mod extract;
mod faults;
mod ops;
mod patch;
mod query;
mod record;
mod registry;
mod resource;
mod routes;
mod schema;
mod seed;
mod server;
mod state;
mod store;
mod tls;
mod token;
mod variations;
mod vendor;

pub use config::{MockConfig, MockCredentials, MockOAuth, UnknownName};
pub use faults::Fault;
pub use record::RecordedRequest;
pub use seed::{Resources, Seed, SeedError};
pub use server::MockServer;
pub use tls::{MockTls, TlsError};
pub use variations::Variation;
