//! Fuzz targets for everything that reads untrusted text: the filter parser, the PATCH path
//! parser, the case loader, the template engine and the mock's request handlers.
//!
//! Each target draws inputs from a seeded generator (grammar-aware inputs, mutations of them,
//! and arbitrary text) for a fixed time, so `cargo test` fuzzes for a few seconds in CI and a
//! person can fuzz for longer:
//!
//! ```text
//! SCIMCHECK_FUZZ_SECONDS=60 SCIMCHECK_FUZZ_SEED=7 cargo test --test fuzz -- --nocapture
//! ```
//!
//! `SCIMCHECK_FUZZ_SECONDS` is the budget per target (default 2), `SCIMCHECK_FUZZ_SEED` the
//! seed (default fixed, so a CI failure reproduces). A failure names the target, seed,
//! iteration and input. The parser targets run on threads with a 2 MiB stack, the size of a
//! tokio worker's under `scimcheck serve`; the mock runs on a real multi-threaded runtime.

#[path = "mock_support/mod.rs"]
mod support;

use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use fastrand::Rng;
use reqwest::Method;
use scimcheck::case::load::{self, CaseError, CaseSource};
use scimcheck::case::template::{Scope, Template};
use scimcheck::check::schema::SchemaRegistry;
use scimcheck::scim::filter::{self, FilterError, MAX_DEPTH, MAX_FILTER_LEN, MAX_TERMS};
use scimcheck::scim::path::{self as patch_path, MAX_PATH_LEN, PathError};
use serde_json::{Value, json};
use support::*;

const WORKER_STACK: usize = 2 * 1024 * 1024;

/// The budget and seed of a run, read from the environment once per target.
struct Settings {
    budget: Duration,
    seed: u64,
}

fn settings() -> Settings {
    let read = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let budget = read("SCIMCHECK_FUZZ_SECONDS").map_or(2.0, |v| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or_else(|| panic!("SCIMCHECK_FUZZ_SECONDS must be seconds, not {v:?}"))
    });
    let seed = read("SCIMCHECK_FUZZ_SEED").map_or(0x5c1e_c4ec, |v| {
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("SCIMCHECK_FUZZ_SEED must be an integer, not {v:?}"))
    });
    Settings {
        budget: Duration::from_secs_f64(budget),
        seed,
    }
}

/// At most `max` characters of `text`, for failure messages.
fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}… ({} bytes in all)", &text[..at], text.len()),
        None => text.to_owned(),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Runs `check` on generated inputs until the budget is spent (at least once), on a
