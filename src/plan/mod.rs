//! Stage 2: what the target can do, and — purely, from the cases, the capabilities and the
//! credentials at hand — which cases run and why the others are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;
use thiserror::Error;

use crate::case::template::{
    CUSTOM_ENDPOINT, CUSTOM_TYPE, MARKER_CANDIDATES, MAX_FILTER_RESULTS, REQUEST_ONLY,
    REQUEST_ONLY_POINTER, Scoping,
};
use crate::case::{Auth, Capability, Case, Method};
use crate::check::assert::resolve;
use crate::check::{PUT_CLAUSE, cites};
use crate::contract::Contract;
use crate::exec::client::{ExecError, Target};
use crate::scim::urn;

pub mod budget;
pub mod needs;
pub mod probe;
pub mod select;

use needs::{Choices, FilterUse, needs};
use probe::Refusal;

/// What the target advertises, read from `/ServiceProviderConfig`, `/ResourceTypes` and
/// `/Schemas`, and what probes found out.
#[derive(Debug, Clone)]
pub struct Capabilities {
    pub supported: BTreeSet<Capability>,
    /// Capabilities whose REQUIRED `supported` flag `/ServiceProviderConfig` did not state (the
    /// attribute missing, or the document unreadable): unsupported for planning, and a skip
    /// says so rather than "not advertised", since the discovery cases fail on it.
    pub unstated: BTreeSet<Capability>,
    /// What could not be read, said once at the start of the run.
    pub warnings: Vec<String>,
    /// The target's `/Schemas` and `/ResourceTypes` answers, to derive `target:*` schemas from.
    pub published_schemas: Option<(Value, Value)>,
    /// How many of the catalogue's filters were probed.
    pub probed_filters: usize,
    /// The filters the target refused as unsupported.
    pub refused_filters: BTreeMap<FilterUse, Refusal>,
    /// `filter.maxResults`: the largest page the target returns.
    pub max_results: Option<u64>,
    /// The attributes the target's core User schema declares, lower-cased; `None` when it
    /// published no User schema.
    pub user_attributes: Option<BTreeSet<String>>,
    /// The same for the core Group schema.
    pub group_attributes: Option<BTreeSet<String>>,
    /// What `${marker}` stands for: the first of [`MARKER_CANDIDATES`] the target declares
    /// (`title` when it declares none, so the cases that use it skip for want of it).
    pub marker: &'static str,
    /// How `${scope}` selects a case's own Users: by userName prefix, or by a tag in the
    /// marker attribute when the target refuses `sw`.
    pub scoping: Scoping,
    /// The status with which the target refused the PUT probe, if it did.
    pub put_refused: Option<u16>,
    /// Whether the PUT probe was sent: a read-only run sends none.
    pub put_probed: bool,
    /// The capabilities configuration set, whatever discovery and probes said, each with
    /// where it was set: `scimcheck.toml`, or the target's contract.
    pub configured: BTreeMap<Capability, String>,
    /// What `${requestOnly}` stands for, when the target declares such an attribute.
    pub request_only: Option<RequestOnly>,
    /// What `${customType}` and `${customEndpoint}` stand for, when the target publishes a
    /// resource type beyond User and Group.
    pub custom_type: Option<CustomType>,
    /// What `${maxFilterResults}` stands for: the most results a filter may yield, as the
    /// target's contract declares it.
    pub max_filter_results: Option<u32>,
}

/// The largest declared filter-result cap `filter::too-many` exceeds: it creates one User more
/// than the cap, and more than this many creations is no longer a probe of a limit.
pub const MAX_DECLARED_FILTER_RESULTS: u32 = 200;

/// A resource type beyond User and Group (RFC 7643 §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomType {
    pub name: String,
    /// Relative to the base URL, e.g. `/Devices`.
    pub endpoint: String,
}

/// A User attribute the target returns only when a request names it (RFC 7643 §7
/// `returned: request`): a writable single string, for a case to set and read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOnly {
    /// As `attributes=` and PATCH paths name it: URN-qualified for an extension's.
    pub path: String,
    /// As a JSON pointer into a User after its leading `/`, e.g. `urn:…:User/note`.
    pub pointer: String,
}

impl Default for Capabilities {
    /// Nothing advertised, nothing probed; the marker is RFC 7643's `title`.
    fn default() -> Self {
        Capabilities {
            supported: BTreeSet::new(),
            unstated: BTreeSet::new(),
            warnings: Vec::new(),
            published_schemas: None,
            probed_filters: 0,
            refused_filters: BTreeMap::new(),
            max_results: None,
            user_attributes: None,
            group_attributes: None,
            marker: MARKER_CANDIDATES[0],
            scoping: Scoping::default(),
            put_refused: None,
            put_probed: false,
            configured: BTreeMap::new(),
            request_only: None,
            custom_type: None,
            max_filter_results: None,
        }
    }
}

