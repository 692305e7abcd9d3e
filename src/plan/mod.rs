//! Stage 2: what the target can do, and — purely, from the cases, the capabilities and the
//! credentials at hand — which cases run and why the others are skipped.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use thiserror::Error;

use crate::case::{Auth, Capability, Case, Method};
use crate::check::assert::resolve;
use crate::exec::client::{ExecError, Target};
use crate::scim::urn;

/// What the target advertises, read from `/ServiceProviderConfig` and `/ResourceTypes`.
#[derive(Debug, Clone, Default)]
pub struct Capabilities {
    pub supported: BTreeSet<Capability>,
    /// What could not be read, said once at the start of the run.
    pub warnings: Vec<String>,
    /// The target's `/Schemas` and `/ResourceTypes` answers, to derive `target:*` schemas from.
    pub published_schemas: Option<(Value, Value)>,
}

#[derive(Debug, Error)]
pub enum PlanError {
    #[error("the target is unreachable: {0}")]
    Unreachable(#[from] ExecError),
}

impl Capabilities {
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
        if let Some(config) = &config {
            let flags = [
                ("/patch/supported", Capability::Patch),
                ("/filter/supported", Capability::Filter),
                ("/sort/supported", Capability::Sort),
                ("/etag/supported", Capability::Etag),
                ("/bulk/supported", Capability::Bulk),
                ("/changePassword/supported", Capability::ChangePassword),
                ("/pagination/cursor", Capability::CursorPaging),
            ];
            for (pointer, capability) in flags {
                if resolve(config, pointer).and_then(Value::as_bool) == Some(true) {
                    capabilities.supported.insert(capability);
                }
            }
        }
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
        capabilities.published_schemas = schemas_list.zip(types_list);
        Ok(capabilities)
    }

    /// Applies what the configuration says the target has or lacks by design.
    pub fn override_with(&mut self, overrides: &BTreeMap<Capability, bool>) {
        for (capability, on) in overrides {
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
    /// Capabilities taken as present or absent whatever the target advertises.
    pub capability_overrides: BTreeMap<Capability, bool>,
    /// Cases skipped by trial name, with the reason.
    pub skip: BTreeMap<String, String>,
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
    let missing: Vec<&str> = case
        .spec
        .requires
        .iter()
        .filter(|c| !capabilities.supported.contains(c))
        .map(|c| c.name())
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "the target does not advertise {}",
            missing.join(", ")
        ));
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