/// worker-sized stack. `check` fails by panicking; the failure names the input.
fn fuzz<I: Debug>(name: &str, generate: impl Fn(&mut Rng) -> I + Sync, check: impl Fn(&I) + Sync) {
    let Settings { budget, seed } = settings();
    let started = Instant::now();
    let executions = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name(format!("fuzz-{name}"))
            .stack_size(WORKER_STACK)
            .spawn_scoped(scope, || {
                let mut rng = Rng::with_seed(seed);
                let mut executions = 0u64;
                while executions == 0 || started.elapsed() < budget {
                    let input = generate(&mut rng);
                    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&input))) {
                        panic!(
                            "fuzz {name}: iteration {executions} (seed {seed}) failed: {}\ninput: {}",
                            panic_message(&*panic),
                            excerpt(&format!("{input:?}"), 2000)
                        );
                    }
                    executions += 1;
                }
                executions
            })
            .expect("fuzz thread starts")
            .join()
            .unwrap_or_else(|panic| panic!("{}", panic_message(&*panic)))
    });
    println!(
        "fuzz {name}: {executions} executions in {:.1} s (seed {seed})",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// Generators shared by the targets.

/// Characters that matter to the grammars, plus multi-byte and control characters.
const ALPHABET: &[char] = &[
    '(', ')', '[', ']', '"', '\\', ' ', '.', ':', '$', '{', '}', ',', '-', '_', 'a', 'e', 'q', 'r',
    'o', 'n', 't', 'U', 'z', '0', '1', '9', 'é', 'ü', 'İ', '名', '🙂', '\u{0}', '\t', '\n',
    '\u{200b}',
];

const WORDS: &[&str] = &[
    " and ",
    " or ",
    "not",
    " eq ",
    " pr",
    " co ",
    " gt ",
    "true",
    "null",
    "\"x\"",
    "emails",
    "userName",
    "urn:",
    "$ref",
    "${",
    "}",
    "user:",
    "1e999",
    "-0",
    "\\\"",
    "\"\\u00e9\"",
];

fn arbitrary_text(rng: &mut Rng, max_len: usize) -> String {
    let len = rng.usize(0..=max_len);
    let mut out = String::new();
    while out.chars().count() < len {
        if rng.u8(0..4) == 0 {
            out.push_str(rng.choice(WORDS).copied().unwrap_or_default());
        } else {
            out.push(rng.choice(ALPHABET).copied().unwrap_or('a'));
        }
    }
    out
}

/// A random character boundary of `text`.
fn boundary(rng: &mut Rng, text: &str) -> usize {
    let count = text.chars().count();
    let nth = rng.usize(0..=count);
    text.char_indices().nth(nth).map_or(text.len(), |(i, _)| i)
}

/// One to four edits: deletions, insertions, duplications of a span, or truncation.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut out = text.to_owned();
    for _ in 0..rng.usize(1..=4) {
        let (a, b) = {
            let (x, y) = (boundary(rng, &out), boundary(rng, &out));
            (x.min(y), x.max(y))
        };
        out = match rng.u8(0..5) {
            0 => format!("{}{}", &out[..a], &out[b..]),
            1 => format!("{}{}{}", &out[..a], arbitrary_text(rng, 6), &out[a..]),
            2 => format!("{}{}{}", &out[..b], &out[a..b], &out[b..]),
            3 => out[..a].to_owned(),
            _ => format!(
                "{}{}{}",
                &out[..a],
                rng.choice(WORDS).copied().unwrap_or_default(),
                &out[b..]
            ),
        };
    }
    out
}

/// `n` copies of `open`, then `inner`, then `n` copies of `close`.
fn nest(open: &str, inner: &str, close: &str, n: usize) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

// ---------------------------------------------------------------------------------------------
// Filters and PATCH paths.

/// A filter built from the grammar, with what the parser must conclude about it.
#[derive(Debug)]
struct Generated {
    text: String,
    /// Nesting of `( … )`, `not ( … )` and `[ … ]`.
    depth: usize,
    /// Attribute expressions.
    terms: usize,
}

const ATTRIBUTES: &[&str] = &[
    "userName",
    "USERNAME",
    "name.givenName",
    "emails",
    "emails.value",
    "active",
    "meta.lastModified",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "x1",
];
const SUB_ATTRIBUTES: &[&str] = &["value", "type", "primary", "display"];
const MULTI_VALUED: &[&str] = &["emails", "phoneNumbers", "members", "groups"];

fn string_literal(rng: &mut Rng) -> String {
    let text: String = (0..rng.usize(0..8))
        .map(|_| rng.choice(ALPHABET).copied().unwrap_or('a'))
        .collect();
    serde_json::to_string(&text).unwrap_or_default()
}

fn comp_value(rng: &mut Rng, op: &str) -> String {
    let ordering = matches!(op, "gt" | "ge" | "lt" | "le");
    let substring = matches!(op, "co" | "sw" | "ew");
    match rng.u8(0..6) {
        0 if !substring => rng.i64(..).to_string(),
        1 if !substring => format!("{}", rng.f64() * 1e6),
        2 if !substring && !ordering => if rng.bool() { "true" } else { "false" }.to_owned(),
        3 if !substring && !ordering => "null".to_owned(),
        4 => "\"2011-05-13T04:42:34Z\"".to_owned(),
        _ => string_literal(rng),
    }
}

/// An attribute expression; `in_value_path` restricts names to plain sub-attribute names.
fn attribute_expression(rng: &mut Rng, in_value_path: bool) -> String {
    let attr = if in_value_path {
        rng.choice(SUB_ATTRIBUTES).copied().unwrap_or("value")
    } else {
        rng.choice(ATTRIBUTES).copied().unwrap_or("userName")
    };
    let op = rng
        .choice([
            "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr", "EQ", "Pr",
        ])
        .unwrap_or("eq");
    if op.eq_ignore_ascii_case("pr") {
        return format!("{attr} {op}");
    }
    format!("{attr} {op} {}", comp_value(rng, &op.to_ascii_lowercase()))
}

