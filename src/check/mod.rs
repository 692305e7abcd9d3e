//! Stage 4: checking a response against a step's expectations — status, headers, JSON Schema,
//! JSON assertions, named rules and snapshots.

pub mod assert;
pub mod drift;
pub mod rules;
pub mod schema;
pub mod snapshot;

use std::fmt;

use serde_json::Value;

use crate::case::model::{Expect, Method, StatusSet};
use crate::case::template::{self, RenderError, Scope};
use crate::exec::client::Exchange;
use assert::RenderedJsonAssert;
use rules::{Rule, RuleInput};
use schema::SchemaRegistry;

/// One expectation that did not hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mismatch {
    /// What was checked: `status`, ``header `Location` ``, `` `/meta/location` ``, …
    pub subject: String,
    /// Empty when `actual` already says what is wrong (a schema or rule violation).
    pub expected: String,
    pub actual: String,
    /// The JSON pointer or header name the mismatch is about (for a paging walk, the quantity:
    /// `itemsPerPage`, `totalResults`, …); empty when it is about none of them.
    pub pointer: String,
    /// The clause a general check enforces (a named rule, a schema's `x-scim-basis`, a paging
    /// invariant), e.g. `RFC 7644 §3.4.2`; `None` for the case's own expectations, which
    /// enforce the clauses the case cites.
    pub rfc: Option<String>,
    /// Found by a check the step did not name (one of [`ALWAYS_CHECKED`]).
    pub implicit: bool,
}

impl Mismatch {
    /// Whether this is an *invariant* checked on the way rather than the case's subject: a
    /// check the step did not name, or a general check whose clause the case does not cite. A
    /// case cites what it is about, so a broken invariant becomes a finding of its own and
    /// does not fail the case.
    pub fn is_invariant_for(&self, case_rfc: &[String]) -> bool {
        if self.implicit {
            return true;
        }
        let Some(rfc) = &self.rfc else {
            return false;
        };
        !sections(rfc).any(|section| cites(case_rfc, &section))
    }
}

/// Whether a case's `rfc:` list cites `section`, alone or qualified (`RFC 7644 §3.12 (as
/// Entra ID reads it)` cites `RFC 7644 §3.12`).
pub fn cites(case_rfc: &[String], section: &str) -> bool {
    case_rfc.iter().any(|cited| {
        cited == section
            || cited
                .strip_prefix(section)
                .is_some_and(|rest| rest.starts_with(' '))
    })
}

/// The sections of a clause list such as `RFC 7643 §2.3.5, §3.1, RFC 7644 §3.3`, each with
/// its document: `RFC 7643 §2.3.5`, `RFC 7643 §3.1`, `RFC 7644 §3.3`.
pub(crate) fn sections(clauses: &str) -> impl Iterator<Item = String> + '_ {
    let mut doc = "";
    clauses.split(", ").filter_map(move |part| {
        let (prefix, section) = part.split_once('§')?;
        if !prefix.trim().is_empty() {
            doc = prefix.trim();
        }
        Some(format!("{doc} §{section}"))
    })
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

