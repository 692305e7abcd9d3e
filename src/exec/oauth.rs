//! OAuth 2.0 client credentials (RFC 6749 §4.4): the SCIM bearer token fetched from a token
//! endpoint before the run, fetched again before it expires and once after a 401, and learned by
//! the run's [`Redactor`] the moment it arrives.
//!
//! The token endpoint may live on another origin than the SCIM base URL (an identity provider's
//! `/oauth2/token`); only the client credentials go there, and the access token still goes
//! nowhere but the base URL (see [`super::client::confine`]).

use std::net::IpAddr;
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::Url;
use serde::Deserialize;
use thiserror::Error;

use crate::files::show_bytes;
use crate::redact::{self, Redactor};

/// The largest token response read: a token response is a few hundred bytes.
const TOKEN_RESPONSE_LIMIT: u64 = 64 * 1024;
/// A token is fetched again this long before it expires, at most, so that a request under way
/// does not arrive with a token that expired on the way.
const MAX_MARGIN: Duration = Duration::from_secs(30);
/// The shortest time a token is used before the next is fetched on schedule.
const MIN_REUSE: Duration = Duration::from_millis(500);
/// Characters of an `error_description` shown: it is the endpoint's text, not ours.
const DESCRIPTION_LIMIT: usize = 300;

/// How the client authenticates to the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAuth {
    /// HTTP Basic with the form-encoded id and secret: what RFC 6749 says every server supports.
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Post,
}

/// A client-credentials grant, as configured.
#[derive(Clone)]
pub struct OAuthSettings {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub scope: Option<String>,
    /// The `audience` parameter some providers (Auth0, Okta custom servers) require.
    pub audience: Option<String>,
    pub client_auth: ClientAuth,
}

impl std::fmt::Debug for OAuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSettings")
            .field("token_url", &redact::hide_url_password(&self.token_url))
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("scope", &self.scope)
            .field("audience", &self.audience)
            .field("client_auth", &self.client_auth)
            .finish()
    }
}

#[derive(Debug, Error)]
pub enum OAuthError {
    #[error("`{url}` is not a usable OAuth token URL: {reason}")]
    TokenUrl { url: String, reason: String },
    #[error(
        "refusing to send the OAuth client secret over plain http to {host}: use an https token \
         URL (plain http is allowed to loopback only, or with --insecure)"
    )]
    Plaintext { host: String },
    /// The endpoint's own words (RFC 6749 §5.2).
    #[error(
        "the OAuth token endpoint {url} refused the client credentials: {status} {error}{description}"
    )]
    Refused {
        url: String,
        status: u16,
        error: String,
        /// `: ` and the endpoint's `error_description`, or nothing.
        description: String,
    },
    #[error("the OAuth token endpoint {url} answered {status} with {what} (RFC 6749 §5.1)")]
    NotAToken {
        url: String,
        status: u16,
        what: String,
    },
    #[error("the OAuth token endpoint {url}'s answer exceeds {}", show_bytes(*limit))]
    TooLarge { url: String, limit: u64 },
    #[error("failed to reach the OAuth token endpoint {url}: {message}")]
    Transport { url: String, message: String },
}

/// The access token in use, and when to fetch the next.
struct Issued {
    token: String,
    /// Counts fetches: a 401 to an older token than the current one is answered by resending.
    generation: u64,
    refresh_at: Option<Instant>,
    /// Fetched because a fresh token got 401: another 401 is the answer, not a reason to fetch.
    after_401: bool,
}

/// Fetches and keeps the run's access token.
pub(crate) struct TokenSource {
    settings: OAuthSettings,
    url: Url,
    client: reqwest::Client,
    redactor: Redactor,
    issued: RwLock<Issued>,
    /// One fetch at a time: the requests waiting on an expired token share the next one.
    fetching: tokio::sync::Mutex<()>,
}

