//! Vendor rules a contract documents and the RFCs allow: checks the mock applies when a
//! variation asks for them (see [`Variation::UserNameEmail`], [`Variation::EmailsRequired`],
//! [`Variation::ReadOnlyGroups`], [`Variation::StaleLists`]). Route handlers and Bulk both meet
//! them through `ops` and the list matcher.

use axum::http::StatusCode;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::ApiError;
use super::schema::Kind;
use super::state::AppState;
use super::variations::{LIST_LAG, Variation};
use crate::scim::ScimType;
use crate::scim::attr::looks_like_email;

/// Refuses a write to a Group when groups are read-only: 501, the operation is not supported
/// (RFC 7644 §3.12).
pub(crate) fn check_writable(state: &AppState, kind: Kind) -> Result<(), ApiError> {
    if kind == Kind::Group && state.varies(Variation::ReadOnlyGroups) {
        return Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            None,
            "groups are read-only: they are managed by the identity provider",
        ));
    }
    Ok(())
}

/// Refuses a User about to be stored that breaks the vendor's rules: 400 invalidValue
/// (RFC 7644 §3.12), as the attribute's value is not one the service provider accepts.
pub(crate) fn check_user(
    state: &AppState,
    kind: Kind,
    attrs: &Map<String, Value>,
) -> Result<(), ApiError> {
    if kind != Kind::User {
        return Ok(());
    }
    let get = |name: &str| {
        attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    if state.varies(Variation::UserNameEmail) {
        let name = get("userName").and_then(Value::as_str).unwrap_or_default();
        if !looks_like_email(name) {
            return Err(ApiError::bad_request(
                ScimType::InvalidValue,
                format!("userName {name:?} is not an email address"),
            ));
        }
    }
    if state.varies(Variation::EmailsRequired) {
        let emails = get("emails").and_then(Value::as_array);
        if emails.is_none_or(Vec::is_empty) {
            return Err(ApiError::bad_request(
                ScimType::InvalidValue,
                "emails is required: a user needs at least one email address",
            ));
        }
    }
    Ok(())
}

/// Whether a resource is too new for the lagging list index of [`Variation::StaleLists`].
pub(crate) fn not_yet_listed(state: &AppState, doc: &Value) -> bool {
    if !state.varies(Variation::StaleLists) {
        return false;
    }
    let created = doc
        .get("meta")
        .and_then(|m| m.get("created"))
        .and_then(Value::as_str)
        .and_then(|c| OffsetDateTime::parse(c, &Rfc3339).ok());
    created.is_some_and(|c| OffsetDateTime::now_utc() - c < LIST_LAG)
}
