//! The admin route: faults and variations switched while the server runs, so that one
//! `scimcheck serve` can play a conformant target and then a buggy one. It lies outside the
//! SCIM base path and opens only with the admin token; no fault makes a SCIM token open it.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::bearer;
use super::faults::Fault;
use super::state::{AppState, Behaviour};
use super::variations::Variation;

/// Path of the admin route under the server root.
pub(crate) const FAULTS_PATH: &str = "/_admin/faults";
/// Rotates the SCIM token: `POST` answers the new one and revokes the old.
const ROTATE_PATH: &str = "/_admin/rotate-token";

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(FAULTS_PATH, get(show).put(replace))
        .route(ROTATE_PATH, post(rotate))
        .with_state(state)
}

async fn rotate(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(refused) = refusal(&state, &headers) {
        return refused;
    }
    let fresh = state.rotate_scim_token();
    answer(StatusCode::OK, &json!({ "scimToken": fresh }))
}

/// The body of `GET` and `PUT /_admin/faults`, by name. In a `PUT`, a key left out leaves
/// that set as it was.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Switches {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    faults: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    variations: Option<Vec<String>>,
}

impl Switches {
    fn of(behaviour: &Behaviour) -> Self {
        Switches {
            faults: Some(
                behaviour
                    .faults
                    .iter()
                    .map(|f| f.name().to_owned())
                    .collect(),
            ),
            variations: Some(
                behaviour
                    .variations
                    .iter()
                    .map(|v| v.name().to_owned())
                    .collect(),
            ),
        }
    }
}

async fn show(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(refused) = refusal(&state, &headers) {
        return refused;
    }
    let current = Switches::of(&state.behaviour());
    answer(StatusCode::OK, &current)
}

async fn replace(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = refusal(&state, &headers) {
        return refused;
    }
    let switches: Switches = match serde_json::from_slice(&body) {
        Ok(switches) => switches,
        Err(error) => return problem(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    let mut next = state.behaviour().clone();
    if let Some(names) = &switches.faults {
        match resolve(names, Fault::from_name, "fault") {
            Ok(faults) => next.faults = faults.into_iter().collect(),
            Err(message) => return problem(StatusCode::BAD_REQUEST, &message),
        }
    }
    if let Some(names) = &switches.variations {
        match resolve(names, Variation::from_name, "variation") {
            Ok(variations) => next.variations = variations.into_iter().collect(),
            Err(message) => return problem(StatusCode::BAD_REQUEST, &message),
        }
    }
    let answer_body = Switches::of(&next);
    state.set_behaviour(next);
    answer(StatusCode::OK, &answer_body)
}

fn resolve<T>(
    names: &[String],
    lookup: fn(&str) -> Option<T>,
    what: &str,
) -> Result<Vec<T>, String> {
    names
        .iter()
        .map(|name| {
            lookup(name).ok_or_else(|| {
                format!("unknown {what} `{name}` (see `scimcheck serve --list-{what}s`)")
            })
        })
        .collect()
}

/// Only the admin token opens the route; a SCIM token, the API key or none is a 401.
fn refusal(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    if bearer(headers) == Some(state.credentials.admin_token.as_str()) {
        return None;
    }
    let mut refused = problem(
        StatusCode::UNAUTHORIZED,
        "the admin route needs the admin token (SCIMCHECK_ADMIN_TOKEN), not a SCIM token",
    );
    refused.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"scimcheck-mock-admin\""),
    );
    Some(refused)
}

fn answer(status: StatusCode, body: &impl Serialize) -> Response {
    (status, axum::Json(body)).into_response()
}

fn problem(status: StatusCode, message: &str) -> Response {
    answer(status, &json!({ "error": message }))
}