#[derive(Debug, Error)]
pub enum PlanError {
    /// The request's own error is its source, shown after this one in an error chain.
    #[error("the target is unreachable")]
    Unreachable(#[from] ExecError),
}

impl Capabilities {
    /// Reads the discovery documents, all at once.
    pub async fn discover(target: &Target) -> Result<Capabilities, PlanError> {
        let mut capabilities = Capabilities::default();
        // One round trip for all three: against a remote tenant each costs a network delay.
        let (config, types_list, schemas_list) = tokio::join!(
            fetch(target, "/ServiceProviderConfig"),
            fetch(target, "/ResourceTypes"),
            fetch(target, "/Schemas"),
        );
        let mut take = |fetched: Result<Result<Value, String>, PlanError>| {
            Ok::<_, PlanError>(match fetched? {
                Ok(json) => Some(json),
                Err(warning) => {
                    capabilities.warnings.push(warning);
                    None
                }
            })
        };
        let config = take(config)?;
        let types_list = take(types_list)?;
        let schemas_list = take(schemas_list)?;
        // RFC 7643 §5 requires each of these; RFC 9865's `pagination` is optional.
        let flags = [
            ("/patch/supported", Capability::Patch, true),
            ("/filter/supported", Capability::Filter, true),
            ("/sort/supported", Capability::Sort, true),
            ("/etag/supported", Capability::Etag, true),
            ("/bulk/supported", Capability::Bulk, true),
            (
                "/changePassword/supported",
                Capability::ChangePassword,
                true,
            ),
            ("/pagination/cursor", Capability::CursorPaging, false),
        ];
        for (pointer, capability, required) in flags {
            let stated = config
                .as_ref()
                .and_then(|c| resolve(c, pointer))
                .and_then(Value::as_bool);
            match stated {
                Some(true) => {
                    capabilities.supported.insert(capability);
                }
                None if required => {
                    capabilities.unstated.insert(capability);
                }
                _ => {}
            }
        }
        if let Some(config) = &config {
            capabilities.max_results =
                resolve(config, "/filter/maxResults").and_then(Value::as_u64);
        }
        // Index paging is RFC 7644's own, assumed unless a cursor-only target (RFC 9865 §4) says
        // it lacks it.
        let index = config
            .as_ref()
            .and_then(|c| resolve(c, "/pagination/index"))
            .and_then(Value::as_bool);
        if index != Some(false) {
            capabilities.supported.insert(Capability::IndexPaging);
        }
        // A MUST (RFC 7644 §3.5.1): supported unless the probe is refused.
        capabilities.supported.insert(Capability::Put);
        let types = types_list
            .as_ref()
            .and_then(|list| resolve(list, "/Resources"))
            .and_then(Value::as_array);
        for resource_type in types.into_iter().flatten() {
            let name = resolve(resource_type, "/name").and_then(Value::as_str);
            if name.is_some_and(|n| n.eq_ignore_ascii_case("Group")) {
                capabilities.supported.insert(Capability::Groups);
            }
            let extensions = resolve(resource_type, "/schemaExtensions")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let enterprise = extensions.iter().any(|e| {
                resolve(e, "/schema")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.eq_ignore_ascii_case(urn::ENTERPRISE_USER))
            });
            if name.is_some_and(|n| n.eq_ignore_ascii_case("User")) && enterprise {
                capabilities.supported.insert(Capability::EnterpriseUser);
            }
        }
        let declared = |urn| {
            schemas_list
                .as_ref()
                .and_then(|list| declared_attributes(list, urn))
        };
        capabilities.user_attributes = declared(urn::USER);
        capabilities.group_attributes = declared(urn::GROUP);
        capabilities.marker = choose_marker(capabilities.user_attributes.as_ref());
        capabilities.request_only = schemas_list
            .as_ref()
            .zip(types_list.as_ref())
            .and_then(|(schemas, types)| request_only_attribute(schemas, types));
        if capabilities.request_only.is_some() {
            capabilities.supported.insert(Capability::ReturnedRequest);
        }
        capabilities.custom_type = types.into_iter().flatten().find_map(|resource_type| {
            let text = |pointer| resolve(resource_type, pointer).and_then(Value::as_str);
            let name = text("/name")?;
            let endpoint = text("/endpoint").filter(|e| e.starts_with('/'))?;
            let core = ["User", "Group"]
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name));
            (!core).then(|| CustomType {
                name: name.to_owned(),
                endpoint: endpoint.to_owned(),
            })
        });
        if capabilities.custom_type.is_some() {
            capabilities
                .supported
                .insert(Capability::CustomResourceType);
        }
        capabilities.published_schemas = schemas_list.zip(types_list);
        Ok(capabilities)
    }

    /// The probe of the preferred way to scope a list to a case's own Users: the run's first
    /// request, sent alone, since its answer also proves the token (see `suite::run`).
    pub fn scoping_probe() -> FilterUse {
        // The userName-prefix filter names no marker.
        scope_filter(Scoping::UserNamePrefix, MARKER_CANDIDATES[0])
    }

    /// Reads the discovery documents and, in the same round trip, probes PUT (unless
    /// `read_only`: the probe is a PUT, though it cannot write), the ways left to scope a list
    /// to a case's own Users and every filter the cases list with (see [`needs`](mod@needs)); `first` is
    /// the answer to [`Capabilities::scoping_probe`]. The scoping is the first way the target
    /// accepts, tried at once where it refuses `userName sw`. Filters depend on the marker
    /// attribute, which discovery chooses, and on the scoping, so they are probed with the
    /// likeliest of each, and only those the actual choices change are probed after. Filters
    /// that differ only in the values a case generated share one probe (see `shape`).
    pub async fn discover_and_probe(
        target: &Target,
        cases: &[Case],
        first: probe::Probed,
        read_only: bool,
    ) -> Result<Capabilities, PlanError> {
        const SCOPINGS: [Scoping; 3] = [
            Scoping::UserNamePrefix,
            Scoping::MarkerTag,
            Scoping::UserNames,
        ];
        let scope_probes = |marker: &str| -> BTreeSet<FilterUse> {
            SCOPINGS.iter().map(|s| scope_filter(*s, marker)).collect()
        };
        // Refusals by shape. None accepted: the last, whose refusal skips the cases that list
        // with it.
        let choose = |refused: &BTreeMap<FilterUse, Refusal>, marker: &str| {
            SCOPINGS
                .into_iter()
                .find(|s| !refused.contains_key(&shape(&scope_filter(*s, marker))))
                .unwrap_or(Scoping::UserNames)
        };
        let filters = |choices: Choices<'_>| -> BTreeSet<FilterUse> {
            cases
                .iter()
                .flat_map(|case| needs(case, choices).filters)
                .collect()
        };
        // What is still to be sent for the choices `refused` and `marker` make: the fallback
        // scopings once `userName sw` is refused, and the cases' filters, by shape.
        let wanted = |refused: &BTreeMap<FilterUse, Refusal>,
                      marker: &'static str,
                      sent: &BTreeSet<FilterUse>| {
            let scoping = choose(refused, marker);
            let scopings = if scoping == Scoping::UserNamePrefix {
                BTreeSet::new()
            } else {
                scope_probes(marker)
            };
            let wanted: BTreeSet<FilterUse> = scopings
                .iter()
                .chain(&filters(Choices { marker, scoping }))
                .map(shape)
                .collect();
            &wanted - sent
        };
        let mut sent = BTreeSet::from([shape(&Capabilities::scoping_probe())]);
        let mut refused: BTreeMap<FilterUse, Refusal> = first
            .refused
            .iter()
            .map(|(f, r)| (shape(f), r.clone()))
            .collect();
        let mut unanswered = first.unanswered;
        let guessed = wanted(&refused, MARKER_CANDIDATES[0], &sent);
        let put = async {
            if read_only {
                Ok(None)
            } else {
                Ok(Some(probe::put(target).await))
            }
        };
        // An unreachable target fails discovery: the probes are then not waited for (each
        // would time out in turn under a limit that has come down to one).
        let (mut capabilities, put, mut probed) =
            tokio::try_join!(Capabilities::discover(target), put, async {
                Ok(probe::filters(target, &guessed).await)
            })?;
        sent.extend(guessed);
        capabilities.put_probed = put.is_some();
        match put {
            Some(Ok(refused)) => capabilities.put_refused = refused,
            Some(Err(error)) => capabilities.warnings.push(format!(
                "the PUT probe got no answer to judge, so PUT is taken as supported: {error}"
            )),
            None => {}
        }
        if capabilities.put_refused.is_some() {
            capabilities.supported.remove(&Capability::Put);
        }
        // What the actual choices change: nothing unless discovery chose another marker or the
        // likeliest fallback scoping was refused; at most twice (another marker's tag refused).
        loop {
            refused.extend(probed.refused);
            unanswered = unanswered.or(probed.unanswered);
            let late = wanted(&refused, capabilities.marker, &sent);
            if late.is_empty() {
                break;
            }
            probed = probe::filters(target, &late).await;
            sent.extend(late);
        }
        capabilities.scoping = choose(&refused, capabilities.marker);
        let judged: BTreeSet<FilterUse> = filters(capabilities.choices())
            .into_iter()
            .chain(
                scope_probes(capabilities.marker)
                    .into_iter()
                    .filter(|f| sent.contains(&shape(f))),
            )
            .collect();
        capabilities.refused_filters = judged
            .iter()
            .filter_map(|f| Some((f.clone(), refused.get(&shape(f))?.clone())))
            .collect();
        capabilities.probed_filters = judged.len();
        if let Some(error) = unanswered {
            capabilities.warnings.push(format!(
                "a filter probe got no answer to judge, so its filter is taken as supported: {error}"
            ));
        }
        Ok(capabilities)
    }

    /// The built-in variables discovery defined (`${requestOnly}`, `${customType}`, …).
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(request_only) = &self.request_only {
            out.push((REQUEST_ONLY, request_only.path.clone()));
            out.push((REQUEST_ONLY_POINTER, request_only.pointer.clone()));
        }
        if let Some(custom) = &self.custom_type {
            out.push((CUSTOM_TYPE, custom.name.clone()));
            out.push((CUSTOM_ENDPOINT, custom.endpoint.clone()));
        }
        if let Some(cap) = self.max_filter_results {
            out.push((MAX_FILTER_RESULTS, cap.to_string()));
        }
        out
    }

    /// Takes what the target's contract declares of the results a filter may yield: no
    /// discovery field says it.
    pub fn declare_filter_result_cap(&mut self, contract: &Contract) {
        if let Some(cap) = contract.max_filter_results {
            self.max_filter_results = Some(cap);
            self.supported.insert(Capability::FilterResultCap);
            self.configured.insert(
                Capability::FilterResultCap,
                format!("contract `{}`", contract.name),
            );
        }
    }

    /// What the run's `${marker}` and `${scope}` stand for.
    pub fn choices(&self) -> Choices<'static> {
        Choices {
            marker: self.marker,
            scoping: self.scoping,
        }
    }

    /// Applies what the configuration says the target has or lacks by design; `origin` names
    /// the configuration in the capability matrix.
    pub fn override_with(&mut self, overrides: &BTreeMap<Capability, bool>, origin: &str) {
        for (capability, on) in overrides {
            self.configured.insert(*capability, origin.to_owned());
            if *capability == Capability::Put && !on && self.put_works() {
                self.warnings.push(format!(
                    "{origin} says the target has no PUT, yet the PUT probe was not refused: \
                     PUT seems to work, so {origin} may be stale"
                ));
            }
            if *on {
                self.supported.insert(*capability);
            } else {
                self.supported.remove(capability);
            }
        }
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.supported.iter().map(|c| c.name()).collect()
    }

    /// The capability matrix in one line: every capability yes or no, the page cap and how
    /// many of the probed filters the target refused.
    pub fn matrix(&self) -> String {
        let mut cells: Vec<String> = Capability::ALL
            .iter()
            .map(|c| {
                let mark = if self.supported.contains(c) {
                    "yes"
                } else if self.unstated.contains(c) && !self.configured.contains_key(c) {
                    "unstated"
                } else {
                    "no"
                };
                match self.origin(*c) {
                    Some(origin) => format!("{c} {mark} ({origin})"),
                    None => format!("{c} {mark}"),
                }
            })
            .collect();
        if let Some(max) = self.max_results {
            cells.push(format!("maxResults {max}"));
        }
        cells.push(format!("marker {}", self.marker));
        let scope = match self.scoping {
            Scoping::UserNamePrefix => "userName prefix",
            Scoping::MarkerTag => "marker tag",
            Scoping::UserNames => "userName eq … or …",
        };
        cells.push(format!("list scope {scope}"));
        cells.push(format!(
            "filters refused {} of {} probed",
            self.refused_filters.len(),
            self.probed_filters
        ));
        cells.join(", ")
    }
}

