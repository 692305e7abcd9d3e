//! Snapshots: what a target answered, step by step, normalized so that two runs against the
//! same target read the same, and stored in insta's `.snap` format under `snapshots/<target>/`
//! (so `cargo insta review` and `scimcheck snapshots review` both work).
//!
//! What a server assigns (ids, timestamps, versions, cursors, its own host), what the run
//! generated (the unique prefix, `${uuid}`) and the order of multi-valued attributes would
//! change on every run; they become stable placeholders and a stable order, so a snapshot shows
//! only what the server chose to say. Secrets are redacted before anything is kept.
//!
//! insta's assertion macros report a difference by panicking, through global settings; a run
//! records hundreds of snapshots from many threads, so the files are read and written here, in
//! insta's format: a YAML header between `---` lines, then the pretty-printed JSON.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use super::drift::{self, Change};
use crate::exec::client::Exchange;
use crate::redact::Redactor;

/// The response headers a snapshot keeps: those an integration reads.
pub const HEADERS: [&str; 4] = ["content-type", "etag", "location", "www-authenticate"];

/// What stands for the resources of a list that the case did not create.
const OTHERS: &str = "[resources this case did not create]";

/// A stored snapshot's extension, and the extension of a new version waiting for review.
pub const SNAP: &str = "snap";
pub const SNAP_NEW: &str = "snap.new";

/// How a run records snapshots.
#[derive(Debug, Clone, Default)]
pub struct SnapshotOptions {
    /// `snapshots/<target>`: stored snapshots are compared and missing ones written; `None`
    /// keeps the records in memory (for `compare`).
    pub dir: Option<PathBuf>,
    /// Record every exchange (`--snapshots`, `compare`), not only the steps whose case says
    /// `snapshot: true`.
    pub every_step: bool,
}

/// One exchange, normalized: `{"request", "status", "headers", "body"}`.
pub type Record = Arc<Value>;

/// Normalizes the exchanges of one case as they happen. Ids are numbered by first appearance
/// across the whole case, so the user a step created is `[id-1]` in every later step too.
#[derive(Debug)]
pub struct Recorder {
    base_url: String,
    /// Generated values replaced by `[prefix]`, longest first; the first is the case's own,
    /// which every resource it creates carries.
    prefixes: Vec<String>,
    redactor: Redactor,
    ids: HashMap<String, usize>,
    /// `(id, placeholder)`, longest id first, so an id that contains another is replaced whole.
    replacements: Vec<(String, String)>,
    /// Every exchange recorded, in order.
    pub records: Vec<Recorded>,
}

/// One exchange a case recorded.
#[derive(Debug)]
pub struct Recorded {
    /// 0-based.
    pub step: usize,
    /// Its place among the step's requests, 1-based.
    pub nth: usize,
    pub record: Record,
    /// What the step's own `snapshot: true` made of it.
    pub asserted: Asserted,
}

/// What a `snapshot: true` step made of its record, so that the end of the case neither
/// counts nor reports it twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asserted {
    /// Not asserted, or its body matched: filed with the others.
    No,
    /// No snapshot was stored: this one is now.
    New,
    /// Its body differed (or the file failed): a mismatch of the step, not drift.
    Failed,
}

