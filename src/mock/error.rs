//! Errors a handler answers with, rendered as SCIM error messages (RFC 7644 §3.12).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::scim::{ScimErrorBody, ScimType, urn};

/// A failed request: HTTP status, optional `scimType` and a human-readable detail.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status}: {detail}")]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub scim_type: Option<ScimType>,
    pub detail: String,
}

impl ApiError {
    pub fn new(status: StatusCode, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    /// 400 with a `scimType`.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, None, detail)
    }

    /// The error body of this error, as sent on the wire.
    pub fn body(&self) -> ScimErrorBody {
        ScimErrorBody::new(self.status.as_u16(), self.scim_type, self.detail.clone())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        (self.status, [(header::CONTENT_TYPE, urn::MEDIA_TYPE)], body).into_response()
    }
}

impl From<crate::scim::FilterError> for ApiError {
    fn from(e: crate::scim::FilterError) -> Self {
        ApiError::bad_request(ScimType::InvalidFilter, e.to_string())
    }
}

impl From<crate::scim::PathError> for ApiError {
    fn from(e: crate::scim::PathError) -> Self {
        let scim_type = match e {
            crate::scim::PathError::InvalidPath(_) | crate::scim::PathError::TooLong { .. } => {
                ScimType::InvalidPath
            }
            crate::scim::PathError::InvalidFilter(_) => ScimType::InvalidFilter,
        };
        ApiError::bad_request(scim_type, e.to_string())
    }
}
