//! The HTTP surface: routing, resource handlers, and the edge middleware that counts, rate
//! limits, delays and applies response-level faults.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::FutureExt;
use serde_json::Value;

use super::admin;
use super::auth;
use super::bulk;
use super::device;
use super::discovery;
use super::error::ApiError;
use super::extract::{JsonBody, Params, Path, read_body};
use super::faults::Fault;
use super::ops::{Written, etag_listed, version_of};
use super::query::{self, ListQuery};
use super::record::{self, Incoming};
use super::schema::Kind;
use super::state::{AppState, TenantId};
use super::token;
use super::variations::Variation;
use crate::scim::urn;

/// Path of the SCIM API under the server root.
pub(crate) const SCIM_PREFIX: &str = "/scim/v2";

pub(crate) fn router(state: Arc<AppState>) -> Router {
    let protected = Router::new()
        .route("/ResourceTypes", get(discovery::resource_types))
        .route("/ResourceTypes/{name}", get(discovery::resource_type))
        .route("/Schemas", get(discovery::schemas))
        .route("/Schemas/{id}", get(discovery::schema))
        .route("/.search", post(search_root))
        .route("/Bulk", post(bulk_handler))
        .route(device::ENDPOINT, get(device::list))
        .route("/Devices/{id}", get(device::get))
        .route("/Me", get(me).post(me).put(me).patch(me).delete(me))
        .route("/{endpoint}", get(list).post(create))
        .route("/{endpoint}/.search", post(search))
        .route(
            "/{endpoint}/{id}",
            get(read).put(replace).patch(patch).delete(delete),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_scim_token,
        ));
    let scim = Router::new()
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .merge(protected);
    Router::new()
        .nest(SCIM_PREFIX, scim)
        .route("/api/v1/account", get(auth::account))
        .route(token::TOKEN_PATH, post(token::token))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(contain_panics))
        .layer(middleware::from_fn_with_state(state.clone(), edge))
        .with_state(state.clone())
        // Added after the edge's layers: faults, latency, rate limits and the request log are
        // the SCIM service's, not the admin route's.
        .merge(admin::router(state))
}

/// A SCIM JSON response.
pub(crate) fn scim_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, urn::MEDIA_TYPE)], bytes).into_response()
}

/// A single-resource response with its `ETag` (RFC 7644 §3.14).
fn resource_response(
    state: &AppState,
    status: StatusCode,
    body: &Value,
    etag: Option<&str>,
) -> Response {
    let mut response = scim_response(status, body);
    set_etag(state, &mut response, etag);
    response
}

/// The `ETag` header, unless the server does not support ETags.
fn set_etag(state: &AppState, response: &mut Response, etag: Option<&str>) {
    if state.varies(Variation::NoEtag) || state.has(Fault::EtagHeaderMissing) {
        return;
    }
    if let Some(value) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
        response.headers_mut().insert(header::ETAG, value);
    }
}

/// The `If-Match` precondition, which a server without ETag support does not evaluate.
fn if_match<'h>(state: &AppState, headers: &'h HeaderMap) -> Option<&'h str> {
    header(headers, header::IF_MATCH).filter(|_| !state.varies(Variation::NoEtag))
}

/// 501 for an optional operation the server does not support (RFC 7644 §3.12, Table 8).
fn not_implemented(operation: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        format!("{operation} is not supported"),
    )
}

