//! `${…}` interpolation in case strings.
//!
//! A template is literal text with expressions: `${name}` reads a variable (a capture or a
//! built-in), and `${user:alice}`, `${email:alice}`, `${name:alice}` generate values unique to the
//! case run; `${upper:…}` and `${lower:…}` change the case of their argument (to send a value in
//! another case than the target stored it, RFC 7643 §2.3.1). Arguments may nest:
//! `${user:member-${i}}`, `${upper:${user:alice}}`.

use std::collections::BTreeSet;

use serde_json::Value;
use thiserror::Error;

/// Variables every case can read without capturing them.
pub const BUILTINS: &[&str] = &[
    "runPrefix",
    "casePrefix",
    "baseUrl",
    "uuid",
    MARKER,
    SCOPE,
    REQUEST_ONLY,
    REQUEST_ONLY_POINTER,
    CUSTOM_TYPE,
    CUSTOM_ENDPOINT,
    MAX_FILTER_RESULTS,
];
/// The built-in naming an optional User string attribute the target declares, for cases that
/// need one to write and read back (chosen from [`MARKER_CANDIDATES`]).
pub const MARKER: &str = "marker";
/// Marker attributes in order of preference: free-form strings of RFC 7643 §4.1.
pub const MARKER_CANDIDATES: [&str; 4] = ["title", "nickName", "userType", "displayName"];
/// The built-in naming a User attribute the target declares `returned: request` (RFC 7643 §7),
/// as `attributes=` and PATCH paths name it (URN-qualified for an extension's); defined where
/// the target declares one (the `returned-request` capability).
pub const REQUEST_ONLY: &str = "requestOnly";
/// The same attribute as a JSON pointer into a User after its `/`: `"/${requestOnlyPointer}"`
/// is e.g. `/urn:…:User/note`.
pub const REQUEST_ONLY_POINTER: &str = "requestOnlyPointer";
/// The built-in naming the first resource type beyond User and Group the target publishes
/// (RFC 7643 §6); defined where it publishes one (the `custom-resource-type` capability).
pub const CUSTOM_TYPE: &str = "customType";
/// That resource type's endpoint, relative to the base URL, e.g. `/Devices`.
pub const CUSTOM_ENDPOINT: &str = "customEndpoint";
/// The built-in holding the most results a filter may yield, as the target's contract declares
/// it (`[limits] max-filter-results`); defined where it does (the `filter-result-cap`
/// capability).
pub const MAX_FILTER_RESULTS: &str = "maxFilterResults";
/// The built-in holding a filter that selects exactly the Users the case created (see
/// [`Scoping`]).
pub const SCOPE: &str = "scope";

/// How `${scope}` selects a case's own Users. Cases using it also write their prefix into
/// their marker attribute (`"${marker}": "${casePrefix}"`), so any of them works.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scoping {
    /// `userName sw "<casePrefix>-"`: every userName a case generates starts with its prefix.
    #[default]
    UserNamePrefix,
    /// `<marker> eq "<casePrefix>"`, for a target whose filters lack `sw` (RFC 7644 §3.4.2.2
    /// lets it answer invalidFilter) but compare with `eq`.
    MarkerTag,
    /// `(userName eq "…" or userName eq "…")`, one `eq` per User the case created so far, for
    /// a target that compares only userName but joins comparisons with `or`. Grouped, so that
    /// a case may go on with `${scope} and …`.
    UserNames,
}

impl Scoping {
    /// The filter selecting the case's own Users; `user_names` are the userNames of the Users
    /// it created so far, which only [`Scoping::UserNames`] reads.
    pub fn filter(self, case_prefix: &str, marker: &str, user_names: &[String]) -> String {
        match self {
            Scoping::UserNamePrefix => format!("userName sw \"{case_prefix}-\""),
            Scoping::MarkerTag => format!("{marker} eq \"{case_prefix}\""),
            // Before the case created anyone: a userName no one has, as no generator makes one.
            Scoping::UserNames if user_names.is_empty() => {
                format!("userName eq \"{case_prefix}-\"")
            }
            Scoping::UserNames => {
                let each: Vec<String> = user_names
                    .iter()
                    .map(|name| format!("userName eq {}", Value::from(name.as_str())))
                    .collect();
                format!("({})", each.join(" or "))
            }
        }
    }
}
/// The variable a `repeat` step defines.
pub const REPEAT_INDEX: &str = "i";
/// How deep generator arguments may nest. One level is all a case needs (`${user:m-${i}}`); the
/// parser recurses per level, so without a bound a hostile case file would overflow the stack.
const MAX_NESTING: usize = 8;

