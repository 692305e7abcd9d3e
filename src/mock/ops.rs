//! Resource lifecycle on one tenant: create, read, replace, patch, delete (RFC 7644 §3.3–§3.6),
//! with ETag preconditions (§3.14). Route handlers and bulk both call these.

use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::ApiError;
use super::faults::Fault;
use super::patch::{self, MembersBug};
use super::schema::Kind;
use super::state::AppState;
use super::store::{Stored, Tenant, etag};
use super::variations::Variation;
use super::vendor::{check_user, check_writable};
use crate::scim::filter::{fold_case, get_ci};
use crate::scim::{ScimType, urn};

/// The result of a write that may create.
pub(crate) enum Written {
    Created(Value),
    Updated(Value),
}

/// The `meta.version` of a stored document, which is also its ETag.
pub(crate) fn version_of(doc: &Value) -> Option<&str> {
    doc.get("meta")?.get("version")?.as_str()
}

/// Whether an `If-Match` / `If-None-Match` header lists `current`. SCIM uses weak
/// comparison even for If-Match (RFC 7644 §3.14 example), so `W/` is ignored on both sides.
pub(crate) fn etag_listed(header: &str, current: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    header
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == bare(current))
}

/// The faults that change what a create stores.
fn create_faults(state: &AppState, kind: Kind, body: &Value, attrs: &mut Map<String, Value>) {
    if kind == Kind::Group && state.has(Fault::CreateMembersDropped) {
        attrs.remove("members");
    }
    if state.has(Fault::EnterpriseExtensionDropped) {
        attrs.remove(urn::ENTERPRISE_USER);
    }
    if state.has(Fault::ClientGroupsStored)
        && let Some(groups) = get_ci(body, "groups").filter(|g| !g.is_null())
    {
        attrs.insert("groups".to_owned(), groups.clone());
    }
    if state.has(Fault::PhoneNumbersReformatted)
        && let Some(Value::Array(numbers)) = attrs.get_mut("phoneNumbers")
    {
        for number in numbers {
            if let Some(Value::String(value)) = number.get_mut("value") {
                value.retain(|c| c.is_ascii_digit());
            }
        }
    }
}

/// Entra's forms of the enterprise `manager`: a one-element array, or a bare id string.
fn entra_manager_form(extension: Option<&Value>) -> bool {
    extension
        .and_then(|e| get_ci(e, "manager"))
        .is_some_and(|m| m.is_array() || m.is_string())
}

/// Whether `schemas` lists a URN that is neither the resource's schema nor one of its extensions.
fn lists_unknown_schema(kind: Kind, body: &Value) -> bool {
    get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|urns| {
            urns.iter()
                .filter_map(Value::as_str)
                .any(|u| !u.eq_ignore_ascii_case(kind.schema().id) && kind.extension(u).is_none())
        })
}

/// The faults that refuse a resource body as Entra ID sends it.
fn refuse_entra_forms(state: &AppState, kind: Kind, body: &Value) -> Result<(), ApiError> {
    if state.has(Fault::EntraManagerFormsRejected)
        && entra_manager_form(get_ci(body, urn::ENTERPRISE_USER))
    {
        return Err(ApiError::bad_request(
            ScimType::InvalidValue,
            "manager must be an object",
        ));
    }
    if state.has(Fault::UnknownSchemaUrnRejected) && lists_unknown_schema(kind, body) {
        return Err(ApiError::bad_request(
            ScimType::InvalidValue,
            "\"schemas\" lists a URN this server does not know",
        ));
    }
    Ok(())
}

/// The body with only its first PATCH operation.
fn first_operation_only(body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(Value::Array(operations)) = body.as_object_mut().and_then(|b| {
        b.iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
            .map(|(_, v)| v)
    }) {
        operations.truncate(1);
    }
    body
}

