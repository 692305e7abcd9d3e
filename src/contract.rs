//! Contracts: what a target's vendor documents about its SCIM API beyond the RFCs — the
//! attributes a create must carry and how to fill them, the email domains its users must use,
//! the capabilities it lacks by design, read-only groups, the filter forms it supports.
//!
//! A contract feeds the same capability overrides as `scimcheck.toml` (so discovery, probes and
//! overrides decide skips in one place), makes generated request bodies satisfy it, skips what it
//! rules out with its name in the reason, and turns each departure from an RFC MUST into an
//! *acknowledged deviation* that every report shows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};
use thiserror::Error;

use crate::case::Case;
use crate::case::model::{Capability, Method};
use crate::case::template::{self, BUILTINS, Scope, Template};
use crate::check::assert;
use crate::config::{capability_named, parse_settle, toml_error_at};
use crate::exec::client::Response;
use crate::files::{self, CONFIG_LIMIT, FileError};
use crate::plan::needs::{Needs, expects_refusal};
use crate::report::Acknowledged;
use crate::scim::attr::{AttrPath, looks_like_email};
use crate::scim::filter::{self, Filter};
use crate::scim::urn;

/// Capabilities an RFC requires: a contract that rules one out must say why, and every report
/// shows it as an acknowledged deviation.
const REQUIRED_BY_RFC: [(Capability, &str); 1] = [(Capability::Put, "RFC 7644 §3.5.1")];

/// The variable a create's fill reads: the userName of the body it completes.
const USER_NAME: &str = "userName";

/// The file, as written. Unknown keys are errors.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ContractFile {
    name: String,
    /// Where the contract's statements come from (the vendor's documentation, public notes…).
    source: String,
    /// The filter forms the target supports, e.g. `["userName eq", "emails[type eq]"]`; `and`,
    /// `or` and `not` must be listed to be used. Absent: any filter (the probes still decide).
    filters: Option<Vec<String>>,
    #[serde(default)]
    capabilities: BTreeMap<String, bool>,
    /// Why the target departs from an RFC MUST, by capability.
    #[serde(default)]
    deviations: BTreeMap<String, String>,
    #[serde(default)]
    users: UsersFile,
    #[serde(default)]
    groups: GroupsFile,
    #[serde(default)]
    limits: LimitsFile,
    #[serde(default)]
    headers: HeadersFile,
}

/// The vendor's header quirks: what it requires on requests, and how it labels responses.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct HeadersFile {
    /// Headers sent with every request, e.g. a tenant header.
    #[serde(default)]
    request: BTreeMap<String, String>,
    /// Headers sent with every request whose values are secrets, by the environment variable
    /// that holds each; redacted everywhere.
    #[serde(default)]
    request_env: BTreeMap<String, String>,
    /// The one media type the target accepts in Content-Type and Accept, when it is not
    /// application/scim+json (e.g. `application/json`).
    media_type: Option<String>,
    /// The media type the target labels its responses with, when it is not
    /// application/scim+json.
    response_media_type: Option<String>,
}

/// The deviations a header quirk departs from, by the key `[deviations]` explains it under:
/// what the RFC requires (as an [`Acknowledged`] names it) and where.
const MEDIA_TYPE_DEVIATIONS: [(&str, &str, &str); 2] = [
    (
        "media-type",
        "application/scim+json requests",
        "RFC 7644 §3.8",
    ),
    (
        "response-media-type",
        "application/scim+json responses",
        "RFC 7644 §3.1, §8.1",
    ),
];

/// A header the contract has every request carry.
#[derive(Clone, PartialEq)]
pub struct RequestHeader {
    pub name: String,
    pub value: String,
    /// Read from the environment: redacted in every output.
    pub secret: bool,
}

impl std::fmt::Debug for RequestHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = if self.secret {
            "[REDACTED]"
        } else {
            &self.value
        };
        write!(f, "{}: {value}", self.name)
    }
}

/// What the vendor documents of its limits, and what a run against it may do.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct LimitsFile {
    /// The most resources a run may create (`--max-creates` overrides it).
    max_creates: Option<u32>,
    /// How long reads may be stale after a write, e.g. `"2s"` (`--settle` overrides it).
    #[serde(default, deserialize_with = "settle")]
    settle: Option<Duration>,
    /// The most results a filter may yield before the target answers 400 `tooMany`
    /// (RFC 7644 §3.4.2.2): no discovery field says, so only a contract can.
    max_filter_results: Option<u32>,
}

