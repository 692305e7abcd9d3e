//! The OAuth 2.0 token endpoint (RFC 6749 §4.4, client credentials): `POST /oauth/token`,
//! outside the SCIM base path, issues tenant A's access tokens to the mock's one client, each
//! valid for [`MockOAuth::token_lifetime`](super::MockOAuth::token_lifetime).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;

use super::state::AppState;
use crate::redact::Redactor;

/// Path of the token endpoint under the server root.
pub(crate) const TOKEN_PATH: &str = "/oauth/token";

/// Live access tokens held at once; past it the one expiring first is dropped, so a client that
/// asks for tokens in a loop cannot grow the server's memory.
const MAX_TOKENS: usize = 1024;

/// The access tokens issued and when each expires.
pub(crate) struct Issuer {
    tokens: Mutex<HashMap<String, Instant>>,
    issued: AtomicU64,
    /// Shared with the request log: a token is redacted there from the moment it is issued.
    redactor: Redactor,
}

impl Issuer {
    pub fn new(redactor: Redactor) -> Self {
        Issuer {
            tokens: Mutex::default(),
            issued: AtomicU64::new(0),
            redactor,
        }
    }

    /// Whether `token` is an access token this server issued and still honours.
    pub fn honours(&self, token: &str, reject_expired: bool) -> bool {
        let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens
            .get(token)
            .is_some_and(|expires| !reject_expired || Instant::now() < *expires)
    }

    /// Access tokens issued so far.
    pub fn issued(&self) -> u64 {
        self.issued.load(Ordering::Relaxed)
    }

    /// Forgets every access token, as a server does when the client is rotated or revoked.
    pub fn revoke_all(&self) {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn issue(&self, expires: Instant) -> String {
        let token = format!("oauth-at-{}", uuid::Uuid::new_v4().simple());
        self.redactor.learn(&token, "oauth access token");
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        if tokens.len() >= MAX_TOKENS {
            let first = tokens
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(t, _)| t.clone());
            if let Some(first) = first {
                tokens.remove(&first);
            }
        }
        tokens.insert(token.clone(), expires);
        self.issued.fetch_add(1, Ordering::Relaxed);
        token
    }
}

/// An OAuth error response (RFC 6749 §5.2).
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"scimcheck-mock\""),
        );
    }
    response
}

/// `client_secret_basic`'s id and secret: Base64, then each half form-decoded (RFC 6749 §2.3.1).
fn basic_client(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let pair = String::from_utf8(decoded).ok()?;
    let (id, secret) = pair.split_once(':')?;
    let decode = |part: &str| -> Option<String> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={part}")).ok()?;
        pairs.into_iter().next().map(|(_, v)| v)
    };
    Some((decode(id)?, decode(secret)?))
}

/// `POST /oauth/token`.
pub(crate) async fn token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    let form: Option<Vec<(String, String)>> = form_type
        .then(|| serde_urlencoded::from_bytes(&body).ok())
        .flatten();
    let Some(form) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    };
    let field = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let in_body = field("client_id").zip(field("client_secret"));
    let client = match (basic_client(&headers), in_body) {
        (Some(_), Some(_)) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the client authenticated twice (Authorization header and body)",
            );
        }
        (Some(basic), None) => Some(basic),
        (None, Some((id, secret))) => Some((id.to_owned(), secret.to_owned())),
        (None, None) => None,
    };
    let credentials = &state.credentials;
    let authenticated = client.is_some_and(|(id, secret)| {
        id == credentials.oauth_client_id && secret == credentials.oauth_client_secret
    });
    if !authenticated {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong client secret",
        );
    }
    match field("grant_type") {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            );
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is missing",
            );
        }
    }
    let lifetime = state.config.oauth.token_lifetime;
    let access_token = state.oauth.issue(Instant::now() + lifetime);
    let mut response = axum::Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        // Whole seconds, rounded up: a lifetime under one second is still announced as one.
        "expires_in": lifetime.as_millis().div_ceil(1000) as u64,
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
