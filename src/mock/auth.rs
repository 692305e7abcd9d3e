//! Bearer-token authentication (RFC 7644 §2, RFC 6750) and the vendor's non-SCIM account API,
//! which uses a separate API key.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use super::faults::Fault;
use super::state::{AppState, TENANT_A, TENANT_B, TenantId};
use super::variations::Variation;

/// The challenge sent with every 401.
pub(crate) const CHALLENGE: &str = "Bearer realm=\"scimcheck-mock\"";

/// The token of an `Authorization: Bearer …` header; the scheme is case-insensitive
/// (RFC 9110 §11.1).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Which tenant a SCIM token opens for a request with `method`, if any.
fn tenant_for(state: &AppState, token: &str, method: &Method) -> Option<TenantId> {
    let credentials = &state.credentials;
    let (current, revoked) = {
        let tokens = state
            .scim_tokens
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (
            tokens.current == token,
            tokens.revoked.iter().any(|r| r == token),
        )
    };
    if current
        || state
            .oauth
            .honours(token, state.config.oauth.reject_expired)
    {
        Some(TENANT_A)
    } else if revoked {
        // A vendor that checks revocation on writes only (reads served from a token cache).
        (state.has(Fault::RevokedTokenAccepted) && method == Method::GET).then_some(TENANT_A)
    } else if token == credentials.other_tenant_token {
        Some(if state.has(Fault::CrossTenantToken) {
            TENANT_A
        } else {
            TENANT_B
        })
    } else if (token == credentials.api_key && state.has(Fault::AcceptApiKey))
        || state.has(Fault::AcceptAnyToken)
    {
        Some(TENANT_A)
    } else {
        None
    }
}

/// Middleware on every SCIM route except `/ServiceProviderConfig`: resolves the tenant or
/// answers 401.
pub(crate) async fn require_scim_token(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    match bearer(request.headers()).and_then(|t| tenant_for(&state, t, &method)) {
        Some(tenant) => {
            request.extensions_mut().insert(tenant);
            next.run(request).await
        }
        None if state.varies(Variation::ApiKeyForbidden)
            && bearer(request.headers()) == Some(state.credentials.api_key.as_str()) =>
        {
            ApiError::new(
                StatusCode::FORBIDDEN,
                None,
                "the account API key does not grant access to the SCIM API",
            )
            .into_response()
        }
        None => unauthorized(&state, "a valid SCIM bearer token is required"),
    }
}

/// The response to a missing or bad token, with whatever the configured faults do to it.
fn unauthorized(state: &AppState, detail: &str) -> Response {
    if state.has(Fault::ForbiddenInsteadOf401) {
        return ApiError::new(StatusCode::FORBIDDEN, None, detail).into_response();
    }
    let mut response = if state.has(Fault::NonScim401Body) {
        (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<html><body><h1>401 Unauthorized</h1></body></html>",
        )
            .into_response()
    } else {
        ApiError::new(StatusCode::UNAUTHORIZED, None, detail).into_response()
    };
    if !state.has(Fault::MissingWwwAuthenticate) {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(CHALLENGE),
        );
    }
    response
}

/// `GET /api/v1/account`: a vendor API authenticated by the API key, never by the SCIM token.
pub(crate) async fn account(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if bearer(&headers) != Some(state.credentials.api_key.as_str()) {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid API key"})),
        )
            .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(CHALLENGE),
        );
        return response;
    }
    axum::Json(json!({
        "account": "scimcheck-mock",
        "plan": "enterprise",
        "scimBaseUrl": state.base_url,
    }))
    .into_response()
}
