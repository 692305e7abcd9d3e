//! Loading case files: YAML → typed cases, every problem reported with `file:line:column`
//! before anything runs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde_saphyr::{Location, Spanned};
use thiserror::Error;

use super::model::{CaseFile, Expect, Generate, Repeat, Request, Step};
use super::template::{self, BUILTINS, REPEAT_INDEX, Template};
use crate::files::{self, CASE_LIMIT, FileError};

/// A loaded, validated case.
#[derive(Debug, Clone)]
pub struct Case {
    /// The trial name: the file's path below the cases folder, `::`-separated, e.g. `users::create`.
    pub id: String,
    /// The file as a person would open it, e.g. `cases/users/create.yaml`.
    pub file: String,
    /// The first path segment, e.g. `users`.
    pub area: String,
    pub spec: CaseFile,
}

impl Case {
    /// `file:line:column` of step `index`.
    pub fn step_location(&self, index: usize) -> String {
        let step = &self.spec.steps[index];
        format!(
            "{}:{}:{}",
            self.file,
            step.referenced.line(),
            step.referenced.column()
        )
    }
}

/// A problem in a case file, pointing at the offending place.
#[derive(Debug, Error, Diagnostic)]
#[error("{file}:{line}:{column}: {message}")]
pub struct CaseDiagnostic {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
    #[help]
    pub help: Option<String>,
    #[source_code]
    source_code: NamedSource<Arc<str>>,
    #[label("here")]
    span: SourceSpan,
}

impl CaseDiagnostic {
    /// The message with the offending lines of the file and a caret, as miette draws it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
        match handler.render_report(&mut out, self) {
            Ok(()) => out,
            Err(_) => self.to_string(),
        }
    }
}

#[derive(Debug, Error)]
pub enum CaseError {
    /// The I/O error is said in the message, not chained as a source too.
    #[error("failed to read {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{} nests folders deeper than {MAX_DIR_DEPTH} levels (a symbolic link loop?)", .0.display())]
    TooDeep(PathBuf),
    #[error("no case files (*.yaml) found in {}", .0.display())]
    Empty(PathBuf),
    #[error("{} case file problem(s):\n{}", .0.len(), render_all(.0))]
    Invalid(Vec<CaseDiagnostic>),
    #[error("two cases are named `{id}`: {first} and {second} (rename one of them)")]
    Collision {
        id: String,
        first: String,
        second: String,
    },
}