fn member_count(doc: &Value) -> usize {
    doc.get("members")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn not_found(kind: Kind, id: &str) -> ApiError {
    ApiError::not_found(format!("{} {id} not found", kind.name()))
}

impl Tenant {
    fn coerce_booleans(state: &AppState) -> bool {
        !state.has(Fault::StringBooleanRejected)
    }

    /// A resource the client may see: deleted ones are gone, and so are deactivated users
    /// when the server hides them.
    pub fn live(&self, state: &AppState, kind: Kind, id: &str) -> Result<&Stored, ApiError> {
        self.collection(kind)
            .get(id)
            .filter(|s| !hidden(state, kind, &s.doc))
            .ok_or_else(|| not_found(kind, id))
    }

    /// The document a GET answers with.
    pub fn read(&self, state: &AppState, kind: Kind, id: &str) -> Result<&Value, ApiError> {
        match self.live(state, kind, id) {
            Ok(stored) => Ok(&stored.doc),
            Err(e) => match self.collection(kind).tombstoned(id) {
                Some(doc) if state.has(Fault::GetAfterDelete200) => Ok(doc),
                _ => Err(e),
            },
        }
    }

    pub fn create(
        &mut self,
        state: &AppState,
        kind: Kind,
        body: &Value,
    ) -> Result<Value, ApiError> {
        check_writable(state, kind)?;
        if state.has(Fault::NullRejected)
            && body
                .as_object()
                .is_some_and(|b| b.values().any(Value::is_null))
        {
            return Err(ApiError::bad_request(
                ScimType::InvalidValue,
                "null is not a valid attribute value",
            ));
        }
        refuse_entra_forms(state, kind, body)?;
        let mut attrs = kind.normalize(body, Tenant::coerce_booleans(state))?;
        // Okta reads a user without `active` as deactivated; RFC 7643 leaves the default open.
        if kind == Kind::User
            && !state.has(Fault::ActiveNotDefaulted)
            && !state.undeclared(kind, "active")
        {
            attrs.entry("active").or_insert(Value::Bool(true));
        }
        create_faults(state, kind, body, &mut attrs);
        let client_id = get_ci(body, "id")
            .and_then(Value::as_str)
            .filter(|id| state.has(Fault::ClientIdHonored) && self.kind_of(id).is_none());
        let id = client_id.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        let doc = self.commit(state, kind, &id, attrs)?;
        state.created.fetch_add(1, Ordering::Relaxed);
        Ok(doc)
    }

    pub fn replace(
        &mut self,
        state: &AppState,
        kind: Kind,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<Written, ApiError> {
        check_writable(state, kind)?;
        let current = match self.live(state, kind, id) {
            Ok(current) => current,
            Err(_) if state.has(Fault::PutCreatesMissing) => {
                let attrs = kind.normalize(body, Tenant::coerce_booleans(state))?;
                let doc = self.commit(state, kind, id, attrs)?;
                state.created.fetch_add(1, Ordering::Relaxed);
                return Ok(Written::Created(doc));
            }
            Err(e) => return Err(e),
        };
        check_if_match(state, current, if_match)?;
        refuse_entra_forms(state, kind, body)?;
        let mut attrs = kind.normalize(body, Tenant::coerce_booleans(state))?;
        refuse_inactive(state, kind, &current.doc, &attrs)?;
        if state.has(Fault::PutRecreatesResource) {
            self.delete(state, kind, id, None)?;
            return self.commit(state, kind, id, attrs).map(Written::Updated);
        }
        if state.has(Fault::PutIgnoresExternalId) {
            match current.doc.get("externalId") {
                Some(old) => attrs.insert("externalId".to_owned(), old.clone()),
                None => attrs.remove("externalId"),
            };
        }
        if state.has(Fault::PutNotApplied) {
            return Ok(Written::Updated(current.doc.clone()));
        }
        // A write-only password cannot round-trip through GET, so a PUT of the GET body
        // (as Okta sends) must not wipe it.
        if let Some(password) = current
            .doc
            .get("password")
            .filter(|_| !attrs.contains_key("password"))
        {
            attrs.insert("password".to_owned(), password.clone());
        }
        self.commit(state, kind, id, attrs).map(Written::Updated)
    }

    /// Applies a PatchOp; answers with the patched document.
    pub fn patch(
        &mut self,
        state: &AppState,
        kind: Kind,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<Value, ApiError> {
        check_writable(state, kind)?;
        let current = self.live(state, kind, id)?;
        check_if_match(state, current, if_match)?;
        if state.has(Fault::EmptyPatchAccepted)
            && get_ci(body, "Operations")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
        {
            return Ok(current.doc.clone());
        }
        let before = state
            .has(Fault::PatchAnswersOldState)
            .then(|| current.doc.clone());
        let Value::Object(mut working) = current.doc.clone() else {
            return Err(not_found(kind, id));
        };
        let was_active = working.get("active").cloned();
        let members_before = member_count(&current.doc);
        let options = patch::Options {
            exact_op_names: state.has(Fault::PatchCapitalizedOpsRejected),
            remove_all_listed: state.has(Fault::MemberRemoveRemovesAll),
            add_unmatched: state.varies(Variation::EntraValuePathAdd),
            core_urn_rejected: state.has(Fault::CoreUrnPathRejected),
            replace_complex_whole: state.has(Fault::ComplexReplaceDropsSubAttributes),
            add_duplicates: state.has(Fault::PatchAddDuplicatesValue),
            exact_names: state.has(Fault::PatchPathCaseSensitive),
            members_bug: [
                (Fault::MembersReplaceOnlyAdds, MembersBug::ReplaceOnlyAdds),
                (
                    Fault::PathlessReplaceEmptiesMembers,
                    MembersBug::PathlessReplaceEmpties,
                ),
                (
                    Fault::MemberFilterRemoveIgnored,
                    MembersBug::FilterRemoveIgnored,
                ),
                (Fault::MembersAddReplaces, MembersBug::AddReplaces),
                (
                    Fault::MemberRemovalsShiftIndexes,
                    MembersBug::RemovalsShiftIndexes,
                ),
            ]
            .into_iter()
            .find(|(fault, _)| state.has(*fault))
            .map(|(_, bug)| bug),
        };
        let first_only;
        let body = if state.has(Fault::PatchFirstOperationOnly) {
            first_only = first_operation_only(body);
            &first_only
        } else {
            body
        };
        let applied = patch::apply(kind, &mut working, body, &options).and_then(|()| {
            if state.has(Fault::EntraManagerFormsRejected)
                && entra_manager_form(working.get(urn::ENTERPRISE_USER))
            {
                return Err(ApiError::bad_request(
                    ScimType::InvalidValue,
                    "manager must be an object",
                ));
            }
            Ok(())
        });
        if let Err(mut e) = applied {
            if state.has(Fault::MutabilityAsInvalidValue)
                && e.scim_type == Some(ScimType::Mutability)
            {
                e.scim_type = Some(ScimType::InvalidValue);
            }
            if state.has(Fault::PatchNotAtomic)
                && let Ok(attrs) =
                    kind.normalize(&Value::Object(working), Tenant::coerce_booleans(state))
            {
                // The bug being imitated: earlier operations stay applied.
                let _ = self.commit(state, kind, id, attrs);
            }
            return Err(e);
        }
        if state.has(Fault::MembersAddCapped)
            && let Some(Value::Array(members)) = working.get_mut("members")
        {
            members.truncate(members_before + 100);
        }
        let mut attrs = kind.normalize(&Value::Object(working), Tenant::coerce_booleans(state))?;
        if let Ok(current) = self.live(state, kind, id) {
            refuse_inactive(state, kind, &current.doc, &attrs)?;
        }
        if state.has(Fault::PatchNotApplied) {
            return self.live(state, kind, id).map(|s| s.doc.clone());
        }
        let deactivating = kind == Kind::User
            && attrs.get("active") == Some(&Value::Bool(false))
            && was_active != Some(Value::Bool(false));
        if state.has(Fault::PatchRenameSkipsUniqueness)
            && let Some(name) = attrs.get("userName").and_then(Value::as_str)
            && self
                .users
                .id_for_name(name)
                .is_some_and(|owner| owner != id)
        {
            // The bug being imitated: the name index is overwritten, never consulted.
            self.users.release_name(name);
        }
        if deactivating && state.has(Fault::ActiveFalseNotStored) {
            match was_active {
                Some(active) => attrs.insert("active".to_owned(), active),
                None => attrs.remove("active"),
            };
            let mut answer = self.commit(state, kind, id, attrs)?;
            answer["active"] = Value::Bool(false);
            return Ok(answer);
        }
        let patched = self.commit(state, kind, id, attrs)?;
        Ok(before.unwrap_or(patched))
    }

    pub fn delete(
        &mut self,
        state: &AppState,
        kind: Kind,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), ApiError> {
        check_writable(state, kind)?;
        let current = self.live(state, kind, id)?;
        check_if_match(state, current, if_match)?;
        if kind == Kind::User && state.has(Fault::DeleteOnlyDeactivates) {
            let Value::Object(mut attrs) = current.doc.clone() else {
                return Err(not_found(kind, id));
            };
            attrs.insert("active".to_owned(), Value::Bool(false));
            let attrs = kind.normalize(&Value::Object(attrs), true)?;
            return self.commit(state, kind, id, attrs).map(drop);
        }
        let Some(removed) = self.collection_mut(kind).remove(id) else {
            return Err(not_found(kind, id));
        };
        if let Some(name) = removed.doc.get("userName").and_then(Value::as_str)
            && !state.has(Fault::UsernameNotFreedAfterDelete)
        {
            self.users.release_name(name);
        }
        if kind == Kind::Group && !state.has(Fault::DeletedGroupStaysInUserGroups) {
            for member in members(&removed.doc) {
                if let Some(groups) = self.member_of.get_mut(member) {
                    groups.remove(id);
                }
            }
        }
        for group_id in self.member_of.remove(id).unwrap_or_default() {
            self.drop_member(state, &group_id, id)?;
        }
        if kind == Kind::Group && state.has(Fault::GroupDeleteCascadesMembers) {
            let users: Vec<String> = members(&removed.doc)
                .filter(|m| self.kind_of(m) == Some(Kind::User))
                .map(str::to_owned)
                .collect();
            for user in users {
                self.delete(state, Kind::User, &user, None)?;
            }
        }
        // The stale membership needs the deleted group's name.
        let stale = kind == Kind::Group && state.has(Fault::DeletedGroupStaysInUserGroups);
        if state.has(Fault::GetAfterDelete200) || stale {
            self.collection_mut(kind).tombstone(id, removed.doc);
        }
        Ok(())
    }

    /// Removes a deleted resource from one group's members.
    fn drop_member(
        &mut self,
        state: &AppState,
        group_id: &str,
        member_id: &str,
    ) -> Result<(), ApiError> {
        let Some(Value::Object(mut attrs)) = self.groups.get(group_id).map(|g| g.doc.clone())
        else {
            return Ok(());
        };
        if let Some(Value::Array(list)) = attrs.get_mut("members") {
            list.retain(|m| m.get("value").and_then(Value::as_str) != Some(member_id));
        }
        let attrs = Kind::Group.normalize(&Value::Object(attrs), true)?;
        self.commit(state, Kind::Group, group_id, attrs).map(drop)
    }

    /// Stores `attrs` (already normalised) as resource `id`, creating or updating it: checks
    /// uniqueness and group members, stamps `meta`, and maintains the indexes. A write that
    /// changes nothing leaves version and lastModified alone.
    fn commit(
        &mut self,
        state: &AppState,
        kind: Kind,
        id: &str,
        mut attrs: Map<String, Value>,
    ) -> Result<Value, ApiError> {
        // Attributes the schema does not declare are ignored on write.
        attrs.retain(|name, _| !state.undeclared(kind, name));
        check_user(state, kind, &attrs)?;
        if kind == Kind::User && state.has(Fault::SubAttributeDropped) {
            for value in attrs.values_mut() {
                if let Value::Array(items) = value {
                    items
                        .iter_mut()
                        .filter_map(Value::as_object_mut)
                        .for_each(|item| drop(item.remove("display")));
                }
            }
        }
        if state.has(Fault::NonBmpCharactersMangled) {
            attrs.values_mut().for_each(mangle_non_bmp);
        }
        let previous = self
            .collection(kind)
            .get(id)
            .map(|s| (s.seq, s.version, s.doc.clone()));
        if kind == Kind::Group {
            let before = previous.as_ref().map(|(_, _, doc)| doc);
            self.resolve_members(state, id, before, &mut attrs)?;
        }
        let name = attrs
            .get("userName")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(name) = &name {
            let taken = self
                .users
                .id_for_name(name)
                .is_some_and(|owner| owner != id);
            if taken && !state.has(Fault::DuplicateUsernameAccepted) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    Some(ScimType::Uniqueness),
                    format!("userName {name:?} is already taken"),
                ));
            }
        }
        if kind == Kind::Group
            && let Some(name) = attrs.get("displayName").and_then(Value::as_str)
        {
            // displayName is caseExact=false (RFC 7643 §4.2), and Entra ID requires it unique.
            let exact = state.has(Fault::GroupNameUniqueCaseSensitive);
            let same = |other: &str| {
                if exact {
                    other == name
                } else {
                    fold_case(other) == fold_case(name)
                }
            };
            // Only groups whose name folds to this one can hold it: the index has them all,
            // so a tenant of many groups is not scanned per write.
            let taken = self
                .groups
                .lookup(("displayName", None), name, false)
                .into_iter()
                .flatten()
                .filter_map(|seq| self.groups.at(seq))
                .any(|g| {
                    g.id() != id
                        && g.doc
                            .get("displayName")
                            .and_then(Value::as_str)
                            .is_some_and(same)
                });
            if taken {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    Some(ScimType::Uniqueness),
                    format!("a group named {name:?} exists"),
                ));
            }
        }
        if let Some((_, _, doc)) = &previous {
            let mut unchanged = doc.as_object().cloned().unwrap_or_default();
            unchanged.remove("id");
            unchanged.remove("meta");
            if unchanged == attrs && !state.has(Fault::NoopWriteTouchesLastModified) {
                return Ok(doc.clone());
            }
        }
        let mut stamp = now();
        if state.has(Fault::TimestampsWithoutOffset) {
            stamp.pop();
        }
        let created_at = if state.has(Fault::CreatedNotStamped) {
            "2000-01-01T00:00:00Z".to_owned()
        } else {
            stamp.clone()
        };
        let frozen = state.has(Fault::LastModifiedNotUpdated)
            || (kind == Kind::Group
                && state.has(Fault::MembershipChangeKeepsVersion)
                && previous
                    .as_ref()
                    .is_some_and(|(_, _, doc)| only_members_changed(doc, &attrs)));
        let (seq, version, created, modified) = match &previous {
            Some((seq, version, doc)) => {
                let meta = |k: &str| {
                    doc.get("meta")
                        .and_then(|m| m.get(k))
                        .cloned()
                        .unwrap_or(Value::Null)
                };
                let modified = if frozen {
                    meta("lastModified")
                } else {
                    Value::from(stamp)
                };
                (
                    *seq,
                    version + u64::from(!frozen),
                    meta("created"),
                    modified,
                )
            }
            None => (
                self.next_seq(),
                1,
                Value::from(created_at),
                Value::from(stamp),
            ),
        };
        let mut doc = Map::with_capacity(attrs.len() + 2);
        let mut attrs = attrs.into_iter();
        if let Some((key, schemas)) = attrs.next() {
            doc.insert(key, schemas);
        }
        doc.insert("id".to_owned(), Value::from(id));
        doc.extend(attrs);
        doc.insert(
            "meta".to_owned(),
            json!({
                "resourceType": kind.name(),
                "created": created,
                "lastModified": modified,
                "location": format!("{}/{}/{id}", public_base(state), kind.endpoint()),
                "version": etag(version),
            }),
        );
        let doc = Value::Object(doc);
        if kind == Kind::User {
            let old_name = previous
                .as_ref()
                .and_then(|(_, _, d)| d.get("userName"))
                .and_then(Value::as_str);
            if let Some(old) = old_name.filter(|old| Some(*old) != name.as_deref())
                && self.users.id_for_name(old) == Some(id)
            {
                self.users.release_name(old);
            }
            if let Some(name) = &name {
                self.users.set_name(name, id);
            }
        }
        if kind == Kind::Group {
            let old = previous
                .as_ref()
                .map(|(_, _, d)| members(d).map(str::to_owned).collect::<Vec<_>>())
                .unwrap_or_default();
            for member in &old {
                if let Some(groups) = self.member_of.get_mut(member) {
                    groups.remove(id);
                }
            }
            for member in members(&doc) {
                self.member_of
                    .entry(member.to_owned())
                    .or_default()
                    .insert(id.to_owned());
            }
        }
        self.collection_mut(kind).insert(Stored {
            seq,
            doc: doc.clone(),
            version,
        });
        Ok(doc)
    }

    /// Checks that new members exist and fills in what the server derives: `$ref`, `type`
    /// and `display`. Members already present are kept as they are.
    fn resolve_members(
        &self,
        state: &AppState,
        group_id: &str,
        before: Option<&Value>,
        attrs: &mut Map<String, Value>,
    ) -> Result<(), ApiError> {
        let Some(Value::Array(list)) = attrs.get_mut("members") else {
            return Ok(());
        };
        let mut seen = std::collections::HashSet::new();
        let mut resolved = Vec::with_capacity(list.len());
        for member in list.drain(..) {
            let Some(value) = member
                .get("value")
                .and_then(Value::as_str)
                .map(str::to_owned)
            else {
                continue;
            };
            if !seen.insert(value.clone()) {
                continue;
            }
            let existing = before
                .and_then(|d| d.get("members"))
                .and_then(Value::as_array)
                .and_then(|l| {
                    l.iter()
                        .find(|m| m.get("value").and_then(Value::as_str) == Some(&value))
                });
            let target = self.kind_of(&value).filter(|_| value != group_id);
            let entry = match (target, existing) {
                (Some(kind), _) => {
                    let doc = &self
                        .collection(kind)
                        .get(&value)
                        .map(|s| s.doc.clone())
                        .unwrap_or_default();
                    let display = doc
                        .get("displayName")
                        .or_else(|| doc.get("userName"))
                        .cloned();
                    let kind = if state.has(Fault::MemberRefAlwaysUsers) {
                        Kind::User
                    } else {
                        kind
                    };
                    let mut entry = json!({
                        "value": value,
                        "$ref": format!("{}/{}/{value}", state.base_url, kind.endpoint()),
                        "type": kind.name(),
                    });
                    if let Some(display) = display {
                        entry["display"] = display;
                    }
                    entry
                }
                (None, Some(existing)) => existing.clone(),
                (None, None) => {
                    return Err(ApiError::bad_request(
                        ScimType::InvalidValue,
                        format!("member {value:?} is not a user or group of this tenant"),
                    ));
                }
            };
            resolved.push(entry);
        }
        *list = resolved;
        Ok(())
    }
}

