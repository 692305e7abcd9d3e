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
        PatchNotApplied => "patch-not-applied", "RFC 7644 §3.5.2",
            "a valid PATCH is answered 200 with the unchanged resource and not applied";
        PutNotApplied => "put-not-applied", "RFC 7644 §3.5.1",
            "a valid PUT is answered 200 with the unchanged resource and not applied";
        BulkNotApplied => "bulk-not-applied", "RFC 7644 §3.7",
            "bulk operations are reported as successful but none is applied";
        AttributesIgnored => "attributes-ignored", "RFC 7644 §3.9",
            "attributes and excludedAttributes are ignored: full resources are always returned";
        EtagHeaderMissing => "etag-header-missing", "RFC 7644 §3.14",
            "ETags are advertised but responses carry no ETag header";
        DiscoveryListsMissing => "discovery-lists-missing", "RFC 7644 §4",
            "/Schemas and /ResourceTypes answer 404";
        ScimJsonOnly => "scim-json-only", "RFC 7644 §3.8",
            "requests labelled or accepting application/json are refused with 415 or 406";
        UnknownParameterRejected => "unknown-parameter-rejected", "RFC 7644 §3.4.2",
            "a query parameter the server does not know is refused with 400";
        PatchUnimplemented => "patch-unimplemented", "RFC 7643 §5",
            "patch.supported is true but PATCH answers 501 Not Implemented";
        CreateMembersDropped => "create-members-dropped", "RFC 7643 §4.2",
            "members sent with a new group are dropped: the group starts empty";
        ServiceProviderConfigNeedsToken => "service-provider-config-needs-token", "RFC 7644 §4",
            "/ServiceProviderConfig answers 401 without a bearer token";
        ServiceProviderConfigIncomplete => "service-provider-config-incomplete", "RFC 7643 §5",
            "/ServiceProviderConfig omits the REQUIRED changePassword and authenticationSchemes";
        Me500 => "me-500", "RFC 7644 §3.11",
            "/Me crashes with 500 instead of being served or declined with 501";
        MetaResourceTypeMissing => "meta-resource-type-missing", "RFC 7643 §3.1",
            "resources carry no meta.resourceType";
        IdExcludable => "id-excludable", "RFC 7643 §3.1",
            "excludedAttributes=id removes id, which is returned always";
        CreatedNotStamped => "created-not-stamped", "RFC 7643 §3.1",
            "meta.created is a fixed date in the past instead of the time the resource was created";
        PhoneNumbersReformatted => "phone-numbers-reformatted", "RFC 7644 §3.3 (as Entra ID reads it)",
            "phone numbers are stored as digits only, not as sent";
        AttributeNamesLowercased => "attribute-names-lowercased", "RFC 7643 §2.1",
            "responses spell attribute names in lower case (username, not userName)";
        ClientGroupsStored => "client-groups-stored", "RFC 7643 §4.1.2",
            "groups sent with a new user are stored and returned although groups is read-only";
        NullRejected => "null-rejected", "RFC 7643 §2.5",
            "null for an attribute is refused with 400 instead of meaning unassigned";
        EnterpriseExtensionDropped => "enterprise-extension-dropped", "RFC 7643 §4.3",
            "the enterprise extension is advertised but its attributes are silently dropped";
        SchemaByIdMissing => "schema-by-id-missing", "RFC 7644 §4",
            "/Schemas/{id} and /ResourceTypes/{name} answer 404 for what the lists name";
        ResourceTypeEndpointWrong => "resource-type-endpoint-wrong", "RFC 7643 §6",
            "/ResourceTypes names endpoints (/User, /Group) that do not exist";
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
        NoPut => "no-put", "RFC 7644 §3.5.1",
            "PUT answers 405 Method Not Allowed with a SCIM error: resources change only by PATCH";
        SubAttributeDropped => "sub-attribute-dropped", "RFC 7644 §3.3",
            "the display sub-attribute of a User's emails, phoneNumbers and other multi-valued attributes is silently not stored";
        NoopWriteTouchesLastModified => "noop-write-touches-last-modified", "RFC 7644 §3.5.2.1",
            "a write that changes nothing still moves meta.lastModified and meta.version";
        MembersAddCapped => "members-add-capped", "RFC 7644 §3.5.2.1",
            "a PATCH adding more than 100 members stores only the first 100 and answers success";
        PatchFirstOperationOnly => "patch-first-operation-only", "RFC 7644 §3.5.2",
            "only the first operation of a PATCH is applied; the others are acknowledged and dropped";
        GroupNameUniqueCaseSensitive => "group-name-unique-case-sensitive", "RFC 7643 §4.2 (as Entra ID reads it)",
            "group displayNames are unique only as spelled: \"Sales\" and \"SALES\" both get created";
        UnknownSchemaUrnRejected => "unknown-schema-urn-rejected", "RFC 7643 §3 (as Entra ID sends it)",
            "a resource listing a schema URN the server does not know (Entra's ADSCIM Group URN) is refused with 400";
        PagingNumbersAsStrings => "paging-numbers-as-strings", "RFC 7644 §3.4.2",
            "totalResults, startIndex and itemsPerPage are JSON strings (\"1\"), not numbers";
        ContentTypeOnGetRejected => "content-type-on-get-rejected", "RFC 9110 §8.3",
            "a GET carrying Content-Type (Okta sends application/scim+json; charset=utf-8) is refused with 415";
        ActiveNotDefaulted => "active-not-defaulted", "RFC 7643 §4.1.1 (as Okta reads it)",
            "a user created without active has no active attribute, which Okta reads as deactivated";
        EntraManagerFormsRejected => "entra-manager-forms-rejected", "RFC 7643 §4.3 (as Entra ID sends it)",
            "manager as Entra sends it (a one-element array, or a bare id string on the URN path) is refused with 400";
        MutabilityAsInvalidValue => "mutability-as-invalid-value", "RFC 7644 §3.12",
            "a write to a readOnly or immutable attribute is refused with scimType invalidValue instead of mutability";
        EmptyPatchAccepted => "empty-patch-accepted", "RFC 7644 §3.5.2",
            "a PATCH whose Operations array is empty is answered 200 as if it were valid";
        IfMatchStarRefused => "if-match-star-refused", "RFC 9110 §13.1.1",
            "If-Match: * is compared as a literal tag, so a conditional write on any version gets 412";
        CursorCountNotChecked => "cursor-count-not-checked", "RFC 9865 §2.1",
            "a count changed between cursor pages is used instead of refused with invalidCount";
        CursorNotTenantBound => "cursor-not-tenant-bound", "RFC 9865 §2.1",
            "cursors are not bound to the tenant they were issued to: another tenant's token can present them";
        BulkMaxOperationsIgnored => "bulk-max-operations-ignored", "RFC 7644 §3.7.4",
            "a BulkRequest with more operations than maxOperations is run in full instead of refused with 413";
        BulkAppliedBefore413 => "bulk-applied-before-413", "RFC 7644 §3.7.4",
            "a BulkRequest over maxOperations gets 413, but only after its first maxOperations operations were applied";
        MaxPayloadSizeIgnored => "max-payload-size-ignored", "RFC 7644 §3.7.4",
            "a request body over the advertised maxPayloadSize is accepted instead of refused with 413";
        BulkUnsupported500 => "bulk-unsupported-500", "RFC 7644 §3.12",
            "bulk.supported is false, but a BulkRequest crashes the server with 500 instead of 501 Not Implemented";
        ReturnedRequestByDefault => "returned-request-by-default", "RFC 7643 §7",
            "an attribute declared returned: request is returned whether or not the request names it";
        CustomResourceSchemaViolated => "custom-resource-schema-violated", "RFC 7643 §6",
            "a custom resource type (Device at /Devices) is advertised, but its resources break the schema it names: serialNumber is a number";
        RevokedTokenAccepted => "revoked-token-accepted", "RFC 7644 §2",
            "a rotated-out (revoked) SCIM token still reads: GET accepts it, writes refuse it";
        TooManyTruncated => "too-many-truncated", "RFC 7644 §3.4.2.2",
            "a filter yielding more than the server's cap is answered with the first cap results and totalResults = cap, as if that were all, instead of 400 tooMany";
        GroupDeleteCascadesMembers => "group-delete-cascades-members", "RFC 7644 §3.6",
            "deleting a group also deletes the users that were its members (a cascading foreign key)";
        ValueFilterMixesValues => "value-filter-mixes-values", "RFC 7644 §3.4.2.2",
            "a value filter emails[type eq \"work\" and value co \"x\"] matches when different emails satisfy its parts";
        OrFilterDuplicates => "or-filter-duplicates", "RFC 7644 §3.4.2.2",
            "a resource matching both sides of an or filter is listed and counted twice (a UNION ALL)";
        CoreUrnPathRejected => "core-urn-path-rejected", "RFC 7644 §3.10",
            "a PATCH path qualified with the core schema URN (urn:…:core:2.0:User:name.givenName) is refused with invalidPath";
        PatchRenameSkipsUniqueness => "patch-rename-skips-uniqueness", "RFC 7643 §4.1.1",
            "PATCH can set userName to one another user holds: uniqueness is checked on POST and PUT only";
        ComplexReplaceDropsSubAttributes => "complex-replace-drops-sub-attributes", "RFC 7644 §3.5.2.3",
            "PATCH replace of a complex attribute (name) drops the sub-attributes its value leaves out instead of keeping them";
        NonBmpCharactersMangled => "non-bmp-characters-mangled", "RFC 7643 §2.3.1",
            "characters outside the Basic Multilingual Plane (emoji, 𝔸) are stored as \"?\", as a 3-byte utf8 column does";
        MembershipChangeKeepsVersion => "membership-change-keeps-version", "RFC 7644 §3.14",
            "changing a group's members leaves its meta.version, ETag and lastModified as they were";
        PatchAddDuplicatesValue => "patch-add-duplicates-value", "RFC 7644 §3.5.2.1",
            "PATCH add of an email the user already has appends a second copy instead of changing nothing";
        EmailFilterPrimaryOnly => "email-filter-primary-only", "RFC 7644 §3.4.2.2",
            "filters on emails.value look only at the primary email, the one the vendor keeps in a column";
        DeletedGroupStaysInUserGroups => "deleted-group-stays-in-user-groups", "RFC 7643 §4.1.2",
            "a deleted group stays listed in its former members' groups attribute";
        ExtensionUrnNotListed => "extension-urn-not-listed", "RFC 7643 §3",
            "a user holding enterprise extension attributes does not list the extension's URN in schemas";
        ScimTypeMissing => "scim-type-missing", "RFC 7644 §3.12",
            "400 errors carry no scimType, so a client cannot tell invalidFilter from invalidValue";
        IfNoneMatchIgnored => "if-none-match-ignored", "RFC 7644 §3.14",
            "a GET whose If-None-Match names the current ETag answers 200 with the body instead of 304";
        TimestampsWithoutOffset => "timestamps-without-offset", "RFC 7643 §2.3.5",
            "meta.created and meta.lastModified carry no time zone (2026-12-01T03:09:26), as a naive database timestamp prints";
        PatchPathCaseSensitive => "patch-path-case-sensitive", "RFC 7643 §2.1",
            "PATCH paths match attribute names case-sensitively: name.GivenName or Emails is refused with invalidPath";
        MemberRefAlwaysUsers => "member-ref-always-users", "RFC 7643 §4.2",
            "every group member is typed User with a $ref under /Users, nested groups too";
        PatchAnswersOldState => "patch-answers-old-state", "RFC 7644 §3.5.2",
            "a PATCH is stored, but the 200 answer shows the resource as it was before the PATCH";
        GroupListOmitsMembers => "group-list-omits-members", "RFC 7643 §4.2",
            "groups in a list response carry no members, although members is returned by default";
        LocationInternalHost => "location-internal-host", "RFC 7644 §3.1",
            "meta.location and Location name the app server behind the proxy (http://scim-internal:8080/…), not the public base URL";
        SortDescendingIgnored => "sort-descending-ignored", "RFC 7644 §3.4.2.3",
            "sortOrder=descending is ignored: results are always ascending";
        OrderingBoundsExclusive => "ordering-bounds-exclusive", "RFC 7644 §3.4.2.2",
            "ge and le are evaluated as gt and lt: a value equal to the bound is left out";
        TotalResultsIgnoresFilter => "total-results-ignores-filter", "RFC 7644 §3.4.2",
            "totalResults of a filtered list counts every resource of the type, not the matches";
        PutIgnoresExternalId => "put-ignores-external-id", "RFC 7643 §3.1",
            "externalId is set on create only: a PUT with a new externalId answers 200 and keeps the old one";
        MembersReplaceOnlyAdds => "members-replace-only-adds", "RFC 7644 §3.5.2.3",
            "replace on members without a filter adds the listed members but removes none of the others";
        PathlessReplaceEmptiesMembers => "pathless-replace-empties-members", "RFC 7644 §3.5.2.3",
            "a path-less replace on a group that does not mention members (Okta's rename) empties the group";
        MemberFilterRemoveIgnored => "member-filter-remove-ignored", "RFC 7644 §3.5.2.2",
            "remove with path members[value eq \"…\"] answers 200 and removes nothing";
        MembersAddReplaces => "members-add-replaces", "RFC 7644 §3.5.2.1",
            "add on members replaces the member list with the added members instead of appending them";
        MemberRemovalsShiftIndexes => "member-removals-shift-indexes", "RFC 7644 §3.5.2.2",
            "a PATCH removing several members finds each by its position before the first removal, so the later ones remove the wrong member";
        BulkStatusNumber => "bulk-status-number", "RFC 7644 §3.7.3",
            "a successful BulkResponse operation's status is a JSON number (201), not the string the RFC gives";
        BulkLocationMissing => "bulk-location-missing", "RFC 7644 §3.7.3",
            "BulkResponse operations that created a resource carry no location";
        PutRecreatesResource => "put-recreates-resource", "RFC 7644 §3.5.1",
            "PUT deletes the resource and inserts it again under its id: meta.created and meta.version start over, and a user leaves its groups";
        InactiveUserReadOnly => "inactive-user-read-only", "RFC 7644 §3.5.2 (as Entra ID reads it)",
            "a deactivated user refuses every write but reactivation with 400, so an identity provider cannot update it while disabled";
        PlusDecodedAsSpace => "plus-decoded-as-space", "RFC 3986 §2.1",
            "a filter's query parameter is form-decoded twice, so a + in a value (jo+tag@example.com) becomes a space";
        SwAsCo => "sw-as-co", "RFC 7644 §3.4.2.2",
            "sw matches the value anywhere in the attribute, as co does";
        UnorderedPages => "unordered-pages", "RFC 7644 §3.4.2.4",
            "lists without sortBy come in no stable order (no ORDER BY), so pages of one walk overlap and miss resources";
        SchemaEmailsSingular => "schema-emails-singular", "RFC 7643 §7",
            "/Schemas declares User emails multiValued false (a hand-written schema), though emails is a list";
        ResourceTypeSchemaTypo => "resource-type-schema-typo", "RFC 7643 §6",
            "/ResourceTypes names the User schema urn:ietf:params:scim:schemas:core:2.0:Users, which no schema has";
        ExtensionFilterNoMatch => "extension-filter-no-match", "RFC 7644 §3.4.2.2",
            "a filter on an enterprise extension attribute by its URN-qualified name matches nothing, with 200";
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
