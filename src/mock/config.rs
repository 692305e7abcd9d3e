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
    /// The listen backlog (connections waiting to be accepted); `None` for the system's usual.
    pub listen_backlog: Option<u32>,
    /// Serve only this many connections at once, each for one request, leaving the rest in the
    /// listen backlog, like a single-threaded development server; `None` for no limit. Plain
    /// HTTP only: [`MockServer::start_tls`](super::MockServer::start_tls) ignores it.
    pub workers: Option<usize>,
    /// Most connections open at once; more wait in the listen backlog. A client opening
    /// thousands of idle connections then costs the server no more than this many.
    pub max_connections: usize,
    /// A connection is closed when it gets no answer for this long: an idle keep-alive, or a
    /// client that sends its request a byte at a time and never finishes (slowloris).
    pub answer_timeout: Duration,
    /// A fixed API key (the vendor's non-SCIM credential) instead of a random one.
    pub api_key: Option<String>,
    /// A fixed token of the other tenant instead of a random one.
    pub other_tenant_token: Option<String>,
    /// A fixed token for the admin route (`/_admin/faults`) instead of a random one.
    pub admin_token: Option<String>,
    /// Keep every request and its response, redacted, for [`MockServer::requests`](super::MockServer::requests).
    pub record_requests: bool,
    /// A fixed revoked (rotated-out) SCIM token instead of a random one.
    pub revoked_token: Option<String>,
    /// The OAuth 2.0 token endpoint (`POST /oauth/token`, client credentials): its client and
    /// the lifetime of the access tokens it issues.
    pub oauth: MockOAuth,
}

/// The mock's OAuth client (RFC 6749 §4.4) and its tokens' lifetime.
#[derive(Debug, Clone)]
pub struct MockOAuth {
    /// A fixed client id instead of a random one.
    pub client_id: Option<String>,
    /// A fixed client secret instead of a random one.
    pub client_secret: Option<String>,
    /// How long an access token lives (`expires_in`); short, to watch a client refresh.
    pub token_lifetime: Duration,
    /// Answer an expired access token with 401, as a real server does; `false` keeps honouring
    /// it (a server that never expires its tokens).
    pub reject_expired: bool,
}

impl Default for MockOAuth {
    fn default() -> Self {
        MockOAuth {
            client_id: None,
            client_secret: None,
            token_lifetime: Duration::from_secs(3600),
            reject_expired: true,
        }
    }
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
            listen_backlog: None,
            workers: None,
            // Far above what a run opens (its limiter tops out at 256), well below the usual
            // file-descriptor limit.
            max_connections: 1024,
            answer_timeout: Duration::from_secs(30),
            api_key: None,
            other_tenant_token: None,
            admin_token: None,
            record_requests: false,
            revoked_token: None,
            oauth: MockOAuth::default(),
        }
    }
}

/// A fault or variation name that is not in the registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown {kind} `{name}`{} (see `scimcheck serve --list-{kind}s`)",
    close.map(|close| format!("; did you mean `{close}`?")).unwrap_or_default()
)]
pub struct UnknownName {
    /// `fault` or `variation`.
    pub kind: &'static str,
    pub name: String,
    /// The known name closest to `name`, when it looks like a typo of it.
    pub close: Option<&'static str>,
}

