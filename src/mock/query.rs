//! Queries (RFC 7644 §3.4.2, §3.4.3): filtering, sorting, index paging and RFC 9865 cursor
//! paging. Resources are visited by reference; only the returned page is copied.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::ops::Bound;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::cursor::{Cursor, CursorError, Position};
use super::error::ApiError;
use super::extract::Params;
use super::faults::Fault;
use super::ops::hidden;
use super::resource::Projection;
use super::schema::{Kind, Returned, Type};
use super::state::{AppState, TenantId};
use super::store::{Collection, Stored, Tenant};
use super::variations::{FILTER_RESULT_CAP, Variation};
use super::vendor::not_yet_listed;
use crate::scim::filter::{self, get_ci};
use crate::scim::operators::features;
use crate::scim::{AttrPath, CompValue, CompareOp, Filter, FilterFeature, ScimType, urn};

/// The parameters of a query, from a query string or a SearchRequest body.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListQuery {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub descending: bool,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    /// `Some("")` asks for the first cursor page.
    pub cursor: Option<String>,
    pub projection: Projection,
}

fn invalid_value(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(ScimType::InvalidValue, detail)
}

fn sort_order(text: &str) -> Result<bool, ApiError> {
    if text.eq_ignore_ascii_case("descending") {
        Ok(true)
    } else if text.eq_ignore_ascii_case("ascending") {
        Ok(false)
    } else {
        Err(invalid_value(format!(
            "sortOrder must be ascending or descending, not {text:?}"
        )))
    }
}

impl ListQuery {
    /// From query parameters; unknown parameters are ignored (RFC 7644 §3.4.2).
    pub fn from_params(params: &Params) -> Result<Self, ApiError> {
        let get = |name: &str| params.get(name);
        let int = |name: &str| -> Result<Option<i64>, ApiError> {
            get(name)
                .map(|v| {
                    v.trim()
                        .parse()
                        .map_err(|_| invalid_value(format!("{name} must be an integer, not {v:?}")))
                })
                .transpose()
        };
        Ok(ListQuery {
            filter: get("filter").map(str::to_owned),
            sort_by: get("sortBy").filter(|s| !s.is_empty()).map(str::to_owned),
            descending: get("sortOrder")
                .map(sort_order)
                .transpose()?
                .unwrap_or(false),
            start_index: int("startIndex")?,
            count: int("count")?,
            cursor: get("cursor").map(str::to_owned),
            projection: params.projection()?,
        })
    }

    /// From a SearchRequest body (RFC 7644 §3.4.3).
    pub fn from_search(body: &Value) -> Result<Self, ApiError> {
        let declared = get_ci(body, "schemas")
            .and_then(Value::as_array)
            .is_some_and(|s| {
                s.iter().any(|u| {
                    u.as_str()
                        .is_some_and(|u| u.eq_ignore_ascii_case(urn::SEARCH_REQUEST))
                })
            });
        if !declared {
            return Err(ApiError::bad_request(
                ScimType::InvalidSyntax,
                format!(
                    "a search body needs \"schemas\": [\"{}\"]",
                    urn::SEARCH_REQUEST
                ),
            ));
        }
        let string = |name: &str| -> Result<Option<String>, ApiError> {
            match get_ci(body, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(invalid_value(format!("{name} must be a string"))),
            }
        };
        let int = |name: &str| -> Result<Option<i64>, ApiError> {
            match get_ci(body, name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| invalid_value(format!("{name} must be an integer"))),
            }
        };
        let list = |name: &str| -> Result<Vec<String>, ApiError> {
            match get_ci(body, name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| invalid_value(format!("{name} must list strings")))
                    })
                    .collect(),
                Some(Value::String(s)) => Ok(s
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()),
                Some(_) => Err(invalid_value(format!("{name} must be an array of strings"))),
            }
        };
        Ok(ListQuery {
            filter: string("filter")?,
            sort_by: string("sortBy")?.filter(|s| !s.is_empty()),
            descending: string("sortOrder")?
                .as_deref()
                .map(sort_order)
                .transpose()?
                .unwrap_or(false),
            start_index: int("startIndex")?,
            count: int("count")?,
            cursor: string("cursor")?,
            projection: Projection::new(list("attributes")?, list("excludedAttributes")?)?,
        })
    }
}

/// A parsed filter with what evaluation needs to know about it, worked out once per query
/// rather than once per resource.
struct Matcher<'a> {
    state: &'a AppState,
    tenant: &'a Tenant,
    filter: Option<Filter>,
    /// The filter looks at `User.groups`, which is derived and must be rendered first.
    needs_groups: bool,
    /// `caseExact` of every attribute the filter compares, per resource type.
    case_exact: Vec<(Kind, AttrPath, bool)>,
    /// A fault or variation keeps some stored resources out of lists; worked out once, as
    /// every resource of a big tenant may be asked.
    may_hide: bool,
}