fn render_all(diagnostics: &[CaseDiagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| match &d.help {
            Some(help) => format!("  {d}\n    help: {help}"),
            None => format!("  {d}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Names the loader checks references against, supplied by the later stages.
#[derive(Debug, Clone, Default)]
pub struct KnownNames {
    pub schemas: BTreeSet<String>,
    /// Schemas under this prefix are derived from the target at run time (`target:User`).
    pub target_schema_prefix: &'static str,
    pub rules: BTreeSet<String>,
}

/// A case file's text and the path it is known by.
#[derive(Debug, Clone)]
pub struct CaseSource {
    /// Path relative to the cases folder, `/`-separated, e.g. `users/create.yaml`.
    pub relative: String,
    /// Shown in messages, e.g. `cases/users/create.yaml`.
    pub display: String,
    pub text: Arc<str>,
}

/// How deep below the cases folder files are looked for: symbolic links are followed, and a
/// link to a parent folder would otherwise recurse until the path is too long.
const MAX_DIR_DEPTH: usize = 16;

/// Reads every `*.yaml` below `dir`, sorted by path.
pub fn read_dir(dir: &Path) -> Result<Vec<CaseSource>, CaseError> {
    let mut files = Vec::new();
    collect_yaml(dir, dir, 0, &mut files)?;
    if files.is_empty() {
        return Err(CaseError::Empty(dir.to_owned()));
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(files)
}

fn collect_yaml(
    root: &Path,
    dir: &Path,
    depth: usize,
    out: &mut Vec<CaseSource>,
) -> Result<(), CaseError> {
    if depth > MAX_DIR_DEPTH {
        return Err(CaseError::TooDeep(root.to_owned()));
    }
    let read_err = |cause| CaseError::Read {
        path: dir.to_owned(),
        cause,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.is_dir() {
            collect_yaml(root, &path, depth + 1, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            // A FIFO or device named *.yaml is an error, not a hang (see `files::read`).
            let text = files::read_text(&path, CASE_LIMIT)?;
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push(CaseSource {
                relative,
                display: path.display().to_string(),
                text: text.into(),
            });
        }
    }
    Ok(())
}

/// The catalogue compiled into the binary from `cases/`.
pub fn embedded() -> Vec<CaseSource> {
    crate::catalog::CASES
        .iter()
        .map(|(relative, text)| CaseSource {
            relative: (*relative).to_owned(),
            display: format!("cases/{relative}"),
            text: Arc::from(*text),
        })
        .collect()
}

/// The built-in catalogue (when `builtin`) and the cases below each of `dirs`, in that order.
/// Every trial name must be unique: a user's case cannot silently replace a built-in one.
pub fn assemble(builtin: bool, dirs: &[PathBuf]) -> Result<Vec<CaseSource>, CaseError> {
    let mut sources = if builtin { embedded() } else { Vec::new() };
    for dir in dirs {
        sources.extend(read_dir(dir)?);
    }
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for source in &sources {
        let id = trial_name(&source.relative);
        if let Some(first) = seen.insert(id.clone(), &source.display) {
            return Err(CaseError::Collision {
                id,
                first: first.to_owned(),
                second: source.display.clone(),
            });
        }
    }
    Ok(sources)
}

/// `users/create.yaml` → `users::create`.
fn trial_name(relative: &str) -> String {
    relative
        .strip_suffix(".yaml")
        .or_else(|| relative.strip_suffix(".yml"))
        .unwrap_or(relative)
        .replace('/', "::")
}

/// Parses and validates every source; all problems of all files are reported together.
pub fn load(sources: &[CaseSource], known: &KnownNames) -> Result<Vec<Case>, CaseError> {
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for source in sources {
        match load_one(source, known) {
            Ok(case) => cases.push(case),
            Err(mut diagnostics) => problems.append(&mut diagnostics),
        }
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(CaseError::Invalid(problems))
    }
}

fn load_one(source: &CaseSource, known: &KnownNames) -> Result<Case, Vec<CaseDiagnostic>> {
    let spec: CaseFile = serde_saphyr::from_str(&source.text).map_err(|err| {
        let location = err.location().unwrap_or(Location::UNKNOWN);
        vec![diagnostic(
            source,
            location,
            first_line(&err.to_string()),
            None,
        )]
    })?;
    let problems = validate(&spec, known)
        .into_iter()
        .map(|(location, message, help)| diagnostic(source, location, message, help))
        .collect::<Vec<_>>();
    if !problems.is_empty() {
        return Err(problems);
    }
    let id = trial_name(&source.relative);
    Ok(Case {
        area: id.split("::").next().unwrap_or(&id).to_owned(),
        id,
        file: source.display.clone(),
        spec,
    })
}

/// serde-saphyr renders its own snippet below the first line; we render ours with miette.
fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_owned()
}

fn diagnostic(
    source: &CaseSource,
    location: Location,
    message: String,
    help: Option<String>,
) -> CaseDiagnostic {
    let offset = location
        .span()
        .byte_offset()
        .and_then(|o| usize::try_from(o).ok())
        .unwrap_or(0)
        .min(source.text.len());
    CaseDiagnostic {
        file: source.display.clone(),
        line: location.line(),
        column: location.column(),
        message,
        help,
        source_code: NamedSource::new(&source.display, source.text.clone()),
        span: SourceSpan::new(offset.into(), 0),
    }
}

type Problem = (Location, String, Option<String>);

/// Checks what the types cannot: references to schemas, rules and variables, and step shape.
fn validate(spec: &CaseFile, known: &KnownNames) -> Vec<Problem> {
    let mut problems = Vec::new();
    let case_location = spec
        .steps
        .first()
        .map(|s| s.referenced)
        .unwrap_or(Location::UNKNOWN);
    if spec.rfc.is_empty() {
        problems.push((
            case_location,
            "`rfc` must name at least one section, e.g. `RFC 7644 §3.6`".into(),
            None,
        ));
    }
    if spec.steps.is_empty() {
        problems.push((case_location, "a case needs at least one step".into(), None));
    }
    let mut defined: BTreeSet<String> = BUILTINS.iter().map(|s| (*s).to_owned()).collect();
    let mut writes = false;
    for (index, step) in spec.steps.iter().enumerate() {
        let at = step.referenced;
        let mut problem = |message: String, help: Option<String>| {
            problems.push((
                at,
                format!("step {} ({}): {message}", index + 1, step.value.name),
                help,
            ))
        };
        let value = &step.value;
        match (&value.request, &value.walk) {
            (Some(_), Some(_)) => problem("has both `request` and `walk`; give one".into(), None),
            (None, None) => problem("needs a `request` or a `walk`".into(), None),
            _ => {}
        }
        if value.repeat == Some(Repeat::Times(0)) {
            problem("`repeat` must be at least 1".into(), None);
        }
        if value.concurrent && (value.repeat.is_none() || value.request.is_none()) {
            problem("`concurrent` needs `repeat` and a `request`".into(), None);
        }
        if value.walk.as_ref().is_some_and(|w| w.count == 0) {
            problem("a walk's `count` must be at least 1".into(), None);
        }
        writes |= value.request.as_ref().is_some_and(|r| r.method.is_write());

        let mut in_request: BTreeSet<String> = defined.clone();
        if value.repeat.is_some() {
            in_request.insert(REPEAT_INDEX.to_owned());
        }
        // Generated values are built from what earlier steps captured, `${i}` numbering the
        // copies of a `repeat`; the request then reads them.
        let mut in_item = in_request.clone();
        in_item.insert(REPEAT_INDEX.to_owned());
        for (field, text) in generate_templates(value) {
            let defined = if field == "generate.item" {
                &in_item
            } else {
                &in_request
            };
            check_template(field, &text, defined, &mut problem);
        }
        if !value.generate.is_empty() && value.request.is_none() {
            problem("`generate` needs a `request` to use it".into(), None);
        }
        in_request.extend(value.generate.keys().cloned());
        for (field, text) in request_templates(value) {
            check_template(field, &text, &in_request, &mut problem);
        }
        // A step's own captures are taken before its expectations are checked.
        let mut in_expect = in_request;
        in_expect.extend(value.capture.keys().cloned());
        for (field, text) in expect_templates(&value.expect) {
            check_template(field, &text, &in_expect, &mut problem);
        }
        check_expect(&value.expect, known, &mut problems, at, index, &value.name);
        defined.extend(value.capture.keys().cloned());
    }
    if spec.read_only && writes {
        problems.push((
            case_location,
            "`read_only: true` but a step sends POST, PUT, PATCH or DELETE".into(),
            None,
        ));
    }
    problems
}

fn request_templates(step: &Step) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(Request {
        path,
        query,
        headers,
        body,
        raw_body,
        ..
    }) = &step.request
    {
        out.push(("request.path", path.clone()));
        out.extend(query.values().map(|v| ("request.query", v.clone())));
        out.extend(headers.values().map(|v| ("request.headers", v.clone())));
        if let Some(body) = body {
            out.extend(
                template::strings_in(body)
                    .into_iter()
                    .map(|s| ("request.body", s.to_owned())),
            );
        }
        if let Some(raw) = raw_body {
            out.push(("request.raw_body", raw.clone()));
        }
    }
    if let Some(walk) = &step.walk {
        out.push(("walk.path", walk.path.clone()));
        out.extend(walk.query.values().map(|v| ("walk.query", v.clone())));
        out.extend(walk.headers.values().map(|v| ("walk.headers", v.clone())));
    }
    out
}

fn generate_templates(step: &Step) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for spec in step.generate.values() {
        match spec {
            Generate::Repeat { count, item, .. } => {
                out.push(("generate.count", count.clone()));
                out.extend(
                    template::strings_in(item)
                        .into_iter()
                        .map(|s| ("generate.item", s.to_owned())),
                );
            }
            Generate::Pad { length, .. } => out.push(("generate.length", length.clone())),
        }
    }
    out
}

fn expect_templates(expect: &Expect) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let schemas = expect.schema.iter().chain(&expect.resources_schema);
    out.extend(schemas.map(|name| ("expect.schema", name.value.clone())));
    for assertion in expect.headers.values() {
        out.extend(
            assertion
                .equals
                .iter()
                .map(|v| ("expect.headers", v.clone())),
        );
    }
    for assertion in expect.json.values() {
        let values = [
            &assertion.equals,
            &assertion.not_equals,
            &assertion.contains,
            &assertion.not_contains,
            &assertion.superset_of,
            &assertion.each,
            &assertion.length,
            &assertion.gt,
            &assertion.ge,
            &assertion.lt,
            &assertion.le,
        ];
        for value in values.into_iter().flatten() {
            out.extend(
                template::strings_in(value)
                    .into_iter()
                    .map(|s| ("expect.json", s.to_owned())),
            );
        }
        if let Some(text) = &assertion.equals_ignore_case {
            out.push(("expect.json", text.clone()));
        }
        let lists = [&assertion.one_of, &assertion.contains_all];
        for value in lists.into_iter().flatten().flatten() {
            out.extend(
                template::strings_in(value)
                    .into_iter()
                    .map(|s| ("expect.json", s.to_owned())),
            );
        }
    }
    out
}

fn check_template(
    field: &str,
    text: &str,
    defined: &BTreeSet<String>,
    problem: &mut impl FnMut(String, Option<String>),
) {
    match Template::parse(text) {
        Err(err) => problem(format!("in `{field}`: {err}"), None),
        Ok(template) => {
            for name in template.variables() {
                if !defined.contains(name) {
                    let help = suggest(name, defined.iter().map(String::as_str))
                        .map(|s| format!("did you mean `${{{s}}}`?"))
                        .or_else(|| {
                            Some(format!(
                                "variables come from `capture` in an earlier step or are built in ({})",
                                BUILTINS.join(", ")
                            ))
                        });
                    problem(
                        format!("in `{field}`: variable `${{{name}}}` is not defined"),
                        help,
                    );
                }
            }
        }
    }
}

fn check_expect(
    expect: &Expect,
    known: &KnownNames,
    problems: &mut Vec<Problem>,
    step_at: Location,
    index: usize,
    step_name: &str,
) {
    let label = |message: String| format!("step {} ({step_name}): {message}", index + 1);
    for Spanned {
        value, referenced, ..
    } in expect.schema.iter().chain(&expect.resources_schema)
    {
        if !known.schemas.contains(value)
            && (known.target_schema_prefix.is_empty()
                || !value.starts_with(known.target_schema_prefix))
        {
            problems.push((
                *referenced,
                label(format!("unknown schema `{value}`")),
                Some(help_for(value, &known.schemas, "schemas")),
            ));
        }
    }
    for rule in &expect.rules {
        if !known.rules.contains(&rule.value) {
            problems.push((
                rule.referenced,
                label(format!("unknown rule `{}`", rule.value)),
                Some(help_for(&rule.value, &known.rules, "rules")),
            ));
        }
    }
    for (name, assertion) in &expect.headers {
        if let Some(pattern) = &assertion.matches
            && let Err(err) = regex::Regex::new(pattern)
        {
            problems.push((
                step_at,
                label(format!("header `{name}`: bad regular expression: {err}")),
                None,
            ));
        }
    }
    for (pointer, assertion) in &expect.json {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            problems.push((
                step_at,
                label(format!(
                    "`{pointer}` is not a JSON pointer (it must start with `/`)"
                )),
                Some(format!("write `/{pointer}`")),
            ));
        }
        if let Some(pattern) = &assertion.matches
            && let Err(err) = regex::Regex::new(pattern)
        {
            problems.push((
                step_at,
                label(format!("`{pointer}`: bad regular expression: {err}")),
                None,
            ));
        }
    }
}

pub(crate) fn help_for(name: &str, known: &BTreeSet<String>, what: &str) -> String {
    match suggest(name, known.iter().map(String::as_str)) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!(
            "known {what}: {}",
            known.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The closest known name, when it is close enough to be a typo.
pub(crate) fn suggest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min()
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> KnownNames {
        KnownNames {
            schemas: ["user".to_owned(), "error".to_owned()].into(),
            target_schema_prefix: "target:",
            rules: ["single-primary".to_owned()].into(),
        }
    }

    fn source(text: &str) -> CaseSource {
        CaseSource {
            relative: "users/sample.yaml".into(),
            display: "cases/users/sample.yaml".into(),
            text: text.into(),
        }
    }

    const GOOD: &str = r#"name: sample
description: a sample case
rfc: ["RFC 7644 §3.3"]
level: MUST
tags: [users]
steps:
  - name: create
    request:
      method: POST
      path: /Users
      body: { userName: "${user:a}" }
    capture: { id: /id, location: { header: Location } }
    expect:
      status: [201]
      schema: user
      json:
        /meta/location: { equals: "${location}" }
  - name: read
    request: { method: GET, path: "/Users/${id}" }
    expect: { status: 200, rules: [single-primary] }
"#;

    /// Loads `text` and returns the one-line messages of its problems.
    fn problems(text: &str) -> Vec<String> {
        match load(&[source(text)], &known()) {
            Ok(_) => Vec::new(),
            Err(CaseError::Invalid(diagnostics)) => {
                diagnostics.iter().map(ToString::to_string).collect()
            }
            Err(other) => vec![other.to_string()],
        }
    }

    fn assert_problem(text: &str, expected: &str) {
        let found = problems(text);
        assert!(
            found.iter().any(|p| p.contains(expected)),
            "expected a problem containing {expected:?}, got {found:#?}"
        );
    }

    #[test]
    fn a_users_case_named_like_a_built_in_one_is_an_error_naming_both_files() {
        let dir = std::env::temp_dir().join(format!("scimcheck-cases-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("users")).unwrap();
        std::fs::write(dir.join("users/create.yml"), "name: x\n").unwrap();
        let error = assemble(true, std::slice::from_ref(&dir)).expect_err("collision");
        let ours = dir.join("users/create.yml").display().to_string();
        assert_eq!(
            error.to_string(),
            format!(
                "two cases are named `users::create`: cases/users/create.yaml and {ours} (rename one of them)"
            )
        );
        // Alone, or under another name, it is added.
        assert_eq!(
            assemble(false, std::slice::from_ref(&dir))
                .expect("alone")
                .len(),
            1
        );
        std::fs::rename(dir.join("users"), dir.join("acme")).unwrap();
        let all = assemble(true, std::slice::from_ref(&dir)).expect("beside");
        assert_eq!(all.len(), embedded().len() + 1);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn loads_a_good_case_with_its_trial_name_and_area() {
        let cases = load(&[source(GOOD)], &known()).expect("good case loads");
        assert_eq!(cases[0].id, "users::sample");
        assert_eq!(cases[0].area, "users");
        assert_eq!(cases[0].step_location(1), "cases/users/sample.yaml:18:5");
    }

    #[test]
    fn rejects_malformed_yaml_with_its_position() {
        assert_problem("name: [unclosed\n", "cases/users/sample.yaml:");
        let found = problems("name: x\n  bad: indentation: here\n");
        assert!(
            found[0].starts_with("cases/users/sample.yaml:2:"),
            "{found:?}"
        );
    }

    #[test]
    fn rejects_unknown_keys() {
        let text = GOOD.replace("tags: [users]", "tags: [users]\ncolour: blue");
        assert_problem(&text, "unknown field `colour`");
        let text = GOOD.replace("status: 200,", "statuss: 200,");
        assert_problem(&text, "unknown field `statuss`");
    }

    #[test]
    fn rejects_wrong_types_and_values() {
        assert_problem(
            &GOOD.replace("level: MUST", "level: OFTEN"),
            "unknown variant `OFTEN`",
        );
        assert_problem(
            &GOOD.replace("status: [201]", "status: [2010]"),
            "not an HTTP status code",
        );
        assert_problem(
            &GOOD.replace("method: POST", "method: FETCH"),
            "unknown variant `FETCH`",
        );
        assert_problem(
            &GOOD.replace("id: /id,", "id: id,"),
            "is not a JSON pointer",
        );
    }

    #[test]
    fn rejects_unknown_schema_and_rule_names_with_a_suggestion() {
        let text = GOOD.replace("schema: user", "schema: usr");
        assert_problem(
            &text,
            "cases/users/sample.yaml:15:15: step 1 (create): unknown schema `usr`",
        );
        let found = load(&[source(&text)], &known()).unwrap_err();
        assert!(
            found.to_string().contains("did you mean `user`?"),
            "{found}"
        );
        assert_problem(
            &GOOD.replace("rules: [single-primary]", "rules: [one-primary]"),
            "unknown rule `one-primary`",
        );
        assert_problem(
            &GOOD.replace("schema: user", "resources_schema: usr"),
            "unknown schema `usr`",
        );
        // A schema name's variables must be defined like any other.
        assert_problem(
            &GOOD.replace("schema: user", "schema: \"target:${kind}\""),
            "in `expect.schema`: variable `${kind}` is not defined",
        );
        assert!(
            problems(&GOOD.replace("schema: user", "schema: \"target:${customType}\"")).is_empty()
        );
        // Schemas derived from the target's /Schemas exist only at run time.
        assert!(problems(&GOOD.replace("schema: user", "schema: target:User")).is_empty());
    }

    #[test]
    fn rejects_undefined_variables() {
        assert_problem(
            &GOOD.replace("/Users/${id}", "/Users/${idd}"),
            "step 2 (read): in `request.path`: variable `${idd}` is not defined",
        );
        // A capture is not visible in the request of its own step.
        assert_problem(
            &GOOD.replace("path: /Users\n", "path: /Users/${id}\n"),
            "variable `${id}` is not defined",
        );
        assert_problem(&GOOD.replace("${user:a}", "${user:a"), "unclosed `${`");
    }

    #[test]
    fn rejects_bad_step_shapes() {
        let text = GOOD.replace("    request: { method: GET, path: \"/Users/${id}\" }\n", "");
        assert_problem(&text, "needs a `request` or a `walk`");
        assert_problem(
            &GOOD.replace("rfc: [\"RFC 7644 §3.3\"]", "rfc: []"),
            "`rfc` must name",
        );
        let text = GOOD.replace("tags: [users]", "tags: [users]\nread_only: true");
        assert_problem(&text, "`read_only: true` but a step sends");
        let concurrent = "  - name: read\n    concurrent: true\n";
        assert_problem(
            &GOOD.replace("  - name: read\n", concurrent),
            "`concurrent` needs `repeat` and a `request`",
        );
        let repeated = "  - name: read\n    concurrent: true\n    repeat: 2\n";
        assert!(problems(&GOOD.replace("  - name: read\n", repeated)).is_empty());
    }

    #[test]
    fn generated_values_are_variables_of_their_steps_request() {
        let generate = "  - name: read\n    generate:\n      ops: { repeat: { count: \"${id}\", plus: 1, item: { n: \"${i}\" } } }\n";
        let text = GOOD.replace("  - name: read\n", generate).replace(
            "path: \"/Users/${id}\" }",
            "path: \"/Users/${id}\", body: { a: \"${ops}\" } }",
        );
        assert!(problems(&text).is_empty(), "{:?}", problems(&text));
        // `${i}` numbers the copies: it is not defined in `count`.
        assert_problem(
            &text.replace("count: \"${id}\"", "count: \"${i}\""),
            "in `generate.count`: variable `${i}` is not defined",
        );
        // Nor is a generated value visible in a later step.
        let later = format!(
            "{text}  - name: again\n    request: {{ method: GET, path: \"/Users/${{ops}}\" }}\n"
        );
        assert_problem(
            &later,
            "step 3 (again): in `request.path`: variable `${ops}` is not defined",
        );
        assert_problem(
            &text.replace("repeat: {", "copies: {"),
            "unknown variant `copies`",
        );
    }

    #[test]
    fn renders_the_offending_line() {
        let text = GOOD.replace("schema: user", "schema: usr");
        let Err(CaseError::Invalid(diagnostics)) = load(&[source(&text)], &known()) else {
            panic!("expected a problem");
        };
        let rendered = diagnostics[0].render();
        assert!(rendered.contains("schema: usr"), "{rendered}");
        assert!(rendered.contains("did you mean `user`?"), "{rendered}");
    }

    #[test]
    fn a_template_nested_ten_thousand_deep_is_a_load_error_with_its_line() {
        let deep = format!("{}a{}", "${user:".repeat(10_000), "}".repeat(10_000));
        let text = GOOD.replace("\"${user:a}\"", &format!("\"{deep}\""));
        let found = problems(&text);
        assert!(
            found.iter().any(
                |p| p.starts_with("cases/users/sample.yaml:") && p.contains("nested more than")
            ),
            "{found:#?}"
        );
    }

    #[test]
    fn yaml_nested_ten_thousand_deep_is_a_load_error_not_a_stack_overflow() {
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let text = GOOD.replace("{ userName: \"${user:a}\" }", &deep);
        let found = problems(&text);
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("cases/users/sample.yaml:")),
            "{found:#?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_named_yaml_is_refused_without_blocking() {
        let dir = std::env::temp_dir().join(format!("scimcheck-fifo-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("users")).unwrap();
        std::fs::write(dir.join("users/sample.yaml"), GOOD).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.join("users/pipe.yaml"))
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        let error = read_dir(&dir).expect_err("a FIFO is not a case file");
        assert!(
            matches!(
                error,
                CaseError::File(FileError::NotAFile { kind: "a FIFO", .. })
            ),
            "{error}"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_loop_is_refused() {
        let dir = std::env::temp_dir().join(format!("scimcheck-loop-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("users")).unwrap();
        std::fs::write(dir.join("users/sample.yaml"), GOOD).unwrap();
        std::os::unix::fs::symlink(&dir, dir.join("users/again")).unwrap();
        let error = read_dir(&dir).expect_err("a loop");
        assert!(matches!(error, CaseError::TooDeep(_)), "{error}");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn yaml_alias_expansion_is_bounded() {
        // "Billion laughs": nine levels of ten aliases each would expand to 10^9 strings.
        let mut anchors = String::from("        a0: &a0 \"lol\"\n");
        for level in 1..=9 {
            let refs = vec![format!("*a{}", level - 1); 10].join(", ");
            anchors.push_str(&format!("        a{level}: &a{level} [{refs}]\n"));
        }
        let text = GOOD.replace(
            "      body: { userName: \"${user:a}\" }\n",
            &format!("      body:\n{anchors}"),
        );
        assert_ne!(text, GOOD);
        let found = problems(&text);
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("cases/users/sample.yaml:") && p.contains("budget breached")),
            "{found:#?}"
        );
    }
}
