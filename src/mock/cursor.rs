//! Opaque cursors for RFC 9865 pagination. A cursor carries the position to resume from,
//! the page size, when it was issued and a digest of the query, authenticated with a
//! per-run key so forged or garbled cursors are detected (RFC 9865 §2.1, §5).

use std::hash::BuildHasher;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::state::{AppState, TenantId};

/// Where a cursor resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    /// Creation sequence number of the first resource of the page (unsorted listings).
    Seq(u64),
    /// Offset into the sorted result (sorted listings, which are materialised anyway).
    Offset(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub position: Position,
    pub count: u32,
    issued_ms: u64,
    query: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CursorError {
    #[error("the cursor is not one this server issued for this query")]
    Invalid,
    #[error("the cursor has expired")]
    Expired,
}

const BODY: usize = 1 + 8 + 4 + 8 + 8;
const LEN: usize = BODY + 8;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Cursor {
    pub fn new(position: Position, count: u32, query: u64) -> Self {
        Cursor {
            position,
            count,
            issued_ms: now_ms(),
            query,
        }
    }

    /// URL-safe text: base64url without padding, so only `[A-Za-z0-9_-]`.
    pub fn encode(&self, state: &AppState, tenant: TenantId) -> String {
        let (kind, position) = match self.position {
            Position::Seq(p) => (0u8, p),
            Position::Offset(p) => (1u8, p),
        };
        let mut bytes = Vec::with_capacity(LEN);
        bytes.push(kind);
        bytes.extend_from_slice(&position.to_be_bytes());
        bytes.extend_from_slice(&self.count.to_be_bytes());
        bytes.extend_from_slice(&self.issued_ms.to_be_bytes());
        bytes.extend_from_slice(&self.query.to_be_bytes());
        let tag = state.cursor_key.hash_one((tenant.0, &bytes));
        bytes.extend_from_slice(&tag.to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Checks a cursor received from a client against this server, tenant and query.
    pub fn decode(
        text: &str,
        state: &AppState,
        tenant: TenantId,
        query: u64,
        timeout: Duration,
    ) -> Result<Cursor, CursorError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| CursorError::Invalid)?;
        if bytes.len() != LEN {
            return Err(CursorError::Invalid);
        }
        let (body, tag) = bytes.split_at(BODY);
        let body = body.to_vec();
        if state.cursor_key.hash_one((tenant.0, &body)).to_be_bytes() != tag {
            return Err(CursorError::Invalid);
        }
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&body[i..i + 8]);
            u64::from_be_bytes(b)
        };
        let position = match body[0] {
            0 => Position::Seq(u64_at(1)),
            _ => Position::Offset(u64_at(1)),
        };
        let mut count = [0u8; 4];
        count.copy_from_slice(&body[9..13]);
        let cursor = Cursor {
            position,
            count: u32::from_be_bytes(count),
            issued_ms: u64_at(13),
            query: u64_at(21),
        };
        if cursor.query != query {
            return Err(CursorError::Invalid);
        }
        let age = now_ms().saturating_sub(cursor.issued_ms);
        if u128::from(age) > timeout.as_millis() {
            return Err(CursorError::Expired);
        }
        Ok(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::MockConfig;

    #[test]
    fn round_trips_and_rejects_tampering() {
        let state = AppState::new(MockConfig::default(), String::new());
        let other = AppState::new(MockConfig::default(), String::new());
        let tenant = TenantId(0);
        let minute = Duration::from_secs(60);
        let cursor = Cursor::new(Position::Seq(42), 10, 7);
        let text = cursor.encode(&state, tenant);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c))
        );
        assert_eq!(Cursor::decode(&text, &state, tenant, 7, minute), Ok(cursor));
        let invalid = Err(CursorError::Invalid);
        assert_eq!(Cursor::decode(&text, &state, tenant, 8, minute), invalid);
        assert_eq!(
            Cursor::decode(&text, &state, TenantId(1), 7, minute),
            invalid
        );
        assert_eq!(Cursor::decode(&text, &other, tenant, 7, minute), invalid);
        assert_eq!(
            Cursor::decode("FORGED~~", &state, tenant, 7, minute),
            invalid
        );
        assert_eq!(Cursor::decode("", &state, tenant, 7, minute), invalid);
        let mut flipped = text.into_bytes();
        flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap_or_default();
        assert_eq!(Cursor::decode(&flipped, &state, tenant, 7, minute), invalid);
        let stale = Cursor {
            issued_ms: now_ms() - 120_000,
            ..Cursor::new(Position::Offset(3), 10, 7)
        };
        let text = stale.encode(&state, tenant);
        assert_eq!(
            Cursor::decode(&text, &state, tenant, 7, minute),
            Err(CursorError::Expired)
        );
    }
}