impl<'a> Matcher<'a> {
    fn new(
        state: &'a AppState,
        tenant: &'a Tenant,
        kinds: &[Kind],
        filter: Option<Filter>,
    ) -> Self {
        let attributes = filter.as_ref().map(Filter::attributes).unwrap_or_default();
        let sensitive_names = state.has(Fault::UsernameFilterCaseSensitive);
        let case_exact = kinds
            .iter()
            .flat_map(|&kind| attributes.iter().map(move |(attr, _)| (kind, *attr)))
            .map(|(kind, attr)| {
                let user_name = kind
                    .resolve(attr)
                    .is_some_and(|r| r.sub.is_none() && r.attr.name == "userName");
                (
                    kind,
                    attr.clone(),
                    kind.case_exact(attr) || (sensitive_names && user_name),
                )
            })
            .collect();
        let needs_groups = attributes
            .iter()
            .any(|(a, _)| a.name.eq_ignore_ascii_case("groups"));
        Matcher {
            state,
            tenant,
            filter,
            needs_groups,
            case_exact,
            may_hide: state.has(Fault::DeactivateHidesUser) || state.varies(Variation::StaleLists),
        }
    }

    /// Every stored resource matches: a count needs no walk.
    fn selects_all(&self) -> bool {
        self.filter.is_none() && !self.may_hide
    }

    fn matches(&self, kind: Kind, stored: &Stored) -> bool {
        if self.may_hide
            && (hidden(self.state, kind, &stored.doc) || not_yet_listed(self.state, &stored.doc))
        {
            return false;
        }
        self.filter
            .as_ref()
            .is_none_or(|filter| self.holds(filter, kind, stored))
    }

    /// Whether `filter` (the matcher's, or one of its terms) holds for `stored`.
    fn holds(&self, filter: &Filter, kind: Kind, stored: &Stored) -> bool {
        let case_exact = |p: &AttrPath| {
            self.case_exact
                .iter()
                .find(|(k, a, _)| *k == kind && a == p)
                .is_some_and(|(_, _, exact)| *exact)
        };
        if self.needs_groups && kind == Kind::User {
            let view = self
                .tenant
                .render(self.state, kind, &stored.doc, &Projection::default());
            return filter.matches(&view, &case_exact);
        }
        filter.matches(&stored.doc, &case_exact)
    }

    /// How many times [`Fault::OrFilterDuplicates`] lists a match: each `or` is a UNION ALL
    /// of its terms, so a resource comes once per way it satisfies the filter.
    fn copies(&self, filter: &Filter, kind: Kind, stored: &Stored) -> usize {
        match filter {
            Filter::Or(terms) => terms
                .iter()
                .filter(|t| self.holds(t, kind, stored))
                .map(|t| self.copies(t, kind, stored))
                .sum(),
            Filter::And(terms) => terms.iter().map(|t| self.copies(t, kind, stored)).product(),
            _ => 1,
        }
    }
}