/// 201 Created with `Location` equal to `meta.location` (RFC 7644 §3.3).
fn created(state: &AppState, body: &Value, etag: Option<&str>) -> Response {
    let mut response = resource_response(state, StatusCode::CREATED, body, etag);
    let location = body.pointer("/meta/location").and_then(Value::as_str);
    if let Some(value) = location
        .filter(|_| !state.has(Fault::LocationMissing))
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn kind_for(endpoint: &str) -> Result<Kind, ApiError> {
    Kind::ALL
        .into_iter()
        .find(|k| k.endpoint() == endpoint)
        .ok_or_else(|| ApiError::not_found(format!("no endpoint /{endpoint}")))
}

fn header(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn list(
    State(state): State<Arc<AppState>>,
    Extension(tenant): Extension<TenantId>,
    Path(endpoint): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let kind = kind_for(&endpoint)?;
    let mut q = ListQuery::from_params(&params)?;
    if state.has(Fault::PlusDecodedAsSpace) {
        q.filter = q.filter.map(|f| f.replace('+', " "));
    }
    let body = query::list(&state, tenant, &state.read(tenant), &[kind], &q)?;
    Ok(scim_response(StatusCode::OK, &body))
}

async fn search(
    State(state): State<Arc<AppState>>,
    Extension(tenant): Extension<TenantId>,
    Path(endpoint): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let kind = kind_for(&endpoint)?;
    let q = ListQuery::from_search(&body)?;
    let body = query::list(&state, tenant, &state.read(tenant), &[kind], &q)?;
    Ok(scim_response(StatusCode::OK, &body))
}

/// `POST /.search` across every resource type (RFC 7644 §3.4.3).
async fn search_root(
    State(state): State<Arc<AppState>>,
    Extension(tenant): Extension<TenantId>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let q = ListQuery::from_search(&body)?;
    let body = query::list(&state, tenant, &state.read(tenant), &Kind::ALL, &q)?;
    Ok(scim_response(StatusCode::OK, &body))
}

async fn create(
    State(state): State<Arc<AppState>>,
    Extension(tenant): Extension<TenantId>,
    Path(endpoint): Path<String>,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let kind = kind_for(&endpoint)?;
    let projection = params.projection()?;
    let mut data = state.write(tenant);
    let doc = data.create(&state, kind, &body)?;
    let rendered = data.render(&state, kind, &doc, &projection);
    Ok(created(&state, &rendered, version_of(&doc)))
}

async fn read(
    State(state): State<Arc<AppState>>,
    Extension(tenant): Extension<TenantId>,
    Path((endpoint, id)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let kind = kind_for(&endpoint)?;
    let projection = params.projection()?;
    let data = state.read(tenant);
    let doc = data.read(&state, kind, &id)?;
    let etag = version_of(doc);
    if let (Some(header), Some(etag)) = (
        header(&headers, header::IF_NONE_MATCH)
            .filter(|_| !state.varies(Variation::NoEtag) && !state.has(Fault::IfNoneMatchIgnored)),
        etag,
    ) && etag_listed(header, etag)
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(value) = HeaderValue::from_str(etag) {
            response.headers_mut().insert(header::ETAG, value);
        }
        return Ok(response);
    }
    let rendered = data.render(&state, kind, doc, &projection);
    Ok(resource_response(&state, StatusCode::OK, &rendered, etag))
}

async fn replace(
    State(state): State<Arc<AppState>>,
    Extension(tenant): Extension<TenantId>,
    Path((endpoint, id)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    body: Result<JsonBody, ApiError>,
) -> Result<Response, ApiError> {
    // Refused before the body is read, as a router without the method does.
    if state.has(Fault::NoPut) {
        let mut refused = method_not_allowed(Method::PUT).await.into_response();
        refused.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, PATCH, DELETE"),
        );
        return Ok(refused);
    }
    let JsonBody(body) = body?;
    let kind = kind_for(&endpoint)?;
    let projection = params.projection()?;
    let mut data = state.write(tenant);
    let written = data.replace(&state, kind, &id, &body, if_match(&state, &headers))?;
    Ok(match written {
        Written::Created(doc) => created(
            &state,
            &data.render(&state, kind, &doc, &projection),
            version_of(&doc),
        ),
        Written::Updated(doc) => resource_response(
            &state,
            StatusCode::OK,
            &data.render(&state, kind, &doc, &projection),
            version_of(&doc),
        ),
    })
}

async fn patch(
    State(state): State<Arc<AppState>>,
    Extension(tenant): Extension<TenantId>,
    Path((endpoint, id)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    if state.varies(Variation::NoPatch) || state.has(Fault::PatchUnimplemented) {
        return Err(not_implemented("PATCH"));
    }
    let kind = kind_for(&endpoint)?;
    let projection = params.projection()?;
    let mut data = state.write(tenant);
    let doc = data.patch(&state, kind, &id, &body, if_match(&state, &headers))?;
    // RFC 7644 §3.5.2: 200 is a MUST only when attributes or excludedAttributes were asked for.
    let projected =
        params.get("attributes").is_some() || params.get("excludedAttributes").is_some();
    if state.varies(Variation::PatchNoContent) && !projected {
        let mut response = StatusCode::NO_CONTENT.into_response();
        set_etag(&state, &mut response, version_of(&doc));
        return Ok(response);
    }
    let rendered = data.render(&state, kind, &doc, &projection);
    Ok(resource_response(
        &state,
        StatusCode::OK,
        &rendered,
        version_of(&doc),
    ))
}

async fn delete(
    State(state): State<Arc<AppState>>,
    Extension(tenant): Extension<TenantId>,
    Path((endpoint, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let kind = kind_for(&endpoint)?;
    state
        .write(tenant)
        .delete(&state, kind, &id, if_match(&state, &headers))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn bulk_handler(
    State(state): State<Arc<AppState>>,
    Extension(tenant): Extension<TenantId>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    if state.has(Fault::BulkUnsupported500) {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "internal server error",
        ));
    }
    if state.varies(Variation::NoBulk) {
        return Err(not_implemented("Bulk"));
    }
    let response = bulk::run(&state, &mut state.write(tenant), &body)?;
    Ok(scim_response(StatusCode::OK, &response))
}

/// `/Me` needs a user behind the token; static tokens have none (RFC 7644 §3.11).
async fn me(State(state): State<Arc<AppState>>) -> ApiError {
    if state.has(Fault::Me500) {
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "internal server error",
        );
    }
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "/Me is not supported: the bearer token is not bound to a user",
    )
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        format!("{method} is not supported on this endpoint"),
    )
}

/// Outermost middleware: request counting, reading the body, rate limiting, latency and the
/// faults that change any response.
async fn edge(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let is_write = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) && !request.uri().path().ends_with("/.search");
    state.count_request(is_write);
    let incoming = state.recorder.as_ref().map(|_| Incoming::of(&request));
    let mut request_body = Bytes::new();
    let mut response = if let Some(refused) = refusal(&state, &request) {
        refused.into_response()
    } else {
        match read_body(&state, request).await {
            Err(refused) => {
                // Part of the body may be left unread: the connection cannot carry another
                // request, and a client that tried would see it cut under its next one.
                let mut refused = refused.into_response();
                refused
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                refused
            }
            Ok(_) if state.rate_limited() => {
                let mut limited = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    None,
                    "rate limit exceeded; retry after 1 second",
                )
                .into_response();
                limited
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                limited
            }
            Ok(request) if incoming.is_some() => {
                let (request, body) = record::keep_body(request).await;
                request_body = body;
                next.run(request).await
            }
            Ok(request) => next.run(request).await,
        }
    };
    response = apply_response_faults(&state, response).await;
    if let (Some(recorder), Some(incoming)) = (&state.recorder, incoming) {
        response = recorder.respond(incoming, &request_body, response).await;
    }
    if let Some(latency) = state.config.latency {
        tokio::time::sleep(latency).await;
    }
    response
}