fn settle<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_settle(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct UsersFile {
    /// `"email"`: every userName must be an email address.
    user_name: Option<UserNameForm>,
    /// Domains generated users' addresses must use; the first is used.
    #[serde(default)]
    email_domains: Vec<String>,
    /// Attributes every created or replaced User must carry, added where a body lacks them.
    #[serde(default)]
    create: Map<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct GroupsFile {
    /// Groups are read (provisioned by an identity provider), never written.
    #[serde(default)]
    read_only: bool,
    #[serde(default)]
    create: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum UserNameForm {
    Email,
}

/// A filter form a contract allows: `userName eq`, `emails.value pr`, `emails[type eq]` (a
/// value filter, its attribute kept as `emails[type]`), or a logical operator.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum FilterForm {
    Compare { attribute: String, operator: String },
    Logical(String),
}

#[derive(Debug, Error)]
pub enum ContractError {
    #[error(transparent)]
    Read(#[from] FileError),
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// A checked contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Contract {
    pub name: String,
    pub source: String,
    capabilities: BTreeMap<Capability, bool>,
    /// The RFC MUSTs the contract rules out, with its reasons.
    pub deviations: Vec<Acknowledged>,
    filters: Option<BTreeSet<FilterForm>>,
    /// The filter forms as the contract spells them, for messages.
    listed_filters: String,
    user_name_email: bool,
    email_domain: Option<String>,
    user_fill: Map<String, Value>,
    group_fill: Map<String, Value>,
    groups_read_only: bool,
    /// The most resources a run may create.
    pub max_creates: Option<u32>,
    /// How long reads may be stale after a write.
    pub settle: Option<Duration>,
    /// The most results a filter may yield before the target answers 400 `tooMany`.
    pub max_filter_results: Option<u32>,
    /// Headers every request carries.
    pub request_headers: Vec<RequestHeader>,
    /// The media type sent in Content-Type and Accept instead of application/scim+json.
    pub media_type: Option<String>,
    /// The media type responses are labelled with instead of application/scim+json.
    response_media_type: Option<String>,
}

impl Contract {
    /// Reads and checks the contract at `path`; `[headers] request-env` values are read from
    /// the environment now, so a missing variable stops the run before any request.
    pub fn load(path: &Path) -> Result<Contract, ContractError> {
        Contract::load_with_env(path, &|var| std::env::var(var).ok())
    }

    /// [`Contract::load`] with the environment given as a lookup.
    pub fn load_with_env(
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Contract, ContractError> {
        let text = files::read_text(path, CONFIG_LIMIT)?;
        let file: ContractFile = toml::from_str(&text).map_err(|e| {
            let (line, column, message) = toml_error_at(&e, &text);
            ContractError::Syntax {
                path: path.to_owned(),
                line,
                column,
                message,
            }
        })?;
        Contract::check(file, env).map_err(|message| ContractError::Invalid {
            path: path.to_owned(),
            message,
        })
    }

    fn check(
        mut file: ContractFile,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Contract, String> {
        let capability = capability_named;
        let capabilities = file
            .capabilities
            .iter()
            .map(|(name, on)| Ok((capability(name, "capabilities")?, *on)))
            .collect::<Result<BTreeMap<_, _>, String>>()?;
        let mut deviations = Vec::new();
        let declared = [
            file.headers.media_type.as_deref(),
            file.headers.response_media_type.as_deref(),
        ];
        for ((key, required, rfc), media_type) in MEDIA_TYPE_DEVIATIONS.into_iter().zip(declared) {
            let reason = file.deviations.remove(key);
            let Some(media_type) = media_type.filter(|m| !is_scim_media_type(m)) else {
                if reason.is_some() {
                    return Err(format!(
                        "[deviations] explains `{key}`, which [headers] does not set to another media type than {}",
                        urn::MEDIA_TYPE
                    ));
                }
                continue;
            };
            check_media_type(key, media_type)?;
            let reason = reason
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty())
                .ok_or_else(|| {
                    format!(
                        "`{key} = \"{media_type}\"` departs from {rfc}, which requires {}: say why under [deviations] ({key} = \"…\")",
                        urn::MEDIA_TYPE
                    )
                })?;
            deviations.push(Acknowledged {
                contract: file.name.clone(),
                capability: required.to_owned(),
                rfc: rfc.to_owned(),
                reason,
            });
        }
        let request_headers = request_headers(&file.headers, env)?;
        let mut reasons = BTreeMap::new();
        for (name, reason) in &file.deviations {
            let ruled_out = capability(name, "deviations")?;
            if capabilities.get(&ruled_out) != Some(&false) {
                return Err(format!(
                    "[deviations] explains `{name}`, which [capabilities] does not set to false"
                ));
            }
            reasons.insert(ruled_out, reason.trim().to_owned());
        }
        for (required, rfc) in REQUIRED_BY_RFC {
            if capabilities.get(&required) != Some(&false) {
                continue;
            }
            let reason = reasons
                .remove(&required)
                .filter(|r| !r.is_empty())
                .ok_or_else(|| {
                    format!(
                        "`{required} = false` departs from {rfc}, which requires it: say why under [deviations] ({required} = \"…\")"
                    )
                })?;
            deviations.push(Acknowledged {
                contract: file.name.clone(),
                capability: required.name().to_owned(),
                rfc: rfc.to_owned(),
                reason,
            });
        }
        if let Some(name) = reasons.keys().next() {
            return Err(format!(
                "[deviations] explains `{name}`, which no RFC requires: ruling it out is no deviation"
            ));
        }
        let listed_filters = file
            .filters
            .iter()
            .flatten()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let filters = file
            .filters
            .map(|forms| forms.iter().map(|f| parse_form(f)).collect())
            .transpose()?;
        for domain in &file.users.email_domains {
            let valid = !domain.is_empty()
                && domain.split('.').all(|l| {
                    !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !valid {
                return Err(format!(
                    "`{domain}` in [users] email-domains is not a domain name"
                ));
            }
        }
        check_fill(&file.users.create, "users")?;
        check_fill(&file.groups.create, "groups")?;
        Ok(Contract {
            name: file.name,
            source: file.source,
            capabilities,
            deviations,
            filters,
            listed_filters,
            user_name_email: file.users.user_name == Some(UserNameForm::Email),
            email_domain: file.users.email_domains.into_iter().next(),
            user_fill: file.users.create,
            group_fill: file.groups.create,
            groups_read_only: file.groups.read_only,
            max_creates: file.limits.max_creates,
            settle: file.limits.settle,
            max_filter_results: file.limits.max_filter_results,
            request_headers,
            media_type: file.headers.media_type.filter(|m| !is_scim_media_type(m)),
            response_media_type: file
                .headers
                .response_media_type
                .filter(|m| !is_scim_media_type(m)),
        })
    }

    /// What the contract says the target has or lacks, for the plan's capability overrides.
    pub fn capability_overrides(&self) -> BTreeMap<Capability, bool> {
        self.capabilities.clone()
    }

    /// The domain generated email addresses use, if the contract names one.
    pub fn email_domain(&self) -> Option<&str> {
        self.email_domain.as_deref()
    }

    /// Why the contract rules out `capability`, if it sets it to false.
    pub fn rules_out(&self, capability: Capability) -> Option<String> {
        if self.capabilities.get(&capability) != Some(&false) {
            return None;
        }
        Some(
            match self
                .deviations
                .iter()
                .find(|d| d.capability == capability.name())
            {
                Some(deviation) => format!(
                    "the contract `{}` rules out {capability} (an acknowledged deviation from {}: {})",
                    self.name, deviation.rfc, deviation.reason
                ),
                None => format!("the contract `{}` rules out {capability}", self.name),
            },
        )
    }

    /// Why the contract rules out `case`, whose requests need `needs`: a write to read-only
    /// groups, a filter form it does not list, a userName that is not an email address.
    pub fn skip_reason(&self, case: &Case, needs: &Needs) -> Option<String> {
        let requests = || {
            case.spec
                .steps
                .iter()
                .filter_map(|s| s.value.request.as_ref())
        };
        // Even a PUT that expects a refusal: without the contract a refused PUT is the PUT
        // finding, which the contract acknowledges instead.
        if let Some(reason) = self
            .rules_out(Capability::Put)
            .filter(|_| requests().any(|r| r.method == Method::Put))
        {
            return Some(reason);
        }
        if let Some(reason) = self.media_type_skip(case) {
            return Some(reason);
        }
        if self.groups_read_only
            && requests().any(|r| writes_groups(r.method, &r.path, r.body.as_ref()))
        {
            return Some(format!(
                "the contract `{}` makes groups read-only, and the case writes one",
                self.name
            ));
        }
        if let Some(allowed) = &self.filters {
            for used in &needs.filters {
                let unsupported = match filter::parse(&used.filter) {
                    Ok(parsed) => first_unlisted(&parsed, allowed),
                    Err(_) => Some(used.filter.clone()),
                };
                if let Some(form) = unsupported {
                    return Some(format!(
                        "the contract `{}` supports only the filters {}, and the case filters with `{form}` on {}",
                        self.name, self.listed_filters, used.endpoint
                    ));
                }
            }
        }
        let filled = self.user_fill.keys().chain(self.group_fill.keys());
        if let Some(name) = filled.into_iter().find(|name| expects_absent(case, name)) {
            return Some(format!(
                "the contract `{}` has every created resource carry `{name}`, and the case expects it absent",
                self.name
            ));
        }
        // A step that expects a refusal tests the rule itself.
        let accepted = case
            .spec
            .steps
            .iter()
            .filter(|s| !expects_refusal(s.value.expect.status.as_ref()))
            .filter_map(|s| s.value.request.as_ref());
        if self.user_name_email
            && let Some(name) = accepted
                .filter_map(|r| written_user_name(r.method, &r.path, r.body.as_ref()))
                .find(|name| !looks_like_email(name))
        {
            return Some(format!(
                "the contract `{}` requires userName to be an email address, and the case writes `{name}`",
                self.name
            ));
        }
        None
    }

    /// Why the contract's media types rule out `case`: a request labelled with or accepting only
    /// another media type than the target accepts, or a Content-Type the target's documented
    /// responses do not have. Either is an acknowledged deviation, named in the reason.
    fn media_type_skip(&self, case: &Case) -> Option<String> {
        let acknowledged = |required: &str| {
            self.deviations
                .iter()
                .find(|d| d.capability == required)
                .map(|d| format!(" (an acknowledged deviation from {}: {})", d.rfc, d.reason))
                .unwrap_or_default()
        };
        let steps = || case.spec.steps.iter().map(|s| &s.value);
        if let Some(accepted) = &self.media_type {
            // A step that expects a 4xx tests the refusal itself (text/plain answered 415).
            let refused = steps()
                .filter(|s| {
                    !s.expect
                        .status
                        .as_ref()
                        .is_some_and(|set| (400..500).any(|code| set.allows(code)))
                })
                .filter_map(|s| s.request.as_ref())
                .flat_map(|r| &r.headers)
                .find(|(name, value)| {
                    if name.eq_ignore_ascii_case("content-type") {
                        !essence(value).eq_ignore_ascii_case(essence(accepted))
                    } else if name.eq_ignore_ascii_case("accept") {
                        !value
                            .split(',')
                            .map(essence)
                            .any(|v| v == "*/*" || v.eq_ignore_ascii_case(essence(accepted)))
                    } else {
                        false
                    }
                });
            if let Some((name, value)) = refused {
                return Some(format!(
                    "the contract `{}` accepts only {accepted}{}, and the case sends {name}: {value}",
                    self.name,
                    acknowledged(MEDIA_TYPE_DEVIATIONS[0].1)
                ));
            }
        }
        let labelled = self.response_media_type.as_ref()?;
        let documented = Response {
            status: 200,
            headers: vec![("content-type".to_owned(), labelled.clone())],
            body: String::new(),
            json: None,
            elapsed: Duration::ZERO,
        };
        let missed = steps()
            .flat_map(|s| &s.expect.headers)
            .any(|(name, assertion)| {
                name.eq_ignore_ascii_case("content-type")
                    && !assert::header(
                        name,
                        assertion,
                        assertion.equals.as_deref(),
                        assertion.not_equals.as_deref(),
                        &documented,
                    )
                    .is_empty()
            });
        missed.then(|| {
            format!(
                "the contract `{}` documents responses labelled {labelled}{}, and the case expects another Content-Type",
                self.name,
                acknowledged(MEDIA_TYPE_DEVIATIONS[1].1)
            )
        })
    }

    /// Adds what the contract requires to a request body that creates or replaces a resource:
    /// each attribute of the fill the body lacks (an extension's also into `schemas`). A fill
    /// that cannot be rendered (a body without userName) is left out: the case then tests what
    /// it sent. Bulk operations are completed one by one.
    pub fn complete(&self, method: Method, path: &str, body: &mut Value, scope: &dyn Scope) {
        if method == Method::Post && path.trim_end_matches('/') == "/Bulk" {
            let operations = body.get_mut("Operations").and_then(Value::as_array_mut);
            for operation in operations.into_iter().flatten() {
                let method = match operation.get("method").and_then(Value::as_str) {
                    Some(m) if m.eq_ignore_ascii_case("POST") => Method::Post,
                    Some(m) if m.eq_ignore_ascii_case("PUT") => Method::Put,
                    _ => continue,
                };
                let path = operation
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                if let Some(data) = operation.get_mut("data") {
                    self.complete(method, &path, data, scope);
                }
            }
            return;
        }
        let fill = match resource_written(method, path) {
            Some(Resource::Users) => &self.user_fill,
            Some(Resource::Groups) => &self.group_fill,
            None => return,
        };
        let Some(object) = body.as_object_mut() else {
            return;
        };
        let filled = Filled {
            user_name: object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(USER_NAME))
                .map(|(_, v)| v.clone()),
            inner: scope,
        };
        for (name, value) in fill {
            if object.keys().any(|k| k.eq_ignore_ascii_case(name)) {
                continue;
            }
            let Ok(value) = template::render_value(value, &filled) else {
                continue;
            };
            if name.contains(':') {
                let schemas = object
                    .entry("schemas")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Some(schemas) = schemas.as_array_mut()
                    && !schemas
                        .iter()
                        .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(name)))
                {
                    schemas.push(Value::from(name.as_str()));
                }
            }
            object.insert(name.clone(), value);
        }
    }
}

/// The collection a request creates in or replaces a member of.
enum Resource {
    Users,
    Groups,
}

fn resource_written(method: Method, path: &str) -> Option<Resource> {
    let mut segments = path.trim_start_matches('/').split('/');
    let collection = segments.next()?;
    let member = segments.next();
    let whole = match (method, member) {
        (Method::Post, None) => true,
        (Method::Put, Some(id)) => !id.is_empty() && segments.next().is_none(),
        _ => false,
    };
    match collection {
        "Users" if whole => Some(Resource::Users),
        "Groups" if whole => Some(Resource::Groups),
        _ => None,
    }
}

/// Whether a request writes a Group: to `/Groups…`, or a Bulk operation that does.
fn writes_groups(method: Method, path: &str, body: Option<&Value>) -> bool {
    if path.starts_with("/Groups") {
        return method != Method::Get && !path.ends_with("/.search");
    }
    // A path read from the target (a ResourceType's endpoint) is known by what it sends.
    let group_body = body
        .and_then(|b| b.get("schemas"))
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|s| {
                s.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(urn::GROUP))
            })
        });
    if group_body && method != Method::Get {
        return true;
    }
    let operations = body
        .filter(|_| path.trim_end_matches('/') == "/Bulk")
        .and_then(|b| b.get("Operations"))
        .and_then(Value::as_array);
    operations.into_iter().flatten().any(|operation| {
        operation
            .get("path")
            .and_then(Value::as_str)
            .is_some_and(|p| p.starts_with("/Groups"))
    })
}