fn generate_filter(rng: &mut Rng, budget: usize, in_value_path: bool) -> Generated {
    let leaf = |rng: &mut Rng| Generated {
        text: attribute_expression(rng, in_value_path),
        depth: 0,
        terms: 1,
    };
    if budget == 0 {
        return leaf(rng);
    }
    match rng.u8(0..10) {
        0..=2 => {
            let parts: Vec<Generated> = (0..rng.usize(2..=4))
                .map(|_| generate_filter(rng, budget - 1, in_value_path))
                .collect();
            let word = if rng.bool() { " and " } else { " OR " };
            Generated {
                text: parts
                    .iter()
                    .map(|p| p.text.as_str())
                    .collect::<Vec<_>>()
                    .join(word),
                depth: parts.iter().map(|p| p.depth).max().unwrap_or(0),
                terms: parts.iter().map(|p| p.terms).sum(),
            }
        }
        3 | 4 => {
            let inner = generate_filter(rng, budget - 1, in_value_path);
            let open = rng.choice(["(", "not (", "not(", "NOT ("]).unwrap_or("(");
            Generated {
                text: format!("{open}{})", inner.text),
                depth: inner.depth + 1,
                terms: inner.terms,
            }
        }
        5 if !in_value_path => {
            let inner = generate_filter(rng, budget - 1, true);
            let attr = rng.choice(MULTI_VALUED).copied().unwrap_or("emails");
            Generated {
                text: format!("{attr}[{}]", inner.text),
                depth: inner.depth + 1,
                terms: inner.terms + 1,
            }
        }
        _ => leaf(rng),
    }
}

/// Deep nesting and long chains, around and far beyond the limits.
fn extreme_filter(rng: &mut Rng) -> Generated {
    let n = match rng.u8(0..3) {
        0 => rng.usize(MAX_DEPTH - 2..=MAX_DEPTH + 2),
        1 => rng.usize(0..3 * MAX_DEPTH),
        _ => rng.usize(0..100_000),
    };
    match rng.u8(0..4) {
        0 => Generated {
            text: nest("(", "userName pr", ")", n),
            depth: n,
            terms: 1,
        },
        1 => Generated {
            text: nest("not (", "userName pr", ")", n),
            depth: n,
            terms: 1,
        },
        2 => Generated {
            text: format!("emails[{}]", nest("(", "type pr", ")", n)),
            depth: n + 1,
            terms: 2,
        },
        _ => {
            let terms = if rng.bool() {
                rng.usize(MAX_TERMS - 2..=MAX_TERMS + 2)
            } else {
                rng.usize(1..40_000)
            };
            Generated {
                text: vec!["userName pr"; terms].join(" or "),
                depth: 0,
                terms,
            }
        }
    }
}

/// Resources to evaluate parsed filters against.
fn sample_resources() -> Vec<Value> {
    vec![
        json!({}),
        json!({"userName": "bjensen", "active": true, "emails": [{"value": "b@x.org", "type": "work", "primary": true}],
               "meta": {"lastModified": "2011-05-13T04:42:34Z"}, "name": {"givenName": "Bä"},
               "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7"}}),
        json!({"userName": 7, "emails": "not a list", "active": "true", "x1": [null, {}, [1]], "members": [{"value": "é"}]}),
    ]
}

enum FilterInput {
    Generated(Generated),
    Text(String),
}

impl Debug for FilterInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FilterInput::Generated(g) => {
                write!(f, "{:?} (depth {}, terms {})", g.text, g.depth, g.terms)
            }
            FilterInput::Text(text) => write!(f, "{text:?}"),
        }
    }
}