/// Under [`Fault::InactiveUserReadOnly`], refuses a write to a deactivated user unless it
/// reactivates it.
fn refuse_inactive(
    state: &AppState,
    kind: Kind,
    current: &Value,
    attrs: &Map<String, Value>,
) -> Result<(), ApiError> {
    let inactive = |doc: Option<&Value>| doc == Some(&Value::Bool(false));
    if kind == Kind::User
        && state.has(Fault::InactiveUserReadOnly)
        && inactive(current.get("active"))
        && inactive(attrs.get("active"))
    {
        return Err(ApiError::bad_request(
            ScimType::InvalidValue,
            "the user is deactivated: reactivate it first",
        ));
    }
    Ok(())
}

/// What resource locations start with: [`AppState::location_base`], or under
/// [`Fault::LocationInternalHost`] the app server's URL behind a proxy (same path, another
/// origin).
fn public_base(state: &AppState) -> String {
    if !state.has(Fault::LocationInternalHost) {
        return state.location_base().to_owned();
    }
    let path = state
        .base_url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.find('/').map(|at| &rest[at..]))
        .unwrap_or_default();
    format!("http://scim-internal:8080{path}")
}

/// Whether a write of `attrs` over `doc` changes the group's members and nothing else.
fn only_members_changed(doc: &Value, attrs: &Map<String, Value>) -> bool {
    let mut before = doc.as_object().cloned().unwrap_or_default();
    for key in ["id", "meta", "members"] {
        before.remove(key);
    }
    let mut after = attrs.clone();
    after.remove("members");
    before == after
}

