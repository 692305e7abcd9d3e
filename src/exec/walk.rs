//! The paging walk: request page after page until the list is done, asserting on every page
//! the invariants of RFC 7644 §3.4.2.4 (index) or RFC 9865 §2 (cursor).
//!
//! Across the walk: no item is repeated, none is lost (the items collected are exactly
//! `totalResults`, and the case's own `total` where given), `totalResults` is stable, and the
//! walk ends within the number of pages the totals allow.

use std::collections::HashSet;

use regex::Regex;
use serde_json::Value;

use super::client::Exchange;
use super::run::{Journal, RunContext, StepError};
use crate::case::model::{Expect, Method, StatusSet, Step, Walk, WalkMode};
use crate::case::template::{self, Scope};
use crate::check::assert::{resolve, show};
use crate::check::{self, CheckContext, Mismatch};

type WalkFailure = (Option<Exchange>, Vec<Mismatch>, Option<StepError>);

/// Pages a server may take beyond what `totalResults` implies before the walk is called endless.
const SLACK_PAGES: u64 = 2;
/// An upper bound when the server gives no total (cursor paging may omit it).
const MAX_PAGES: u64 = 10_000;

pub async fn run(
    walk: &Walk,
    step: &Step,
    scope: &(dyn Scope + Sync),
    context: &RunContext,
    case_rfc: &[String],
    journal: &mut Journal,
) -> Result<(), WalkFailure> {
    let render_error =
        |e: template::RenderError| (None, Vec::new(), Some(StepError::ours(e.to_string())));
    let path = template::render_str(&walk.path, scope).map_err(render_error)?;
    let mut base_query = Vec::new();
    for (name, value) in &walk.query {
        base_query.push((
            name.clone(),
            template::render_str(value, scope).map_err(render_error)?,
        ));
    }
    base_query.push(("count".into(), walk.count.to_string()));
    let mut headers = Vec::new();
    for (name, value) in &walk.headers {
        headers.push((
            name.clone(),
            template::render_str(value, scope).map_err(render_error)?,
        ));
    }
    let url = context.target.url(&path);
    // Every page must answer 200 unless the case says otherwise.
    let expect = Expect {
        status: Some(step.expect.status.clone().unwrap_or(StatusSet(vec![200]))),
        ..step.expect.clone()
    };

    let mut seen: HashSet<String> = HashSet::new();
    let mut first_total: Option<u64> = None;
    let mut next = Position::first(walk.mode);
    let mut page_number = 0u64;
    loop {
        page_number += 1;
        let mut query = base_query.clone();
        query.extend(next.query());
        let exchange = context
            .target
            .send(Method::Get, &url, &query, &headers, None, step.auth)
            .await
            .map_err(|e| {
                let mut error = StepError::from(e);
                error.message = format!("page {page_number}: {}", error.message);
                (None, Vec::new(), Some(error))
            })?;
        journal.sent(&exchange);
        // The page goes with the value, so that the same defect on page 1 and page 3 stays
        // one finding.
        let on_page = |mismatches: Vec<Mismatch>| -> Vec<Mismatch> {
            mismatches
                .into_iter()
                .map(|m| Mismatch {
                    actual: format!("{} (page {page_number})", m.actual),
                    ..m
                })
                .collect()
        };
        let page_fail = |exchange: Exchange, mismatches: Vec<Mismatch>| {
            (Some(exchange), on_page(mismatches), None)
        };
        let check_context = CheckContext {
            schemas: &context.schemas,
            profile: context.profile,
        };
        let checked = check::check(
            &expect,
            &exchange,
            scope,
            &check_context,
            &mut journal.deviations,
        )
        .map_err(|e| (None, Vec::new(), Some(StepError::ours(e.to_string()))))?;
        let (invariants, mismatches): (Vec<_>, Vec<_>) = checked
            .into_iter()
            .partition(|m| m.is_invariant_for(case_rfc));
        if !invariants.is_empty() {
            journal
                .invariant_pages
                .push((exchange.clone(), on_page(invariants)));
        }
        if !mismatches.is_empty() {
            return Err(page_fail(exchange, mismatches));
        }
        let Some(body) = exchange.response.json.clone() else {
            let actual = check::describe_non_json(&exchange.response);
            return Err(page_fail(
                exchange,
                vec![mismatch("body", "a ListResponse", actual)],
            ));
        };
        let page = Page::read(&body);
        let mut problems: Vec<Mismatch> = page
            .not_counts
            .iter()
            .map(|(field, value)| {
                mismatch(
                    field,
                    "a non-negative integer (RFC 7644 §3.4.2)",
                    show(value),
                )
            })
            .collect();

        let total = page.total_results;
        match (first_total, total) {
            (None, _) => first_total = total,
            (Some(first), Some(now)) if first != now => problems.push(mismatch(
                "totalResults",
                format!("{first} on every page (nothing changed in between)"),
                now.to_string(),
            )),
            _ => {}
        }
        let absent = |field: &str| resolve(&body, &format!("/{field}")).is_none_or(Value::is_null);
        if walk.mode == WalkMode::Index && absent("totalResults") {
            problems.push(mismatch(
                "totalResults",
                "an integer (RFC 7644 §3.4.2)",
                absent_or(&body, "/totalResults"),
            ));
        }
        if page.ids.len() as u64 > u64::from(walk.count) {
            problems.push(mismatch(
                "Resources",
                format!("at most count={} items (RFC 7644 §3.4.2.4)", walk.count),
                format!("{} items", page.ids.len()),
            ));
        }
        let partial = total.is_some_and(|t| t > u64::from(walk.count));
        match page.items_per_page {
            Some(n) if n != page.ids.len() as u64 => problems.push(mismatch(
                "itemsPerPage",
                format!("the number of Resources on the page ({})", page.ids.len()),
                n.to_string(),
            )),
            None if partial && absent("itemsPerPage") => problems.push(mismatch(
                "itemsPerPage",
                "present when results are paged (RFC 7644 §3.4.2)",
                absent_or(&body, "/itemsPerPage"),
            )),
            _ => {}
        }
        if let Position::Index(start) = next
            && partial
            && page.start_index != Some(start)
        {
            problems.push(mismatch(
                "startIndex",
                format!("{start}, the requested startIndex (RFC 7644 §3.4.2.4)"),
                absent_or(&body, "/startIndex"),
            ));
        }
        if walk.mode == WalkMode::Cursor {
            problems.extend(cursor_problems(&body, page_number));
        }
        for id in &page.ids {
            if !seen.insert(id.clone()) {
                problems.push(mismatch(
                    "Resources",
                    "no item repeated across pages",
                    format!("id {id:?} again (already on an earlier page)"),
                ));
            }
        }
        if page.missing_ids > 0 {
            problems.push(mismatch(
                "Resources",
                "every item with an `id`",
                format!("{} item(s) without one", page.missing_ids),
            ));
        }
        if !problems.is_empty() {
            return Err(page_fail(exchange, problems));
        }

        let collected = seen.len() as u64;
        let expected_total = walk.total.map(u64::from).or(first_total);
        next = match walk.mode {
            WalkMode::Index => {
                let done = page.ids.is_empty()
                    || expected_total.is_some_and(|t| collected >= t)
                    || total.is_none();
                if done {
                    break;
                }
                Position::Index(next.index().saturating_add(page.ids.len() as u64))
            }
            WalkMode::Cursor => match page.next_cursor {
                Some(cursor) => Position::Cursor(cursor),
                None => break,
            },
        };
        let page_limit = page_limit(expected_total, walk.count);
        if page_number >= page_limit {
            return Err(page_fail(
                exchange,
                vec![mismatch(
                    "paging",
                    format!("the walk to end within {page_limit} pages"),
                    format!("page {page_number} still points to another page"),
                )],
            ));
        }
    }

    let collected = seen.len() as u64;
    let mut problems = Vec::new();
    // Every item the case created found, and totalResults claiming more: the count is wrong,
    // not the pages (whether a page rule saw it first depends on what else the tenant held).
    let all_found = walk
        .total
        .is_some_and(|created| u64::from(created) == collected);
    match first_total {
        Some(total) if total > collected && all_found => problems.push(mismatch(
            "totalResults",
            format!("{collected}, the items the case created, all walked in {page_number} page(s)"),
            format!("{total}, as the first page said"),
        )),
        Some(total) if collected != total => problems.push(mismatch(
            "walk",
            format!("{total} distinct items in all, as totalResults said"),
            format!("{collected} items over {page_number} page(s)"),
        )),
        _ => {}
    }
    if let Some(total) = walk.total
        && collected != u64::from(total)
    {
        problems.push(mismatch(
            "walk",
            format!("{total} distinct items in all (the case created them)"),
            format!("{collected} items over {page_number} page(s)"),
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err((None, problems, None))
    }
}

/// The pages a walk may take: what the total implies at `count` per page, plus some slack, and
/// never more than [`MAX_PAGES`] however large a total the target claims.
fn page_limit(total: Option<u64>, count: u32) -> u64 {
    total
        .map(|t| {
            t.div_ceil(u64::from(count.max(1)))
                .saturating_add(SLACK_PAGES)
        })
        .unwrap_or(MAX_PAGES)
        .min(MAX_PAGES)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Position {
    /// The 1-based `startIndex` to ask for.
    Index(u64),
    /// The `cursor` to send (empty on the first page, RFC 9865 §2).
    Cursor(String),
}

impl Position {
    fn first(mode: WalkMode) -> Position {
        match mode {
            WalkMode::Index => Position::Index(1),
            WalkMode::Cursor => Position::Cursor(String::new()),
        }
    }

    fn query(&self) -> Vec<(String, String)> {
        match self {
            Position::Index(start) => vec![("startIndex".into(), start.to_string())],
            Position::Cursor(cursor) => vec![("cursor".into(), cursor.clone())],
        }
    }

    fn index(&self) -> u64 {
        match self {
            Position::Index(start) => *start,
            Position::Cursor(_) => 0,
        }
    }
}

struct Page {
    total_results: Option<u64>,
    items_per_page: Option<u64>,
    start_index: Option<u64>,
    next_cursor: Option<String>,
    ids: Vec<String>,
    missing_ids: usize,
    /// Paging numbers present but not a non-negative integer (`-1`, `2.5`, `"10"`), by field.
    not_counts: Vec<(&'static str, Value)>,
}

impl Page {
    fn read(body: &Value) -> Page {
        let mut not_counts = Vec::new();
        let mut number = |field: &'static str| {
            let value = resolve(body, &format!("/{field}")).filter(|v| !v.is_null())?;
            let count = value.as_u64();
            if count.is_none() {
                not_counts.push((field, value.clone()));
            }
            count
        };
        let total_results = number("totalResults");
        let items_per_page = number("itemsPerPage");
        let start_index = number("startIndex");
        let resources = resolve(body, "/Resources")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let ids: Vec<String> = resources
            .iter()
            .filter_map(|item| resolve(item, "/id").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        Page {
            total_results,
            items_per_page,
            start_index,
            next_cursor: resolve(body, "/nextCursor")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
            missing_ids: resources.len() - ids.len(),
            ids,
            not_counts,
        }
    }
}

/// RFC 9865 §2: cursors are URL-safe, and the first page has no `previousCursor`.
fn cursor_problems(body: &Value, page_number: u64) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let unreserved = Regex::new("^[A-Za-z0-9._~-]+$").expect("valid pattern");
    for field in ["nextCursor", "previousCursor"] {
        if let Some(value) = resolve(body, &format!("/{field}")).filter(|v| !v.is_null()) {
            let ok = value.as_str().is_some_and(|c| unreserved.is_match(c));
            if !ok {
                out.push(mismatch(
                    field,
                    "a string of URL-safe characters [A-Za-z0-9._~-] (RFC 9865 §2)",
                    show(value),
                ));
            }
        }
    }
    if page_number == 1
        && let Some(previous) = resolve(body, "/previousCursor").filter(|v| !v.is_null())
    {
        out.push(mismatch(
            "previousCursor",
            "absent on the first page (RFC 9865 §2)",
            show(previous),
        ));
    }
    out
}

fn absent_or(body: &Value, pointer: &str) -> String {
    resolve(body, pointer).map_or_else(|| "absent".to_owned(), show)
}

fn mismatch(subject: &str, expected: impl Into<String>, actual: impl Into<String>) -> Mismatch {
    Mismatch {
        subject: subject.to_owned(),
        expected: expected.into(),
        actual: actual.into(),
        // What the walk checks (`itemsPerPage`, `totalResults`, …): the same defect on any page
        // of any walk is one finding.
        pointer: subject.to_owned(),
        ..Mismatch::default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_page_limit_holds_whatever_total_the_target_claims() {
        let cases = [
            (Some(10), 5, 2 + SLACK_PAGES),
            (Some(11), 5, 3 + SLACK_PAGES),
            (Some(0), 5, SLACK_PAGES),
            (None, 5, MAX_PAGES),
            (Some(u64::MAX), 1, MAX_PAGES),
            (Some(u64::MAX - 1), 1, MAX_PAGES),
            (Some(u64::MAX), u32::MAX, MAX_PAGES),
            (Some(7), 0, 7 + SLACK_PAGES),
        ];
        for (total, count, expected) in cases {
            assert_eq!(page_limit(total, count), expected, "{total:?} / {count}");
        }
    }

    #[test]
    fn paging_numbers_that_are_not_counts_are_named() {
        let page = Page::read(&json!({
            "totalResults": 18446744073709551615u64,
            "itemsPerPage": -1,
            "startIndex": 1.5,
            "Resources": [{"id": "a"}, {"name": "no id"}]
        }));
        assert_eq!(page.total_results, Some(u64::MAX));
        assert_eq!(page.items_per_page, None);
        assert_eq!(page.start_index, None);
        assert_eq!(
            page.not_counts,
            vec![("itemsPerPage", json!(-1)), ("startIndex", json!(1.5))]
        );
        assert_eq!(page.ids, vec!["a"]);
        assert_eq!(page.missing_ids, 1);
        let clean = Page::read(&json!({"totalResults": 0, "startIndex": null}));
        assert!(clean.not_counts.is_empty());
    }
}
