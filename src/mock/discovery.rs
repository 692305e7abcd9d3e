//! Discovery endpoints (RFC 7644 §4, RFC 7643 §5–§7, RFC 9865 §4). `/ServiceProviderConfig` is
//! public (RFC 7643 §5 SHOULD); `/Schemas` and `/ResourceTypes` require the SCIM token.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::device;
use super::error::ApiError;
use super::extract::{Params, Path};
use super::faults::Fault;
use super::routes::scim_response;
use super::schema::{DEVICE, Kind, SCHEMAS, Schema};
use super::state::AppState;
use super::variations::Variation;
use crate::scim::urn;

pub(crate) async fn service_provider_config(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Response {
    if state.has(Fault::ServiceProviderConfigNeedsToken)
        && !headers.contains_key(header::AUTHORIZATION)
    {
        return ApiError::new(StatusCode::UNAUTHORIZED, None, "a bearer token is required")
            .into_response();
    }
    let config = &state.config;
    let has = |variation| !state.varies(variation);
    let mut body = json!({
        "schemas": [urn::SERVICE_PROVIDER_CONFIG],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": has(Variation::NoPatch)},
        "bulk": {
            "supported": has(Variation::NoBulk) && !state.has(Fault::BulkUnsupported500),
            "maxOperations": config.bulk_max_operations,
            "maxPayloadSize": config.max_payload_bytes,
        },
        "filter": {"supported": has(Variation::NoFilter), "maxResults": state.max_page_size()},
        "changePassword": {"supported": true},
        "sort": {"supported": has(Variation::NoSort)},
        "etag": {"supported": has(Variation::NoEtag)},
        "pagination": {
            "cursor": has(Variation::IndexOnly),
            "index": has(Variation::CursorOnly),
            "defaultPaginationMethod": if state.varies(Variation::CursorOnly) { "cursor" } else { "index" },
            "defaultPageSize": config.default_page_size,
            "maxPageSize": state.max_page_size(),
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
            "location": format!("{}/ServiceProviderConfig", state.location_base()),
        },
    });
    if state.has(Fault::ServiceProviderConfigIncomplete)
        && let Value::Object(members) = &mut body
    {
        members.remove("changePassword");
        members.remove("authenticationSchemes");
    }
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

/// The 404 of a server without discovery lists.
fn discovery_missing(state: &AppState) -> Result<(), ApiError> {
    if state.has(Fault::DiscoveryListsMissing) {
        return Err(ApiError::not_found("no such endpoint"));
    }
    Ok(())
}

/// The 404 of a server whose single discovery resources are missing.
fn by_id_missing(state: &AppState) -> Result<(), ApiError> {
    if state.has(Fault::SchemaByIdMissing) {
        return Err(ApiError::not_found("no such endpoint"));
    }
    Ok(())
}

/// The resource types the server offers.
fn served(state: &AppState) -> impl Iterator<Item = Kind> + '_ {
    Kind::ALL
        .into_iter()
        .filter(|&k| k != Kind::Group || !state.varies(Variation::NoGroups))
}

/// Whether the server publishes a schema: the one of a type it does not offer it does not.
fn published(state: &AppState, schema: &Schema) -> bool {
    if schema.id == DEVICE.id {
        return device::served(state);
    }
    schema.id != Kind::Group.schema().id || !state.varies(Variation::NoGroups)
}

/// A schema as published: without the attributes the server does not declare.
fn schema_json(state: &AppState, schema: &Schema) -> Value {
    let mut json = schema.to_json(state.location_base());
    let kind = Kind::ALL.into_iter().find(|k| k.schema().id == schema.id);
    if let (Some(kind), Some(Value::Array(attributes))) = (kind, json.get_mut("attributes")) {
        attributes.retain(|a| {
            let name = a.get("name").and_then(Value::as_str).unwrap_or_default();
            !state.undeclared(kind, name)
        });
        // Discovery says what the writes enforce.
        let emails = attributes.iter_mut().find(|a| {
            a.get("name")
                .and_then(Value::as_str)
                .is_some_and(|name| name.eq_ignore_ascii_case("emails"))
        });
        if let (Kind::User, Some(emails)) = (kind, emails) {
            if state.varies(Variation::EmailsRequired) {
                emails["required"] = Value::Bool(true);
            }
            if state.has(Fault::SchemaEmailsSingular) {
                emails["multiValued"] = Value::Bool(false);
            }
        }
    }
    json
}

/// A resource type as published, with the endpoint a faulty server gets wrong.
fn resource_type_json(state: &AppState, kind: Kind) -> Value {
    let mut json = kind.resource_type_json(state.location_base());
    if state.has(Fault::ResourceTypeEndpointWrong) {
        json["endpoint"] = Value::from(format!("/{}", kind.name()));
    }
    if kind == Kind::User && state.has(Fault::ResourceTypeSchemaTypo) {
        json["schema"] = Value::from(format!("{}s", kind.schema().id));
    }
    json
}

pub(crate) async fn resource_types(
    State(state): State<Arc<AppState>>,
    params: Params,
) -> Result<Response, ApiError> {
    discovery_missing(&state)?;
    let mut all: Vec<Value> = served(&state)
        .map(|k| resource_type_json(&state, k))
        .collect();
    if device::served(&state) {
        all.push(device::resource_type_json(state.location_base()));
    }
    discovery_list(&params, all)
}

pub(crate) async fn resource_type(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    discovery_missing(&state)?;
    by_id_missing(&state)?;
    if device::served(&state) && name == DEVICE.name {
        return Ok(scim_response(
            StatusCode::OK,
            &device::resource_type_json(state.location_base()),
        ));
    }
    let kind = served(&state)
        .find(|k| k.name() == name)
        .ok_or_else(|| ApiError::not_found(format!("no resource type {name:?}")))?;
    Ok(scim_response(
        StatusCode::OK,
        &resource_type_json(&state, kind),
    ))
}

pub(crate) async fn schemas(
    State(state): State<Arc<AppState>>,
    params: Params,
) -> Result<Response, ApiError> {
    discovery_missing(&state)?;
    let all = SCHEMAS
        .iter()
        .chain([&&DEVICE])
        .filter(|s| published(&state, s))
        .map(|s| schema_json(&state, s))
        .collect();
    discovery_list(&params, all)
}

pub(crate) async fn schema(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    discovery_missing(&state)?;
    by_id_missing(&state)?;
    let schema = SCHEMAS
        .iter()
        .chain([&&DEVICE])
        .filter(|s| published(&state, s))
        .find(|s| s.id.eq_ignore_ascii_case(&id))
        .ok_or_else(|| ApiError::not_found(format!("no schema {id:?}")))?;
    Ok(scim_response(StatusCode::OK, &schema_json(&state, schema)))
}