/// Generator functions, each making a value under the case's unique prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generator {
    /// `${user:x}`: a unique userName, shaped as an e-mail address (many vendors require that).
    User,
    /// `${email:x}`: a unique e-mail address, distinct from the userName.
    Email,
    /// `${name:x}`: a unique display name or external id.
    Name,
    /// `${upper:x}`: `x` in upper case.
    Upper,
    /// `${lower:x}`: `x` in lower case.
    Lower,
}

impl Generator {
    fn from_name(name: &str) -> Option<Generator> {
        match name {
            "user" => Some(Generator::User),
            "email" => Some(Generator::Email),
            "name" => Some(Generator::Name),
            "upper" => Some(Generator::Upper),
            "lower" => Some(Generator::Lower),
            _ => None,
        }
    }

    /// `domain` is the one a target's contract requires addresses to use; without one, user
    /// names and emails get distinct domains of example.com.
    pub fn generate(self, case_prefix: &str, arg: &str, domain: Option<&str>) -> String {
        match (self, domain) {
            (Generator::User, None) => format!("{case_prefix}-{arg}@example.com"),
            (Generator::Email, None) => format!("{case_prefix}-{arg}@mail.example.com"),
            (Generator::User, Some(domain)) => format!("{case_prefix}-{arg}@{domain}"),
            // Still distinct from the userName generated from the same argument.
            (Generator::Email, Some(domain)) => format!("{case_prefix}-{arg}.mail@{domain}"),
            (Generator::Name, _) => format!("{case_prefix}-{arg}"),
            (Generator::Upper, _) => arg.to_uppercase(),
            (Generator::Lower, _) => arg.to_lowercase(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(String),
    Generate(Generator, Template),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("unclosed `${{` in `{0}`")]
    Unclosed(String),
    #[error("empty `${{}}` in `{0}`")]
    Empty(String),
    #[error("unknown generator `{name}:` in `{text}` (known: user, email, name, upper, lower)")]
    UnknownGenerator { name: String, text: String },
    #[error("`{0}` is not a variable name (letters, digits, `_` and `.` only)")]
    BadName(String),
    #[error("`${{…}}` nested more than {MAX_NESTING} deep in `{0}`")]
    TooDeep(String),
}

/// What a template needs to render.
pub trait Scope {
    /// The value of a variable, if defined.
    fn variable(&self, name: &str) -> Option<&Value>;
    /// The prefix generators build on.
    fn case_prefix(&self) -> &str;
    /// The domain generated addresses must use (a contract's), if any.
    fn email_domain(&self) -> Option<&str> {
        None
    }
}

/// A variable the scope did not define at render time.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("variable `{0}` is not defined")]
pub struct Undefined(pub String);

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let (template, rest) = parse_until(text, text, 0)?;
        debug_assert!(rest.is_empty());
        Ok(template)
    }

    /// Every variable the template reads (generators read only the case prefix).
    pub fn variables(&self) -> BTreeSet<&str> {
        let mut names = BTreeSet::new();
        self.collect_variables(&mut names);
        names
    }

    fn collect_variables<'a>(&'a self, names: &mut BTreeSet<&'a str>) {
        for part in &self.parts {
            match part {
                Part::Literal(_) => {}
                Part::Variable(name) => {
                    names.insert(name.as_str());
                }
                Part::Generate(_, arg) => arg.collect_variables(names),
            }
        }
    }

    pub fn render(&self, scope: &dyn Scope) -> Result<String, Undefined> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Variable(name) => {
                    let value = scope
                        .variable(name)
                        .ok_or_else(|| Undefined(name.clone()))?;
                    match value {
                        Value::String(s) => out.push_str(s),
                        other => out.push_str(&other.to_string()),
                    }
                }
                Part::Generate(generator, arg) => {
                    let arg = arg.render(scope)?;
                    out.push_str(&generator.generate(
                        scope.case_prefix(),
                        &arg,
                        scope.email_domain(),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// `Some(name)` when the whole template is one `${name}`: such a string stands for the
    /// variable's JSON value, keeping its type.
    fn sole_variable(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Variable(name)] => Some(name),
            _ => None,
        }
    }
}

