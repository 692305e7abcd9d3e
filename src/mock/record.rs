//! The request log: every exchange the mock answered, credentials redacted, so that a
//! provisioning client tested against it can be checked for what it sent.

use std::sync::{Mutex, PoisonError};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;

use crate::redact::Redactor;

/// One request the mock received and the response it gave, as a JSONL line of
/// `scimcheck serve --record` shows it. Every credential the mock issued is redacted from every
/// field (`Bearer [REDACTED scim token]` still says which one was sent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    /// When the request arrived, RFC 3339 (UTC).
    pub at: String,
    pub method: String,
    /// The path and query, as sent (`/scim/v2/Users?filter=…`).
    pub path: String,
    /// Header names in lower case, in the order sent.
    pub request_headers: Vec<(String, String)>,
    /// The body: JSON when it parses, else its text; `null` when empty.
    pub request_body: Value,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Value,
}

/// Keeps the log and wakes whoever waits for new entries.
pub(crate) struct Recorder {
    redactor: Redactor,
    log: Mutex<Vec<RecordedRequest>>,
    arrived: Notify,
}

/// What the edge saw of a request before handing it on.
pub(crate) struct Incoming {
    pub at: String,
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
}

impl Incoming {
    pub fn of(request: &Request) -> Self {
        let at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Incoming {
            at,
            method: request.method().clone(),
            uri: request.uri().clone(),
            headers: request.headers().clone(),
        }
    }
}

/// The request with its body, which the edge has already read whole, kept aside for the log.
pub(crate) async fn keep_body(request: Request) -> (Request, Bytes) {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    (Request::from_parts(parts, Body::from(bytes.clone())), bytes)
}

impl Recorder {
    /// Logs the exchange and hands the response on unchanged (its body is already in memory).
    pub async fn respond(
        &self,
        incoming: Incoming,
        request_body: &[u8],
        response: Response,
    ) -> Response {
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        self.record(
            incoming,
            request_body,
            parts.status.as_u16(),
            &parts.headers,
            &bytes,
        );
        Response::from_parts(parts, Body::from(bytes))
    }

    pub fn new(redactor: Redactor) -> Self {
        Recorder {
            redactor,
            log: Mutex::new(Vec::new()),
            arrived: Notify::new(),
        }
    }

    fn record(
        &self,
        incoming: Incoming,
        request_body: &[u8],
        status: u16,
        response_headers: &HeaderMap,
        response_body: &Bytes,
    ) {
        let entry = RecordedRequest {
            at: incoming.at,
            method: incoming.method.to_string(),
            path: self.text(incoming.uri.to_string().as_bytes()),
            request_headers: self.headers(&incoming.headers),
            request_body: self.body(request_body),
            status,
            response_headers: self.headers(response_headers),
            response_body: self.body(response_body),
        };
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry);
        self.arrived.notify_one();
    }

    /// Every entry so far, oldest first.
    pub fn entries(&self) -> Vec<RecordedRequest> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every entry so far, removed from the log.
    pub fn take(&self) -> Vec<RecordedRequest> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Resolves once an entry was recorded since the last call.
    pub async fn arrived(&self) {
        self.arrived.notified().await;
    }

    fn text(&self, bytes: &[u8]) -> String {
        self.redactor
            .redact(&String::from_utf8_lossy(bytes))
            .into_owned()
    }

    fn headers(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), self.text(value.as_bytes())))
            .collect()
    }

    /// Redacted as text first: a secret inside a JSON string stays a valid JSON string.
    fn body(&self, bytes: &[u8]) -> Value {
        if bytes.is_empty() {
            return Value::Null;
        }
        let text = self.text(bytes);
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorder() -> Recorder {
        let mut redactor = Redactor::default();
        redactor.add("scim-secret-1234", "scim token");
        Recorder::new(redactor)
    }

    fn incoming(uri: &str, authorization: &str) -> Incoming {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            authorization.parse().expect("a header value"),
        );
        Incoming {
            at: "2026-01-01T00:00:00Z".into(),
            method: Method::PATCH,
            uri: uri.parse().expect("a URI"),
            headers,
        }
    }

    #[test]
    fn entries_are_redacted_everywhere_and_bodies_kept_as_json() {
        let recorder = recorder();
        recorder.record(
            incoming(
                "/scim/v2/Users/1?x=scim-secret-1234",
                "Bearer scim-secret-1234",
            ),
            br#"{"note":"scim-secret-1234","active":false}"#,
            200,
            &HeaderMap::new(),
            &Bytes::from_static(b"not json scim-secret-1234"),
        );
        let entries = recorder.entries();
        let [entry] = entries.as_slice() else {
            panic!("one entry: {entries:?}")
        };
        let line = serde_json::to_string(entry).expect("serializes");
        assert!(!line.contains("scim-secret-1234"), "{line}");
        assert_eq!(
            entry.request_headers,
            [(
                "authorization".to_owned(),
                "Bearer [REDACTED scim token]".to_owned()
            )]
        );
        assert_eq!(entry.request_body["active"], Value::Bool(false));
        assert_eq!(entry.request_body["note"], "[REDACTED scim token]");
        assert_eq!(
            entry.response_body,
            Value::String("not json [REDACTED scim token]".into())
        );
        assert_eq!(entry.path, "/scim/v2/Users/1?x=[REDACTED scim token]");
    }

    #[test]
    fn take_empties_the_log_and_an_empty_body_is_null() {
        let recorder = recorder();
        recorder.record(
            incoming("/scim/v2/Users", "Bearer other"),
            b"",
            204,
            &HeaderMap::new(),
            &Bytes::new(),
        );
        let taken = recorder.take();
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].request_body, Value::Null);
        assert_eq!(taken[0].response_body, Value::Null);
        assert!(recorder.entries().is_empty());
    }
}
