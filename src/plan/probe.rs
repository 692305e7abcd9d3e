//! Capability probes: what discovery documents cannot say. Every filter the catalogue lists with
//! is sent once per run, all at once, as a GET that matches nothing; a target that refuses one
//! with `400 invalidFilter` (RFC 7644 §3.4.2.2, Table 9) or `501` does not support it, and the
//! cases that need it are skipped with that reason instead of failing. One PUT that cannot
//! write anything tells whether the target has PUT at all.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;
use serde_json::{Value, json};

use super::needs::{FilterUse, PROBE_ID};
use crate::case::{Auth, Method};
use crate::check::assert::resolve;
use crate::check::put_refused;
use crate::exec::client::{ExecError, Target};
use crate::scim::urn;

/// Why the target refused a filter: its status and `scimType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub scim_type: Option<String>,
}

impl Refusal {
    /// What a skipped case says about the filter it needed.
    pub fn reason(&self, filter: &FilterUse) -> String {
        format!(
            "the target does not support the filter `{}` on {} ({}; RFC 7644 §3.4.2.2 allows it)",
            filter.filter,
            filter.endpoint,
            self.answer()
        )
    }

    /// What the probe got: `a probe got 400 invalidFilter`.
    pub fn answer(&self) -> String {
        match &self.scim_type {
            Some(scim_type) => format!("a probe got {} {scim_type}", self.status),
            None => format!("a probe got {}", self.status),
        }
    }
}

/// Whether an answer to a probe says "not supported" rather than "broken".
fn refusal(status: u16, body: Option<&Value>) -> Option<Refusal> {
    let scim_type = body
        .and_then(|b| resolve(b, "/scimType"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let refused = match status {
        400 => scim_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("invalidFilter")),
        501 => true,
        _ => false,
    };
    refused.then_some(Refusal { status, scim_type })
}

/// What a round of probes found.
#[derive(Debug, Default)]
pub struct Probed {
    /// The filters the target refused as unsupported.
    pub refused: BTreeMap<FilterUse, Refusal>,
    /// Why a probe got no answer to judge (a timeout, an oversized body), if one did: such a
    /// filter counts as supported, so the cases that use it run and show the problem.
    pub unanswered: Option<String>,
}

/// Sends every filter once; answers the ones the target refuses.
pub async fn filters(target: &Target, uses: &BTreeSet<FilterUse>) -> Probed {
    let probes = uses.iter().map(|used| async move {
        let query = [
            ("filter".to_owned(), used.filter.clone()),
            ("count".to_owned(), "1".to_owned()),
        ];
        let exchange = target
            .send(
                Method::Get,
                &target.url(&used.endpoint),
                &query,
                &[],
                None,
                Auth::Scim,
            )
            .await?;
        let response = &exchange.response;
        Ok::<_, ExecError>(
            refusal(response.status, response.json.as_ref()).map(|r| (used.clone(), r)),
        )
    });
    let mut probed = Probed::default();
    for answer in join_all(probes).await {
        match answer {
            Ok(Some((used, refusal))) => {
                probed.refused.insert(used, refusal);
            }
            Ok(None) => {}
            Err(error) => {
                probed.unanswered.get_or_insert_with(|| error.to_string());
            }
        }
    }
    probed
}

/// Sends one PUT that cannot write anything — to an id no one issued, with a body that lacks
/// the required `userName` — and answers the status when the target refused the method itself
/// (see [`put_refused`]); a target with PUT answers 404 or 400. One request beside the filter
/// probes, and nothing to clean up: cheaper and safer on a live tenant than a PUT on a user
/// the run creates for it.
pub async fn put(target: &Target) -> Result<Option<u16>, ExecError> {
    let path = format!("/Users/{PROBE_ID}");
    let body = json!({ "schemas": [urn::USER] }).to_string();
    let exchange = target
        .send(
            Method::Put,
            &target.url(&path),
            &[],
            &[],
            Some(body),
            Auth::Scim,
        )
        .await?;
    let status = exchange.response.status;
    Ok(put_refused(status).then_some(status))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_invalid_filter_and_501_mean_not_supported() {
        let invalid = json!({"status": "400", "scimType": "invalidFilter"});
        let other = json!({"status": "400", "scimType": "invalidValue"});
        let cases = [
            (400, Some(&invalid), true),
            (400, Some(&other), false),
            (400, None, false),
            (501, None, true),
            (500, None, false),
            (200, Some(&invalid), false),
        ];
        for (status, body, refused) in cases {
            assert_eq!(
                refusal(status, body).is_some(),
                refused,
                "{status} {body:?}"
            );
        }
        let use_ = FilterUse {
            endpoint: "/Users".into(),
            filter: "userName sw \"x\"".into(),
        };
        let reason = refusal(400, Some(&invalid)).map(|r| r.reason(&use_));
        assert_eq!(
            reason.as_deref(),
            Some(
                "the target does not support the filter `userName sw \"x\"` on /Users (a probe got 400 invalidFilter; RFC 7644 §3.4.2.2 allows it)"
            )
        );
    }
}