/// Query parameters a list or resource request may carry (RFC 7644 §3.4.2, §3.9; RFC 9865).
const KNOWN_PARAMETERS: [&str; 8] = [
    "filter",
    "sortBy",
    "sortOrder",
    "startIndex",
    "count",
    "cursor",
    "attributes",
    "excludedAttributes",
];

/// The faults and variations that refuse a request before any handler sees it.
fn refusal(state: &AppState, request: &Request) -> Option<ApiError> {
    if state.varies(Variation::NoGroups)
        && request
            .uri()
            .path()
            .strip_prefix(SCIM_PREFIX)
            .is_some_and(|p| p.starts_with(&format!("/{}", Kind::Group.endpoint())))
    {
        return Some(ApiError::not_found("no such endpoint"));
    }
    let headers = request.headers();
    let plain_json = |name| {
        header(headers, name).is_some_and(|v| v.trim_start().starts_with("application/json"))
    };
    if state.has(Fault::ContentTypeOnGetRejected)
        && request.method() == axum::http::Method::GET
        && headers.contains_key(header::CONTENT_TYPE)
    {
        return Some(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "a GET has no body to describe",
        ));
    }
    if state.has(Fault::ScimJsonOnly) {
        if plain_json(header::CONTENT_TYPE) {
            return Some(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                "only application/scim+json is accepted",
            ));
        }
        if plain_json(header::ACCEPT) {
            return Some(ApiError::new(
                StatusCode::NOT_ACCEPTABLE,
                None,
                "only application/scim+json is produced",
            ));
        }
    }
    if !state.has(Fault::UnknownParameterRejected) {
        return None;
    }
    let unknown = request
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .find(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            !name.is_empty() && !KNOWN_PARAMETERS.contains(&name)
        });
    unknown.map(|pair| {
        ApiError::bad_request(
            crate::scim::ScimType::InvalidValue,
            format!("unknown query parameter in {pair:?}"),
        )
    })
}

