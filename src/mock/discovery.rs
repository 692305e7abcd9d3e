//! Discovery endpoints (RFC 7644 §4, RFC 7643 §5–§7, RFC 9865 §4). `/ServiceProviderConfig` is
//! public (RFC 7643 §5 SHOULD); `/Schemas` and `/ResourceTypes` require the SCIM token.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::error::ApiError;
use super::extract::{Params, Path};
use super::routes::scim_response;
use super::schema::{Kind, SCHEMAS};
use super::state::AppState;
use crate::scim::urn;

pub(crate) async fn service_provider_config(State(state): State<Arc<AppState>>) -> Response {
    let config = &state.config;
    let body = json!({
        "schemas": [urn::SERVICE_PROVIDER_CONFIG],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": true},
        "bulk": {
            "supported": true,
            "maxOperations": config.bulk_max_operations,
            "maxPayloadSize": config.max_payload_bytes,
        },
        "filter": {"supported": true, "maxResults": config.max_page_size},
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "pagination": {
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": config.default_page_size,
            "maxPageSize": config.max_page_size,
            "cursorTimeout": config.cursor_timeout.as_secs(),
        },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a static bearer token in the Authorization header",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", state.base_url),
        },
    });
    scim_response(StatusCode::OK, &body)
}

/// Discovery lists ignore paging (RFC 7644 §4 "SHALL ignore") and refuse filters (SHOULD 403).
fn discovery_list(params: &Params, resources: Vec<Value>) -> Result<Response, ApiError> {
    if params.get("filter").is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            None,
            "discovery endpoints do not support filtering",
        ));
    }
    let body = json!({
        "schemas": [urn::LIST_RESPONSE],
        "totalResults": resources.len(),
        "itemsPerPage": resources.len(),
        "startIndex": 1,
        "Resources": resources,
    });
    Ok(scim_response(StatusCode::OK, &body))
}

pub(crate) async fn resource_types(
    State(state): State<Arc<AppState>>,
    params: Params,
) -> Result<Response, ApiError> {
    let all = Kind::ALL
        .iter()
        .map(|k| k.resource_type_json(&state.base_url))
        .collect();
    discovery_list(&params, all)
}

pub(crate) async fn resource_type(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or_else(|| ApiError::not_found(format!("no resource type {name:?}")))?;
    Ok(scim_response(
        StatusCode::OK,
        &kind.resource_type_json(&state.base_url),
    ))
}

pub(crate) async fn schemas(
    State(state): State<Arc<AppState>>,
    params: Params,
) -> Result<Response, ApiError> {
    let all = SCHEMAS.iter().map(|s| s.to_json(&state.base_url)).collect();
    discovery_list(&params, all)
}

pub(crate) async fn schema(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let schema = SCHEMAS
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(&id))
        .ok_or_else(|| ApiError::not_found(format!("no schema {id:?}")))?;
    Ok(scim_response(
        StatusCode::OK,
        &schema.to_json(&state.base_url),
    ))
}