impl Recorder {
    pub fn new(base_url: &str, prefixes: &[&str], redactor: &Redactor) -> Recorder {
        let mut prefixes: Vec<String> = prefixes
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| (*p).to_owned())
            .collect();
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
        Recorder {
            base_url: base_url.to_owned(),
            prefixes,
            redactor: redactor.clone(),
            ids: HashMap::new(),
            replacements: Vec::new(),
            records: Vec::new(),
        }
    }

    /// Normalizes and keeps one exchange of `step`.
    pub fn record(&mut self, step: usize, exchange: &Exchange) -> Record {
        let response = &exchange.response;
        let sorted = exchange
            .request
            .url
            .to_ascii_lowercase()
            .contains("sortby=");
        let body = response.json.as_ref().map(|body| self.list(body, sorted));
        let mut record = Map::new();
        let request = format!(
            "{} {}",
            exchange.request.method.as_str(),
            self.text(&without_cursor(&exchange.request.url))
        );
        record.insert("request".into(), request.into());
        record.insert("status".into(), response.status.into());
        let headers: Map<String, Value> = HEADERS
            .iter()
            .filter_map(|name| {
                let value = response.header(name)?;
                let shown = match *name {
                    "etag" if value.starts_with("W/") => "W/[version]".to_owned(),
                    "etag" => "[version]".to_owned(),
                    "content-type" => value.to_ascii_lowercase(),
                    _ => self.text(value),
                };
                Some(((*name).to_owned(), Value::String(shown)))
            })
            .collect();
        record.insert("headers".into(), Value::Object(headers));
        match body {
            Some(body) => {
                record.insert("body".into(), body);
            }
            None if !response.body.is_empty() => {
                record.insert("body".into(), "[not JSON]".into());
            }
            None => {}
        }
        let record = Arc::new(Value::Object(record));
        let nth = 1 + self.records.iter().filter(|r| r.step == step).count();
        self.records.push(Recorded {
            step,
            nth,
            record: record.clone(),
            asserted: Asserted::No,
        });
        record
    }

    /// A body normalized; a list's `Resources` in a form two runs agree on. Which resources a
    /// shared tenant holds besides the case's own is not the case's to know (nor to record):
    /// they become one placeholder, and the counts that depend on them `[count]`. Which of its
    /// own an unsorted list puts on a partial page is the server's choice: those become their
    /// shape (names and types). The items of a whole unsorted list are sorted.
    fn list(&mut self, body: &Value, sorted: bool) -> Value {
        let Some((key, items)) = body.as_object().and_then(|map| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("Resources"))
                .and_then(|(k, v)| Some((k.clone(), v.as_array()?)))
        }) else {
            self.learn_ids(body);
            return self.value(body, None);
        };
        let own_prefix = self.prefixes.first().map(|p| p.to_ascii_lowercase());
        let (own, foreign): (Vec<&Value>, Vec<&Value>) = items.iter().partition(|item| {
            !tenant_resource(item)
                || own_prefix
                    .as_ref()
                    .is_none_or(|p| item.to_string().to_ascii_lowercase().contains(p.as_str()))
        });
        let field = |name: &str| {
            body.as_object()
                .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                .map(|(_, v)| v)
        };
        let partial = !sorted
            && (field("nextCursor").is_some()
                || field("totalResults")
                    .and_then(Value::as_u64)
                    .is_some_and(|total| total > items.len() as u64));
        let mut rest = body.clone();
        if let Some(map) = rest.as_object_mut() {
            map.remove(&key);
        }
        self.learn_ids(&rest);
        let mut listed: Vec<Value> = if partial {
            own.iter().map(|item| drift::shape(item)).collect()
        } else {
            own.iter()
                .map(|item| {
                    self.learn_ids(item);
                    self.value(item, None)
                })
                .collect()
        };
        if !sorted {
            listed.sort_by_cached_key(Value::to_string);
        }
        if partial {
            listed.dedup();
        }
        // Neither their values nor their number nor their shape: they are whatever else the
        // tenant holds at that moment.
        if !foreign.is_empty() {
            listed.push(Value::String(OTHERS.into()));
        }
        let mut out = self.value(&rest, None);
        if let Some(map) = out.as_object_mut() {
            if !foreign.is_empty() {
                for (k, v) in map.iter_mut() {
                    if k.eq_ignore_ascii_case("totalResults")
                        || k.eq_ignore_ascii_case("itemsPerPage")
                    {
                        *v = Value::String("[count]".into());
                    }
                }
            }
            map.insert(key, Value::Array(listed));
        }
        out
    }

    fn learn_ids(&mut self, body: &Value) {
        let before = self.ids.len();
        collect_ids(body, &mut self.ids);
        if self.ids.len() != before {
            self.replacements = self
                .ids
                .iter()
                .map(|(id, n)| (id.clone(), format!("[id-{n}]")))
                .collect();
            self.replacements
                .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        }
    }

    fn value(&self, value: &Value, key: Option<&str>) -> Value {
        let volatile = key.and_then(|k| match k.to_ascii_lowercase().as_str() {
            "created" | "lastmodified" => Some("[datetime]"),
            "version" => Some("[version]"),
            "nextcursor" | "previouscursor" => Some("[cursor]"),
            _ => None,
        });
        match (value, volatile) {
            (Value::String(_), Some(placeholder)) => Value::String(placeholder.into()),
            (Value::String(text), None) => Value::String(self.text(text)),
            (Value::Array(items), _) => {
                let mut items: Vec<Value> = items.iter().map(|v| self.value(v, None)).collect();
                // Multi-valued attributes are unordered (RFC 7643 §2.4); a list's Resources and
                // a Bulk response's Operations are in the order the server chose to answer.
                if !matches!(key, Some("Resources" | "Operations")) {
                    items.sort_by_cached_key(Value::to_string);
                }
                Value::Array(items)
            }
            (Value::Object(map), _) => Value::Object(
                map.iter()
                    .map(|(k, v)| (self.text(k), self.value(v, Some(k))))
                    .collect(),
            ),
            (other, _) => other.clone(),
        }
    }

    fn text(&self, text: &str) -> String {
        let mut out = self.redactor.redact(text).into_owned();
        if !self.base_url.is_empty() {
            out = out.replace(&self.base_url, "[base]");
        }
        for prefix in &self.prefixes {
            // A case may send its prefix upper-cased (a uniqueness check that ignores case).
            if prefix.len() <= out.len() {
                out = replace_ignoring_case(&out, prefix, "[prefix]");
            }
        }
        // Most ids stand alone (`id`, `value`); only a longer text (a URL, a message) can hold
        // one inside, and a case that made a hundred users has a hundred to look for.
        if let Some(n) = self.ids.get(&out) {
            return format!("[id-{n}]");
        }
        let shortest = self
            .replacements
            .last()
            .map_or(usize::MAX, |(id, _)| id.len());
        if out.len() > shortest {
            for (id, placeholder) in &self.replacements {
                if out.contains(id.as_str()) {
                    out = out.replace(id.as_str(), placeholder);
                }
            }
        }
        replace_uuids(&out)
    }
}