#[test]
fn fuzz_filter_parser() {
    let resources = sample_resources();
    let case_exact = |attr: &scimcheck::scim::AttrPath| attr.name == "x1";
    fuzz(
        "filter",
        |rng| match rng.u8(0..10) {
            0..=3 => {
                let budget = rng.usize(0..6);
                FilterInput::Generated(generate_filter(rng, budget, false))
            }
            4 => FilterInput::Generated(extreme_filter(rng)),
            5..=7 => {
                let budget = rng.usize(0..4);
                let base = generate_filter(rng, budget, false);
                FilterInput::Text(mutate(rng, &base.text))
            }
            _ => FilterInput::Text(arbitrary_text(rng, 120)),
        },
        |input| {
            let text = match input {
                FilterInput::Generated(g) => &g.text,
                FilterInput::Text(text) => text,
            };
            let parsed = filter::parse(text);
            if let FilterInput::Generated(g) = input {
                match &parsed {
                    _ if g.text.len() > MAX_FILTER_LEN => {
                        assert!(
                            matches!(parsed, Err(FilterError::TooLong { .. })),
                            "{parsed:?}"
                        );
                    }
                    Err(FilterError::TooDeep { .. }) => assert!(g.depth > MAX_DEPTH),
                    Err(FilterError::TooManyTerms { .. }) => assert!(g.terms > MAX_TERMS),
                    Err(e) => panic!("a filter from the grammar was refused: {e}"),
                    Ok(_) => assert!(g.depth <= MAX_DEPTH && g.terms <= MAX_TERMS),
                }
            }
            let Ok(parsed) = parsed else {
                return;
            };
            let _ = parsed.attributes();
            let negated = filter::parse(&format!("not ({text})"));
            for resource in &resources {
                let matched = parsed.matches(resource, &case_exact);
                if let Ok(negated) = &negated {
                    assert_eq!(
                        negated.matches(resource, &case_exact),
                        !matched,
                        "not() on {resource}"
                    );
                }
            }
        },
    );
}