/// A filter as a server with [`Fault::ValueFilterMixesValues`],
/// [`Fault::EmailFilterPrimaryOnly`], [`Fault::OrderingBoundsExclusive`], [`Fault::SwAsCo`]
/// or [`Fault::ExtensionFilterNoMatch`] reads it: `attr[a and b]` loses its brackets (the terms
/// are already qualified, `emails.type`), `emails.value op v` becomes `emails[primary eq true
/// and value op v]`, `ge` / `le` become `gt` / `lt`, `sw` becomes `co`, and a comparison on an
/// enterprise attribute fails.
fn misread(state: &AppState, filter: Filter) -> Filter {
    let again = |terms: Vec<Filter>| terms.into_iter().map(|t| misread(state, t)).collect();
    match filter {
        Filter::ValuePath { filter, .. } if state.has(Fault::ValueFilterMixesValues) => *filter,
        Filter::Compare { attr, op, value }
            if state.has(Fault::EmailFilterPrimaryOnly)
                && attr.name.eq_ignore_ascii_case("emails")
                && attr
                    .sub
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case("value")) =>
        {
            let parent = AttrPath {
                sub: None,
                ..attr.clone()
            };
            let primary = AttrPath {
                sub: Some("primary".to_owned()),
                ..parent.clone()
            };
            let value_path = AttrPath {
                sub: Some("value".to_owned()),
                ..parent.clone()
            };
            Filter::ValuePath {
                attr: parent,
                filter: Box::new(Filter::And(vec![
                    Filter::Compare {
                        attr: primary,
                        op: CompareOp::Eq,
                        value: CompValue::Bool(true),
                    },
                    Filter::Compare {
                        attr: value_path,
                        op,
                        value,
                    },
                ])),
            }
        }
        Filter::Compare {
            attr,
            op: op @ (CompareOp::Ge | CompareOp::Le),
            value,
        } if state.has(Fault::OrderingBoundsExclusive) => Filter::Compare {
            attr,
            op: if op == CompareOp::Ge {
                CompareOp::Gt
            } else {
                CompareOp::Lt
            },
            value,
        },
        Filter::Compare {
            attr,
            op: CompareOp::Sw,
            value,
        } if state.has(Fault::SwAsCo) => Filter::Compare {
            attr,
            op: CompareOp::Co,
            value,
        },
        // A comparison that can hold for no resource: `id` is never null.
        Filter::Compare { attr, .. }
            if state.has(Fault::ExtensionFilterNoMatch)
                && attr
                    .urn
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(urn::ENTERPRISE_USER)) =>
        {
            Filter::Compare {
                attr: AttrPath {
                    urn: None,
                    name: "id".to_owned(),
                    sub: None,
                },
                op: CompareOp::Eq,
                value: CompValue::Null,
            }
        }
        Filter::And(terms) => Filter::And(again(terms)),
        Filter::Or(terms) => Filter::Or(again(terms)),
        Filter::Not(inner) => Filter::Not(Box::new(misread(state, *inner))),
        other => other,
    }
}

/// Parses and checks a filter against the schemas of `kinds`: unknown attributes, ordering on
/// booleans or binaries, and never-returned attributes are `invalidFilter`.
fn parse_filter(state: &AppState, kinds: &[Kind], text: &str) -> Result<Filter, ApiError> {
    if state.varies(Variation::NoFilter) {
        return Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            None,
            "filtering is not supported",
        ));
    }
    let filter = filter::parse(text).map_err(|e| {
        if state.has(Fault::InvalidFilter500) {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                "internal server error",
            )
        } else {
            ApiError::from(e)
        }
    })?;
    if let Some(why) = unsupported(state, kinds, &filter) {
        return Err(ApiError::bad_request(ScimType::InvalidFilter, why));
    }
    for (attr, op) in filter.attributes() {
        if attr.urn.is_none() && attr.sub.is_none() && attr.name.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let resolved: Vec<_> = kinds.iter().filter_map(|k| k.resolve(attr)).collect();
        let invalid = |why: &str| {
            ApiError::bad_request(
                ScimType::InvalidFilter,
                format!("cannot filter on {attr}: {why}"),
            )
        };
        if resolved.is_empty() {
            return Err(invalid("no such attribute"));
        }
        for r in resolved {
            let target = r.target();
            if target.returned == Returned::Never {
                return Err(invalid("it is never returned"));
            }
            if op.is_some_and(CompareOp::is_ordering)
                && matches!(target.ty, Type::Boolean | Type::Binary)
            {
                return Err(invalid("booleans and binaries have no order"));
            }
        }
    }
    Ok(filter)
}

/// Why a server with a restricted filter variation refuses `filter`, if it does.
fn unsupported(state: &AppState, kinds: &[Kind], filter: &Filter) -> Option<String> {
    if state.varies(Variation::FilterUserNameEqOnly)
        && (kinds != [Kind::User] || indexed_user_name(filter).is_none())
    {
        return Some("only userName eq \"…\" filters on Users are supported".to_owned());
    }
    if state.varies(Variation::FilterUserNameEqOr) {
        let lookups = match filter {
            Filter::Or(lookups) => lookups.as_slice(),
            lookup => std::slice::from_ref(lookup),
        };
        if kinds != [Kind::User] || lookups.iter().any(|l| indexed_user_name(l).is_none()) {
            return Some(
                "only userName eq \"…\" filters on Users, alone or joined by or, are supported"
                    .to_owned(),
            );
        }
    }
    if let Some((attr, _)) = filter.attributes().into_iter().find(|(attr, _)| {
        attr.urn.is_none() && kinds.iter().any(|&k| state.undeclared(k, &attr.name))
    }) {
        return Some(format!("cannot filter on {attr}: no such attribute"));
    }
    if state.varies(Variation::FilterEqAndOnly) {
        let other = features(filter)
            .into_iter()
            .find(|f| !matches!(f, FilterFeature::Eq | FilterFeature::And))?;
        return Some(format!(
            "the operator `{}` is not supported: only eq and and",
            other.token()
        ));
    }
    None
}