/// Whether a step of `case` asserts that the attribute `name` is absent from a response.
fn expects_absent(case: &Case, name: &str) -> bool {
    case.spec.steps.iter().any(|step| {
        step.value.expect.json.iter().any(|(pointer, assert)| {
            let absent = assert.absent == Some(true) || assert.present == Some(false);
            absent
                && pointer.strip_prefix('/').is_some_and(|p| {
                    p.split('/')
                        .next()
                        .is_some_and(|first| first.eq_ignore_ascii_case(name))
                })
        })
    })
}

/// The userName a request writes, rendered with stand-ins: a generator as the run would, any
/// other variable (a userName captured from an earlier answer, mostly) as an address.
fn written_user_name(method: Method, path: &str, body: Option<&Value>) -> Option<String> {
    if !path.starts_with("/Users") {
        return None;
    }
    let body = body?.as_object()?;
    let value = match method {
        Method::Post | Method::Put => body.get(USER_NAME)?,
        Method::Patch => body
            .get("Operations")?
            .as_array()?
            .iter()
            .find_map(
                |operation| match operation.get("path").and_then(Value::as_str) {
                    Some(path) if path.eq_ignore_ascii_case(USER_NAME) => operation.get("value"),
                    Some(_) => None,
                    None => operation.get("value")?.get(USER_NAME),
                },
            )?,
        Method::Get | Method::Delete => return None,
    };
    let text = value.as_str()?;
    template::render_str(text, &StandIns).ok()
}

