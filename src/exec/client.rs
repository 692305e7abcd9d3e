//! The HTTP side: one shared client, the target's credentials, and a record of every exchange.

use std::fmt;
use std::time::{Duration, Instant};

use serde_json::Value;
use thiserror::Error;

use crate::case::{Auth, Method};
use crate::redact::Redactor;
use crate::scim::urn;

/// The credentials a run may send.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The SCIM bearer token.
    pub scim: String,
    /// The vendor's general (non-SCIM) API key, for token-confusion cases.
    pub api_key: Option<String>,
    /// A SCIM token of another tenant, for isolation cases.
    pub other_tenant: Option<String>,
}

/// The server under test.
pub struct Target {
    base_url: String,
    credentials: Credentials,
    wrong_token: String,
    client: reqwest::Client,
    redactor: Redactor,
}

#[derive(Debug, Error)]
pub enum ExecError {
    #[error("failed to build the HTTP client: {0}")]
    Client(String),
    #[error("{method} {url}: {message}")]
    Transport {
        method: &'static str,
        url: String,
        message: String,
    },
}

/// A request as sent (the `Authorization` value is kept only as the credential's name).
#[derive(Debug, Clone)]
pub struct SentRequest {
    pub method: Method,
    pub url: String,
    pub auth: Auth,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// A response as received. Header names are lowercase.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    pub elapsed: Duration,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request and its response.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: SentRequest,
    pub response: Response,
}

/// Options of the HTTP client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
        }
    }
}

impl Target {
    pub fn new(
        base_url: &str,
        credentials: Credentials,
        options: &ClientOptions,
    ) -> Result<Target, ExecError> {
        // reqwest is built without a default TLS provider so that only ring is compiled in.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .user_agent(concat!("scimcheck/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ExecError::Client(e.to_string()))?;
        let mut redactor = Redactor::default();
        redactor.add(&credentials.scim, "scim token");
        if let Some(key) = &credentials.api_key {
            redactor.add(key, "api key");
        }
        if let Some(token) = &credentials.other_tenant {
            redactor.add(token, "other tenant token");
        }
        Ok(Target {
            base_url: base_url.trim_end_matches('/').to_owned(),
            credentials,
            wrong_token: format!("scimcheck-not-a-token-{}", uuid::Uuid::new_v4().simple()),
            client,
            redactor,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Whether the run has the credential `auth` needs; `Some(reason)` when it does not.
    pub fn missing_credential(&self, auth: Auth) -> Option<&'static str> {
        match auth {
            Auth::ApiKey if self.credentials.api_key.is_none() => {
                Some("no API key configured (--api-key-env)")
            }
            Auth::OtherTenant if self.credentials.other_tenant.is_none() => {
                Some("no other tenant's token configured (--other-tenant-token-env)")
            }
            _ => None,
        }
    }

    fn authorization(&self, auth: Auth) -> Option<String> {
        let bearer = |token: &str| format!("Bearer {token}");
        match auth {
            Auth::Scim => Some(bearer(&self.credentials.scim)),
            Auth::None => None,
            Auth::Wrong => Some(bearer(&self.wrong_token)),
            Auth::Malformed => Some("Bearer".to_owned()),
            Auth::ApiKey => self.credentials.api_key.as_deref().map(bearer),
            Auth::OtherTenant => self.credentials.other_tenant.as_deref().map(bearer),
        }
    }

    /// The absolute URL of a path relative to the base URL (an absolute URL is kept).
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else if path.starts_with('/') {
            format!("{}{path}", self.base_url)
        } else {
            format!("{}/{path}", self.base_url)
        }
    }

    /// Sends one request. `body` is sent as-is; `headers` may override the defaults
    /// (`Accept` and, with a body, `Content-Type: application/scim+json`).
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        query: &[(String, String)],
        headers: &[(String, String)],
        body: Option<String>,
        auth: Auth,
    ) -> Result<Exchange, ExecError> {
        let mut url = reqwest::Url::parse(url).map_err(|e| ExecError::Transport {
            method: method.as_str(),
            url: url.to_owned(),
            message: format!("invalid URL: {e}"),
        })?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut all_headers: Vec<(String, String)> = Vec::new();
        let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        if !has("accept") {
            all_headers.push(("Accept".into(), urn::MEDIA_TYPE.into()));
        }
        if body.is_some() && !has("content-type") {
            all_headers.push(("Content-Type".into(), urn::MEDIA_TYPE.into()));
        }
        all_headers.extend(headers.iter().cloned());

        let http_method = match method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(http_method, url.clone());
        for (name, value) in &all_headers {
            builder = builder.header(name, value);
        }
        if let Some(authorization) = self.authorization(auth) {
            builder = builder.header(reqwest::header::AUTHORIZATION, authorization);
        }
        if let Some(body) = &body {
            builder = builder.body(body.clone());
        }
        let transport = |message: String| ExecError::Transport {
            method: method.as_str(),
            url: url.to_string(),
            message,
        };
        let started = Instant::now();
        let response = builder
            .send()
            .await
            .map_err(|e| transport(describe_reqwest_error(&e)))?;
        let status = response.status().as_u16();
        let response_headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| transport(describe_reqwest_error(&e)))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = if text.trim().is_empty() {
            None
        } else {
            serde_json::from_str(&text).ok()
        };
        Ok(Exchange {
            request: SentRequest {
                method,
                url: url.to_string(),
                auth,
                headers: all_headers,
                body,
            },
            response: Response {
                status,
                headers: response_headers,
                body: text,
                json,
                elapsed: started.elapsed(),
            },
        })
    }
}

/// reqwest's top-level message hides the cause ("error sending request"); walk the chain.
fn describe_reqwest_error(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_decode() || err.is_body() {
        "failed to read the response"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    if causes.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {}", causes.join(": "))
    }
}

impl fmt::Display for SentRequest {
    /// `METHOD URL` with the credential named, never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} (auth: {})",
            self.method.as_str(),
            self.url,
            self.auth.name()
        )
    }
}