#[test]
fn fuzz_patch_path_parser() {
    fuzz(
        "patch-path",
        |rng| {
            // A valid path and the nesting depth of its value filter, brackets included.
            let (valid, depth) = if rng.u8(0..4) == 0 {
                let attr = rng.choice(ATTRIBUTES).copied().unwrap_or("userName");
                (attr.to_owned(), 0)
            } else {
                let budget = rng.usize(0..5);
                let inner = generate_filter(rng, budget, true);
                let attr = rng.choice(MULTI_VALUED).copied().unwrap_or("emails");
                let sub = match rng.choice(SUB_ATTRIBUTES) {
                    Some(sub) if rng.bool() => format!(".{sub}"),
                    _ => String::new(),
                };
                (format!("{attr}[{}]{sub}", inner.text), inner.depth + 1)
            };
            match rng.u8(0..5) {
                0 | 1 => (valid, Some(depth)),
                2 => (mutate(rng, &valid), None),
                3 => (format!("emails[{}]", extreme_filter(rng).text), None),
                _ => (arbitrary_text(rng, 80), None),
            }
        },
        |(text, depth)| {
            let parsed = patch_path::parse(text);
            if let Ok(path) = &parsed {
                let _ = path.to_string();
            }
            let Some(depth) = depth else {
                return;
            };
            match &parsed {
                _ if text.len() > MAX_PATH_LEN => {
                    assert!(
                        matches!(parsed, Err(PathError::TooLong { .. })),
                        "{parsed:?}"
                    );
                }
                Err(PathError::InvalidFilter(FilterError::TooDeep { .. })) => {
                    assert!(*depth > MAX_DEPTH)
                }
                Err(e) => panic!("a path from the grammar was refused: {e}"),
                Ok(_) => assert!(*depth <= MAX_DEPTH),
            }
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Templates: generated templates are rendered against a model of what they must produce.

struct Vars {
    values: Vec<(String, Value)>,
}

impl Scope for Vars {
    fn variable(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    fn case_prefix(&self) -> &str {
        "scimcheck-fuzz"
    }
}

fn template_vars() -> Vars {
    Vars {
        values: vec![
            ("id".to_owned(), json!("2819c223")),
            ("i".to_owned(), json!(3)),
            ("user.name".to_owned(), json!("bé")),
            ("x_1".to_owned(), json!(null)),
        ],
    }
}

/// A literal that cannot start an expression: no `$` before `{`, no `}` inside arguments.
fn template_literal(rng: &mut Rng, nested: bool) -> String {
    (0..rng.usize(0..6))
        .map(|_| rng.choice(ALPHABET).copied().unwrap_or('a'))
        .filter(|c| *c != '$' && !(nested && *c == '}'))
        .collect()
}

/// A template and what it renders to with [`template_vars`].
fn generate_template(rng: &mut Rng, vars: &Vars, depth: usize, nested: bool) -> (String, String) {
    let mut text = String::new();
    let mut rendered = String::new();
    for _ in 0..rng.usize(0..4) {
        let literal = template_literal(rng, nested);
        text.push_str(&literal);
        rendered.push_str(&literal);
        match rng.u8(0..3) {
            0 => {
                let (name, value) = &vars.values[rng.usize(0..vars.values.len())];
                text.push_str(&format!("${{{name}}}"));
                match value {
                    Value::String(s) => rendered.push_str(s),
                    other => rendered.push_str(&other.to_string()),
                }
            }
            1 if depth > 0 => {
                let (arg_text, arg) = generate_template(rng, vars, depth - 1, true);
                let (generator, expected) = match rng.u8(0..3) {
                    0 => ("user", format!("{}-{arg}@example.com", vars.case_prefix())),
                    1 => (
                        "email",
                        format!("{}-{arg}@mail.example.com", vars.case_prefix()),
                    ),
                    _ => ("name", format!("{}-{arg}", vars.case_prefix())),
                };
                text.push_str(&format!("${{{generator}:{arg_text}}}"));
                rendered.push_str(&expected);
            }
            _ => {}
        }
    }
    (text, rendered)
}

#[test]
fn fuzz_template_engine() {
    let vars = template_vars();
    fuzz(
        "template",
        |rng| match rng.u8(0..4) {
            0 | 1 => {
                let depth = rng.usize(0..6);
                let (text, rendered) = generate_template(rng, &vars, depth, false);
                (text, Some(rendered))
            }
            2 => {
                let (text, _) = generate_template(rng, &vars, 4, false);
                (mutate(rng, &text), None)
            }
            _ if rng.u8(0..8) == 0 => {
                // Deep nesting: the engine must answer, whether or not it accepts the depth.
                (nest("${user:", "x", "}", rng.usize(0..200)), None)
            }
            _ => (arbitrary_text(rng, 60), None),
        },
        |(text, expected)| {
            let parsed = Template::parse(text);
            if let Ok(template) = &parsed {
                let _ = template.variables();
                let _ = template.render(&vars);
            }
            if let Some(expected) = expected {
                let template =
                    parsed.unwrap_or_else(|e| panic!("a generated template was refused: {e}"));
                assert_eq!(template.render(&vars).as_ref(), Ok(expected));
            }
        },
    );
}

// ---------------------------------------------------------------------------------------------
// The case loader, on mutated copies of the shipped case files.

const YAML_SNIPPETS: &[&str] = &[
    "- ",
    ": ",
    "{",
    "}",
    "[",
    "]",
    "&a ",
    "*a",
    "!!binary ",
    "? ",
    "|\n",
    ">-\n",
    "\"\\u0000\"",
    "~",
    "'",
    "#",
    "\n  ",
    "\n    - x: 1\n",
    "${user:${x}}",
    "${",
    "0x1F",
    "1e999",
    "-.inf",
    "<<: *a\n",
    "\t",
    "é: 名\n",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
];

fn mutate_yaml(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for _ in 0..rng.usize(1..=3) {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = rng.usize(0..lines.len());
        match rng.u8(0..7) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let line = lines[i].clone();
                lines.insert(i, line);
            }
            2 => {
                let j = rng.usize(0..lines.len());
                lines.swap(i, j);
            }
            3 => lines[i] = format!("  {}", lines[i]),
            4 => lines[i] = lines[i].trim_start().to_owned(),
            5 => {
                let at = boundary(rng, &lines[i]);
                let snippet = rng.choice(YAML_SNIPPETS).copied().unwrap_or_default();
                lines[i].insert_str(at, snippet);
            }
            _ => lines[i] = mutate(rng, &lines[i]),
        }
    }
    lines.join("\n")
}

#[test]
fn fuzz_case_loader() {
    let originals = load::embedded();
    let registry = SchemaRegistry::builtin().expect("built-in schemas compile");
    let known = scimcheck::suite::known_names(&registry);
    load::load(&originals, &known).expect("the shipped cases load");
    fuzz(
        "case-loader",
        |rng| {
            let original = &originals[rng.usize(0..originals.len())];
            let text = if rng.u8(0..10) == 0 {
                arbitrary_text(rng, 200)
            } else {
                mutate_yaml(rng, &original.text)
            };
            CaseSource {
                relative: original.relative.clone(),
                display: original.display.clone(),
                text: text.into(),
            }
        },
        |source| match load::load(std::slice::from_ref(source), &known) {
            Ok(cases) => assert_eq!(cases.len(), 1),
            Err(CaseError::Invalid(diagnostics)) => {
                assert!(!diagnostics.is_empty());
                for diagnostic in &diagnostics {
                    assert!(!diagnostic.render().is_empty());
                }
            }
            Err(other) => panic!("loading text gave a non-diagnostic error: {other}"),
        },
    );
}

// ---------------------------------------------------------------------------------------------
// The mock's request handlers, over loopback HTTP.

/// One request of the hostile client.
#[derive(Debug)]
struct Request {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    content_type: Option<&'static str>,
    token: Option<String>,
    body: Option<String>,
}

/// Replaces a random node of `value` with something unexpected.
fn mutate_json(rng: &mut Rng, value: &mut Value) {
    let descend = rng.bool();
    match value {
        Value::Array(items) if descend && !items.is_empty() => {
            let i = rng.usize(0..items.len());
            return mutate_json(rng, &mut items[i]);
        }
        Value::Object(fields) if descend && !fields.is_empty() => {
            let i = rng.usize(0..fields.len());
            if let Some(field) = fields.values_mut().nth(i) {
                return mutate_json(rng, field);
            }
        }
        _ => {}
    }
    *value = match rng.u8(0..9) {
        0 => Value::Null,
        1 => json!(rng.i64(..)),
        2 => json!(1e300),
        3 => json!(arbitrary_text(rng, 30)),
        4 => json!([]),
        5 => json!({}),
        6 => serde_json::from_str(&nest("[", "1", "]", rng.usize(100..140))).unwrap_or(Value::Null),
        7 => json!(u64::MAX),
        _ => json!(rng.bool()),
    };
}

fn fuzz_request(rng: &mut Rng, user: &str, group: &str, token: &str) -> Request {
    let paths = [
        "/Users".to_owned(),
        format!("/Users/{user}"),
        "/Groups".to_owned(),
        format!("/Groups/{group}"),
        "/Users/.search".to_owned(),
        "/.search".to_owned(),
        "/Bulk".to_owned(),
        "/Schemas".to_owned(),
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User".to_owned(),
        "/ResourceTypes/User".to_owned(),
        "/ServiceProviderConfig".to_owned(),
        "/Me".to_owned(),
        format!(
            "/Users/{}",
            percent_encoding::utf8_percent_encode(
                &arbitrary_text(rng, 12),
                percent_encoding::NON_ALPHANUMERIC
            )
        ),
        format!("/Users/{user}/x"),
        "/Users/%FF%FE".to_owned(),
    ];
    let path = paths[rng.usize(0..paths.len())].clone();
    let method = match rng.u8(0..8) {
        0 | 1 => Method::GET,
        2 | 3 => Method::POST,
        4 => Method::PUT,
        5 => Method::PATCH,
        6 => Method::DELETE,
        _ => Method::OPTIONS,
    };
    let mut query = Vec::new();
    for _ in 0..rng.usize(0..4) {
        let name = rng
            .choice([
                "filter",
                "sortBy",
                "sortOrder",
                "attributes",
                "excludedAttributes",
                "count",
                "startIndex",
                "cursor",
            ])
            .unwrap_or("filter");
        let value = match (name, rng.u8(0..3)) {
            ("filter", 0) => generate_filter(rng, 3, false).text,
            // Percent-encoded, this stays under http's 64 KiB URI limit.
            ("filter", 1) => extreme_filter(rng).text.chars().take(6_000).collect(),
            ("count" | "startIndex", 0) => rng.i64(..).to_string(),
            ("attributes" | "excludedAttributes" | "sortBy", 0) => rng
                .choice(ATTRIBUTES)
                .copied()
                .unwrap_or("userName")
                .to_owned(),
            _ => arbitrary_text(rng, 20),
        };
        query.push((name.to_owned(), value));
    }
    let mut body = match rng.u8(0..5) {
        0 => json!({"schemas": [USER_URN], "userName": format!("fuzz-{}", rng.u64(..)),
                    "emails": [{"value": "a@b.c", "type": "work", "primary": true}],
                    "name": {"givenName": "é"}, "active": true}),
        1 => json!({"schemas": [GROUP_URN], "displayName": arbitrary_text(rng, 8),
                    "members": [{"value": user}]}),
        2 => {
            let path = if rng.bool() {
                Value::from(format!(
                    "emails[{}].value",
                    generate_filter(rng, 2, true).text
                ))
            } else {
                Value::from(rng.choice(ATTRIBUTES).copied().unwrap_or("userName"))
            };
            json!({"schemas": [PATCH_URN], "Operations": [
                {"op": rng.choice(["add", "Replace", "remove", "x"]).unwrap_or("add"), "path": path, "value": "v"}]})
        }
        3 => {
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "failOnErrors": 1,
                    "Operations": [
                        {"method": "POST", "bulkId": "a", "path": "/Users",
                         "data": {"schemas": [USER_URN], "userName": format!("bulk-{}", rng.u64(..))}},
                        {"method": "PATCH", "path": "/Groups/bulkId:a", "data": {"schemas": [PATCH_URN], "Operations": []}},
                        {"method": "DELETE", "path": format!("/Users/{user}")}]})
        }
        _ => json!({"schemas": [SEARCH_URN],
                    "filter": if rng.bool() { generate_filter(rng, 3, false) } else { extreme_filter(rng) }.text,
                    "startIndex": 1, "count": rng.i64(-5..2000), "attributes": ["userName"]}),
    };
    for _ in 0..rng.usize(0..3) {
        mutate_json(rng, &mut body);
    }
    let mut body = body.to_string();
    if rng.u8(0..6) == 0 {
        body = mutate(rng, &body);
    }
    Request {
        method,
        path,
        query,
        content_type: rng
            .choice([
                Some("application/scim+json"),
                Some("application/json; charset=utf-8"),
                Some("text/plain"),
                None,
            ])
            .flatten(),
        token: match rng.u8(0..12) {
            0 => None,
            // Header values must be visible ASCII, or the client refuses to send them.
            1 => Some((0..rng.usize(0..40)).map(|_| rng.alphanumeric()).collect()),
            _ => Some(token.to_owned()),
        },
        body: (rng.u8(0..4) != 0).then_some(body),
    }
}