struct StandIns;

const STAND_IN: &str = "someone@example.com";

impl Scope for StandIns {
    fn variable(&self, _name: &str) -> Option<&Value> {
        static ADDRESS: std::sync::LazyLock<Value> =
            std::sync::LazyLock::new(|| Value::from(STAND_IN));
        Some(&ADDRESS)
    }

    fn case_prefix(&self) -> &str {
        "scimcheck-contract"
    }
}

/// A fill's scope: `${userName}` is the completed body's, everything else the case's.
struct Filled<'a> {
    user_name: Option<Value>,
    inner: &'a dyn Scope,
}

impl Scope for Filled<'_> {
    fn variable(&self, name: &str) -> Option<&Value> {
        if name == USER_NAME {
            return self.user_name.as_ref();
        }
        self.inner.variable(name)
    }

    fn case_prefix(&self) -> &str {
        self.inner.case_prefix()
    }

    fn email_domain(&self) -> Option<&str> {
        self.inner.email_domain()
    }
}

/// Every template in a fill parses and reads only `${userName}` or a built-in.
fn check_fill(fill: &Map<String, Value>, table: &str) -> Result<(), String> {
    fn strings<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
        match value {
            Value::String(s) => out.push(s),
            Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    for (name, value) in fill {
        let mut texts = Vec::new();
        strings(value, &mut texts);
        for text in texts {
            let parsed =
                Template::parse(text).map_err(|e| format!("[{table}.create] {name}: {e}"))?;
            if let Some(unknown) = parsed
                .variables()
                .into_iter()
                .find(|v| *v != USER_NAME && !BUILTINS.contains(v))
            {
                return Err(format!(
                    "[{table}.create] {name}: `${{{unknown}}}` is not defined (a fill reads ${{userName}} and the built-ins)"
                ));
            }
        }
    }
    Ok(())
}

/// Whether `media_type` is SCIM's own, parameters (a charset) aside.
fn is_scim_media_type(media_type: &str) -> bool {
    essence(media_type).eq_ignore_ascii_case(urn::MEDIA_TYPE)
}

/// A media type without its parameters: `application/json` of `application/json; charset=utf-8`.
fn essence(media_type: &str) -> &str {
    media_type.split(';').next().unwrap_or_default().trim()
}

fn check_media_type(key: &str, media_type: &str) -> Result<(), String> {
    let valid = essence(media_type)
        .split_once('/')
        .is_some_and(|(kind, sub)| is_token(kind) && is_token(sub));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "[headers] {key}: `{media_type}` is not a media type such as application/json"
        ))
    }
}

