//! Snapshots of normalized responses, compared with insta.
//!
//! What a server assigns (ids, timestamps, versions, cursors, its own host) and what the run
//! generated (the unique prefix) would change on every run; they become stable placeholders so
//! that a snapshot shows only what the server chose to say.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::Value;

use super::Mismatch;
use crate::redact::Redactor;

/// Everything a snapshot needs to know about where it belongs and what to hide.
pub struct SnapshotContext<'a> {
    /// `snapshots/<target>` — the folder of this target's snapshots.
    pub dir: PathBuf,
    /// The case's area and file stem, e.g. `users` and `create`.
    pub area: &'a str,
    pub stem: &'a str,
    /// The YAML file, recorded in the snapshot's metadata.
    pub case_file: &'a str,
    pub step: usize,
    pub step_name: &'a str,
    pub base_url: &'a str,
    /// Generated values replaced by `[prefix]`, longest first.
    pub prefixes: &'a [&'a str],
    pub redactor: &'a Redactor,
}

/// Normalizes `body` and compares it with the stored snapshot; a difference is a mismatch, and
/// insta writes the new version beside the old as `.snap.new` for `cargo insta review`.
pub fn compare(body: &Value, context: &SnapshotContext<'_>) -> Option<Mismatch> {
    let normalized = normalize(body, context);
    let name = format!("{}--step-{}", context.stem, context.step + 1);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(context.dir.join(context.area));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(context.case_file);
    settings.set_description(format!(
        "{} step {} ({})",
        context.case_file,
        context.step + 1,
        context.step_name
    ));
    quiet_panics_while_comparing();
    COMPARING.with(|flag| flag.set(true));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_json_snapshot!(name.as_str(), normalized));
    }));
    COMPARING.with(|flag| flag.set(false));
    outcome.err().map(|panic| Mismatch {
        subject: "snapshot".into(),
        expected: format!(
            "the stored snapshot {}/{}/{name}.snap",
            context.dir.display(),
            context.area
        ),
        actual: format!(
            "a different body ({}); review with `cargo insta review`, or accept with INSTA_UPDATE=always",
            panic_text(&panic)
        ),
        ..Mismatch::default()
    })
}

thread_local! {
    static COMPARING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// insta reports a difference by panicking; the panic is caught and becomes a mismatch, so the
/// default hook's "thread panicked" noise (and backtrace) is kept off the console for it.
fn quiet_panics_while_comparing() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !COMPARING.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    let text = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("snapshot assertion failed");
    text.lines().next().unwrap_or(text).to_owned()
}

/// Replaces volatile values with placeholders. Ids are numbered by first appearance, so
/// references between resources stay visible (`members[0].value` is `[id-2]`, the second id).
pub fn normalize(body: &Value, context: &SnapshotContext<'_>) -> Value {
    let mut ids = HashMap::new();
    collect_ids(body, &mut ids);
    let mut ordered: Vec<(&String, &usize)> = ids.iter().collect();
    // Longest first so an id that contains another is replaced whole.
    ordered.sort_by_key(|(id, _)| std::cmp::Reverse(id.len()));
    let ordered: Vec<(String, String)> = ordered
        .into_iter()
        .map(|(id, n)| (id.clone(), format!("[id-{n}]")))
        .collect();
    rewrite(body, None, context, &ordered)
}

fn collect_ids(value: &Value, ids: &mut HashMap<String, usize>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                if key.eq_ignore_ascii_case("id")
                    && let Value::String(id) = item
                    && !id.is_empty()
                {
                    let next = ids.len() + 1;
                    ids.entry(id.clone()).or_insert(next);
                }
                collect_ids(item, ids);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_ids(item, ids)),
        _ => {}
    }
}