impl MockConfig {
    /// A default configuration exhibiting the faults and variations named (as on the command
    /// line: `accept-any-token`).
    pub fn named(
        faults: &[impl AsRef<str>],
        variations: &[impl AsRef<str>],
    ) -> Result<Self, UnknownName> {
        // The same "did you mean" as the case selection flags give.
        let unknown =
            |kind, name: &str, known: &mut dyn Iterator<Item = &'static str>| UnknownName {
                kind,
                name: name.to_owned(),
                close: crate::case::load::suggest(name, known),
            };
        Ok(MockConfig {
            faults: faults
                .iter()
                .map(|n| {
                    Fault::from_name(n.as_ref()).ok_or_else(|| {
                        unknown(
                            "fault",
                            n.as_ref(),
                            &mut Fault::ALL.iter().map(|f| f.name()),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            variations: variations
                .iter()
                .map(|n| {
                    Variation::from_name(n.as_ref()).ok_or_else(|| {
                        let known = &mut Variation::ALL.iter().map(|v| v.name());
                        unknown("variation", n.as_ref(), known)
                    })
                })
                .collect::<Result<_, _>>()?,
            ..MockConfig::default()
        })
    }

    /// A default configuration exhibiting `faults`.
    pub fn with_faults(faults: impl IntoIterator<Item = Fault>) -> Self {
        MockConfig {
            faults: faults.into_iter().collect(),
            ..MockConfig::default()
        }
    }
}

/// Credentials of one server run; each random per start unless the configuration fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockCredentials {
    /// Bearer token for tenant A's SCIM API.
    pub scim_token: String,
    /// Bearer token for the non-SCIM account API (`GET /api/v1/account`); not valid for SCIM.
    pub api_key: String,
    /// Bearer token for tenant B, whose data is separate from tenant A's.
    pub other_tenant_token: String,
    /// Bearer token for the admin route that switches faults at run time; no SCIM route
    /// accepts it, and it opens nothing else.
    pub admin_token: String,
    /// Tenant A's SCIM token before its last rotation: revoked, every SCIM route refuses it.
    pub revoked_token: String,
    /// The OAuth client that `POST /oauth/token` issues tenant A's access tokens to.
    pub oauth_client_id: String,
    pub oauth_client_secret: String,
}

impl MockCredentials {
    /// The configured credentials, a random one for each the configuration leaves open.
    pub(crate) fn issue(config: &MockConfig) -> Self {
        let token = |fixed: &Option<String>, prefix: &str| {
            fixed
                .clone()
                .unwrap_or_else(|| format!("{prefix}-{}", uuid::Uuid::new_v4().simple()))
        };
        MockCredentials {
            scim_token: token(&config.scim_token, "scim"),
            api_key: token(&config.api_key, "apikey"),
            other_tenant_token: token(&config.other_tenant_token, "scim-tenant-b"),
            admin_token: token(&config.admin_token, "admin"),
            revoked_token: token(&config.revoked_token, "scim-revoked"),
            oauth_client_id: token(&config.oauth.client_id, "client"),
            oauth_client_secret: token(&config.oauth.client_secret, "client-secret"),
        }
    }

    /// A redactor that knows every one of these credentials.
    pub fn redactor(&self) -> crate::redact::Redactor {
        let mut redactor = crate::redact::Redactor::default();
        redactor.add(&self.scim_token, "scim token");
        redactor.add(&self.api_key, "api key");
        redactor.add(&self.other_tenant_token, "other tenant token");
        redactor.add(&self.admin_token, "admin token");
        redactor.add(&self.revoked_token, "revoked token");
        redactor.add(&self.oauth_client_secret, "oauth client secret");
        redactor.add(
            &crate::exec::oauth::client_secret_basic(
                &self.oauth_client_id,
                &self.oauth_client_secret,
            ),
            "oauth client secret",
        );
        redactor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_fault_or_variation_gets_a_did_you_mean() {
        let none: [&str; 0] = [];
        let table = [
            (
                MockConfig::named(&["accept-any-tokn"], &none),
                "unknown fault `accept-any-tokn`; did you mean `accept-any-token`? \
                 (see `scimcheck serve --list-faults`)",
            ),
            (
                MockConfig::named(&none, &["emails-requird"]),
                "unknown variation `emails-requird`; did you mean `emails-required`? \
                 (see `scimcheck serve --list-variations`)",
            ),
            (
                MockConfig::named(&["nothing-like-it"], &none),
                "unknown fault `nothing-like-it` (see `scimcheck serve --list-faults`)",
            ),
        ];
        for (named, message) in table {
            assert_eq!(named.expect_err(message).to_string(), message);
        }
        assert!(MockConfig::named(&["accept-any-token"], &["emails-required"]).is_ok());
    }
}