impl Capabilities {
    /// Where a capability's value came from, when not from discovery documents.
    fn origin(&self, capability: Capability) -> Option<String> {
        if let Some(origin) = self.configured.get(&capability) {
            if capability == Capability::Put
                && !self.supported.contains(&capability)
                && self.put_works()
            {
                return Some(format!("{origin}; stale? a PUT probe was not refused"));
            }
            return Some(origin.clone());
        }
        (capability == Capability::Put).then(|| match (self.put_refused, self.put_probed) {
            (Some(status), _) => format!("a PUT probe got {status}"),
            (None, true) => "a PUT probe was not refused".to_owned(),
            (None, false) => "not probed: a read-only run sends no PUT".to_owned(),
        })
    }

    /// Whether the PUT probe ran and PUT was not refused.
    fn put_works(&self) -> bool {
        self.put_probed && self.put_refused.is_none()
    }

    /// Why a case that lists several of its own users is skipped when no filter the target
    /// supports selects them: one `userName eq` selects one user, and a list of the whole
    /// tenant holds users the case did not create, whose number and order it cannot know.
    fn unscoped(&self, refusal: &Refusal) -> String {
        format!(
            "the case lists several of its own users at once, and no filter the target supports selects them: it refuses `userName sw`, `{} eq` and `(userName eq … or userName eq …)` ({}; RFC 7644 §3.4.2.2 allows it)",
            self.marker,
            refusal.answer()
        )
    }