/// Replaces every character outside the Basic Multilingual Plane with `?`, as a column that
/// holds at most three UTF-8 bytes a character stores it.
fn mangle_non_bmp(value: &mut Value) {
    match value {
        Value::String(text) if text.chars().any(|c| u32::from(c) > 0xFFFF) => {
            *text = text
                .chars()
                .map(|c| if u32::from(c) > 0xFFFF { '?' } else { c })
                .collect();
        }
        Value::Array(items) => items.iter_mut().for_each(mangle_non_bmp),
        Value::Object(fields) => fields.values_mut().for_each(mangle_non_bmp),
        _ => {}
    }
}

/// Whether a stored resource is invisible to clients.
pub(crate) fn hidden(state: &AppState, kind: Kind, doc: &Value) -> bool {
    kind == Kind::User
        && state.has(Fault::DeactivateHidesUser)
        && doc.get("active") == Some(&Value::Bool(false))
}

/// The member ids of a stored group.
fn members(doc: &Value) -> impl Iterator<Item = &str> {
    doc.get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("value").and_then(Value::as_str))
}

fn check_if_match(
    state: &AppState,
    current: &Stored,
    if_match: Option<&str>,
) -> Result<(), ApiError> {
    match if_match {
        Some(header)
            if !state.has(Fault::IfMatchIgnored)
                && (!etag_listed(header, &current.etag())
                    || state.has(Fault::IfMatchStarRefused) && header.trim() == "*") =>
        {
            Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                None,
                format!(
                    "If-Match {header} does not match the current version {}",
                    current.etag()
                ),
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_etags_weakly() {
        let cases: &[(&str, bool)] = &[
            ("W/\"3\"", true),
            ("\"3\"", true),
            ("*", true),
            ("W/\"2\", W/\"3\"", true),
            ("W/\"2\"", false),
            ("W/\"33\"", false),
            ("", false),
        ];
        for (header, want) in cases {
            assert_eq!(etag_listed(header, "W/\"3\""), *want, "{header}");
        }
    }
}
