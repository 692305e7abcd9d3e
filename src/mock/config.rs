//! Server configuration and the credentials a running server accepts.

use std::collections::BTreeSet;
use std::time::Duration;

use super::faults::Fault;
use super::variations::Variation;

/// How a [`MockServer`](super::MockServer) behaves. `Default` is a conformant server.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Vendor bugs to exhibit.
    pub faults: BTreeSet<Fault>,
    /// Conformant choices made differently from the defaults.
    pub variations: BTreeSet<Variation>,
    /// Delay added to every response.
    pub latency: Option<Duration>,
    /// Requests per second before answering `429 Too Many Requests` with `Retry-After`.
    pub rate_limit: Option<u32>,
    /// Page size when a query gives no `count` (RFC 9865 `defaultPageSize`).
    pub default_page_size: usize,
    /// Largest page returned (`filter.maxResults`, RFC 9865 `maxPageSize`).
    pub max_page_size: usize,
    /// How long a cursor stays valid (RFC 9865 `cursorTimeout`).
    pub cursor_timeout: Duration,
    /// Largest request body accepted (`bulk.maxPayloadSize`); larger bodies get 413.
    pub max_payload_bytes: usize,
    /// Most operations in one bulk request (`bulk.maxOperations`).
    pub bulk_max_operations: usize,
    /// A fixed SCIM token instead of a random one, so a provisioning client under test can be
    /// configured ahead of time.
    pub scim_token: Option<String>,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            faults: BTreeSet::new(),
            variations: BTreeSet::new(),
            latency: None,
            rate_limit: None,
            default_page_size: 100,
            max_page_size: 1000,
            cursor_timeout: Duration::from_secs(600),
            max_payload_bytes: 1024 * 1024,
            bulk_max_operations: 100,
            scim_token: None,
        }
    }
}

impl MockConfig {
    /// A default configuration exhibiting `faults`.
    pub fn with_faults(faults: impl IntoIterator<Item = Fault>) -> Self {
        MockConfig {
            faults: faults.into_iter().collect(),
            ..MockConfig::default()
        }
    }
}

/// Credentials of one server run; random per start unless the configuration fixes the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockCredentials {
    /// Bearer token for tenant A's SCIM API.
    pub scim_token: String,
    /// Bearer token for the non-SCIM account API (`GET /api/v1/account`); not valid for SCIM.
    pub api_key: String,
    /// Bearer token for tenant B, whose data is separate from tenant A's.
    pub other_tenant_token: String,
}

impl MockCredentials {
    pub(crate) fn random() -> Self {
        let token = |prefix: &str| format!("{prefix}-{}", uuid::Uuid::new_v4().simple());
        MockCredentials {
            scim_token: token("scim"),
            api_key: token("apikey"),
            other_tenant_token: token("scim-tenant-b"),
        }
    }
}