fn rewrite(
    value: &Value,
    key: Option<&str>,
    context: &SnapshotContext<'_>,
    ids: &[(String, String)],
) -> Value {
    let volatile = key.and_then(|k| {
        let k = k.to_ascii_lowercase();
        match k.as_str() {
            "created" | "lastmodified" => Some("[datetime]"),
            "version" => Some("[version]"),
            "nextcursor" | "previouscursor" => Some("[cursor]"),
            _ => None,
        }
    });
    match value {
        Value::String(_) if volatile.is_some() => {
            Value::String(volatile.unwrap_or_default().into())
        }
        Value::String(text) => Value::String(rewrite_text(text, context, ids)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| rewrite(item, None, context, ids))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    (
                        rewrite_text(k, context, ids),
                        rewrite(v, Some(k), context, ids),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn rewrite_text(text: &str, context: &SnapshotContext<'_>, ids: &[(String, String)]) -> String {
    let mut out = context.redactor.redact(text).into_owned();
    if !context.base_url.is_empty() {
        out = out.replace(context.base_url, "[base]");
    }
    for prefix in context.prefixes {
        if !prefix.is_empty() {
            out = out.replace(prefix, "[prefix]");
        }
    }
    for (id, placeholder) in ids {
        out = out.replace(id.as_str(), placeholder);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_body_that_differs_from_the_stored_snapshot_is_a_mismatch() {
        let dir = std::env::temp_dir().join(format!("scimcheck-snap-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("users")).unwrap();
        std::fs::write(
            dir.join("users/create--step-1.snap"),
            "---\nsource: src/check/snapshot.rs\n---\n{\n  \"active\": true\n}\n",
        )
        .unwrap();
        let redactor = Redactor::default();
        let context = SnapshotContext {
            dir: dir.clone(),
            area: "users",
            stem: "create",
            case_file: "cases/users/create.yaml",
            step: 0,
            step_name: "create",
            base_url: "",
            prefixes: &[],
            redactor: &redactor,
        };
        assert_eq!(compare(&json!({"active": true}), &context), None);
        let mismatch = compare(&json!({"active": false}), &context).expect("a difference");
        assert_eq!(mismatch.subject, "snapshot");
        assert!(
            mismatch.expected.contains("users/create--step-1.snap"),
            "{mismatch}"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn normalizes_ids_times_versions_hosts_prefixes_and_secrets() {
        let mut redactor = Redactor::default();
        redactor.add("s3cret", "scim token");
        let context = SnapshotContext {
            dir: PathBuf::from("unused"),
            area: "users",
            stem: "create",
            case_file: "cases/users/create.yaml",
            step: 0,
            step_name: "create",
            base_url: "http://127.0.0.1:4321/scim/v2",
            prefixes: &["scimcheck-ab12cd-007", "scimcheck-ab12cd"],
            redactor: &redactor,
        };
        let body = json!({
            "id": "u-1",
            "userName": "scimcheck-ab12cd-007-alice@example.com",
            "note": "leaked s3cret",
            "groups": [{"value": "g-22", "$ref": "http://127.0.0.1:4321/scim/v2/Groups/g-22"}],
            "meta": {
                "created": "2026-11-23T10:00:00Z",
                "lastModified": "2026-11-23T10:00:01Z",
                "version": "W/\"3\"",
                "location": "http://127.0.0.1:4321/scim/v2/Users/u-1"
            },
            "Resources": [{"id": "g-22"}],
            "nextCursor": "abc"
        });
        assert_eq!(
            normalize(&body, &context),
            json!({
                "id": "[id-1]",
                "userName": "[prefix]-alice@example.com",
                "note": "leaked [REDACTED scim token]",
                "groups": [{"value": "[id-2]", "$ref": "[base]/Groups/[id-2]"}],
                "meta": {
                    "created": "[datetime]",
                    "lastModified": "[datetime]",
                    "version": "[version]",
                    "location": "[base]/Users/[id-1]"
                },
                "Resources": [{"id": "[id-2]"}],
                "nextCursor": "[cursor]"
            })
        );
    }
}