/// Parses up to the end of `text`, or, at `depth` > 0 (inside a generator's argument), up to
/// the `}` closing it.
fn parse_until<'t>(
    whole: &str,
    mut text: &'t str,
    depth: usize,
) -> Result<(Template, &'t str), TemplateError> {
    let nested = depth > 0;
    let mut parts = Vec::new();
    let mut literal = String::new();
    loop {
        let stop = if nested {
            text.find(['$', '}'])
        } else {
            text.find('$')
        };
        let Some(at) = stop else {
            if nested {
                return Err(TemplateError::Unclosed(excerpt(whole)));
            }
            literal.push_str(text);
            text = "";
            break;
        };
        literal.push_str(&text[..at]);
        text = &text[at..];
        if text.starts_with('}') {
            text = &text[1..];
            break;
        }
        if let Some(inner) = text.strip_prefix("${") {
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            let (part, rest) = parse_expression(whole, inner, depth)?;
            parts.push(part);
            text = rest;
        } else {
            literal.push('$');
            text = &text[1..];
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    Ok((Template { parts }, text))
}

fn parse_expression<'t>(
    whole: &str,
    text: &'t str,
    depth: usize,
) -> Result<(Part, &'t str), TemplateError> {
    let head_end = text
        .find([':', '}', '$'])
        .ok_or_else(|| TemplateError::Unclosed(excerpt(whole)))?;
    let head = &text[..head_end];
    match text[head_end..].chars().next() {
        Some('}') => {
            if head.is_empty() {
                return Err(TemplateError::Empty(excerpt(whole)));
            }
            check_name(head)?;
            Ok((Part::Variable(head.to_owned()), &text[head_end + 1..]))
        }
        Some(':') => {
            let generator =
                Generator::from_name(head).ok_or_else(|| TemplateError::UnknownGenerator {
                    name: excerpt(head),
                    text: excerpt(whole),
                })?;
            if depth >= MAX_NESTING {
                return Err(TemplateError::TooDeep(excerpt(whole)));
            }
            let (arg, rest) = parse_until(whole, &text[head_end + 1..], depth + 1)?;
            Ok((Part::Generate(generator, arg), rest))
        }
        _ => Err(TemplateError::BadName(excerpt(head))),
    }
}

/// A template as quoted in an error: a case string may be long, the message stays one line.
fn excerpt(text: &str) -> String {
    const LIMIT: usize = 80;
    match text.char_indices().nth(LIMIT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn check_name(name: &str) -> Result<(), TemplateError> {
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        Ok(())
    } else {
        Err(TemplateError::BadName(excerpt(name)))
    }
}

/// Every string inside a JSON value (keys included), for load-time checks.
pub fn strings_in(value: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    collect_strings(value, &mut out);
    out
}

fn collect_strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => {
            for (key, v) in map {
                out.push(key);
                collect_strings(v, out);
            }
        }
        _ => {}
    }
}