/// A User or Group (or another resource a tenant holds), as opposed to a schema or a resource
/// type listed by discovery.
fn tenant_resource(item: &Value) -> bool {
    let schemas = item
        .as_object()
        .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case("schemas")))
        .and_then(|(_, v)| v.as_array());
    schemas.is_some_and(|schemas| {
        schemas.iter().filter_map(Value::as_str).any(|urn| {
            let urn = urn.to_ascii_lowercase();
            urn.ends_with(":user") || urn.ends_with(":group")
        })
    })
}

/// The URL with the value of its `cursor` parameter (opaque, new on every run) replaced.
fn without_cursor(url: &str) -> String {
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        return url.to_owned();
    };
    if !parsed.query_pairs().any(|(k, _)| k == "cursor") {
        return url.to_owned();
    }
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "cursor" && !v.is_empty() {
                "[cursor]".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

/// `text` with every occurrence of `pattern`, in any ASCII case, replaced.
fn replace_ignoring_case(text: &str, pattern: &str, with: &str) -> String {
    if pattern.is_empty() {
        return text.to_owned();
    }
    let lower = text.to_ascii_lowercase();
    let pattern = pattern.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    // ASCII lower-casing keeps byte offsets, so positions in `lower` are positions in `text`.
    for (at, _) in lower.match_indices(&pattern) {
        if at >= copied {
            out.push_str(&text[copied..at]);
            out.push_str(with);
            copied = at + pattern.len();
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The ids of the tenant's resources in `value`; the ids of schemas and resource types
/// (`User`, a URN) are names, not server-assigned values.
fn collect_ids(value: &Value, ids: &mut HashMap<String, usize>) {
    match value {
        Value::Object(map) => {
            let resource = tenant_resource(value);
            for (key, item) in map {
                if resource
                    && key.eq_ignore_ascii_case("id")
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

/// `${uuid}` and ids the case only sent (an unknown id it asked for) change on every run.
fn replace_uuids(text: &str) -> String {
    const LEN: usize = 36;
    let is_uuid = |s: &[u8]| {
        s.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
    };
    let bytes = text.as_bytes();
    if bytes.len() < LEN {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut copied = 0;
    while at + LEN <= bytes.len() {
        if is_uuid(&bytes[at..at + LEN]) {
            out.push_str(&text[copied..at]);
            out.push_str("[uuid]");
            at += LEN;
            copied = at;
        } else {
            at += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The paging numbers of a list response (`totalResults`, `itemsPerPage`, `startIndex`) and
/// whether it offers a next cursor; `None` for anything else.
pub fn paging(record: &Value) -> Option<Value> {
    let body = record.get("body")?.as_object()?;
    if !body.contains_key("Resources") && !body.contains_key("totalResults") {
        return None;
    }
    let mut out = Map::new();
    for key in ["totalResults", "itemsPerPage", "startIndex"] {
        if let Some(value) = body.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    out.insert("nextCursor".into(), body.contains_key("nextCursor").into());
    Some(Value::Object(out))
}

/// Where the snapshots of one exchange live, relative to `snapshots/<target>`: the case's id as
/// folders, then `<name>--step-<n>` (`-<k>` for the k-th exchange of a step that sends several).
pub fn file_stem(case_id: &str, step: usize, nth: usize) -> PathBuf {
    let mut parts: Vec<&str> = case_id.split("::").collect();
    let name = parts.pop().unwrap_or(case_id);
    let mut path: PathBuf = parts.iter().collect();
    let suffix = if nth > 1 {
        format!("-{nth}")
    } else {
        String::new()
    };
    path.push(format!("{name}--step-{}{suffix}", step + 1));
    path
}

/// The inverse of [`file_stem`]: case id, step (1-based) and place in the step.
pub fn parse_stem(relative: &Path) -> Option<(String, usize, usize)> {
    let name = relative.file_name()?.to_str()?;
    let name = name
        .strip_suffix(&format!(".{SNAP_NEW}"))
        .or_else(|| name.strip_suffix(&format!(".{SNAP}")))?;
    let (case, step) = name.rsplit_once("--step-")?;
    let (step, nth) = match step.split_once('-') {
        Some((step, nth)) => (step.parse().ok()?, nth.parse().ok()?),
        None => (step.parse().ok()?, 1),
    };
    let mut id: Vec<String> = relative
        .parent()?
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    id.push(case.to_owned());
    Some((id.join("::"), step, nth))
}

/// What a snapshot file says besides its content.
pub struct Header<'a> {
    /// The case file, `cases/users/create.yaml`.
    pub case_file: &'a str,
    pub step: usize,
    pub step_name: &'a str,
}

/// How a recorded exchange compared with its stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Same,
    /// None was stored: this one is now.
    New,
    /// It differs: the new version waits beside the old as `.snap.new`.
    Drift(Vec<Change>),
}

/// A snapshot that could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("failed to {action} {}: {source}", path.display())]
pub struct SnapshotError {
    action: &'static str,
    path: PathBuf,
    source: std::io::Error,
}

/// What of a record is compared with its snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Request, status, headers and body: drift (`--snapshots`).
    Whole,
    /// The body alone: a case's `snapshot: true`, which asserts what the server returns.
    Body,
}

impl Part {
    fn of(self, record: &Value) -> Value {
        match self {
            Part::Whole => record.clone(),
            Part::Body => record.get("body").cloned().unwrap_or(Value::Null),
        }
    }
}

/// Compares `part` of `record` with the snapshot stored at `dir/stem.snap`: writes the record
/// there when none is, writes `.snap.new` beside it when it differs, and removes a stale
/// `.snap.new` when it no longer does.
pub fn store(
    dir: &Path,
    stem: &Path,
    header: &Header<'_>,
    record: &Value,
    part: Part,
) -> Result<Stored, SnapshotError> {
    let path = dir.join(stem).with_extension(SNAP);
    let pending = dir.join(stem).with_extension(SNAP_NEW);
    fn error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> SnapshotError {
        let path = path.to_owned();
        move |source| SnapshotError {
            action,
            path,
            source,
        }
    }
    let stored = match std::fs::read_to_string(&path) {
        Ok(text) => Some(content(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(error("read", &path)(e)),
    };
    let write = |to: &Path| {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(error("create", parent))?;
        }
        std::fs::write(to, render(header, record)).map_err(error("write", to))
    };
    match stored {
        None => {
            write(&path)?;
            Ok(Stored::New)
        }
        Some(Some(old)) if part.of(&old) == part.of(record) => {
            match std::fs::remove_file(&pending) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(error("remove", &pending)(e));
                }
                _ => {}
            }
            Ok(Stored::Same)
        }
        Some(old) => {
            write(&pending)?;
            // A snapshot that is not JSON (edited by hand, or written by an older scimcheck
            // with the body alone) differs as a whole.
            let old = old.unwrap_or(Value::Null);
            Ok(Stored::Drift(drift::diff(&part.of(&old), &part.of(record))))
        }
    }
}

/// A `.snap` file's content, parsed: what follows the header. `None` when it is not JSON.
pub fn content(text: &str) -> Option<Value> {
    let body = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(text, |(_, body)| body);
    serde_json::from_str(body).ok()
}

/// A snapshot file in insta's format. Header values are JSON strings, which YAML reads as
/// double-quoted scalars.
pub fn render(header: &Header<'_>, record: &Value) -> String {
    let quote = |text: &str| Value::String(text.to_owned()).to_string();
    let description = format!(
        "{} step {} ({})",
        header.case_file,
        header.step + 1,
        header.step_name
    );
    // A `Value` always serializes.
    let body = serde_json::to_string_pretty(record).unwrap_or_default();
    format!(
        "---\nsource: {}\ndescription: {}\ninput_file: {}\n---\n{body}\n",
        quote(header.case_file),
        quote(&description),
        quote(header.case_file)
    )
}

/// A step whose response differs from its stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// 1-based, as reports number steps.
    pub step: usize,
    pub step_name: String,
    /// The snapshot, relative to the snapshot folder, without extension.
    pub snapshot: String,
    pub changes: Vec<Change>,
}

/// What a case's snapshots came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseSnapshots {
    pub same: u32,
    pub new: u32,
    pub drift: Vec<Drift>,
    /// Snapshots that could not be read or written.
    pub errors: Vec<String>,
}

impl CaseSnapshots {
    /// Files every record a `snapshot: true` step did not already store or fail.
    pub fn settle(
        records: &[Recorded],
        dir: &Path,
        case_id: &str,
        case_file: &str,
        step_name: impl Fn(usize) -> String,
    ) -> CaseSnapshots {
        let mut out = CaseSnapshots::default();
        for recorded in records {
            let Recorded {
                step,
                nth,
                record,
                asserted,
            } = recorded;
            match asserted {
                Asserted::Failed => continue,
                Asserted::New => {
                    out.new += 1;
                    continue;
                }
                Asserted::No if record.get("body").is_none() => continue,
                Asserted::No => {}
            }
            let stem = file_stem(case_id, *step, *nth);
            let name = step_name(*step);
            let header = Header {
                case_file,
                step: *step,
                step_name: &name,
            };
            match store(dir, &stem, &header, record, Part::Whole) {
                Ok(Stored::Same) => out.same += 1,
                Ok(Stored::New) => out.new += 1,
                Ok(Stored::Drift(changes)) => out.drift.push(Drift {
                    step: step + 1,
                    step_name: name,
                    snapshot: stem.display().to_string(),
                    changes,
                }),
                Err(error) => out.errors.push(error.to_string()),
            }
        }
        out
    }
}

/// Every `.snap` (or, with `pending`, `.snap.new`) file below `dir`, relative to it, sorted.
pub fn list(dir: &Path, pending: bool) -> std::io::Result<Vec<PathBuf>> {
    let suffix = format!(".{}", if pending { SNAP_NEW } else { SNAP });
    let mut out = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.to_string_lossy().ends_with(&suffix)
                && let Ok(relative) = path.strip_prefix(dir)
            {
                out.push(relative.to_owned());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A change with the value before and after it (`None`: absent on that side).
pub type ChangedValue = (Change, Option<Value>, Option<Value>);

/// A new version of a snapshot waiting beside the stored one (`.snap.new`) for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Relative to the folder reviewed, without extension: `mock/users/create--step-2`.
    pub stem: PathBuf,
    /// The case id its path spells (`mock::users::create` below `snapshots/`).
    pub case: String,
    pub step: usize,
}

impl Pending {
    /// Every `.snap.new` below `dir` whose case id contains one of `filters` (all without).
    pub fn find(dir: &Path, filters: &[String]) -> Result<Vec<Pending>, SnapshotError> {
        let listed = list(dir, true).map_err(|source| SnapshotError {
            action: "list",
            path: dir.to_owned(),
            source,
        })?;
        Ok(listed
            .into_iter()
            .filter_map(|relative| {
                let (case, step, _) = parse_stem(&relative)?;
                let name = relative.to_string_lossy();
                let stem = PathBuf::from(name.strip_suffix(&format!(".{SNAP_NEW}"))?);
                Some(Pending { stem, case, step })
            })
            .filter(|p| filters.is_empty() || filters.iter().any(|f| p.case.contains(f.as_str())))
            .collect())
    }

    fn path(&self, dir: &Path, extension: &str) -> PathBuf {
        dir.join(&self.stem).with_extension(extension)
    }

    /// What changed from the stored snapshot (none stored: everything is new), each change
    /// with the old and the new value at its pointer.
    pub fn changes(&self, dir: &Path) -> Result<Vec<ChangedValue>, SnapshotError> {
        let read = |path: PathBuf| match std::fs::read_to_string(&path) {
            Ok(text) => Ok(content(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SnapshotError {
                action: "read",
                path,
                source,
            }),
        };
        let old = read(self.path(dir, SNAP))?.unwrap_or(Value::Null);
        let new = read(self.path(dir, SNAP_NEW))?.unwrap_or(Value::Null);
        let at = |value: &Value, pointer: &str| match pointer {
            "/" => Some(value.clone()),
            pointer => value.pointer(pointer).cloned(),
        };
        Ok(drift::diff(&old, &new)
            .into_iter()
            .map(|change| {
                let (before, after) = (at(&old, &change.pointer), at(&new, &change.pointer));
                (change, before, after)
            })
            .collect())
    }

    /// The new version becomes the stored snapshot.
    pub fn accept(&self, dir: &Path) -> Result<(), SnapshotError> {
        let to = self.path(dir, SNAP);
        std::fs::rename(self.path(dir, SNAP_NEW), &to).map_err(|source| SnapshotError {
            action: "accept",
            path: to,
            source,
        })
    }

    /// The new version is dropped; the stored snapshot stays.
    pub fn reject(&self, dir: &Path) -> Result<(), SnapshotError> {
        let path = self.path(dir, SNAP_NEW);
        std::fs::remove_file(&path).map_err(|source| SnapshotError {
            action: "reject",
            path,
            source,
        })
    }
}

/// The snapshots of a folder as steps: case id → (step, place in the step) → record.
pub type Folder = BTreeMap<String, BTreeMap<(usize, usize), Value>>;

/// Reads every stored snapshot below `dir`; files that are not snapshots are left out.
pub fn read_folder(dir: &Path) -> Result<Folder, SnapshotError> {
    let listed = list(dir, false).map_err(|source| SnapshotError {
        action: "list",
        path: dir.to_owned(),
        source,
    })?;
    let mut out = Folder::new();
    for relative in listed {
        let path = dir.join(&relative);
        let text = std::fs::read_to_string(&path).map_err(|source| SnapshotError {
            action: "read",
            path: path.clone(),
            source,
        })?;
        if let (Some((case, step, nth)), Some(record)) = (parse_stem(&relative), content(&text)) {
            out.entry(case).or_default().insert((step, nth), record);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::case::{Auth, model::Method};
    use crate::exec::client::{Response, SentRequest};

    fn exchange(
        method: Method,
        url: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: Value,
    ) -> Exchange {
        Exchange {
            request: SentRequest {
                method,
                url: url.into(),
                auth: Auth::Scim,
                headers: Vec::new(),
                body: None,
            },
            response: Response {
                status,
                headers: headers
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                    .collect(),
                body: body.to_string(),
                json: Some(body),
                elapsed: std::time::Duration::ZERO,
            },
        }
    }

    const BASE: &str = "http://127.0.0.1:4321/scim/v2";

    fn recorder(redactor: &Redactor) -> Recorder {
        Recorder::new(
            BASE,
            &["scimcheck-ab12cd", "scimcheck-ab12cd-007"],
            redactor,
        )
    }

    const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
    const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

    #[test]
    fn normalizes_ids_times_versions_hosts_prefixes_uuids_and_secrets() {
        let mut redactor = Redactor::default();
        redactor.add("s3cret", "scim token");
        let mut recorder = recorder(&redactor);
        let body = json!({
            "schemas": [USER],
            "id": "u-1",
            "userName": "scimcheck-ab12cd-007-alice@example.com",
            "nickName": "SCIMCHECK-AB12CD-007-ALICE",
            "note": "leaked s3cret",
            "detail": "no user 0f8fad5b-d9cb-469f-a165-70867728950e",
            "groups": [{"value": "g-22", "$ref": "http://127.0.0.1:4321/scim/v2/Groups/g-22"}],
            "meta": {
                "created": "2026-11-23T10:00:00Z",
                "lastModified": "2026-11-23T10:00:01Z",
                "version": "W/\"3\"",
                "location": "http://127.0.0.1:4321/scim/v2/Users/u-1"
            },
            "enterprise": {"schemas": [GROUP], "id": "g-22"}
        });
        let record = recorder.record(
            1,
            &exchange(
                Method::Get,
                &format!("{BASE}/Users/u-1?cursor=abc&count=1"),
                200,
                &[
                    ("etag", "W/\"3\""),
                    ("content-type", "Application/SCIM+json"),
                    ("x-other", "1"),
                ],
                body,
            ),
        );
        assert_eq!(
            *record,
            json!({
                "request": "GET [base]/Users/[id-1]?cursor=%5Bcursor%5D&count=1",
                "status": 200,
                "headers": {"content-type": "application/scim+json", "etag": "W/[version]"},
                "body": {
                    "schemas": [USER],
                    "id": "[id-1]",
                    "userName": "[prefix]-alice@example.com",
                    "nickName": "[prefix]-ALICE",
                    "note": "leaked [REDACTED scim token]",
                    "detail": "no user [uuid]",
                    "groups": [{"value": "[id-2]", "$ref": "[base]/Groups/[id-2]"}],
                    "meta": {
                        "created": "[datetime]",
                        "lastModified": "[datetime]",
                        "version": "[version]",
                        "location": "[base]/Users/[id-1]"
                    },
                    "enterprise": {"schemas": [GROUP], "id": "[id-2]"}
                }
            })
        );
        assert_eq!(paging(&record), None, "not a list");
        let resource_type = exchange(
            Method::Get,
            &format!("{BASE}/ResourceTypes/User"),
            200,
            &[],
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User", "endpoint": "/Users"}),
        );
        let record = recorder.record(2, &resource_type);
        assert_eq!(
            record["body"]["endpoint"],
            json!("/Users"),
            "a resource type's id is a name, not a value to hide"
        );
    }

    #[test]
    fn ids_keep_their_number_across_steps_and_multi_valued_attributes_their_order() {
        let redactor = Redactor::default();
        let mut recorder = recorder(&redactor);
        let user = json!({"schemas": [USER], "id": "zz", "userName": "scimcheck-ab12cd-007-a"});
        recorder.record(
            0,
            &exchange(
                Method::Post,
                &format!("{BASE}/Users"),
                201,
                &[],
                user.clone(),
            ),
        );
        let group = |members: Value| {
            let body = json!({"schemas": [GROUP], "id": "g", "members": members});
            exchange(Method::Get, &format!("{BASE}/Groups/g"), 200, &[], body)
        };
        let one = recorder.record(1, &group(json!([{"value": "zz"}, {"value": "g"}])));
        let other = recorder.record(1, &group(json!([{"value": "g"}, {"value": "zz"}])));
        assert_eq!(
            one["body"], other["body"],
            "a reordered multi-valued attribute is the same"
        );
        assert_eq!(
            one["body"]["members"][0]["value"],
            json!("[id-1]"),
            "the user of step 1"
        );
        let places: Vec<(usize, usize)> =
            recorder.records.iter().map(|r| (r.step, r.nth)).collect();
        assert_eq!(places, [(0, 1), (1, 1), (1, 2)]);

        let own = |name: &str| json!({"schemas": [USER], "id": format!("id-{name}"), "userName": format!("scimcheck-ab12cd-007-{name}")});
        let list = |url: &str, body: Value| recorder_list(url, body);
        let sorted = list(
            "/Users?sortBy=userName",
            json!({"totalResults": 2, "Resources": [own("b"), own("a")]}),
        );
        let unsorted = list(
            "/Users",
            json!({"totalResults": 2, "Resources": [own("b"), own("a")]}),
        );
        let mut recorder = recorder_for_lists();
        let sorted = recorder.record(2, &sorted);
        assert_eq!(
            sorted["body"]["Resources"][0]["userName"],
            json!("[prefix]-b"),
            "a sorted list keeps the server's order"
        );
        let unsorted = recorder.record(3, &unsorted);
        let reordered = list(
            "/Users",
            json!({"totalResults": 2, "Resources": [own("a"), own("b")]}),
        );
        let reordered = recorder.record(3, &reordered);
        assert_eq!(
            unsorted["body"], reordered["body"],
            "an unsorted list is sorted"
        );
        let foreign = json!({"schemas": [USER], "id": "x", "userName": "someone@corp.example", "title": "CFO"});
        let shared = list(
            "/Users",
            json!({"totalResults": 3, "itemsPerPage": 3, "startIndex": 1, "Resources": [own("a"), foreign]}),
        );
        let shared = recorder.record(4, &shared);
        let text = shared.to_string();
        assert!(!text.contains("someone") && !text.contains("CFO"), "{text}");
        assert_eq!(shared["body"]["totalResults"], json!("[count]"), "{text}");
        assert_eq!(shared["body"]["Resources"][1], json!(OTHERS));
        assert_eq!(
            paging(&shared),
            Some(
                json!({"totalResults": "[count]", "itemsPerPage": "[count]", "startIndex": 1, "nextCursor": false})
            )
        );
        let page = list(
            "/Users?count=1",
            json!({"totalResults": 2, "Resources": [own("b")]}),
        );
        let page = recorder.record(5, &page);
        assert_eq!(
            page["body"]["Resources"],
            json!([{"schemas": ["string"], "id": "string", "userName": "string"}]),
            "which item an unsorted page holds is the server's choice"
        );
    }

    fn recorder_list(path: &str, body: Value) -> Exchange {
        exchange(Method::Get, &format!("{BASE}{path}"), 200, &[], body)
    }

    fn recorder_for_lists() -> Recorder {
        recorder(&Redactor::default())
    }

    #[test]
    fn a_stored_snapshot_is_written_once_then_compared_and_a_difference_waits_for_review() {
        let dir = std::env::temp_dir().join(format!("scimcheck-snap-{}", uuid::Uuid::new_v4()));
        let stem = file_stem("users::create", 1, 1);
        assert_eq!(stem, Path::new("users/create--step-2"));
        let header = Header {
            case_file: "cases/users/create.yaml",
            step: 1,
            step_name: "read: it back",
        };
        let first = json!({"status": 200, "body": {"active": true}});
        assert_eq!(
            store(&dir, &stem, &header, &first, Part::Whole).unwrap(),
            Stored::New
        );
        assert_eq!(
            store(&dir, &stem, &header, &first, Part::Whole).unwrap(),
            Stored::Same
        );
        let text = std::fs::read_to_string(dir.join("users/create--step-2.snap")).unwrap();
        assert!(text.starts_with("---\nsource: \"cases/users/create.yaml\"\ndescription: \"cases/users/create.yaml step 2 (read: it back)\"\n"), "{text}");
        let changed = json!({"status": 200, "body": {"active": "true"}});
        let Stored::Drift(changes) = store(&dir, &stem, &header, &changed, Part::Whole).unwrap()
        else {
            panic!("a difference");
        };
        assert_eq!(
            changes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["/body/active type changed"]
        );
        let pending = dir.join("users/create--step-2.snap.new");
        assert_eq!(
            content(&std::fs::read_to_string(&pending).unwrap()),
            Some(changed)
        );
        assert_eq!(
            store(&dir, &stem, &header, &first, Part::Whole).unwrap(),
            Stored::Same
        );
        assert!(
            !pending.exists(),
            "back to the stored version: nothing is pending"
        );
        let other_header =
            json!({"status": 200, "headers": {"etag": "[version]"}, "body": {"active": true}});
        assert_eq!(
            store(&dir, &stem, &header, &other_header, Part::Body).unwrap(),
            Stored::Same,
            "only the body is asserted"
        );
        assert!(
            matches!(store(&dir, &stem, &header, &other_header, Part::Whole).unwrap(), Stored::Drift(c) if c[0].to_string() == "/headers added")
        );
        // Written before records carried the request, status and headers: the body alone.
        let body_only = &first["body"];
        std::fs::write(
            dir.join("users/create--step-2.snap"),
            format!("---\nsource: x\n---\n{body_only}\n"),
        )
        .unwrap();
        assert!(
            matches!(store(&dir, &stem, &header, &first, Part::Whole).unwrap(), Stored::Drift(c) if c.contains(&Change { pointer: "/body".into(), kind: drift::ChangeKind::Added }))
        );
        let folder = read_folder(&dir).unwrap();
        assert_eq!(folder["users::create"][&(2, 1)], json!({"active": true}));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn pending_snapshots_are_found_by_case_shown_accepted_and_rejected() {
        let dir = std::env::temp_dir().join(format!("scimcheck-pending-{}", uuid::Uuid::new_v4()));
        let header = |step| Header {
            case_file: "cases/users/create.yaml",
            step,
            step_name: "x",
        };
        for (case, old, new) in [
            (
                "users::create",
                json!({"body": {"a": 1}}),
                json!({"body": {"a": 2}}),
            ),
            (
                "groups::create",
                json!({"body": {"b": 1}}),
                json!({"body": {}}),
            ),
        ] {
            let stem = file_stem(case, 0, 1);
            store(&dir, &stem, &header(0), &old, Part::Whole).unwrap();
            store(&dir, &stem, &header(0), &new, Part::Whole).unwrap();
        }
        let all = Pending::find(&dir, &[]).unwrap();
        let cases: Vec<&str> = all.iter().map(|p| p.case.as_str()).collect();
        assert_eq!(cases, ["groups::create", "users::create"]);
        let users = Pending::find(&dir, &["users::".to_owned()]).unwrap();
        assert_eq!(users.len(), 1);
        let changes = users[0].changes(&dir).unwrap();
        assert_eq!(changes[0].0.to_string(), "/body/a value changed");
        assert_eq!(
            (changes[0].1.clone(), changes[0].2.clone()),
            (Some(json!(1)), Some(json!(2)))
        );
        users[0].accept(&dir).unwrap();
        assert_eq!(
            content(&std::fs::read_to_string(dir.join("users/create--step-1.snap")).unwrap()),
            Some(json!({"body": {"a": 2}}))
        );
        let groups = Pending::find(&dir, &["groups::".to_owned()]).unwrap();
        groups[0].reject(&dir).unwrap();
        assert_eq!(Pending::find(&dir, &[]).unwrap(), []);
        assert_eq!(
            content(&std::fs::read_to_string(dir.join("groups/create--step-1.snap")).unwrap()),
            Some(json!({"body": {"b": 1}})),
            "a rejected version leaves the stored one"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn insta_reads_the_files_as_its_own() {
        let dir = std::env::temp_dir().join(format!("scimcheck-insta-{}", uuid::Uuid::new_v4()));
        let stem = file_stem("users::create", 1, 1);
        let header = Header {
            case_file: "cases/users/create.yaml",
            step: 1,
            step_name: "read \"it\": back # now",
        };
        let record = json!({"status": 200, "body": {"userName": "[prefix]-a", "emails": []}});
        store(&dir, &stem, &header, &record, Part::Whole).unwrap();
        let path = dir.join(&stem).with_extension(SNAP);
        let snapshot = insta::Snapshot::from_file(&path).expect("insta reads it");
        assert_eq!(
            snapshot.metadata().description(),
            Some("cases/users/create.yaml step 2 (read \"it\": back # now)")
        );
        assert_eq!(
            snapshot.metadata().input_file(),
            Some("cases/users/create.yaml")
        );
        let text = snapshot.contents().as_text().expect("text").to_string();
        assert_eq!(serde_json::from_str::<Value>(&text).ok(), Some(record));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn file_names_hold_the_case_id_the_step_and_the_place_in_the_step() {
        for (id, step, nth, file) in [
            ("users::create", 0, 1, "users/create--step-1"),
            (
                "auth::other-tenant::patch",
                2,
                3,
                "auth/other-tenant/patch--step-3-3",
            ),
        ] {
            let stem = file_stem(id, step, nth);
            assert_eq!(stem, Path::new(file));
            let snap = stem.with_extension(SNAP);
            assert_eq!(parse_stem(&snap), Some((id.to_owned(), step + 1, nth)));
            let pending = stem.with_extension(SNAP_NEW);
            assert_eq!(parse_stem(&pending), Some((id.to_owned(), step + 1, nth)));
        }
        assert_eq!(parse_stem(Path::new("users/notes.txt")), None);
    }
}