/// `userName eq "…"`, the one lookup a server of [`Variation::FilterUserNameEqOnly`] answers.
fn indexed_user_name(filter: &Filter) -> Option<&str> {
    match filter {
        Filter::Compare {
            attr,
            op: CompareOp::Eq,
            value: CompValue::String(name),
        } if Kind::User
            .resolve(attr)
            .is_some_and(|r| r.sub.is_none() && r.attr.name == "userName") =>
        {
            Some(name)
        }
        _ => None,
    }
}

/// The resources of one type a query may match, in creation order: the whole collection, or
/// the candidates its filter's indexed terms select (a superset of the matches).
struct Rows<'a> {
    collection: &'a Collection,
    only: Option<BTreeSet<u64>>,
}

type Walked<'a> = Box<dyn DoubleEndedIterator<Item = &'a Stored> + 'a>;

impl<'a> Rows<'a> {
    fn new(kind: Kind, collection: &'a Collection, filter: Option<&Filter>) -> Self {
        Rows {
            collection,
            only: filter.and_then(|f| candidates(kind, collection, f)),
        }
    }

    fn len(&self) -> usize {
        self.only
            .as_ref()
            .map_or(self.collection.len(), BTreeSet::len)
    }

    fn iter(&self) -> Walked<'a> {
        self.within((Bound::Unbounded, Bound::Unbounded))
    }

    /// The rows created at or after `seq`.
    fn starting_at(&self, seq: u64) -> Walked<'a> {
        self.within((Bound::Included(seq), Bound::Unbounded))
    }

    /// The rows created before `seq`, newest first.
    fn before_seq(&self, seq: u64) -> impl Iterator<Item = &'a Stored> + 'a {
        self.within((Bound::Unbounded, Bound::Excluded(seq))).rev()
    }

    fn within(&self, range: (Bound<u64>, Bound<u64>)) -> Walked<'a> {
        let collection = self.collection;
        match &self.only {
            None => Box::new(collection.range(range)),
            Some(seqs) => {
                let seqs: Vec<u64> = seqs.range(range).copied().collect();
                Box::new(seqs.into_iter().filter_map(move |seq| collection.at(seq)))
            }
        }
    }
}

/// The creation sequence numbers of every resource of `kind` that can match `filter`, read
/// from the collection's indexes; `None` when no indexed term bounds the filter and only a
/// scan can tell.
fn candidates(kind: Kind, collection: &Collection, filter: &Filter) -> Option<BTreeSet<u64>> {
    match filter {
        Filter::Compare {
            attr,
            op: op @ (CompareOp::Eq | CompareOp::Sw),
            value: CompValue::String(value),
        } if !filter::is_date_time(value) => {
            let resolved = kind.resolve(attr).filter(|r| r.extension.is_none())?;
            let (name, sub) = (resolved.attr.name, resolved.sub.map(|s| s.name));
            if name == "id" && sub.is_none() {
                // Ids are caseExact: only the resource with this very id can match.
                return (*op == CompareOp::Eq && resolved.attr.case_exact)
                    .then(|| collection.seq_of(value).into_iter().collect());
            }
            collection.lookup((name, sub), value, *op == CompareOp::Sw)
        }
        // Only what every term matches: the smallest bound any term gives.
        Filter::And(terms) => terms
            .iter()
            .filter_map(|t| candidates(kind, collection, t))
            .min_by_key(BTreeSet::len),
        // What any term matches: bounded only if every term is.
        Filter::Or(terms) => terms
            .iter()
            .map(|t| candidates(kind, collection, t))
            .reduce(|a, b| Some(a?.union(&b?).copied().collect()))?,
        _ => None,
    }
}

