//! Stage 4: checking a response against a step's expectations — status, headers, JSON Schema,
//! JSON assertions, named rules and snapshots.

pub mod assert;
pub mod rules;
pub mod schema;
pub mod snapshot;

use std::fmt;

use serde_json::Value;

use crate::case::model::Expect;
use crate::case::template::{self, RenderError, Scope};
use crate::exec::client::Exchange;
use assert::RenderedJsonAssert;
use rules::{Rule, RuleInput};
use schema::SchemaRegistry;
use snapshot::SnapshotContext;

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// What was checked: `status`, ``header `Location` ``, `` `/meta/location` ``, …
    pub subject: String,
    /// Empty when `actual` already says what is wrong (a schema or rule violation).
    pub expected: String,
    pub actual: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.expected.is_empty() {
            write!(f, "{}: {}", self.subject, self.actual)
        } else {
            write!(
                f,
                "{}: expected {}, got {}",
                self.subject, self.expected, self.actual
            )
        }
    }
}

/// How known-lenient deviations are judged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// The RFC as written: every deviation fails.
    #[default]
    Strict,
    /// Deviations that identity providers' own documentation shows (an error `status` as a
    /// number) are reported as warnings instead of failures.
    Compat,
}

/// What a check needs besides the exchange.
pub struct CheckContext<'a> {
    pub schemas: &'a SchemaRegistry,
    pub profile: Profile,
    /// `None` when snapshots are off for this run.
    pub snapshot: Option<&'a SnapshotContext<'a>>,
}

/// The suffix of a schema's lenient variant (`error` → `error-compat`).
const COMPAT_SUFFIX: &str = "-compat";

/// Checks one exchange against `expect`, whose templates are rendered in `scope`. Deviations
/// tolerated by the compat profile go to `deviations` instead of the mismatches.
pub fn check(
    expect: &Expect,
    exchange: &Exchange,
    scope: &dyn Scope,
    context: &CheckContext<'_>,
    deviations: &mut Vec<String>,
) -> Result<Vec<Mismatch>, RenderError> {
    let schemas = context.schemas;
    let response = &exchange.response;
    let mut out = Vec::new();
    if let Some(expected) = &expect.status {
        out.extend(assert::status(expected, response));
    }
    for (name, assertion) in &expect.headers {
        let render = |text: &Option<String>| {
            text.as_deref()
                .map(|text| template::render_str(text, scope))
                .transpose()
        };
        let equals = render(&assertion.equals)?;
        let not_equals = render(&assertion.not_equals)?;
        out.extend(assert::header(
            name,
            assertion,
            equals.as_deref(),
            not_equals.as_deref(),
            response,
        ));
    }
    // Absence checks hold on a response without a body (a PATCH may answer 204).
    let wants_json = expect.schema.is_some()
        || expect.snapshot
        || expect.json.values().any(|a| !assert::only_absence(a));
    if wants_json && response.json.is_none() {
        out.push(Mismatch {
            subject: "body".into(),
            expected: "a JSON body".into(),
            actual: describe_non_json(response),
        });
    }
    let body = response.json.as_ref();
    if let (Some(name), Some(body)) = (&expect.schema, body) {
        let violations = schemas.validate(&name.value, body);
        let lenient = format!("{}{COMPAT_SUFFIX}", name.value);
        let tolerated = context.profile == Profile::Compat
            && !violations.is_empty()
            && schemas.contains(&lenient)
            && schemas.validate(&lenient, body).is_empty();
        for violation in violations {
            let text = match schemas.basis(&violation) {
                Some(basis) => format!("{violation} [{basis}]"),
                None => violation.to_string(),
            };
            if tolerated {
                deviations.push(format!("schema `{}`: {text}", name.value));
            } else {
                out.push(Mismatch {
                    subject: format!("schema `{}`", name.value),
                    expected: String::new(),
                    actual: text,
                });
            }
        }
    }
    if body.is_some() {
        for (pointer, assertion) in &expect.json {
            // A pointer may name the harness's marker attribute: `/${marker}`.
            let pointer = template::render_str(pointer, scope)?;
            let rendered = render_json_assert(assertion, scope)?;
            out.extend(assert::json(&pointer, assertion, &rendered, body));
        }
    }
    for name in &expect.rules {
        // Rule names were checked at load time.
        if let Some(rule) = Rule::from_name(&name.value) {
            let input = RuleInput {
                status: response.status,
                headers: &response.headers,
                body,
                request_method: exchange.request.method.as_str(),
                request_url: &exchange.request.url,
            };
            for violation in rule.check(&input) {
                let subject = format!("rule `{}` [{}]", rule.name(), rule.rfc());
                if violation.lenient && context.profile == Profile::Compat {
                    deviations.push(format!("{subject}: {violation}"));
                } else {
                    out.push(Mismatch {
                        subject,
                        expected: String::new(),
                        actual: violation.to_string(),
                    });
                }
            }
        }
    }
    if let (true, Some(snapshot), Some(body)) = (expect.snapshot, context.snapshot, body) {
        out.extend(snapshot::compare(body, snapshot));
    }
    Ok(out)
}

fn render_json_assert(
    assertion: &crate::case::model::JsonAssert,
    scope: &dyn Scope,
) -> Result<RenderedJsonAssert, RenderError> {
    let value = |v: &Option<Value>| {
        v.as_ref()
            .map(|v| template::render_value(v, scope))
            .transpose()
    };
    Ok(RenderedJsonAssert {
        equals: value(&assertion.equals)?,
        not_equals: value(&assertion.not_equals)?,
        equals_ignore_case: assertion
            .equals_ignore_case
            .as_deref()
            .map(|t| template::render_str(t, scope))
            .transpose()?,
        contains: value(&assertion.contains)?,
        not_contains: value(&assertion.not_contains)?,
        each: value(&assertion.each)?,
        length: value(&assertion.length)?,
        one_of: assertion
            .one_of
            .as_ref()
            .map(|options| {
                options
                    .iter()
                    .map(|v| template::render_value(v, scope))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?,
        gt: value(&assertion.gt)?,
        ge: value(&assertion.ge)?,
        lt: value(&assertion.lt)?,
        le: value(&assertion.le)?,
    })
}

/// What came back instead of JSON, in a few words a person can act on.
pub fn describe_non_json(response: &crate::exec::client::Response) -> String {
    let content_type = response.header("content-type").unwrap_or("no Content-Type");
    if response.body.trim().is_empty() {
        format!("an empty body ({content_type})")
    } else {
        let mut excerpt: String = response.body.chars().take(120).collect();
        // The cut marker lets the redactor catch a secret cut in half (see `redact`).
        if excerpt.len() < response.body.len() {
            excerpt.push('…');
        }
        format!("a non-JSON body ({content_type}): {excerpt:?}")
    }
}
