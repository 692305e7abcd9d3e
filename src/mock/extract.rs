//! Request extractors that fail with SCIM errors instead of axum's plain-text rejections.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;
use super::faults::Fault;
use super::resource::Projection;
use super::state::AppState;
use crate::scim::ScimType;

/// Reads a request's whole body into memory, at most `max_payload_bytes` (413 beyond, RFC 7644
/// §3.7.4), before any handler runs. Handlers that answer without looking at the body (405,
/// 401, DELETE) would otherwise leave it unread, and a connection closed with unread input is
/// reset, which can destroy the answer before the client reads it. For the same reason an
/// oversized body is read on and discarded, up to [`DRAIN_FACTOR`] times the limit, before the
/// 413; a body declared larger than that is refused unread.
pub(crate) async fn read_body(state: &AppState, request: Request) -> Result<Request, ApiError> {
    let advertised = state.config.max_payload_bytes;
    let limit = if state.has(Fault::MaxPayloadSizeIgnored) {
        advertised.saturating_mul(DRAIN_FACTOR)
    } else {
        advertised
    };
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!("the request body exceeds maxPayloadSize ({limit} bytes)"),
        )
    };
    let drain_limit = limit.saturating_mul(DRAIN_FACTOR);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > drain_limit) {
        return Err(too_large());
    }
    let (parts, body) = request.into_parts();
    let mut chunks = body.into_data_stream();
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(unreadable)?;
        seen = seen.saturating_add(chunk.len());
        if seen > drain_limit {
            break;
        }
        if seen <= limit {
            bytes.extend_from_slice(&chunk);
        }
    }
    if seen > limit {
        return Err(too_large());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// How far past `max_payload_bytes` an oversized body is read (and discarded) before the 413.
const DRAIN_FACTOR: usize = 8;

/// The client broke off while sending the body.
fn unreadable(error: axum::Error) -> ApiError {
    ApiError::bad_request(
        ScimType::InvalidSyntax,
        format!("the body could not be read: {error}"),
    )
}

/// A JSON request body: `application/json` or `application/scim+json` (any parameters),
/// malformed → `invalidSyntax`. [`read_body`] has already bounded its size.
pub(crate) struct JsonBody(pub Value);

impl FromRequest<Arc<AppState>> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &Arc<AppState>) -> Result<Self, ApiError> {
        if let Some(content_type) = request.headers().get(header::CONTENT_TYPE) {
            let essence = content_type
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if essence != "application/json" && essence != "application/scim+json" {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    None,
                    format!(
                        "requests must be application/scim+json or application/json, not {essence:?}"
                    ),
                ));
            }
        }
        let bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
            .await
            .map_err(unreadable)?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            ApiError::bad_request(
                ScimType::InvalidSyntax,
                format!("the body is not valid JSON: {e}"),
            )
        })
    }
}

/// Path parameters, as axum's `Path` extracts them. A path axum cannot decode (a
/// percent-encoded segment that is not UTF-8) names no resource: 404 as a SCIM error rather
/// than axum's plain-text 400.
pub(crate) struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|e| ApiError::not_found(format!("no resource at this path: {e}")))
    }
}

/// The raw query parameters, in order.
pub(crate) struct Params(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map(|Query(params)| Params(params))
            .map_err(|e| {
                ApiError::bad_request(
                    ScimType::InvalidValue,
                    format!("malformed query string: {e}"),
                )
            })
    }
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `attributes` / `excludedAttributes` (RFC 7644 §3.9).
    pub fn projection(&self) -> Result<Projection, ApiError> {
        Projection::from_query(self.get("attributes"), self.get("excludedAttributes"))
    }
}