    /// Why a case that needs PUT for something other than PUT itself is skipped.
    fn without_put(&self) -> String {
        let origin = self
            .origin(Capability::Put)
            .unwrap_or_else(|| "the target refuses it".to_owned());
        format!(
            "the target does not support PUT ({origin}); RFC 7644 §3.5.1 makes it a MUST, reported once as a finding by the cases about PUT"
        )
    }
}

/// `${scope}` as the probes send it, scoped as `scoping` says with `marker`.
fn scope_filter(scoping: Scoping, marker: &str) -> FilterUse {
    FilterUse {
        endpoint: "/Users".to_owned(),
        filter: scoping.filter(needs::PROBE_PREFIX, marker, &needs::probe_user_names()),
    }
}

/// `used` with every string value a case generated (they all start with
/// [`needs::PROBE_PREFIX`]) made the same: whether a target supports a filter depends on its
/// attributes and operators, not on which generated name it compares with.
fn shape(used: &FilterUse) -> FilterUse {
    let opening = format!("\"{}", needs::PROBE_PREFIX);
    let mut shaped = String::with_capacity(used.filter.len());
    let mut rest = used.filter.as_str();
    while let Some(at) = rest.find(&opening) {
        // The value ends at the next quote that is not escaped.
        let value = &rest[at + opening.len()..];
        let mut escaped = false;
        let end = value.char_indices().find_map(|(i, c)| {
            let closes = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            closes.then_some(i + 1)
        });
        // An unterminated value is a malformed filter: kept as it is, it shares no probe.
        let Some(end) = end else { break };
        shaped.push_str(&rest[..at]);
        shaped.push_str(&opening);
        shaped.push('"');
        rest = &value[end..];
    }
    shaped.push_str(rest);
    FilterUse {
        endpoint: used.endpoint.clone(),
        filter: shaped,
    }
}