#[test]
fn fuzz_mock_handlers() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let Settings { budget, seed } = settings();
    runtime.block_on(async {
        let mock = Mock::start().await;
        let user = id(&mock.user("fuzz-fixture").await);
        let group = id(&mock.group("fuzz-group", &[&user]).await);
        let mut rng = Rng::with_seed(seed);
        let started = Instant::now();
        let mut executions = 0u64;
        let mut previous: Option<Request> = None;
        while executions == 0 || started.elapsed() < budget {
            let request = fuzz_request(&mut rng, &user, &group, &mock.token);
            let mut builder = mock
                .client
                .request(request.method.clone(), mock.url(&request.path))
                .query(&request.query);
            if let Some(token) = &request.token {
                builder = builder.header("Authorization", format!("Bearer {token}"));
            }
            if let Some(content_type) = request.content_type {
                builder = builder.header("Content-Type", content_type);
            }
            if let Some(body) = &request.body {
                builder = builder.body(body.clone());
            }
            // The previous request too: it shared the connection.
            let failure = |why: String| {
                panic!(
                    "fuzz mock: iteration {executions} (seed {seed}): {why}\nrequest: {}\nafter: {}",
                    excerpt(&format!("{request:?}"), 3000),
                    excerpt(&format!("{previous:?}"), 3000)
                )
            };
            let response = match builder.send().await {
                Ok(response) => response,
                Err(e) => failure(format!("no answer: {e:?}")),
            };
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            // 501 is the mock's answer to /Me; any other 5xx is a bug.
            if status >= 500 && status != 501 {
                failure(format!("answered {status}: {text}"));
            }
            if status >= 400 {
                let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                if body["schemas"] != json!([ERROR_URN]) || body["status"] != json!(status.to_string()) {
                    failure(format!("a {status} that is not a SCIM error: {text}"));
                }
            }
            previous = Some(request);
            executions += 1;
        }
        let alive = mock.get("/Users").await;
        assert_eq!(alive.status, 200, "{}", alive.text);
        println!(
            "fuzz mock-handlers: {executions} executions in {:.1} s (seed {seed})",
            started.elapsed().as_secs_f64()
        );
    });
}