/// Renders every string inside a JSON value. A string that is exactly `${name}` becomes the
/// variable's value with its JSON type, so `equals: "${total}"` compares numbers as numbers.
pub fn render_value(value: &Value, scope: &dyn Scope) -> Result<Value, RenderError> {
    Ok(match value {
        Value::String(text) => {
            let template = Template::parse(text)?;
            match template.sole_variable() {
                Some(name) => scope
                    .variable(name)
                    .cloned()
                    .ok_or_else(|| Undefined(name.to_owned()))?,
                None => Value::String(template.render(scope)?),
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_value(item, scope))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = serde_json::Map::with_capacity(map.len());
            for (key, item) in map {
                out.insert(render_str(key, scope)?, render_value(item, scope)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Parses and renders a string template.
pub fn render_str(text: &str, scope: &dyn Scope) -> Result<String, RenderError> {
    Ok(Template::parse(text)?.render(scope)?)
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RenderError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Undefined(#[from] Undefined),
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::*;

    struct Vars(HashMap<&'static str, Value>);

    impl Scope for Vars {
        fn variable(&self, name: &str) -> Option<&Value> {
            self.0.get(name)
        }
        fn case_prefix(&self) -> &str {
            "scimcheck-ab12cd-007"
        }
    }

    fn vars() -> Vars {
        Vars(HashMap::from([
            ("id", json!("2819c223")),
            ("total", json!(5)),
            ("i", json!(3)),
        ]))
    }

    #[test]
    fn renders_literals_variables_and_generators() {
        let cases = [
            ("/Users/${id}", "/Users/2819c223"),
            ("no variables", "no variables"),
            ("cost $5", "cost $5"),
            ("${total} users", "5 users"),
            ("${user:alice}", "scimcheck-ab12cd-007-alice@example.com"),
            ("${email:bob}", "scimcheck-ab12cd-007-bob@mail.example.com"),
            ("${name:team}", "scimcheck-ab12cd-007-team"),
            (
                "${user:member-${i}}",
                "scimcheck-ab12cd-007-member-3@example.com",
            ),
            ("${upper:${user:al}}", "SCIMCHECK-AB12CD-007-AL@EXAMPLE.COM"),
            ("${lower:ID-${id}}", "id-2819c223"),
            (
                "userName sw \"${name:}\"",
                "userName sw \"scimcheck-ab12cd-007-\"",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(render_str(text, &vars()).as_deref(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn rejects_malformed_templates() {
        let cases = [
            ("${id", TemplateError::Unclosed("${id".into())),
            ("${}", TemplateError::Empty("${}".into())),
            (
                "${nope:x}",
                TemplateError::UnknownGenerator {
                    name: "nope".into(),
                    text: "${nope:x}".into(),
                },
            ),
            ("${a b}", TemplateError::BadName("a b".into())),
            ("${user:x", TemplateError::Unclosed("${user:x".into())),
        ];
        for (text, expected) in cases {
            assert_eq!(Template::parse(text), Err(expected), "{text}");
        }
    }

    /// `${user:${user:…x…}}`, `depth` generators deep.
    fn nested(depth: usize) -> String {
        format!("{}x{}", "${user:".repeat(depth), "}".repeat(depth))
    }

    #[test]
    fn nesting_is_bounded_without_overflowing_the_stack() {
        assert!(Template::parse(&nested(MAX_NESTING)).is_ok());
        let error = Template::parse(&nested(MAX_NESTING + 1)).unwrap_err();
        assert!(matches!(error, TemplateError::TooDeep(_)), "{error}");
        // Deep enough to overflow the stack if the parser recursed all the way.
        let error = Template::parse(&nested(100_000)).unwrap_err();
        assert!(matches!(error, TemplateError::TooDeep(_)), "{error}");
        assert!(
            error.to_string().len() < 200,
            "the message quotes an excerpt"
        );
        let unclosed = "${user:".repeat(100_000);
        assert!(Template::parse(&unclosed).is_err());
    }

    #[test]
    fn reports_undefined_variables() {
        assert_eq!(
            render_str("/Users/${missing}", &vars()),
            Err(RenderError::Undefined(Undefined("missing".into())))
        );
        let template = Template::parse("${a}-${user:${b}}").unwrap();
        assert_eq!(template.variables(), BTreeSet::from(["a", "b"]));
    }

    #[test]
    fn scoping_selects_a_cases_users_by_prefix_by_tag_or_by_name() {
        let names = ["p-a@example.com".to_owned(), "p-\"b\"".to_owned()];
        let prefix = Scoping::UserNamePrefix.filter("scimcheck-ab12-007", "title", &names);
        assert_eq!(prefix, "userName sw \"scimcheck-ab12-007-\"");
        let tag = Scoping::MarkerTag.filter("scimcheck-ab12-007", "nickName", &names);
        assert_eq!(tag, "nickName eq \"scimcheck-ab12-007\"");
        let by_name = Scoping::UserNames.filter("scimcheck-ab12-007", "title", &names);
        assert_eq!(
            by_name,
            "(userName eq \"p-a@example.com\" or userName eq \"p-\\\"b\\\"\")"
        );
        let none = Scoping::UserNames.filter("scimcheck-ab12-007", "title", &[]);
        assert_eq!(none, "userName eq \"scimcheck-ab12-007-\"");
    }

    #[test]
    fn a_sole_variable_keeps_its_json_type() {
        let rendered = render_value(
            &json!({"count": "${total}", "label": "n=${total}", "${id}": [1]}),
            &vars(),
        )
        .unwrap();
        assert_eq!(
            rendered,
            json!({"count": 5, "label": "n=5", "2819c223": [1]})
        );
    }
}