/// An HTTP token (RFC 9110 §5.6.2): a header name, or a media type's halves.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The headers of `[headers] request` and `request-env`, each name a token scimcheck does not
/// set itself, each value visible ASCII; a secret's variable must be set.
fn request_headers(
    headers: &HeadersFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<RequestHeader>, String> {
    const OWN: [&str; 5] = [
        "authorization",
        "content-type",
        "accept",
        "host",
        "content-length",
    ];
    let literal = headers
        .request
        .iter()
        .map(|(n, v)| (n, Ok(v.clone()), false));
    let secret = headers.request_env.iter().map(|(n, var)| {
        let value = env(var)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("[headers.request-env] {n}: the variable {var} is not set"));
        (n, value, true)
    });
    let mut out: Vec<RequestHeader> = Vec::new();
    for (name, value, secret) in literal.chain(secret) {
        let table = if secret { "request-env" } else { "request" };
        if !is_token(name) {
            return Err(format!("[headers.{table}] `{name}` is not a header name"));
        }
        if OWN.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            return Err(format!(
                "[headers.{table}] {name}: scimcheck sets this header itself (media-type sets Content-Type and Accept)"
            ));
        }
        if out.iter().any(|h| h.name.eq_ignore_ascii_case(name)) {
            return Err(format!("[headers] {name} is given twice"));
        }
        let value = value?;
        // The value is never quoted back: it may be a secret.
        if !value
            .bytes()
            .all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic())
        {
            return Err(format!(
                "[headers.{table}] {name}: the value must be visible ASCII"
            ));
        }
        out.push(RequestHeader {
            name: name.clone(),
            value,
            secret,
        });
    }
    Ok(out)
}

fn parse_form(text: &str) -> Result<FilterForm, String> {
    // `emails[type eq]`: the comparison inside a value filter, named `emails[type]`.
    let value_path = text.trim().split_once('[').and_then(|(attribute, inner)| {
        let inner = inner.strip_suffix(']')?;
        let [sub, operator] = inner.split_whitespace().collect::<Vec<_>>()[..] else {
            return None;
        };
        let attribute = attribute.trim();
        let plain = |s: &str| !s.is_empty() && !s.contains(['[', ']', ' ']);
        (plain(attribute) && plain(sub)).then(|| (format!("{attribute}[{sub}]"), operator))
    });
    let words: Vec<&str> = match &value_path {
        Some((attribute, operator)) => vec![attribute, operator],
        None if text.contains('[') => Vec::new(),
        None => text.split_whitespace().collect(),
    };
    let known_operator = |op: &str| {
        ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(op))
    };
    match words.as_slice() {
        [word]
            if ["and", "or", "not"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(word)) =>
        {
            Ok(FilterForm::Logical(word.to_ascii_lowercase()))
        }
        [attribute, operator] if known_operator(operator) => Ok(FilterForm::Compare {
            attribute: attribute.to_ascii_lowercase(),
            operator: operator.to_ascii_lowercase(),
        }),
        _ => Err(format!(
            "filters: `{text}` is not a filter form such as `userName eq`, `emails.value pr`, `emails[type eq]` or `and`"
        )),
    }
}

/// The first part of `parsed` the allowed forms do not list, as text.
fn first_unlisted(parsed: &Filter, allowed: &BTreeSet<FilterForm>) -> Option<String> {
    unlisted_within(parsed, None, allowed)
}

/// [`first_unlisted`] inside the value filter of `within` (`emails` of `emails[…]`), if any:
/// there an attribute is named `emails[type]`, as the contract writes `emails[type eq]`.
fn unlisted_within(
    parsed: &Filter,
    within: Option<&str>,
    allowed: &BTreeSet<FilterForm>,
) -> Option<String> {
    let logical = |word: &str| {
        (!allowed.contains(&FilterForm::Logical(word.to_owned()))).then(|| word.to_owned())
    };
    // The parser qualifies an attribute inside `emails[…]` as `emails.type`.
    let named = |attr: &AttrPath| match within {
        Some(outer) => format!("{outer}[{}]", attr.sub.as_deref().unwrap_or(&attr.name)),
        None => attr.to_string(),
    };
    let terms = |terms: &[Filter]| {
        terms
            .iter()
            .find_map(|t| unlisted_within(t, within, allowed))
    };
    match parsed {
        Filter::And(inner) => logical("and").or_else(|| terms(inner)),
        Filter::Or(inner) => logical("or").or_else(|| terms(inner)),
        Filter::Not(inner) => logical("not").or_else(|| unlisted_within(inner, within, allowed)),
        Filter::Compare { attr, op, .. } => unlisted_compare(&named(attr), op.name(), allowed),
        Filter::Present(attr) => unlisted_compare(&named(attr), "pr", allowed),
        Filter::ValuePath { attr, filter } => {
            unlisted_within(filter, Some(&attr.to_string()), allowed)
        }
    }
}