/// A handler that panics costs its request a SCIM 500 instead of costing the client its
/// connection (tokio would drop the task with it). A panic is a bug in the mock; stack
/// overflows cannot be caught, which is why the parsers bound their recursion.
async fn contain_panics(request: Request, next: Next) -> Response {
    AssertUnwindSafe(next.run(request))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                "the mock server failed on this request (a bug in scimcheck)",
            )
            .into_response()
        })
}

async fn apply_response_faults(state: &AppState, response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let is_scim = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == urn::MEDIA_TYPE);
    if parts.status == StatusCode::NOT_FOUND && state.has(Fault::Html404) {
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(
            parts,
            "<html><body><h1>404 Not Found</h1></body></html>".into(),
        );
    }
    let number = state.has(Fault::ErrorStatusNumber);
    let untyped = parts.status == StatusCode::BAD_REQUEST && state.has(Fault::ScimTypeMissing);
    let body = if is_scim && parts.status.as_u16() >= 400 && (number || untyped) {
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let mut error: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        if number {
            error["status"] = Value::from(parts.status.as_u16());
        }
        if let (true, Some(error)) = (untyped, error.as_object_mut()) {
            error.remove("scimType");
        }
        parts.headers.remove(header::CONTENT_LENGTH);
        serde_json::to_vec(&error).unwrap_or_default().into()
    } else {
        body
    };
    // The fault and the variation are one behaviour: a bug unless a contract documents it.
    if is_scim && (state.has(Fault::ContentTypeJson) || state.varies(Variation::JsonContentType)) {
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn boom() -> &'static str {
        panic!("a handler bug")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_the_server_stays_up() {
        let app = Router::new()
            .route("/boom", get(boom))
            .route("/fine", get(|| async { "fine" }))
            .layer(middleware::from_fn(contain_panics));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::new();
        for _ in 0..2 {
            let boom = client
                .get(format!("{base}/boom"))
                .send()
                .await
                .expect("answered");
            assert_eq!(boom.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let body: Value = boom.json().await.expect("a JSON body");
            assert_eq!(body["schemas"], serde_json::json!([urn::ERROR]));
            assert_eq!(body["status"], "500");
            let fine = client
                .get(format!("{base}/fine"))
                .send()
                .await
                .expect("answered");
            assert_eq!(fine.text().await.expect("body"), "fine");
        }
        server.abort();
    }
}