/// The resources a query walks.
enum Source<'a> {
    /// One type in creation order, filtered while walking; cursors hold positions.
    Ordered(Kind, Rows<'a>),
    /// Matches already selected (sorted, or of several types); cursors hold offsets.
    Listed(Vec<(Kind, &'a Stored)>),
}

/// Runs a query over `kinds` and builds the ListResponse.
pub(crate) fn list(
    state: &AppState,
    tenant_id: TenantId,
    tenant: &Tenant,
    kinds: &[Kind],
    q: &ListQuery,
) -> Result<Value, ApiError> {
    // The bug being imitated: a cursor signed for no tenant in particular.
    let tenant_id = if state.has(Fault::CursorNotTenantBound) {
        TenantId(0)
    } else {
        tenant_id
    };
    let newest_first = state.has(Fault::SortIgnoredNewestFirst) && q.sort_by.is_some();
    let ignores_sort =
        state.has(Fault::SortIgnored) || state.varies(Variation::NoSort) || newest_first;
    let filter = match (&q.filter, state.has(Fault::FilterIgnored)) {
        (Some(text), false) => Some(misread(state, parse_filter(state, kinds, text)?)),
        _ => None,
    };
    let sort_by =
        match (&q.sort_by, ignores_sort) {
            (Some(text), false) => Some(AttrPath::parse(text).ok_or_else(|| {
                invalid_value(format!("sortBy {text:?} is not an attribute path"))
            })?),
            _ => None,
        };
    let matcher = Matcher::new(state, tenant, kinds, filter);
    let rows = |kind: Kind| Rows::new(kind, tenant.collection(kind), matcher.filter.as_ref());
    let duplicates_or = state.has(Fault::OrFilterDuplicates);
    // No ORDER BY: the order a scan happens to give, here the reverse for every page but the
    // first (decided by the request alone, so that which walks it breaks never varies).
    let later_page = q.start_index.is_some_and(|start| start > 1)
        || q.cursor.as_deref().is_some_and(|cursor| !cursor.is_empty());
    let unordered = state.has(Fault::UnorderedPages) && sort_by.is_none() && later_page;
    let source = match (kinds, &sort_by) {
        ([kind], None) if !newest_first && !duplicates_or && !unordered => {
            Source::Ordered(*kind, rows(*kind))
        }
        _ => {
            // Only the filtered set is sorted.
            let mut found: Vec<(Kind, &Stored)> = kinds
                .iter()
                .flat_map(|&k| rows(k).iter().map(move |s| (k, s)))
                .filter(|(k, s)| matcher.matches(*k, s))
                .flat_map(|(k, s)| {
                    let copies = match &matcher.filter {
                        Some(filter) if duplicates_or => matcher.copies(filter, k, s),
                        _ => 1,
                    };
                    std::iter::repeat_n((k, s), copies)
                })
                .collect();
            found.sort_by_key(|(_, s)| s.seq);
            if newest_first || unordered {
                found.reverse();
            }
            if let Some(path) = &sort_by {
                let descending = q.descending && !state.has(Fault::SortDescendingIgnored);
                sort(&mut found, path, descending);
            }
            Source::Listed(found)
        }
    };
    let max = state.max_page_size();
    let requested = q.count.map(|c| usize::try_from(c).unwrap_or(0));
    let page_size = if state.has(Fault::CountIgnored) {
        usize::MAX
    } else {
        requested.unwrap_or(state.config.default_page_size).min(max)
    };
    let mut out = Map::new();
    out.insert("schemas".to_owned(), json!([urn::LIST_RESPONSE]));
    // RFC 9865 §2.3: a cursor-only server pages by cursor even when none was asked for; an
    // index-only one ignores the parameter it does not know.
    let cursor = if state.varies(Variation::CursorOnly) {
        Some(q.cursor.as_deref().unwrap_or(""))
    } else if state.varies(Variation::IndexOnly) {
        None
    } else {
        q.cursor.as_deref()
    };
    let start_index = q
        .start_index
        .filter(|_| !state.varies(Variation::CursorOnly));
    let (total, page) = match cursor {
        None => {
            let start = usize::try_from(start_index.unwrap_or(1))
                .unwrap_or(1)
                .max(1);
            let offset = if state.has(Fault::ZeroBasedStartIndex) {
                start
            } else if state.has(Fault::PageOverlap) {
                start.saturating_sub(2)
            } else {
                start - 1
            };
            let (total, mut page) = index_page(&source, &matcher, offset, page_size);
            if offset == 0 && state.has(Fault::FirstPageEmpty) {
                page.clear();
            }
            out.insert("totalResults".to_owned(), json!(total));
            out.insert("startIndex".to_owned(), json!(start));
            (total, page)
        }
        Some(text) => {
            if start_index.is_some() {
                return Err(invalid_value("use either startIndex or cursor, not both"));
            }
            if requested.is_some_and(|c| c > max) {
                return Err(ApiError::bad_request(
                    ScimType::InvalidCount,
                    format!("count exceeds maxPageSize {max}"),
                ));
            }
            let query = state
                .cursor_key
                .hash_one((kinds, &q.filter, &q.sort_by, q.descending));
            let cursor = decode_cursor(state, tenant_id, text, query)?;
            let page_size = match cursor {
                Some(c)
                    if requested.is_some_and(|r| r != c.count as usize)
                        && !state.has(Fault::CursorCountNotChecked) =>
                {
                    return Err(ApiError::bad_request(
                        ScimType::InvalidCount,
                        format!(
                            "count must stay {} across the pages of a cursor query",
                            c.count
                        ),
                    ));
                }
                Some(c) if !state.has(Fault::CursorCountNotChecked) => c.count as usize,
                _ => page_size,
            };
            let walked = cursor_page(
                state,
                &source,
                &matcher,
                cursor.map(|c| c.position),
                page_size,
            );
            let count = u32::try_from(page_size).unwrap_or(u32::MAX);
            out.insert("totalResults".to_owned(), json!(walked.total));
            if let Some(next) = walked.next {
                out.insert(
                    "nextCursor".to_owned(),
                    json!(Cursor::new(next, count, query).encode(state, tenant_id)),
                );
            }
            if let Some(previous) = walked.previous {
                out.insert(
                    "previousCursor".to_owned(),
                    json!(Cursor::new(previous, count, query).encode(state, tenant_id)),
                );
            }
            (walked.total, walked.page)
        }
    };
    let (total, page) = match over_cap(state, &matcher, total) {
        None => (total, page),
        Some(cap) if state.has(Fault::TooManyTruncated) => {
            out.insert("totalResults".to_owned(), json!(cap));
            (cap, page.into_iter().take(cap).collect())
        }
        Some(cap) => {
            return Err(ApiError::bad_request(
                ScimType::TooMany,
                format!(
                    "the filter yields {total} resources, more than the {cap} this server processes"
                ),
            ));
        }
    };
    if state.has(Fault::TotalResultsIsPageSize) {
        out.insert("totalResults".to_owned(), json!(page.len()));
    }
    if state.has(Fault::TotalResultsIgnoresFilter) && matcher.filter.is_some() {
        let all: usize = kinds.iter().map(|&k| tenant.collection(k).len()).sum();
        out.insert("totalResults".to_owned(), json!(all));
    }
    if !state.has(Fault::ItemsPerPageMissing) {
        out.insert("itemsPerPage".to_owned(), json!(page.len()));
    }
    if state.has(Fault::PagingNumbersAsStrings) {
        for name in ["totalResults", "startIndex", "itemsPerPage"] {
            if let Some(number) = out.get_mut(name) {
                *number = Value::String(number.to_string());
            }
        }
    }
    if page_size > 0 || total == 0 {
        let resources: Vec<Value> = page
            .into_iter()
            .map(|(kind, s)| {
                let mut rendered = tenant.render(state, kind, &s.doc, &q.projection);
                if kind == Kind::Group
                    && state.has(Fault::GroupListOmitsMembers)
                    && let Some(group) = rendered.as_object_mut()
                {
                    group.remove("members");
                }
                rendered
            })
            .collect();
        out.insert("Resources".to_owned(), Value::Array(resources));
    }
    Ok(Value::Object(out))
}

/// The cap a filtered query yielding `total` resources exceeds, under
/// [`Variation::FilterResultCap`] (RFC 7644 §3.4.2.2 tooMany) or [`Fault::TooManyTruncated`].
fn over_cap(state: &AppState, matcher: &Matcher, total: usize) -> Option<usize> {
    // The fault is a server with the same cap that hides it.
    let capped = state.varies(Variation::FilterResultCap) || state.has(Fault::TooManyTruncated);
    (matcher.filter.is_some() && capped && total > FILTER_RESULT_CAP).then_some(FILTER_RESULT_CAP)
}

/// The cursor a request continues from; `None` for the first page.
fn decode_cursor(
    state: &AppState,
    tenant: TenantId,
    text: &str,
    query: u64,
) -> Result<Option<Cursor>, ApiError> {
    if text.is_empty() {
        return Ok(None);
    }
    match Cursor::decode(text, state, tenant, query, state.config.cursor_timeout) {
        Ok(cursor) => Ok(Some(cursor)),
        Err(_) if state.has(Fault::CursorNotValidated) => Ok(None),
        Err(e) => {
            let scim_type = match e {
                CursorError::Invalid => ScimType::InvalidCursor,
                CursorError::Expired => ScimType::ExpiredCursor,
            };
            Err(ApiError::bad_request(scim_type, e.to_string()))
        }
    }
}

type Page<'a> = Vec<(Kind, &'a Stored)>;

/// One index page and the total number of matches, in a single pass.
fn index_page<'a>(
    source: &Source<'a>,
    matcher: &Matcher<'_>,
    offset: usize,
    size: usize,
) -> (usize, Page<'a>) {
    let mut page = Vec::new();
    let mut total = 0;
    let mut visit = |kind: Kind, stored: &'a Stored| {
        if total >= offset && total - offset < size {
            page.push((kind, stored));
        }
        total += 1;
    };
    match source {
        Source::Ordered(kind, rows) if matcher.selects_all() => {
            let page = rows.iter().skip(offset).take(size);
            return (rows.len(), page.map(|s| (*kind, s)).collect());
        }
        Source::Ordered(kind, rows) => rows
            .iter()
            .filter(|s| matcher.matches(*kind, s))
            .for_each(|s| visit(*kind, s)),
        Source::Listed(found) => found.iter().for_each(|&(k, s)| visit(k, s)),
    }
    (total, page)
}