/// Checked on every response whether the step names them or not: what every SCIM response
/// keeps whatever a case is about — the error shape (RFC 7644 §3.12), list consistency
/// (§3.4.2), the content type (§3.1, §8.1) and the challenge on a 401 (RFC 9110 §11.6.1).
/// Each applies only to the responses it concerns (errors, lists, bodies, 401s).
pub const ALWAYS_CHECKED: [Rule; 4] = [
    Rule::ErrorStatusMatches,
    Rule::ListResponseConsistent,
    Rule::ContentTypeScim,
    Rule::WwwAuthenticate,
];

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
        // Whatever else the answer breaks follows from the missing method.
        if let Some(unsupported) = put_unsupported(exchange, expected) {
            return Ok(vec![unsupported]);
        }
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
        || expect.resources_schema.is_some()
        || expect.snapshot
        || expect.json.values().any(|a| !assert::only_absence(a));
    if wants_json && response.json.is_none() {
        out.push(Mismatch {
            subject: "body".into(),
            expected: "a JSON body".into(),
            actual: describe_non_json(response),
            ..Mismatch::default()
        });
    }
    let body = response.json.as_ref();
    // `resources_schema` validates each of a list's resources, its violations pointing into
    // `/Resources/N`.
    let resources = body
        .and_then(|b| assert::resolve(b, "/Resources"))
        .and_then(Value::as_array);
    let subjects = expect
        .schema
        .iter()
        .zip(body)
        .map(|(name, body)| (name, body, String::new()))
        .chain(expect.resources_schema.iter().flat_map(|name| {
            resources
                .into_iter()
                .flatten()
                .enumerate()
                .map(move |(i, resource)| (name, resource, format!("/Resources/{i}")))
        }))
        .map(|(name, body, at)| Ok((template::render_str(&name.value, scope)?, body, at)))
        .collect::<Result<Vec<_>, RenderError>>()?;
    for (name, body, at) in subjects {
        let violations = schemas.validate(&name, body);
        let lenient = format!("{name}{COMPAT_SUFFIX}");
        let tolerated = context.profile == Profile::Compat
            && !violations.is_empty()
            && schemas.contains(&lenient)
            && schemas.validate(&lenient, body).is_empty();
        for violation in violations {
            let basis = schemas.basis(&violation);
            let text = match &basis {
                Some(basis) => format!("{violation} [{basis}]"),
                None => violation.to_string(),
            };
            if tolerated {
                deviations.push(format!("schema `{name}`: {text}"));
            } else {
                out.push(Mismatch {
                    subject: format!("schema `{name}`"),
                    expected: String::new(),
                    actual: text,
                    // What `resources_schema` finds is what its case set out to check, whatever
                    // clause the schema names (a target's own schema names no RFC section).
                    rfc: basis
                        .filter(|_| at.is_empty())
                        .map(|b| format!("{} §{}", b.doc, b.section)),
                    pointer: format!("{at}{}", violation.instance_pointer),
                    implicit: false,
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
    // Rule names were checked at load time.
    let named: Vec<Rule> = expect
        .rules
        .iter()
        .filter_map(|name| Rule::from_name(&name.value))
        .collect();
    let implicit = ALWAYS_CHECKED.into_iter().filter(|r| !named.contains(r));
    let input = RuleInput {
        status: response.status,
        headers: &response.headers,
        body,
        request_method: exchange.request.method.as_str(),
        request_url: &exchange.request.url,
    };
    for (rule, implicit) in named
        .iter()
        .map(|r| (*r, false))
        .chain(implicit.map(|r| (r, true)))
    {
        for violation in rule.check(&input) {
            let subject = format!("rule `{}` [{}]", rule.name(), rule.rfc());
            if violation.lenient && context.profile == Profile::Compat {
                deviations.push(format!("{subject}: {violation}"));
            } else {
                out.push(Mismatch {
                    subject,
                    expected: String::new(),
                    actual: violation.to_string(),
                    pointer: match rule {
                        Rule::WwwAuthenticate => "www-authenticate".to_owned(),
                        Rule::ContentTypeScim => "content-type".to_owned(),
                        _ => violation.pointer.clone(),
                    },
                    rfc: Some(rule.rfc().to_owned()),
                    implicit,
                });
            }
        }
    }
    Ok(out)
}

/// The clause that makes PUT a MUST.
pub const PUT_CLAUSE: &str = "RFC 7644 §3.5.1";

/// Whether a status answering a PUT says the server has no PUT at all: 405 (the method is not
/// allowed on the resource) or 501 (RFC 7644 §3.12, Table 8: the operation is not supported).
pub fn put_refused(status: u16) -> bool {
    matches!(status, 405 | 501)
}

/// A PUT refused as unsupported where the step expected another answer: one defect of the
/// target, stated the same way in every case that meets it so that reports show it as one
/// finding under [`PUT_CLAUSE`], not as a wrong status per case.
fn put_unsupported(exchange: &Exchange, expected: &StatusSet) -> Option<Mismatch> {
    let status = exchange.response.status;
    (exchange.request.method == Method::Put && put_refused(status) && !expected.allows(status))
        .then(|| Mismatch {
            subject: "PUT".into(),
            expected: "supported, as every SCIM service provider's".into(),
            actual: format!("refused with {status}"),
            rfc: Some(PUT_CLAUSE.to_owned()),
            ..Mismatch::default()
        })
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
    let list = |v: &Option<Vec<Value>>| {
        v.as_ref()
            .map(|items| {
                items
                    .iter()
                    .map(|v| template::render_value(v, scope))
                    .collect::<Result<Vec<_>, _>>()
            })
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
        contains_all: list(&assertion.contains_all)?,
        superset_of: value(&assertion.superset_of)?,
        each: value(&assertion.each)?,
        length: value(&assertion.length)?,
        one_of: list(&assertion.one_of)?,
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
        // A body that looks like JSON says why it is not: nested too deep, a number out of
        // range, cut short.
        let looks_like_json = response.body.trim_start().starts_with(['{', '[']);
        let why = looks_like_json
            .then(|| serde_json::from_str::<Value>(&response.body).err())
            .flatten()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        format!("a non-JSON body ({content_type}): {excerpt:?}{why}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn general(rfc: Option<&str>) -> Mismatch {
        Mismatch {
            subject: "rule `x`".into(),
            rfc: rfc.map(str::to_owned),
            ..Mismatch::default()
        }
    }

    #[test]
    fn a_put_refused_as_unsupported_is_one_defect_whatever_the_step_expected() {
        use crate::case::Auth;
        use crate::exec::client::{Response, SentRequest};
        let exchange = |method, status| Exchange {
            request: SentRequest {
                method,
                url: "https://scim.example/Users/1".into(),
                auth: Auth::Scim,
                headers: Vec::new(),
                body: None,
            },
            response: Response {
                status,
                headers: Vec::new(),
                body: String::new(),
                json: None,
                elapsed: std::time::Duration::ZERO,
            },
        };
        let ok = StatusSet(vec![200]);
        let not_found = StatusSet(vec![404]);
        for (method, status, expected, refused) in [
            (Method::Put, 405, &ok, true),
            (Method::Put, 501, &not_found, true),
            (Method::Put, 200, &ok, false),
            (Method::Put, 404, &ok, false),
            (Method::Put, 405, &StatusSet(vec![405]), false),
            (Method::Patch, 501, &ok, false),
        ] {
            let found = put_unsupported(&exchange(method, status), expected);
            assert_eq!(found.is_some(), refused, "{method:?} {status} {expected}");
        }
        let (a, b) = (
            put_unsupported(&exchange(Method::Put, 405), &ok),
            put_unsupported(&exchange(Method::Put, 405), &not_found),
        );
        assert_eq!(a, b, "one statement whatever the step expected");
        assert_eq!(a.and_then(|m| m.rfc).as_deref(), Some(PUT_CLAUSE));
    }

    #[test]
    fn a_general_check_is_an_invariant_unless_the_case_cites_its_clause() {
        let cites = |sections: &[&str]| -> Vec<String> {
            sections.iter().map(|s| (*s).to_owned()).collect()
        };
        let table = [
            // (the check's clause, the case's sections, an invariant?)
            (Some("RFC 7644 §3.4.2"), cites(&["RFC 7644 §3.4.2.2"]), true),
            (
                Some("RFC 7644 §3.4.2"),
                cites(&["RFC 7644 §3.4.2.4", "RFC 7644 §3.4.2"]),
                false,
            ),
            (
                Some("RFC 7644 §3.12"),
                cites(&["RFC 7644 §3.12 (as Entra ID reads it)"]),
                false,
            ),
            (Some("RFC 7644 §3.1"), cites(&["RFC 7644 §3.12"]), true),
            (
                Some("RFC 7643 §2.3.5, §3.1"),
                cites(&["RFC 7643 §3.1"]),
                false,
            ),
            (
                Some("RFC 7644 §3.3, RFC 7643 §3.1"),
                cites(&["RFC 7643 §3.1"]),
                false,
            ),
            (
                Some("RFC 9110 §11.6.1, §15.5.2"),
                cites(&["RFC 7644 §2"]),
                true,
            ),
            // A case's own assertion is always its subject.
            (None, cites(&["RFC 7644 §2"]), false),
            (None, Vec::new(), false),
        ];
        let implicit = Mismatch {
            implicit: true,
            ..general(Some("RFC 7644 §3.12"))
        };
        assert!(
            implicit.is_invariant_for(&cites(&["RFC 7644 §3.12"])),
            "never the subject"
        );
        for (rfc, case_rfc, invariant) in table {
            assert_eq!(
                general(rfc).is_invariant_for(&case_rfc),
                invariant,
                "{rfc:?} in a case citing {case_rfc:?}"
            );
        }
    }

    #[test]
    fn clause_lists_split_into_sections_with_their_document() {
        let got: Vec<String> = sections("RFC 7643 §2.3.5, §3.1, RFC 7644 §3.3").collect();
        assert_eq!(got, ["RFC 7643 §2.3.5", "RFC 7643 §3.1", "RFC 7644 §3.3"]);
        assert_eq!(sections("no section").count(), 0);
    }

    #[test]
    fn a_body_that_looks_like_json_but_is_not_says_why() {
        let describe = |body: String| {
            describe_non_json(&crate::exec::client::Response {
                status: 200,
                headers: vec![("content-type".into(), "application/scim+json".into())],
                body,
                json: None,
                elapsed: std::time::Duration::ZERO,
            })
        };
        let deep = describe(format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)));
        assert!(
            deep.ends_with("(recursion limit exceeded at line 1 column 128)"),
            "{deep}"
        );
        let huge = describe(r#"{"totalResults": 1e400}"#.into());
        assert!(
            huge.contains("(number out of range at line 1 column"),
            "{huge}"
        );
        let cut = describe(r#"{"id": "#.into());
        assert!(
            cut.contains("(EOF while parsing a value at line 1 column 7)"),
            "{cut}"
        );
        assert_eq!(
            describe("<html>login</html>".into()),
            r#"a non-JSON body (application/scim+json): "<html>login</html>""#
        );
    }
}