/// The first marker candidate the target declares; `title` when it declares none (the cases
/// that use the marker then skip for want of it) or publishes no User schema (RFC 7643's).
fn choose_marker(declared: Option<&BTreeSet<String>>) -> &'static str {
    MARKER_CANDIDATES
        .into_iter()
        .find(|name| declared.is_none_or(|d| d.contains(&name.to_ascii_lowercase())))
        .unwrap_or(MARKER_CANDIDATES[0])
}

/// The first writable single string attribute the User resource type's schemas (core, then
/// extensions) declare `returned: request`.
fn request_only_attribute(schemas_list: &Value, types_list: &Value) -> Option<RequestOnly> {
    fn text<'v>(value: &'v Value, pointer: &str) -> Option<&'v str> {
        resolve(value, pointer).and_then(Value::as_str)
    }
    let user = resolve(types_list, "/Resources")?
        .as_array()?
        .iter()
        .find(|t| text(t, "/name").is_some_and(|n| n.eq_ignore_ascii_case("User")))?;
    let extensions = resolve(user, "/schemaExtensions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| text(e, "/schema"));
    let schemas = resolve(schemas_list, "/Resources")?.as_array()?;
    // Absent characteristics take their RFC 7643 §2.2 defaults.
    let is = |attribute: &Value, key: &str, value: &str, default: bool| {
        text(attribute, key).map_or(default, |found| found.eq_ignore_ascii_case(value))
    };
    let fits = |attribute: &Value| {
        is(attribute, "/returned", "request", false)
            && is(attribute, "/type", "string", true)
            && is(attribute, "/mutability", "readWrite", true)
            && resolve(attribute, "/multiValued").and_then(Value::as_bool) != Some(true)
    };
    let core = text(user, "/schema").map(|urn| (urn, true));
    core.into_iter()
        .chain(extensions.map(|urn| (urn, false)))
        .find_map(|(urn, is_core)| {
            let schema = schemas
                .iter()
                .find(|s| text(s, "/id").is_some_and(|id| id.eq_ignore_ascii_case(urn)))?;
            let attributes = resolve(schema, "/attributes")?.as_array()?;
            let name = text(attributes.iter().find(|a| fits(a))?, "/name")?;
            Some(if is_core {
                RequestOnly {
                    path: name.to_owned(),
                    pointer: name.to_owned(),
                }
            } else {
                RequestOnly {
                    path: format!("{urn}:{name}"),
                    pointer: format!("{urn}/{name}"),
                }
            })
        })
}

/// The attribute names, lower-cased, of the schema `urn` in a `/Schemas` ListResponse.
fn declared_attributes(schemas_list: &Value, urn: &str) -> Option<BTreeSet<String>> {
    let schema = resolve(schemas_list, "/Resources")?
        .as_array()?
        .iter()
        .find(|s| {
            resolve(s, "/id")
                .and_then(Value::as_str)
                .is_some_and(|id| id.eq_ignore_ascii_case(urn))
        })?;
    let attributes = resolve(schema, "/attributes")?.as_array()?;
    Some(
        attributes
            .iter()
            .filter_map(|a| resolve(a, "/name").and_then(Value::as_str))
            .map(str::to_ascii_lowercase)
            .collect(),
    )
}

/// GETs a discovery endpoint; anything but a 200 JSON answer is a warning, not a stop, because
/// the discovery cases themselves will say what is wrong with it.
async fn fetch(target: &Target, path: &str) -> Result<Result<Value, String>, PlanError> {
    let exchange = target
        .send(
            Method::Get,
            &target.url(path),
            &[],
            &[],
            None,
            crate::case::Auth::Scim,
        )
        .await?;
    Ok(match (exchange.response.status, exchange.response.json) {
        (200, Some(json)) => Ok(json),
        (status, _) => Err(format!(
            "GET {path} answered {status} without a JSON body; assuming no optional capabilities it would advertise"
        )),
    })
}

/// How the run treats cases.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Run only cases that change nothing on the target.
    pub read_only: bool,
    /// Capabilities taken as present or absent whatever the target advertises or probes say
    /// (`scimcheck.toml`'s, which win over the contract's).
    pub capability_overrides: BTreeMap<Capability, bool>,
    /// Cases skipped by trial name, with the reason.
    pub skip: BTreeMap<String, String>,
    /// Where `skip` came from, for an error naming an unknown case in it (`[skip] in ci.toml`);
    /// `None` for `RunConfig::skip_case`.
    pub skip_origin: Option<String>,
    /// The target's contract: what it rules out is skipped with its name in the reason.
    pub contract: Option<Arc<Contract>>,
    /// The most resources the run may create (see [`budget`]).
    pub max_creates: Option<u32>,
    /// How long reads that fail may be retried, for an eventually consistent target; `None`
    /// fails them at once.
    pub settle: Option<std::time::Duration>,
    /// The cases to run; the others are left out of the run (not skipped).
    pub select: select::Selector,
}

/// A case and what the plan decided for it.
#[derive(Debug)]
pub struct Planned {
    pub case: Case,
    /// Its position in the catalogue, which makes its resources' prefix unique in the run.
    pub index: usize,
    /// Why it will not run, if it will not.
    pub skip: Option<String>,
}