impl TokenSource {
    /// Checks the token URL and learns the secret; no request yet (see [`Self::fetch_first`]).
    /// `insecure` allows a plain-http token URL on another host, as it allows any certificate.
    pub(crate) fn new(
        settings: OAuthSettings,
        client: reqwest::Client,
        redactor: Redactor,
        insecure: bool,
    ) -> Result<TokenSource, OAuthError> {
        let shown = redact::hide_url_password(&settings.token_url).into_owned();
        let bad = |reason: &str| OAuthError::TokenUrl {
            url: shown.clone(),
            reason: reason.to_owned(),
        };
        let url = Url::parse(&settings.token_url).map_err(|e| bad(&e.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("it must not carry a user name or password"));
        }
        match url.scheme() {
            "https" => {}
            "http" if insecure || is_loopback(&url) => {}
            "http" => {
                return Err(OAuthError::Plaintext {
                    host: url.host_str().unwrap_or_default().to_owned(),
                });
            }
            _ => return Err(bad("only https (or http to loopback) is supported")),
        }
        redactor.learn(&settings.client_secret, "oauth client secret");
        redactor.learn(
            &client_secret_basic(&settings.client_id, &settings.client_secret),
            "oauth client secret",
        );
        Ok(TokenSource {
            settings,
            url,
            client,
            redactor,
            issued: RwLock::new(Issued {
                token: String::new(),
                generation: 0,
                refresh_at: Some(Instant::now()),
                after_401: false,
            }),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The first token, before any case: a refusal is a configuration error.
    pub(crate) async fn fetch_first(&self) -> Result<(), OAuthError> {
        self.current().await.map(drop)
    }

    /// The token to send and its generation, fetched anew once it is due.
    pub(crate) async fn current(&self) -> Result<(String, u64), OAuthError> {
        if let Some(fresh) = self.fresh() {
            return Ok(fresh);
        }
        let _one = self.fetching.lock().await;
        // Another request may have fetched it while this one waited.
        if let Some(fresh) = self.fresh() {
            return Ok(fresh);
        }
        self.fetch(false).await
    }

    /// A request sent with token `generation` got 401: whether to send it again. The token is
    /// fetched anew once; a freshly fetched token that gets 401 too is the target's answer.
    pub(crate) async fn rejected(&self, generation: u64) -> Result<bool, OAuthError> {
        let _one = self.fetching.lock().await;
        let (current, after_401) = {
            let issued = self.read();
            (issued.generation, issued.after_401)
        };
        if current != generation {
            return Ok(true);
        }
        if after_401 {
            return Ok(false);
        }
        self.fetch(true).await.map(|_| true)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Issued> {
        self.issued.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn fresh(&self) -> Option<(String, u64)> {
        let issued = self.read();
        let due = issued.refresh_at.is_some_and(|at| Instant::now() >= at);
        (!due).then(|| (issued.token.clone(), issued.generation))
    }

    /// One token request; the caller holds `fetching`.
    async fn fetch(&self, after_401: bool) -> Result<(String, u64), OAuthError> {
        let shown = redact::hide_url_password(self.url.as_str()).into_owned();
        let settings = &self.settings;
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(scope) = &settings.scope {
            form.push(("scope", scope));
        }
        if let Some(audience) = &settings.audience {
            form.push(("audience", audience));
        }
        let mut request = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            );
        match settings.client_auth {
            ClientAuth::Basic => {
                request = request.header(
                    reqwest::header::AUTHORIZATION,
                    client_secret_basic(&settings.client_id, &settings.client_secret),
                );
            }
            ClientAuth::Post => {
                form.push(("client_id", &settings.client_id));
                form.push(("client_secret", &settings.client_secret));
            }
        }
        let body = serde_urlencoded::to_string(&form).map_err(|e| OAuthError::Transport {
            url: shown.clone(),
            message: e.to_string(),
        })?;
        let transport = |e: reqwest::Error| OAuthError::Transport {
            url: shown.clone(),
            message: self
                .redactor
                .redact(&super::client::describe_reqwest_error(&e))
                .into_owned(),
        };
        let sent_at = Instant::now();
        let mut response = request.body(body).send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let too_large = || OAuthError::TooLarge {
            url: shown.clone(),
            limit: TOKEN_RESPONSE_LIMIT,
        };
        if response
            .content_length()
            .is_some_and(|n| n > TOKEN_RESPONSE_LIMIT)
        {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if (bytes.len() + chunk.len()) as u64 > TOKEN_RESPONSE_LIMIT {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        // Success or error (RFC 6749 §5.1, §5.2), read member by member: a member of another
        // type is as good as absent, and extra members are ignored.
        let answer: Option<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_slice(&bytes).ok();
        let not_a_token = |what: &str| OAuthError::NotAToken {
            url: shown.clone(),
            status,
            what: what.to_owned(),
        };
        let Some(answer) = answer else {
            return Err(not_a_token("a body that is not a JSON object"));
        };
        let text = |name: &str| answer.get(name).and_then(serde_json::Value::as_str);
        if !(200..300).contains(&status) || text("error").is_some() {
            let Some(error) = text("error") else {
                return Err(not_a_token("no OAuth `error` member"));
            };
            let description = text("error_description")
                .map(|d| {
                    let d: String = d
                        .chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .take(DESCRIPTION_LIMIT)
                        .collect();
                    format!(": {d}")
                })
                .unwrap_or_default();
            return Err(OAuthError::Refused {
                url: shown,
                status,
                error: self.redactor.redact(error).into_owned(),
                description: self.redactor.redact(&description).into_owned(),
            });
        }
        let token = match text("access_token") {
            Some(token) if !token.trim().is_empty() => token.trim().to_owned(),
            _ => return Err(not_a_token("no access_token")),
        };
        if text("token_type").is_some_and(|t| !t.eq_ignore_ascii_case("bearer")) {
            return Err(not_a_token("a token_type other than Bearer"));
        }
        self.redactor.learn(&token, "oauth access token");
        // Some providers send expires_in as a string; without it the token is kept until a 401.
        let lifetime = match answer.get("expires_in") {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .map(|seconds| Duration::from_secs(seconds.min(365 * 24 * 3600)));
        let mut issued = self.issued.write().unwrap_or_else(PoisonError::into_inner);
        issued.token = token;
        issued.generation += 1;
        issued.after_401 = after_401;
        // Never sooner than MIN_REUSE: an endpoint answering `expires_in: 0` gets one token
        // request each half second, not one per SCIM request (a 401 still fetches one at once).
        issued.refresh_at =
            lifetime.map(|lifetime| sent_at + (lifetime - margin(lifetime)).max(MIN_REUSE));
        Ok((issued.token.clone(), issued.generation))
    }
}

/// How long before its expiry a token of `lifetime` is replaced: a fifth of it, at most
/// [`MAX_MARGIN`], so that even a one-second token is used for most of its life.
fn margin(lifetime: Duration) -> Duration {
    (lifetime / 5).min(MAX_MARGIN)
}

/// The `Authorization` value of `client_secret_basic`: id and secret form-encoded, then Base64
/// (RFC 6749 §2.3.1).
pub fn client_secret_basic(client_id: &str, client_secret: &str) -> String {
    let encode = |s: &str| {
        serde_urlencoded::to_string([("", s)])
            .map(|pair| pair[1..].to_owned())
            .unwrap_or_default()
    };
    let pair = format!("{}:{}", encode(client_id), encode(client_secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// Whether `url` names this machine: plain http there exposes the secret to no network.
fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(token_url: &str) -> OAuthSettings {
        OAuthSettings {
            token_url: token_url.to_owned(),
            client_id: "id with space".to_owned(),
            client_secret: "s3cret:+/".to_owned(),
            scope: None,
            audience: None,
            client_auth: ClientAuth::Basic,
        }
    }

    fn source(url: &str, insecure: bool) -> Result<TokenSource, OAuthError> {
        // As `Target::new` does: reqwest is built without a default TLS provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        TokenSource::new(
            settings(url),
            reqwest::Client::new(),
            Redactor::default(),
            insecure,
        )
    }

    #[test]
    fn the_secret_goes_over_https_or_to_loopback_only() {
        for allowed in [
            "https://idp.example.com/oauth2/token",
            "http://127.0.0.1:8080/oauth/token",
            "http://[::1]:8080/oauth/token",
            "http://localhost/oauth/token",
        ] {
            assert!(source(allowed, false).is_ok(), "{allowed}");
        }
        assert!(matches!(
            source("http://idp.example.com/oauth2/token", false),
            Err(OAuthError::Plaintext { .. })
        ));
        assert!(source("http://idp.example.com/oauth2/token", true).is_ok());
        for refused in [
            "ftp://idp.example.com/token",
            "https://user:pw@idp.example.com/token",
            "not a url",
        ] {
            let error = source(refused, true).err().expect(refused).to_string();
            assert!(!error.contains("pw@"), "{error}");
            assert!(error.contains("not a usable OAuth token URL"), "{error}");
        }
    }

    #[test]
    fn basic_credentials_are_form_encoded_before_base64() {
        let header = client_secret_basic("id with space", "s3cret:+/");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(header.trim_start_matches("Basic "))
            .expect("base64");
        assert_eq!(
            String::from_utf8(decoded).expect("utf-8"),
            "id+with+space:s3cret%3A%2B%2F"
        );
    }

    #[test]
    fn the_margin_is_a_fifth_of_the_lifetime_at_most_thirty_seconds() {
        assert_eq!(margin(Duration::from_secs(1)), Duration::from_millis(200));
        assert_eq!(margin(Duration::from_secs(3600)), MAX_MARGIN);
        assert_eq!(margin(Duration::ZERO), Duration::ZERO);
    }
}
