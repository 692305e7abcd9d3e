//! The registry of switchable faults: realistic vendor bugs the mock can imitate so the
//! harness can prove that each of its checks catches something.

use super::registry::named_behaviours;

named_behaviours! {
    /// A vendor bug the mock server can be told to exhibit.
    Fault {
        AcceptAnyToken => "accept-any-token", "RFC 7644 §2",
            "any bearer token is accepted, including garbage";
        AcceptApiKey => "accept-api-key", "RFC 7644 §2",
            "the account API key is accepted on SCIM routes as well as the SCIM token";
        CrossTenantToken => "cross-tenant-token", "RFC 7644 §2",
            "tenant B's token is accepted on tenant A's data";
        NonScim401Body => "non-scim-401-body", "RFC 7644 §3.12",
            "401 responses carry an HTML page instead of a SCIM error";
        ForbiddenInsteadOf401 => "forbidden-instead-of-401", "RFC 7644 §3.12",
            "a missing or bad token gets 403 instead of 401";
        MissingWwwAuthenticate => "missing-www-authenticate", "RFC 9110 §11.6.1",
            "401 responses carry no WWW-Authenticate challenge";
        DeleteOnlyDeactivates => "delete-only-deactivates", "RFC 7644 §3.6",
            "DELETE sets active=false but keeps the user readable";
        DeactivateHidesUser => "deactivate-hides-user", "RFC 7643 §4.1.1",
            "a user with active=false 404s and vanishes from lists, as if deleted";
        ActiveFalseNotStored => "active-false-not-stored", "RFC 7644 §3.5.2",
            "PATCH active=false is acknowledged with the patched body but not stored";
        GetAfterDelete200 => "get-after-delete-200", "RFC 7644 §3.6",
            "GET on a deleted resource still answers 200 with its last state";
        UsernameNotFreedAfterDelete => "username-not-freed-after-delete", "RFC 7644 §3.6",
            "a deleted user's userName stays reserved, so re-creating it gets 409";
        ZeroBasedStartIndex => "zero-based-start-index", "RFC 7644 §3.4.2.4",
            "startIndex is treated as 0-based, so startIndex=1 skips the first result";
        TotalResultsIsPageSize => "total-results-is-page-size", "RFC 7644 §3.4.2.4",
            "totalResults reports the size of the page, not of the result set";
        CountIgnored => "count-ignored", "RFC 7644 §3.4.2.4",
            "count is ignored and every matching resource is returned";
        PageOverlap => "page-overlap", "RFC 7644 §3.4.2.4",
            "each page after the first repeats the last item of the previous page";
        ItemsPerPageMissing => "items-per-page-missing", "RFC 7644 §3.4.2",
            "paged list responses omit itemsPerPage";
        CursorNeverEnds => "cursor-never-ends", "RFC 9865 §2",
            "the last cursor page still carries a nextCursor, leading to empty pages forever";
        CursorSkipsItem => "cursor-skips-item", "RFC 9865 §2",
            "nextCursor points one item too far, so one resource per page boundary is lost";
        CursorNotValidated => "cursor-not-validated", "RFC 9865 §2.1",
            "a forged or garbled cursor restarts from the first page instead of invalidCursor";
        FilterIgnored => "filter-ignored", "RFC 7644 §3.4.2.2",
            "the filter parameter is ignored and every resource is returned";
        UsernameFilterCaseSensitive => "username-filter-case-sensitive", "RFC 7643 §4.1.1",
            "filters compare userName case-sensitively although it is caseExact=false";
        InvalidFilter500 => "invalid-filter-500", "RFC 7644 §3.4.2.2",
            "a malformed filter crashes the handler: 500 instead of 400 invalidFilter";
        SortIgnored => "sort-ignored", "RFC 7644 §3.4.2.3",
            "sortBy and sortOrder are accepted but results stay in creation order";
        SortIgnoredNewestFirst => "sort-ignored-newest-first", "RFC 7644 §3.4.2.3",
            "sortBy is accepted but results come newest first, whatever the attribute";
        FirstPageEmpty => "first-page-empty", "RFC 7644 §3.4.2.4",
            "the first page of a list is empty although totalResults counts the matches";
        ExcludedAttributesIgnored => "excluded-attributes-ignored", "RFC 7644 §3.4.2.5",
            "excludedAttributes is ignored and full resources are returned";
        DuplicateUsernameAccepted => "duplicate-username-accepted", "RFC 7644 §3.3",
            "creating a second user with an existing userName succeeds";
        ClientIdHonored => "client-id-honored", "RFC 7643 §3.1",
            "a client-supplied id on POST is used instead of a server-issued one";
        LocationMissing => "location-missing", "RFC 7644 §3.3",
            "201 Created responses carry no Location header";
        PasswordReturned => "password-returned", "RFC 7643 §4.1.1",
            "the password attribute (returned: never) is echoed in responses";
        PatchCapitalizedOpsRejected => "patch-capitalized-ops-rejected", "RFC 7644 §3.5.2",
            "PATCH op names are matched case-sensitively, so Entra's \"Replace\" is rejected";
        StringBooleanRejected => "string-boolean-rejected", "RFC 7643 §2.3.2",
            "Entra's string booleans (\"False\") are rejected instead of coerced";
        PatchNotAtomic => "patch-not-atomic", "RFC 7644 §3.5.2",
            "a PATCH whose later operation fails keeps the changes of the earlier ones";
        MemberRemoveRemovesAll => "member-remove-removes-all", "RFC 7644 §3.5.2.2 (as Entra ID reads it)",
            "remove on members with a value list drops every member, not just the listed ones";
        PutCreatesMissing => "put-creates-missing", "RFC 7644 §3.5.1",
            "PUT to an unknown id creates the resource instead of answering 404";
        IfMatchIgnored => "if-match-ignored", "RFC 7644 §3.14",
            "If-Match preconditions are ignored, so stale writes overwrite newer data";
        LastModifiedNotUpdated => "last-modified-not-updated", "RFC 7643 §3.1",
            "updates do not change meta.lastModified or meta.version";
        ErrorStatusNumber => "error-status-number", "RFC 7644 §3.12",
            "error bodies carry status as a JSON number instead of a string";
        Html404 => "html-404", "RFC 7644 §3.12",
            "unknown resources and routes get an HTML 404 page instead of a SCIM error";
        ContentTypeJson => "content-type-json", "RFC 7644 §3.1",
            "responses are labelled application/json instead of application/scim+json";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_round_trip() {
        let entries: Vec<_> = Fault::ALL
            .iter()
            .map(|&f| {
                (
                    f.name(),
                    f.rfc(),
                    f.description(),
                    Fault::from_name(f.name()) == Some(f),
                )
            })
            .collect();
        super::super::registry::check_registry(
            &entries,
            Fault::from_name("no-such-fault").is_none(),
        );
    }
}
