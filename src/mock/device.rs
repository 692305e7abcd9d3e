//! A custom resource type (RFC 7643 §6): `Device` at `/Devices`, with its own schema, served
//! read-only from two fixed resources under [`Variation::CustomResourceType`] (and by the fault
//! that breaks its schema).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::error::ApiError;
use super::extract::{Params, Path};
use super::faults::Fault;
use super::routes::scim_response;
use super::schema::DEVICE;
use super::state::AppState;
use super::variations::Variation;
use crate::scim::{ScimType, urn};

/// The endpoint, as `/ResourceTypes` names it.
pub(crate) const ENDPOINT: &str = "/Devices";

/// Id, displayName and the number in the serial number.
const DEVICES: [(&str, &str, u32); 2] = [
    ("5c1c0de0-0000-4000-8000-000000000001", "Laptop 1", 1),
    ("5c1c0de0-0000-4000-8000-000000000002", "Phone 2", 2),
];

/// Whether the server offers Devices.
pub(crate) fn served(state: &AppState) -> bool {
    state.varies(Variation::CustomResourceType) || state.has(Fault::CustomResourceSchemaViolated)
}

/// The ResourceType resource.
pub(crate) fn resource_type_json(base_url: &str) -> Value {
    json!({
        "schemas": [urn::RESOURCE_TYPE],
        "id": DEVICE.name,
        "name": DEVICE.name,
        "endpoint": ENDPOINT,
        "description": DEVICE.description,
        "schema": DEVICE.id,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base_url}/ResourceTypes/{}", DEVICE.name),
        },
    })
}

fn device(state: &AppState, (id, name, serial): (&str, &str, u32)) -> Value {
    let serial = if state.has(Fault::CustomResourceSchemaViolated) {
        Value::from(serial)
    } else {
        Value::from(format!("SN-{serial:04}"))
    };
    json!({
        "schemas": [DEVICE.id],
        "id": id,
        "displayName": name,
        "serialNumber": serial,
        "active": true,
        "meta": {
            "resourceType": DEVICE.name,
            "created": "2026-01-01T00:00:00Z",
            "lastModified": "2026-01-01T00:00:00Z",
            "version": "W/\"1\"",
            "location": format!("{}{ENDPOINT}/{id}", state.location_base()),
        },
    })
}

fn offered(state: &AppState) -> Result<(), ApiError> {
    if served(state) {
        Ok(())
    } else {
        Err(ApiError::not_found("no such endpoint"))
    }
}

/// `GET /Devices`: index paging; no filtering (RFC 7644 §3.4.2.2 lets a type refuse it).
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    params: Params,
) -> Result<Response, ApiError> {
    offered(&state)?;
    if params.get("filter").is_some() {
        return Err(ApiError::bad_request(
            ScimType::InvalidFilter,
            "Devices cannot be filtered",
        ));
    }
    let number = |name: &str| params.get(name).and_then(|v| v.parse::<usize>().ok());
    let start = number("startIndex").unwrap_or(1).max(1);
    let count = number("count").unwrap_or(DEVICES.len());
    let page: Vec<Value> = DEVICES
        .iter()
        .skip(start - 1)
        .take(count)
        .map(|d| device(&state, *d))
        .collect();
    let body = json!({
        "schemas": [urn::LIST_RESPONSE],
        "totalResults": DEVICES.len(),
        "itemsPerPage": page.len(),
        "startIndex": start,
        "Resources": page,
    });
    Ok(scim_response(StatusCode::OK, &body))
}

/// `GET /Devices/{id}`.
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    offered(&state)?;
    let found = DEVICES
        .iter()
        .find(|d| d.0 == id)
        .ok_or_else(|| ApiError::not_found(format!("no Device {id:?}")))?;
    Ok(scim_response(StatusCode::OK, &device(&state, *found)))
}