/// Plans every case: no I/O, the same inputs always give the same plan. `missing_credential`
/// says why a credential a step needs is not at hand (see `Target::missing_credential`).
pub fn plan(
    cases: Vec<Case>,
    capabilities: &Capabilities,
    missing_credential: &dyn Fn(Auth) -> Option<&'static str>,
    options: &PlanOptions,
) -> Vec<Planned> {
    cases
        .into_iter()
        .enumerate()
        .map(|(index, case)| Planned {
            skip: skip_reason(&case, capabilities, missing_credential, options),
            case,
            index,
        })
        .collect()
}

/// Why a case will not run against this target, if it will not.
pub fn skip_reason(
    case: &Case,
    capabilities: &Capabilities,
    missing_credential: &dyn Fn(Auth) -> Option<&'static str>,
    options: &PlanOptions,
) -> Option<String> {
    if let Some(reason) = options.skip.get(&case.id) {
        return Some(format!("skipped by configuration: {reason}"));
    }
    let contract = options.contract.as_deref();
    let ruled_out = |capability: &Capability| contract.and_then(|c| c.rules_out(*capability));
    if case.spec.requires.contains(&Capability::FilterResultCap) {
        match capabilities.max_filter_results {
            None => {
                return Some(
                    "no contract declares `[limits] max-filter-results`: no discovery field says whether the target caps what a filter yields (RFC 7644 §3.4.2.2 tooMany)".into(),
                );
            }
            Some(cap) if cap > MAX_DECLARED_FILTER_RESULTS => {
                return Some(format!(
                    "the contract caps filter results at {cap}, and the case would create {cap} Users and one more (each counts against --max-creates); it runs for caps up to {MAX_DECLARED_FILTER_RESULTS}"
                ));
            }
            Some(_) => {}
        }
    }
    let missing: Vec<&Capability> = case
        .spec
        .requires
        .iter()
        .filter(|c| !capabilities.supported.contains(c))
        .collect();
    if let Some(reason) = missing.iter().find_map(|c| ruled_out(c)) {
        return Some(reason);
    }
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|c| c.name()).collect();
        let unstated: Vec<&str> = missing
            .iter()
            .filter(|c| capabilities.unstated.contains(c))
            .map(|c| c.name())
            .collect();
        let unstated = if unstated.is_empty() {
            String::new()
        } else {
            format!(
                " (its /ServiceProviderConfig does not state whether it supports {}, which RFC 7643 §5 requires: a finding of the discovery cases, not a choice)",
                unstated.join(", ")
            )
        };
        return Some(format!(
            "the target does not advertise {}{unstated}",
            names.join(", ")
        ));
    }
    if let Some(present) = case
        .spec
        .unless
        .iter()
        .find(|c| capabilities.supported.contains(c))
    {
        return Some(format!(
            "the case is about a target without {present}, and this one has it: {}",
            present.source()
        ));
    }
    let needs = needs(case, capabilities.choices());
    if let Some(reason) = contract.and_then(|c| c.skip_reason(case, &needs)) {
        return Some(reason);
    }
    if let Some(clash) = &needs.marker_clash {
        let others: Vec<&str> = MARKER_CANDIDATES
            .into_iter()
            .filter(|c| c != clash)
            .collect();
        return Some(format!(
            "the case writes `{clash}` itself, so it cannot be the case's marker attribute, and the target's User schema declares none of {}",
            others.join(", ")
        ));
    }
    // A case about PUT runs where PUT is refused: it fails on that MUST, which the reports
    // show as one finding however many such cases there are (unless a contract acknowledges
    // that departure: then it skipped above).
    let about_put = cites(&case.spec.rfc, PUT_CLAUSE);
    if let Some(lacking) = needs
        .capabilities
        .iter()
        .filter(|c| !(about_put && **c == Capability::Put))
        .find(|c| !capabilities.supported.contains(c))
    {
        if let Some(reason) = ruled_out(lacking) {
            return Some(reason);
        }
        if *lacking == Capability::Put {
            return Some(capabilities.without_put());
        }
        return Some(format!(
            "the case's requests need {lacking}, which the target lacks: {}",
            lacking.source()
        ));
    }
    if let Some(max) = capabilities
        .max_results
        .filter(|&max| usize::try_from(max).is_ok_and(|max| max < needs.page))
    {
        return Some(format!(
            "the case reads {} resources from one page, and the target's filter.maxResults is {max} (RFC 7644 §3.4.2.4 lets it return fewer)",
            needs.page
        ));
    }
    let schemas = [
        (
            "User",
            "RFC 7643 §4.1",
            &capabilities.user_attributes,
            &needs.user_attributes,
        ),
        (
            "Group",
            "RFC 7643 §4.2",
            &capabilities.group_attributes,
            &needs.group_attributes,
        ),
    ];
    for (schema, clause, declared, needed) in schemas {
        if let Some(undeclared) = declared.as_ref().and_then(|declared| {
            needed
                .iter()
                .find(|name| !declared.contains(&name.to_ascii_lowercase()))
        }) {
            return Some(format!(
                "the target's {schema} schema does not declare `{undeclared}`, which the case writes or filters on ({clause} leaves it optional)"
            ));
        }
    }
    if let Some((used, refusal)) = needs
        .filters
        .iter()
        .find_map(|f| capabilities.refused_filters.get_key_value(f))
    {
        if *used == scope_filter(capabilities.scoping, capabilities.marker) {
            return Some(capabilities.unscoped(refusal));
        }
        return Some(refusal.reason(used));
    }
    if let Some(reason) = case
        .spec
        .steps
        .iter()
        .find_map(|step| missing_credential(step.value.auth))
    {
        return Some(reason.to_owned());
    }
    if options.read_only && !case.spec.read_only {
        return Some("--read-only: the case writes to the target".into());
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn filters_that_differ_only_in_generated_values_share_a_shape() {
        let shaped = |filter: &str| {
            shape(&FilterUse {
                endpoint: "/Users".into(),
                filter: filter.into(),
            })
            .filter
        };
        let cases = [
            (
                r#"userName eq "scimcheck-probe-alice@example.com""#,
                r#"userName eq "scimcheck-probe""#,
            ),
            (
                r#"userName eq "scimcheck-probe-a" or userName eq "scimcheck-probe-b" and title eq "Manager""#,
                r#"userName eq "scimcheck-probe" or userName eq "scimcheck-probe" and title eq "Manager""#,
            ),
            // Other values, attributes and operators are what a target may refuse: kept.
            (r#"title eq "Engineer""#, r#"title eq "Engineer""#),
            (
                r#"USERNAME EQ "scimcheck-probe-BOB@example.com""#,
                r#"USERNAME EQ "scimcheck-probe""#,
            ),
            (
                r#"emails[value eq "scimcheck-probe-x\"y"] and active eq true"#,
                r#"emails[value eq "scimcheck-probe"] and active eq true"#,
            ),
            // A malformed filter shares no probe with a well-formed one.
            (
                r#"userName eq "scimcheck-probe-x@example.com"#,
                r#"userName eq "scimcheck-probe-x@example.com"#,
            ),
            (
                r#"userName eq "scimcheck-probe-x" and userName eq "scimcheck-probe-y"#,
                r#"userName eq "scimcheck-probe" and userName eq "scimcheck-probe-y"#,
            ),
        ];
        for (filter, expected) in cases {
            assert_eq!(shaped(filter), expected, "{filter}");
        }
    }

    use serde_json::json;

    use super::*;
    use crate::check::schema::SchemaRegistry;
    use crate::suite::{CaseSource, load_cases};

    #[test]
    fn without_put_cases_about_put_run_and_the_others_skip_and_undeclared_group_attributes_skip() {
        let schemas = SchemaRegistry::builtin().expect("schemas");
        let cases = load_cases(&CaseSource::Embedded, &schemas).expect("cases");
        let reason = |capabilities: &Capabilities, id: &str| {
            let case = cases.iter().find(|c| c.id == id).expect(id);
            skip_reason(case, capabilities, &|_| None, &PlanOptions::default())
        };
        let mut full = Capabilities::default();
        full.supported.extend(Capability::ALL);
        for id in [
            "users::replace",
            "etag::stale-if-match-put",
            "groups::create-with-members",
        ] {
            assert_eq!(reason(&full, id), None, "{id}");
        }

        assert!(
            full.matrix()
                .contains("put yes (not probed: a read-only run sends no PUT)")
        );
        let mut without_put = full.clone();
        without_put.supported.remove(&Capability::Put);
        without_put.put_refused = Some(405);
        without_put.put_probed = true;
        // About PUT (it cites RFC 7644 §3.5.1): it runs, and fails on that MUST.
        assert_eq!(reason(&without_put, "users::replace"), None);
        let skipped = reason(&without_put, "etag::stale-if-match-put").unwrap_or_default();
        assert!(
            skipped.starts_with("the target does not support PUT (a PUT probe got 405)"),
            "{skipped}"
        );
        assert!(
            without_put
                .matrix()
                .contains("put no (a PUT probe got 405)")
        );
        // A contract that rules PUT out acknowledges the departure: the cases about PUT skip.
        let lightstep =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/lightstep.toml");
        let with_contract = PlanOptions {
            contract: Some(Arc::new(Contract::load(&lightstep).expect("contract"))),
            ..PlanOptions::default()
        };
        let replace = cases
            .iter()
            .find(|c| c.id == "users::replace")
            .expect("case");
        let skipped =
            skip_reason(replace, &without_put, &|_| None, &with_contract).unwrap_or_default();
        assert!(
            skipped.starts_with("the contract `lightstep` rules out put (an acknowledged deviation from RFC 7644 §3.5.1"),
            "{skipped}"
        );
        without_put.override_with(
            &BTreeMap::from([(Capability::Put, false)]),
            "scimcheck.toml",
        );
        assert!(without_put.matrix().contains("put no (scimcheck.toml)"));
        assert!(
            without_put.warnings.is_empty(),
            "{:?}",
            without_put.warnings
        );
        // A contract ruling PUT out on a target whose PUT works is stale: said, not hidden.
        let mut put_works = full.clone();
        put_works.put_probed = true;
        put_works.override_with(
            &BTreeMap::from([(Capability::Put, false)]),
            "contract `acme`",
        );
        assert!(
            put_works
                .matrix()
                .contains("put no (contract `acme`; stale? a PUT probe was not refused)"),
            "{}",
            put_works.matrix()
        );
        assert_eq!(
            put_works.warnings,
            [
                "contract `acme` says the target has no PUT, yet the PUT probe was not refused: \
              PUT seems to work, so contract `acme` may be stale"
            ]
        );

        let mut minimal_groups = full.clone();
        minimal_groups.group_attributes = Some(BTreeSet::from(["displayname".to_owned()]));
        let skipped = reason(&minimal_groups, "groups::create-with-members").unwrap_or_default();
        assert!(
            skipped.starts_with("the target's Group schema does not declare `members`"),
            "{skipped}"
        );
        assert_eq!(reason(&minimal_groups, "groups::create"), None);
    }

    #[test]
    fn too_many_runs_only_for_a_declared_cap_it_can_exceed() {
        let schemas = SchemaRegistry::builtin().expect("schemas");
        let cases = load_cases(&CaseSource::Embedded, &schemas).expect("cases");
        let case = cases
            .iter()
            .find(|c| c.id == "filter::too-many")
            .expect("case");
        let reason = |capabilities: &Capabilities| {
            skip_reason(case, capabilities, &|_| None, &PlanOptions::default())
        };
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/contract_fixtures/filter-result-cap.toml");
        let contract = Contract::load(&fixture).expect("contract");
        // Every capability a target can advertise, even set by configuration: not the number.
        let mut undeclared = Capabilities::default();
        undeclared.supported.extend(Capability::ALL);
        let skipped = reason(&undeclared).unwrap_or_default();
        assert!(
            skipped.starts_with("no contract declares `[limits] max-filter-results`"),
            "{skipped}"
        );
        assert!(
            !undeclared
                .variables()
                .iter()
                .any(|(n, _)| *n == MAX_FILTER_RESULTS)
        );

        let mut declared = Capabilities::default();
        declared.supported.insert(Capability::Filter);
        declared.declare_filter_result_cap(&contract);
        assert_eq!(reason(&declared), None);
        assert!(
            declared
                .variables()
                .contains(&(MAX_FILTER_RESULTS, "20".into()))
        );
        assert!(
            declared
                .matrix()
                .contains("filter-result-cap yes (contract `filter-result-cap`)")
        );

        let mut too_large = declared.clone();
        too_large.max_filter_results = Some(MAX_DECLARED_FILTER_RESULTS + 1);
        let skipped = reason(&too_large).unwrap_or_default();
        assert!(
            skipped.starts_with("the contract caps filter results at 201,"),
            "{skipped}"
        );
    }

    #[test]
    fn the_request_only_attribute_is_a_writable_string_of_the_user_type_returned_on_request() {
        const EXT: &str = "urn:example:ext:2.0:User";
        let types = json!({"Resources": [
            {"name": "Group", "schema": urn::GROUP},
            {"name": "User", "schema": urn::USER, "schemaExtensions": [{"schema": EXT}]},
        ]});
        let found = |core: Value, ext: Value| {
            let schemas = json!({"Resources": [
                {"id": urn::GROUP, "attributes": [{"name": "secret", "returned": "request"}]},
                {"id": urn::USER, "attributes": core},
                {"id": EXT, "attributes": ext},
            ]});
            request_only_attribute(&schemas, &types)
        };
        let plain = json!([{"name": "userName"}]);
        assert_eq!(found(plain.clone(), plain.clone()), None);
        let note = json!([{"name": "note", "returned": "REQUEST"}]);
        assert_eq!(
            found(plain.clone(), note.clone()),
            Some(RequestOnly {
                path: format!("{EXT}:note"),
                pointer: format!("{EXT}/note"),
            })
        );
        // The core schema's comes first, and is named without its URN.
        assert_eq!(
            found(note.clone(), plain.clone()),
            Some(RequestOnly {
                path: "note".into(),
                pointer: "note".into(),
            })
        );
        // One a case cannot set to a string and read back is no use.
        for unfit in [
            json!({"name": "n", "returned": "request", "multiValued": true}),
            json!({"name": "n", "returned": "request", "type": "complex"}),
            json!({"name": "n", "returned": "request", "mutability": "readOnly"}),
        ] {
            assert_eq!(found(json!([unfit]), plain.clone()), None, "{unfit}");
        }
    }

    #[test]
    fn the_marker_is_the_first_candidate_the_user_schema_declares() {
        let schemas = |names: &[&str]| {
            let attributes: Vec<Value> = names.iter().map(|n| json!({"name": n})).collect();
            json!({"Resources": [
                {"id": "urn:ietf:params:scim:schemas:core:2.0:Group", "attributes": [{"name": "title"}]},
                {"id": urn::USER, "attributes": attributes},
            ]})
        };
        let cases: &[(&[&str], &str)] = &[
            (&["userName", "title", "nickName"], "title"),
            (&["userName", "NickName", "displayName"], "nickName"),
            (&["userName", "displayName"], "displayName"),
            (&["userName"], "title"),
        ];
        for (names, marker) in cases {
            let declared = declared_attributes(&schemas(names), urn::USER);
            assert!(declared.as_ref().is_some_and(|d| d.contains("username")));
            assert_eq!(choose_marker(declared.as_ref()), *marker, "{names:?}");
        }
        assert_eq!(
            declared_attributes(&json!({"Resources": []}), urn::USER),
            None
        );
        assert_eq!(choose_marker(None), "title");
    }
}