struct CursorPage<'a> {
    total: usize,
    page: Page<'a>,
    next: Option<Position>,
    previous: Option<Position>,
}

/// One cursor page. Unsorted listings resume from a creation sequence number through the
/// ordered index, so neither a resumed page nor `previousCursor` rescans from the start.
fn cursor_page<'a>(
    state: &AppState,
    source: &Source<'a>,
    matcher: &Matcher<'_>,
    from: Option<Position>,
    size: usize,
) -> CursorPage<'a> {
    let skip = usize::from(state.has(Fault::CursorSkipsItem));
    let endless = state.has(Fault::CursorNeverEnds);
    match source {
        Source::Ordered(kind, rows) => {
            let start = match from {
                Some(Position::Seq(seq)) => seq,
                _ => 0,
            };
            let mut walked: Vec<&Stored> = rows
                .starting_at(start)
                .filter(|s| matcher.matches(*kind, s))
                .take(size.saturating_add(1 + skip))
                .collect();
            let mut next = walked
                .get(size.saturating_add(skip))
                .map(|s| Position::Seq(s.seq));
            walked.truncate(size);
            if next.is_none() && endless {
                next = Some(Position::Seq(walked.last().map_or(start, |s| s.seq + 1)));
            }
            let previous = from.and_then(|_| {
                rows.before_seq(start)
                    .filter(|s| matcher.matches(*kind, s))
                    .take(size.max(1))
                    .last()
                    .map(|s| Position::Seq(s.seq))
            });
            let total = if matcher.selects_all() {
                rows.len()
            } else {
                rows.iter().filter(|s| matcher.matches(*kind, s)).count()
            };
            CursorPage {
                total,
                page: walked.into_iter().map(|s| (*kind, s)).collect(),
                next,
                previous,
            }
        }
        Source::Listed(found) => {
            let start = match from {
                Some(Position::Offset(o)) => usize::try_from(o).unwrap_or(usize::MAX),
                _ => 0,
            };
            let page: Page<'a> = found.iter().skip(start).take(size).copied().collect();
            let end = start.saturating_add(size);
            let next = if end < found.len() {
                Some(end + skip)
            } else if endless {
                Some(start + page.len())
            } else {
                None
            };
            let previous = (from.is_some() && start > 0).then(|| start.saturating_sub(size.max(1)));
            let offset = |o: usize| Position::Offset(o as u64);
            CursorPage {
                total: found.len(),
                page,
                next: next.map(offset),
                previous: previous.map(offset),
            }
        }
    }
}