fn unlisted_compare(
    attribute: &str,
    operator: &str,
    allowed: &BTreeSet<FilterForm>,
) -> Option<String> {
    let form = FilterForm::Compare {
        attribute: attribute.to_ascii_lowercase(),
        operator: operator.to_owned(),
    };
    (!allowed.contains(&form)).then(|| format!("{attribute} {operator}"))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::case::load::{CaseSource, load};
    use crate::case::template::Scoping;
    use crate::check::schema::SchemaRegistry;
    use crate::plan::needs::{Choices, needs};

    fn load_text(text: &str) -> Result<Contract, ContractError> {
        let path = std::env::temp_dir().join(format!("scimcheck-{}.toml", uuid::Uuid::new_v4()));
        std::fs::write(&path, text).expect("written");
        let loaded = Contract::load(&path);
        std::fs::remove_file(path).ok();
        loaded
    }

    const HEAD: &str = "name = \"acme\"\nsource = \"acme docs\"\n";

    #[test]
    fn the_shipped_contracts_load() {
        for name in ["lightstep", "entra-gallery", "okta-oin"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("contracts/{name}.toml"));
            let contract = Contract::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(contract.name, name);
        }
    }

    #[test]
    fn rejects_unknown_keys_with_their_line_and_bad_values() {
        let message = |text: &str| load_text(text).expect_err("invalid").to_string();
        let cases = [
            (
                format!("{HEAD}\n[users]\nuser-nam = \"email\"\n"),
                ":5:1: unknown field `user-nam`",
            ),
            (
                format!("{HEAD}[users]\nuser-name = \"phone\"\n"),
                "unknown variant `phone`",
            ),
            (
                format!("{HEAD}[capabilities]\nputt = false\n"),
                "unknown capability `putt` in [capabilities]",
            ),
            (
                format!("{HEAD}[capabilities]\nput = false\n"),
                "`put = false` departs from RFC 7644 §3.5.1, which requires it: say why under [deviations]",
            ),
            (
                format!("{HEAD}[capabilities]\nput = false\n[deviations]\nput = \"  \"\n"),
                "say why under [deviations]",
            ),
            (
                format!("{HEAD}[deviations]\nput = \"x\"\n"),
                "[deviations] explains `put`, which [capabilities] does not set to false",
            ),
            (
                format!("{HEAD}[capabilities]\nsort = false\n[deviations]\nsort = \"x\"\n"),
                "which no RFC requires",
            ),
            (
                format!("filters = [\"userName\"]\n{HEAD}"),
                "`userName` is not a filter form",
            ),
            (
                format!("filters = [\"userName like\"]\n{HEAD}"),
                "`userName like` is not a filter form",
            ),
            (
                format!("{HEAD}[users]\nemail-domains = [\"exa mple.com\"]\n"),
                "`exa mple.com` in [users] email-domains is not a domain name",
            ),
            (
                format!("{HEAD}[users.create]\nemails = [{{ value = \"${{mail}}\" }}]\n"),
                "[users.create] emails: `${mail}` is not defined",
            ),
            (
                format!("{HEAD}[groups.create]\nexternalId = \"${{name:x\"\n"),
                "[groups.create] externalId: unclosed",
            ),
            ("source = \"x\"\n".to_owned(), "missing field `name`"),
            (
                format!("{HEAD}[limits]\nsettle = \"2 minutes\"\n"),
                "unknown unit `minutes`",
            ),
            (
                format!("{HEAD}[limits]\nmax-creates = -1\n"),
                "invalid value",
            ),
            (
                format!("{HEAD}[limits]\nmax-filter-results = \"many\"\n"),
                "invalid type",
            ),
        ];
        for (text, expected) in cases {
            let error = message(&text);
            assert!(error.contains(expected), "{text}\n→ {error}");
        }
    }

    #[test]
    fn a_must_it_rules_out_is_an_acknowledged_deviation_with_its_reason() {
        let contract = load_text(&format!(
            "{HEAD}[capabilities]\nput = false\nbulk = false\n[deviations]\nput = \"PATCH only\"\n"
        ))
        .expect("valid");
        assert_eq!(
            contract.deviations,
            [Acknowledged {
                contract: "acme".into(),
                capability: "put".into(),
                rfc: "RFC 7644 §3.5.1".into(),
                reason: "PATCH only".into(),
            }]
        );
        assert_eq!(
            contract.rules_out(Capability::Put).as_deref(),
            Some(
                "the contract `acme` rules out put (an acknowledged deviation from RFC 7644 §3.5.1: PATCH only)"
            )
        );
        assert_eq!(
            contract.rules_out(Capability::Bulk).as_deref(),
            Some("the contract `acme` rules out bulk")
        );
        assert_eq!(contract.rules_out(Capability::Patch), None);
        // Every case that sends a PUT skips, even one expecting it refused.
        let put = |status: u16| {
            format!(
                "  - name: s\n    request: {{ method: PUT, path: /Users/1, body: {{ userName: x }} }}\n    expect: {{ status: {status} }}\n"
            )
        };
        for status in [200, 400] {
            assert!(
                reason(&contract, &put(status)).is_some_and(|r| r.contains("rules out put")),
                "{status}"
            );
        }
        let patch = "  - name: s\n    request: { method: PATCH, path: /Users/1, body: { Operations: [] } }\n    expect: { status: 200 }\n";
        assert_eq!(reason(&contract, patch), None);
    }

    struct Case1;
    impl Scope for Case1 {
        fn variable(&self, _: &str) -> Option<&Value> {
            None
        }
        fn case_prefix(&self) -> &str {
            "p"
        }
        fn email_domain(&self) -> Option<&str> {
            Some("acme.test")
        }
    }

    #[test]
    fn completes_created_and_replaced_bodies_with_what_they_lack() {
        let contract = load_text(&format!(
            "{HEAD}[users.create]\nemails = [{{ value = \"${{userName}}\", primary = true }}]\n\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\" = {{ employeeNumber = \"${{name:e}}\" }}\n[groups.create]\nexternalId = \"${{name:g}}\"\n"
        ))
        .expect("valid");
        let complete = |method, path: &str, body: Value| {
            let mut body = body;
            contract.complete(method, path, &mut body, &Case1);
            body
        };
        let enterprise = urn::ENTERPRISE_USER;
        assert_eq!(
            complete(
                Method::Post,
                "/Users",
                json!({"schemas": [urn::USER], "userName": "a@acme.test"})
            ),
            json!({
                "schemas": [urn::USER, enterprise],
                "userName": "a@acme.test",
                "emails": [{"value": "a@acme.test", "primary": true}],
                enterprise: {"employeeNumber": "p-e"},
            })
        );
        // What the body has is kept, whatever its spelling; a PUT is completed as a POST.
        let own = json!({"userName": "a@acme.test", "EMAILS": [], enterprise: {}});
        assert_eq!(complete(Method::Put, "/Users/1", own.clone()), own);
        // Without a userName the fill that reads it is left out: the case tests what it sent.
        assert_eq!(
            complete(Method::Post, "/Users", json!({"schemas": [urn::USER]}))["emails"],
            Value::Null
        );
        // Only creates and replaces of whole resources; Bulk operations one by one.
        for (method, path) in [
            (Method::Patch, "/Users/1"),
            (Method::Post, "/Users/.search"),
            (Method::Put, "/Users"),
        ] {
            assert_eq!(
                complete(method, path, json!({"userName": "x"})),
                json!({"userName": "x"}),
                "{path}"
            );
        }
        let bulk = complete(
            Method::Post,
            "/Bulk",
            json!({"Operations": [
                {"method": "POST", "path": "/Groups", "data": {"displayName": "g"}},
                {"method": "DELETE", "path": "/Users/1"},
            ]}),
        );
        assert_eq!(bulk["Operations"][0]["data"]["externalId"], "p-g");
        assert_eq!(bulk["Operations"][1].get("data"), None);
    }

    fn case(yaml: &str) -> Case {
        let schemas = SchemaRegistry::builtin().expect("schemas");
        let sources = [CaseSource {
            relative: "vendor/x.yaml".into(),
            display: "x.yaml".into(),
            text: Arc::from(format!(
                "name: x\ndescription: x\nrfc: [\"RFC 7644 §3.3\"]\nlevel: MUST\nsteps:\n{yaml}"
            )),
        }];
        load(&sources, &crate::suite::known_names(&schemas))
            .expect("case")
            .remove(0)
    }

    fn reason(contract: &Contract, yaml: &str) -> Option<String> {
        let case = case(yaml);
        let choices = Choices {
            marker: "title",
            scoping: Scoping::UserNamePrefix,
        };
        contract.skip_reason(&case, &needs(&case, choices))
    }

    #[test]
    fn filter_forms_cover_value_filters_presence_and_ordering_as_the_probes_send_them() {
        let contract = load_text(&format!(
            "filters = [\"userName eq\", \"emails[type eq]\", \"emails[value co]\", \"emails.value pr\", \"meta.lastModified gt\", \"and\"]\n{HEAD}"
        ))
        .expect("valid");
        let list = |filter: &str| {
            format!(
                "  - name: s\n    request: {{ method: GET, path: /Users, query: {{ filter: '{filter}' }} }}\n    expect: {{ status: 200 }}\n"
            )
        };
        let cases: [(&str, Option<&str>); 11] = [
            (r#"emails[type eq "work"]"#, None),
            (r#"EMAILS[Type eq "work"]"#, None),
            (r#"emails[type eq "work" and value co "@"]"#, None),
            (r#"userName eq "a" and emails[type eq "work"]"#, None),
            ("emails.value pr", None),
            (r#"meta.lastModified gt "2020-01-01T00:00:00Z""#, None),
            (
                r#"emails[type ne "work"]"#,
                Some("filters with `emails[type] ne`"),
            ),
            (
                r#"emails[type eq "work" or value co "@"]"#,
                Some("filters with `or`"),
            ),
            (
                r#"addresses[type eq "work"]"#,
                Some("filters with `addresses[type] eq`"),
            ),
            (
                r#"emails.type eq "work""#,
                Some("filters with `emails.type eq`"),
            ),
            (
                r#"meta.lastModified ge "2020-01-01T00:00:00Z""#,
                Some("filters with `meta.lastModified ge`"),
            ),
        ];
        for (filter, expected) in cases {
            let got = reason(&contract, &list(filter));
            match expected {
                None => assert_eq!(got, None, "{filter}"),
                Some(part) => assert!(
                    got.as_deref().is_some_and(|g| g.contains(part)),
                    "{filter}\n→ {got:?}"
                ),
            }
        }
        for bad in [
            "emails[type]",
            "emails[type eq",
            "[type eq]",
            "emails[type like]",
            "emails[a[b] eq]",
        ] {
            let error = load_text(&format!("filters = [\"{bad}\"]\n{HEAD}"))
                .expect_err(bad)
                .to_string();
            assert!(error.contains("is not a filter form"), "{bad}: {error}");
        }
    }

    #[test]
    fn header_quirks_are_checked_and_read_their_secrets_from_the_environment() {
        let load_env = |text: &str| {
            let path =
                std::env::temp_dir().join(format!("scimcheck-{}.toml", uuid::Uuid::new_v4()));
            std::fs::write(&path, format!("{HEAD}{text}")).expect("written");
            let env = |var: &str| (var == "TENANT_KEY").then(|| "k3y-s3cret".to_owned());
            let loaded = Contract::load_with_env(&path, &env);
            std::fs::remove_file(path).ok();
            loaded.map_err(|e| e.to_string())
        };
        let contract = load_env(
            "[headers]\nmedia-type = \"application/json\"\n[headers.request]\nX-Tenant = \"acme\"\n[headers.request-env]\nX-Tenant-Key = \"TENANT_KEY\"\n[deviations]\nmedia-type = \"json only\"\n",
        )
        .expect("valid");
        assert_eq!(contract.media_type.as_deref(), Some("application/json"));
        assert_eq!(
            format!("{:?}", contract.request_headers),
            "[X-Tenant: acme, X-Tenant-Key: [REDACTED]]"
        );
        assert_eq!(contract.request_headers[1].value, "k3y-s3cret");
        assert_eq!(
            contract.deviations[0].to_string(),
            "no application/scim+json requests, which RFC 7644 §3.8 requires: the contract `acme` says json only"
        );
        // SCIM's own media type is no quirk and needs no reason.
        let scim =
            load_env("[headers]\nresponse-media-type = \"application/scim+json; charset=utf-8\"\n")
                .expect("valid");
        assert!(scim.deviations.is_empty());
        let cases = [
            (
                "[headers]\nresponse-media-type = \"application/json\"\n",
                "departs from RFC 7644 §3.1, §8.1, which requires application/scim+json: say why under [deviations] (response-media-type = \"…\")",
            ),
            (
                "[deviations]\nmedia-type = \"x\"\n",
                "[deviations] explains `media-type`, which [headers] does not set",
            ),
            (
                "[headers]\nmedia-type = \"json\"\n[deviations]\nmedia-type = \"x\"\n",
                "`json` is not a media type",
            ),
            (
                "[headers.request]\nAuthorization = \"Basic x\"\n",
                "Authorization: scimcheck sets this header itself",
            ),
            (
                "[headers.request]\n\"X Tenant\" = \"a\"\n",
                "`X Tenant` is not a header name",
            ),
            (
                "[headers.request]\nX-Tenant = \"a\\nb\"\n",
                "X-Tenant: the value must be visible ASCII",
            ),
            (
                "[headers.request-env]\nX-Key = \"UNSET_VARIABLE\"\n",
                "X-Key: the variable UNSET_VARIABLE is not set",
            ),
            (
                "[headers.request]\nX-Key = \"a\"\n[headers.request-env]\nx-key = \"TENANT_KEY\"\n",
                "x-key is given twice",
            ),
        ];
        for (text, expected) in cases {
            let error = load_env(text).expect_err(text);
            assert!(error.contains(expected), "{text}\n→ {error}");
            assert!(!error.contains("k3y-s3cret"), "{error}");
        }
    }

    #[test]
    fn a_json_only_target_skips_the_cases_that_send_scim_json_explicitly() {
        let contract = load_text(&format!(
            "{HEAD}[headers]\nmedia-type = \"application/json\"\n[deviations]\nmedia-type = \"json only\"\n"
        ))
        .expect("valid");
        let step = |headers: &str, status: u16| {
            format!(
                "  - name: s\n    request: {{ method: POST, path: /Users, headers: {{ {headers} }}, body: {{ userName: a }} }}\n    expect: {{ status: {status} }}\n"
            )
        };
        let cases = [
            (
                step("Content-Type: application/scim+json", 201),
                Some(
                    "the contract `acme` accepts only application/json (an acknowledged deviation from RFC 7644 §3.8: json only), and the case sends Content-Type: application/scim+json",
                ),
            ),
            (
                step("Accept: application/scim+json", 201),
                Some("sends Accept: application/scim+json"),
            ),
            (
                step("Content-Type: application/json; charset=utf-8", 201),
                None,
            ),
            (
                step(
                    "\"Accept\": \"application/scim+json, application/json\"",
                    201,
                ),
                None,
            ),
            (step("Accept: \"*/*\"", 201), None),
            // A step that expects the refusal tests it.
            (step("Content-Type: text/plain", 415), None),
        ];
        for (yaml, expected) in cases {
            let got = reason(&contract, &yaml);
            match expected {
                None => assert_eq!(got, None, "{yaml}"),
                Some(part) => assert!(
                    got.as_deref().is_some_and(|g| g.contains(part)),
                    "{yaml}\n→ {got:?}"
                ),
            }
        }
    }

    #[test]
    fn skips_what_the_contract_rules_out_and_nothing_else() {
        let contract = load_text(&format!(
            "filters = [\"userName eq\", \"and\"]\n{HEAD}[users]\nuser-name = \"email\"\n[users.create]\nemails = []\n[groups]\nread-only = true\n"
        ))
        .expect("valid");
        let post_user = |name: &str, status: u16| {
            format!(
                "  - name: s\n    request: {{ method: POST, path: /Users, body: {{ userName: \"{name}\" }} }}\n    expect: {{ status: {status} }}\n"
            )
        };
        let list = |filter: &str| {
            format!(
                "  - name: s\n    request: {{ method: GET, path: /Users, query: {{ filter: '{filter}' }} }}\n    expect: {{ status: 200 }}\n"
            )
        };
        let cases: [(String, Option<&str>); 10] = [
            (post_user("${user:a}", 201), None),
            (post_user("${name:a}", 201), Some("requires userName to be an email address, and the case writes `scimcheck-contract-a`")),
            // A step that expects the refusal tests the rule itself.
            (post_user("${name:a}", 400), None),
            ("  - name: s\n    request: { method: PATCH, path: /Users/1, body: { Operations: [{ op: replace, path: userName, value: plain }] } }\n    expect: { status: 200 }\n".into(), Some("the case writes `plain`")),
            (list("userName eq \"a\" and userName eq \"b\""), None),
            (list("userName sw \"a\""), Some("supports only the filters `userName eq`, `and`, and the case filters with `userName sw` on /Users")),
            (list("userName eq \"a\" or userName eq \"b\""), Some("filters with `or`")),
            ("  - name: s\n    request: { method: DELETE, path: /Groups/1 }\n    expect: { status: 204 }\n".into(), Some("makes groups read-only, and the case writes one")),
            ("  - name: s\n    request: { method: POST, path: \"/${casePrefix}\", body: { schemas: [\"urn:ietf:params:scim:schemas:core:2.0:Group\"] } }\n    expect: { status: 201 }\n".into(), Some("makes groups read-only")),
            ("  - name: s\n    request: { method: GET, path: /Users/1 }\n    expect: { status: 200, json: { /emails: { absent: true } } }\n".into(), Some("has every created resource carry `emails`, and the case expects it absent")),
        ];
        for (yaml, expected) in cases {
            let got = reason(&contract, &yaml);
            match expected {
                None => assert_eq!(got, None, "{yaml}"),
                Some(part) => assert!(
                    got.as_deref().is_some_and(|g| g.contains(part)),
                    "{yaml}\n→ {got:?}"
                ),
            }
        }
    }
}
