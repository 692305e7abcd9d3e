//! The registry of conformant variations: behaviours the RFCs allow that differ from the mock's
//! defaults. A harness that fails a case against one of them is wrong, not the server.

use super::registry::named_behaviours;

named_behaviours! {
    /// A choice the RFCs leave to the service provider, made differently from the default.
    Variation {
        FilterEqAndOnly => "filter-eq-and-only", "RFC 7644 §3.4.2.2",
            "filters support only `eq` and `and` (as many apps built for Entra ID do); anything else is 400 invalidFilter";
        FilterUserNameEqOnly => "filter-username-eq-only", "RFC 7644 §3.4.2.2",
            "the only filter is `userName eq \"…\"` on Users; anything else is 400 invalidFilter";
        ApiKeyForbidden => "api-key-403", "RFC 7644 §3.12",
            "the vendor's API key on a SCIM route is 403 (known, but not permitted) instead of 401";
        PatchNoContent => "patch-204", "RFC 7644 §3.5.2",
            "a PATCH without attributes or excludedAttributes answers 204 No Content";
        NoPatch => "no-patch", "RFC 7644 §3.5.2",
            "patch.supported is false and PATCH answers 501 Not Implemented";
        NoEtag => "no-etag", "RFC 7644 §3.14",
            "etag.supported is false: no ETag headers, and If-Match / If-None-Match are ignored";
        NoSort => "no-sort", "RFC 7644 §3.4.2.3",
            "sort.supported is false and sortBy / sortOrder are ignored";
        NoBulk => "no-bulk", "RFC 7644 §3.7",
            "bulk.supported is false and /Bulk answers 501 Not Implemented";
        SmallPageCap => "small-page-cap", "RFC 7644 §3.4.2.4",
            "filter.maxResults is 2: a larger count gets fewer results, as the server MAY return";
        CursorOnly => "cursor-only", "RFC 9865 §2.3",
            "pagination.index is false: lists are cursor-paged, startIndex is ignored and a first page carries nextCursor";
        NoGroups => "no-groups", "RFC 7643 §6",
            "Users only: no Group resource type or schema, and /Groups answers 404";
        MinimalUserSchema => "minimal-user-schema", "RFC 7643 §4.1",
            "the User schema declares only userName, name, displayName, emails, active, password and groups; other attributes are dropped on write and invalidFilter in filters";
        IndexOnly => "index-only", "RFC 9865 §4",
            "pagination.cursor is false: no cursor paging, the cursor parameter is ignored";
        MinimalGroupSchema => "minimal-group-schema", "RFC 7643 §4.2",
            "the Group schema declares only displayName: groups carry no members, which are dropped on write and invalidFilter in filters";
        FilterUserNameEqOr => "filter-username-eq-or", "RFC 7644 §3.4.2.2",
            "the only filters are `userName eq \"…\"` on Users, alone or joined by `or` (a lookup of several users at once); anything else is 400 invalidFilter";
        UserNameEmail => "username-email", "RFC 7643 §4.1.1",
            "userName must be an email address (as many vendors document); another is 400 invalidValue. Needs a contract saying so";
        EmailsRequired => "emails-required", "RFC 7643 §7",
            "a User without emails is 400 invalidValue on create, replace or patch. Needs a contract saying how to fill them";
        ReadOnlyGroups => "read-only-groups", "RFC 7644 §3.12",
            "groups are read-only (an identity provider assigns them): writes answer 501 Not Implemented. Needs a contract saying so";
        StaleLists => "stale-lists", "RFC 7644 §3.4.2",
            "lists lag writes: a resource appears in lists and searches one second after it is created (an eventually consistent index). Needs a settle window";
        EntraValuePathAdd => "entra-value-path-add", "RFC 7644 §3.5.2.3 (as Entra ID reads it)",
            "a PATCH replace of `emails[type eq \"work\"].value` on a user without a work email adds one, as Entra ID expects, instead of noTarget. Needs a contract saying so";
        CustomResourceType => "custom-resource-type", "RFC 7643 §6",
            "a third, read-only resource type beside User and Group: Device at /Devices, with its own schema";
        JsonContentType => "json-content-type", "RFC 7644 §8.1",
            "responses are labelled application/json, as many vendors document, not application/scim+json. Needs a contract acknowledging it";
        FilterResultCap => "filter-result-cap", "RFC 7644 §3.4.2.2",
            "a filter that yields more than 20 resources is refused with 400 tooMany. Needs a contract declaring the cap";
        RelativeLocations => "relative-locations", "RFC 7643 §2.3.7",
            "meta.location, the Location header and Bulk `location` are absolute-path references (`/scim/v2/Users/{id}`, as SCIMMY answers), not absolute URLs";
        NoFilter => "no-filter", "RFC 7644 §3.4.2.2",
            "filter.supported is false and a request with a filter answers 501 Not Implemented (as scim2-server does when so configured)";
    }
}

/// The optional core Group attributes [`Variation::MinimalGroupSchema`] does not declare.
pub(crate) const MINIMAL_GROUP_OMITS: [&str; 1] = ["members"];

/// The optional core User attributes [`Variation::MinimalUserSchema`] does not declare.
pub(crate) const MINIMAL_USER_OMITS: [&str; 14] = [
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
];

/// How far behind writes the lists of [`Variation::StaleLists`] are.
pub(crate) const LIST_LAG: std::time::Duration = std::time::Duration::from_secs(1);

/// The most resources a filter may yield under [`Variation::FilterResultCap`].
pub(crate) const FILTER_RESULT_CAP: usize = 20;

/// The page cap of [`Variation::SmallPageCap`].
pub(crate) const SMALL_PAGE_CAP: usize = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_round_trip() {
        let entries: Vec<_> = Variation::ALL
            .iter()
            .map(|&v| {
                (
                    v.name(),
                    v.rfc(),
                    v.description(),
                    Variation::from_name(v.name()) == Some(v),
                )
            })
            .collect();
        super::super::registry::check_registry(
            &entries,
            Variation::from_name("no-such-variation").is_none(),
        );
        assert!(Variation::ALL.len() >= 10);
    }
}