/// A value to sort on; resources without one sort last when ascending (RFC 7644 §3.4.2.3).
#[derive(Debug, PartialEq, PartialOrd)]
enum SortKey {
    Bool(bool),
    Number(f64),
    Text(String),
}

fn sort_key(kind: Kind, doc: &Value, path: &AttrPath) -> Option<SortKey> {
    let resolved = kind.resolve(path)?;
    let container = match resolved.extension {
        Some(urn) => doc.get(urn)?,
        None => doc,
    };
    let mut value = container.get(resolved.attr.name)?;
    if let Value::Array(items) = value {
        // Multi-valued: the primary value, else the first (RFC 7644 §3.4.2.3).
        value = items
            .iter()
            .find(|v| v.get("primary") == Some(&Value::Bool(true)))
            .or_else(|| items.first())?;
    }
    if let Some(sub) = resolved.sub {
        value = value.get(sub.name)?;
    } else if value.is_object() {
        value = value.get("value")?;
    }
    match value {
        Value::Bool(b) => Some(SortKey::Bool(*b)),
        Value::Number(n) => n.as_f64().map(SortKey::Number),
        Value::String(s) if resolved.target().case_exact => Some(SortKey::Text(s.clone())),
        Value::String(s) => Some(SortKey::Text(s.to_lowercase())),
        _ => None,
    }
}

/// Stable sort by `path`; ties keep creation order.
fn sort(found: &mut Vec<(Kind, &Stored)>, path: &AttrPath, descending: bool) {
    let mut keyed: Vec<(Option<SortKey>, (Kind, &Stored))> = found
        .drain(..)
        .map(|(k, s)| (sort_key(k, &s.doc, path), (k, s)))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        let ascending = match (a, b) {
            (Some(a), Some(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        if descending {
            ascending.reverse()
        } else {
            ascending
        }
    });
    found.extend(keyed.into_iter().map(|(_, r)| r));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Users whose names test case folding, look-alikes, dates and emails.
    fn users() -> Collection {
        let docs = [
            json!({"id": "u1", "userName": "Alice@Example.com", "emails": [{"value": "a@x.test"}]}),
            json!({"id": "u2", "userName": "alice@example.com.evil", "externalId": "EXT-1"}),
            json!({"id": "u3", "userName": "bob@example.com", "externalId": "ext-1"}),
            // The Kelvin sign folds to an ASCII `k`.
            json!({"id": "u4", "userName": "\u{212A}elvin", "emails": [{"value": "A@X.TEST"}, {"value": "k@x.test"}]}),
            json!({"id": "u5", "userName": "2024-01-01T00:00:00Z"}),
            json!({"id": "u6", "displayName": "no userName"}),
        ];
        let mut users = Collection::default();
        for (seq, doc) in (1..).zip(docs) {
            users.insert(Stored {
                seq,
                doc,
                version: 1,
            });
        }
        users
    }

    /// What a scan matches, with the schema's `caseExact`, or (`all_exact`, as
    /// [`Fault::UsernameFilterCaseSensitive`] makes userName) every comparison case-exact.
    fn scan(users: &Collection, filter: &Filter, all_exact: bool) -> BTreeSet<u64> {
        let case_exact = |p: &AttrPath| all_exact || Kind::User.case_exact(p);
        users
            .iter()
            .filter(|s| filter.matches(&s.doc, &case_exact))
            .map(|s| s.seq)
            .collect()
    }

    #[test]
    fn indexed_terms_bound_a_query_to_a_superset_of_its_matches() {
        let users = users();
        // (filter, the candidates the indexes give; None: a scan is needed)
        let cases: &[(&str, Option<&[u64]>)] = &[
            (r#"userName eq "ALICE@example.COM""#, Some(&[1])),
            (r#"userName sw "alice@""#, Some(&[1, 2])),
            (r#"userName sw "kel""#, Some(&[4])),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@example.com""#,
                Some(&[3]),
            ),
            (r#"externalId eq "ext-1""#, Some(&[2, 3])),
            (r#"emails.value eq "a@x.test""#, Some(&[1, 4])),
            (r#"id eq "u3""#, Some(&[3])),
            (r#"id eq "U3""#, Some(&[])),
            (r#"userName eq "nobody""#, Some(&[])),
            (r#"userName sw "alice" and active eq true"#, Some(&[1, 2])),
            (
                r#"active eq true and userName eq "bob@example.com""#,
                Some(&[3]),
            ),
            (
                r#"userName eq "bob@example.com" or externalId eq "EXT-1""#,
                Some(&[2, 3]),
            ),
            (r#"userName eq "bob@example.com" or title eq "x""#, None),
            (r#"userName ew ".com""#, None),
            (r#"not (userName eq "bob@example.com")"#, None),
            (r#"emails[value eq "a@x.test"]"#, None),
            (r#"title eq "x""#, None),
            // A dateTime compares chronologically, which no string index can answer.
            (r#"userName eq "2024-01-01T00:00:00.000Z""#, None),
        ];
        for (text, expected) in cases {
            let filter = filter::parse(text).expect(text);
            let found = candidates(Kind::User, &users, &filter);
            let want = expected.map(|e| e.iter().copied().collect::<BTreeSet<u64>>());
            assert_eq!(found, want, "{text}");
            if let Some(found) = found {
                for all_exact in [false, true] {
                    let matched = scan(&users, &filter, all_exact);
                    assert!(matched.is_subset(&found), "{text}: {matched:?} ⊄ {found:?}");
                }
            }
        }
    }

    #[test]
    fn the_indexes_follow_replacements_and_removals() {
        let mut users = users();
        let bob = |users: &Collection| users.lookup(("userName", None), "BOB@", true);
        assert_eq!(bob(&users), Some(BTreeSet::from([3])));
        users.insert(Stored {
            seq: 3,
            doc: json!({"id": "u3", "userName": "robert@example.com"}),
            version: 2,
        });
        assert_eq!(bob(&users), Some(BTreeSet::new()));
        assert_eq!(
            users.lookup(("externalId", None), "ext-1", false),
            Some(BTreeSet::from([2]))
        );
        assert!(users.remove("u1").is_some());
        assert_eq!(
            users.lookup(("emails", Some("value")), "a@x.test", false),
            Some(BTreeSet::from([4]))
        );
        assert_eq!(users.lookup(("title", None), "x", false), None);
        assert_eq!(users.len(), 5);
    }
}
