//! The SCIM filter grammar (RFC 7644 §3.4.2.2) and an evaluator over JSON resources.
//!
//! Precedence, loosest first: `or`, `and`, `not ( … )` / `( … )` / attribute expressions.
//! Attribute names and operators are case-insensitive; string comparisons follow the
//! attribute's `caseExact`, which the caller supplies because only it knows the schema.
//!
//! Filters come from clients, so parsing is bounded before it can exhaust memory or the
//! stack (a server answers `400 invalidFilter`, RFC 7644 §3.4.2.2): at most
//! [`MAX_FILTER_LEN`] bytes, [`MAX_DEPTH`] levels of `( … )`, `not ( … )` and `attr[ … ]`,
//! and [`MAX_TERMS`] attribute expressions. Identity providers send filters of one to a
//! handful of terms (`userName eq "…"`, `externalId eq "…"`, `members[value eq "…"]`), so
//! the limits are far above real use and far below what a 2 MiB worker stack can hold.
//! `and` / `or` chains are n-ary rather than nested pairs, so a long chain is flat: its
//! evaluation and its `Drop` never recurse along it.

use std::cmp::Ordering;

use serde_json::{Number, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::attr::AttrPath;

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath op compValue`
    Compare {
        attr: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    /// `attrPath pr`
    Present(AttrPath),
    /// `attrPath [ valFilter ]`: some value of a multi-valued complex attribute matches.
    ValuePath {
        attr: AttrPath,
        filter: Box<Filter>,
    },
    /// Two or more filters that must all match.
    And(Vec<Filter>),
    /// Two or more filters of which one must match.
    Or(Vec<Filter>),
    Not(Box<Filter>),
}

/// Longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 32 * 1024;
/// Deepest nesting of `( … )`, `not ( … )` and value paths `attr[ … ]`.
pub const MAX_DEPTH: usize = 64;
/// Most attribute expressions (`attr op value`, `attr pr`, `attr[ … ]`) in one filter.
pub const MAX_TERMS: usize = 1000;

/// Comparison operators of RFC 7644 Table 3 (`pr` is [`Filter::Present`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    fn parse(word: &str) -> Option<CompareOp> {
        CompareOp::ALL
            .into_iter()
            .find(|op| op.name().eq_ignore_ascii_case(word))
    }

    /// The operator as RFC 7644 Table 3 spells it.
    pub fn name(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// `gt`, `ge`, `lt`, `le`: undefined on booleans and binary (RFC 7644 §3.4.2.2).
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }

    fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

/// `compValue = false / null / true / number / string`
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
}

/// Why a filter did not parse. Servers answer all of these with `400 invalidFilter`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("unexpected end of filter, expected {expected}")]
    UnexpectedEnd { expected: &'static str },
    #[error("unexpected {found:?} at offset {at}, expected {expected}")]
    Unexpected {
        found: String,
        at: usize,
        expected: &'static str,
    },
    #[error("unterminated string starting at offset {at}")]
    UnterminatedString { at: usize },
    #[error("invalid string literal at offset {at}")]
    InvalidString { at: usize },
    #[error("unknown operator {op:?} at offset {at}")]
    UnknownOperator { op: String, at: usize },
    #[error("invalid attribute path {path:?} at offset {at}")]
    InvalidAttrPath { path: String, at: usize },
    #[error("operator at offset {at} cannot compare with {value}")]
    IncompatibleValue { value: &'static str, at: usize },
    #[error("attribute filters cannot be nested (offset {at})")]
    NestedValuePath { at: usize },
    #[error("the filter is {len} bytes long; at most {MAX_FILTER_LEN} are accepted")]
    TooLong { len: usize },
    #[error("the filter nests deeper than {MAX_DEPTH} levels at offset {at}")]
    TooDeep { at: usize },
    #[error("the filter has more than {MAX_TERMS} attribute expressions (offset {at})")]
    TooManyTerms { at: usize },
}

/// Parses a filter expression.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    parse_within(input, None)
}

/// Parses the `valFilter` of a value path such as `emails[type eq "work"]`: attribute names
/// inside are qualified with `parent` (`emails.type`). Evaluate it with
/// [`Filter::matches_element`].
pub fn parse_value_filter(input: &str, parent: &AttrPath) -> Result<Filter, FilterError> {
    parse_within(input, Some(parent.clone()))
}

fn parse_within(input: &str, parent: Option<AttrPath>) -> Result<Filter, FilterError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(FilterError::TooLong { len: input.len() });
    }
    let mut parser = Parser {
        tokens: tokenize(input)?,
        pos: 0,
        // A value filter sits inside the brackets of its path, as in a filter's `attr[ … ]`.
        depth: usize::from(parent.is_some()),
        parent,
        terms: 0,
    };
    let filter = parser.or()?;
    match parser.next() {
        None => Ok(filter),
        Some(token) => Err(token.unexpected("`and`, `or` or the end of the filter")),
    }
}

impl Filter {
    /// Whether `resource` satisfies the filter. `case_exact` is asked about each compared
    /// attribute, fully qualified (`emails[type eq "x"]` asks about `emails.type`).
    pub fn matches(&self, resource: &Value, case_exact: &dyn Fn(&AttrPath) -> bool) -> bool {
        self.eval(resource, false, case_exact)
    }

    /// Whether one value of a multi-valued attribute satisfies a filter parsed with
    /// [`parse_value_filter`].
    pub fn matches_element(&self, element: &Value, case_exact: &dyn Fn(&AttrPath) -> bool) -> bool {
        self.eval(element, true, case_exact)
    }

    /// Every attribute the filter mentions, with the operator applied to it (`None` for `pr`
    /// and attribute filters), fully qualified. Servers use this to reject filters on unknown
    /// or non-comparable attributes.
    pub fn attributes(&self) -> Vec<(&AttrPath, Option<CompareOp>)> {
        let mut out = Vec::new();
        self.collect_attributes(&mut out);
        out
    }

    fn collect_attributes<'a>(&'a self, out: &mut Vec<(&'a AttrPath, Option<CompareOp>)>) {
        match self {
            Filter::Compare { attr, op, .. } => out.push((attr, Some(*op))),
            Filter::Present(attr) => out.push((attr, None)),
            Filter::ValuePath { attr, filter } => {
                out.push((attr, None));
                filter.collect_attributes(out);
            }
            Filter::And(terms) | Filter::Or(terms) => {
                terms.iter().for_each(|t| t.collect_attributes(out));
            }
            Filter::Not(inner) => inner.collect_attributes(out),
        }
    }

    /// `in_element`: `base` is one value of a multi-valued attribute and attribute paths are
    /// qualified with it, so only their sub-attribute is looked up.
    fn eval(&self, base: &Value, in_element: bool, ce: &dyn Fn(&AttrPath) -> bool) -> bool {
        match self {
            Filter::And(terms) => terms.iter().all(|t| t.eval(base, in_element, ce)),
            Filter::Or(terms) => terms.iter().any(|t| t.eval(base, in_element, ce)),
            Filter::Not(inner) => !inner.eval(base, in_element, ce),
            Filter::Present(attr) => values(base, attr, in_element).any(is_present),
            Filter::ValuePath { attr, filter } => elements(base, attr)
                .iter()
                .any(|element| filter.eval(element, true, ce)),
            Filter::Compare { attr, op, value } => {
                let mut found = values(base, attr, in_element);
                let case_exact = ce(attr);
                match (op, value) {
                    (CompareOp::Eq, CompValue::Null) => !found.any(is_present),
                    (CompareOp::Ne, CompValue::Null) => found.any(is_present),
                    (CompareOp::Ne, _) => {
                        !found.any(|v| compare(CompareOp::Eq, v, value, case_exact))
                    }
                    _ => found.any(|v| compare(*op, v, value, case_exact)),
                }
            }
        }
    }
}

/// Looks up `key` in an object without regard to case (RFC 7643 §2.1).
pub fn get_ci<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// The object holding `attr`: the extension object for extension URNs, the resource itself for
/// its core schema URN or an unqualified name.
fn container<'a>(resource: &'a Value, attr: &AttrPath) -> Option<&'a Value> {
    let Some(urn) = &attr.urn else {
        return Some(resource);
    };
    if let Some(extension) = get_ci(resource, urn) {
        return Some(extension);
    }
    let declared = get_ci(resource, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(urn)))
        });
    declared.then_some(resource)
}

/// A value as a slice: the items of an array, or the value itself. Filters visit every
/// stored resource, so values are walked in place rather than collected.
fn as_slice(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) => items,
        Value::Null => &[],
        single => std::slice::from_ref(single),
    }
}

/// The elements of a (possibly multi-valued) attribute.
fn elements<'a>(resource: &'a Value, attr: &AttrPath) -> &'a [Value] {
    container(resource, attr)
        .and_then(|c| get_ci(c, &attr.name))
        .map_or(&[], as_slice)
}

/// The comparable values at `attr`, flattened over multi-valued attributes. A multi-valued
/// complex attribute named without a sub-attribute compares its `value` sub-attribute.
/// `in_element`: `base` is one value of the attribute itself (inside `attr[…]`).
fn values<'a>(
    base: &'a Value,
    attr: &AttrPath,
    in_element: bool,
) -> impl Iterator<Item = &'a Value> {
    let elements = match (in_element, &attr.sub) {
        (true, Some(_)) => std::slice::from_ref(base),
        _ => elements(base, attr),
    };
    let sub = attr.sub.as_deref();
    elements.iter().flat_map(move |element| match sub {
        Some(sub) => get_ci(element, sub).map_or(&[][..], as_slice),
        None => match element {
            Value::Object(_) => {
                get_ci(element, "value").map_or(std::slice::from_ref(element), as_slice)
            }
            other => std::slice::from_ref(other),
        },
    })
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn compare(op: CompareOp, actual: &Value, expected: &CompValue, case_exact: bool) -> bool {
    match (actual, expected) {
        (Value::String(a), CompValue::String(e)) => match (date_time(a), date_time(e)) {
            (Some(a), Some(e)) => holds(op, a.cmp(&e)),
            _ => compare_strings(op, a, e, case_exact),
        },
        (Value::Number(a), CompValue::Number(e)) => match (a.as_f64(), e.as_f64()) {
            (Some(a), Some(e)) => a.partial_cmp(&e).is_some_and(|o| holds(op, o)),
            _ => false,
        },
        (Value::Bool(a), CompValue::Bool(e)) => op == CompareOp::Eq && a == e,
        _ => false,
    }
}

/// Whether an ordering satisfies a comparison operator; substring operators never do.
fn holds(op: CompareOp, ordering: Ordering) -> bool {
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// String comparison honouring `caseExact`. Filters run over every stored resource, so
/// case folding avoids allocating: ASCII text (the common case) is folded byte by byte, other
/// text char by char; only `co` on non-ASCII text lower-cases copies.
fn compare_strings(op: CompareOp, a: &str, e: &str, case_exact: bool) -> bool {
    let (ab, eb) = (a.as_bytes(), e.as_bytes());
    if case_exact {
        return match op {
            CompareOp::Co => a.contains(e),
            CompareOp::Sw => a.starts_with(e),
            CompareOp::Ew => a.ends_with(e),
            _ => holds(op, a.cmp(e)),
        };
    }
    if a.is_ascii() && e.is_ascii() {
        let fits = ab.len() >= eb.len();
        return match op {
            CompareOp::Co => {
                eb.is_empty() || ab.windows(eb.len()).any(|w| w.eq_ignore_ascii_case(eb))
            }
            CompareOp::Sw => fits && ab[..eb.len()].eq_ignore_ascii_case(eb),
            CompareOp::Ew => fits && ab[ab.len() - eb.len()..].eq_ignore_ascii_case(eb),
            _ => holds(
                op,
                ab.iter()
                    .map(u8::to_ascii_lowercase)
                    .cmp(eb.iter().map(u8::to_ascii_lowercase)),
            ),
        };
    }
    match op {
        CompareOp::Co => a.to_lowercase().contains(&e.to_lowercase()),
        CompareOp::Sw => {
            let mut a = folded(a);
            folded(e).all(|c| a.next() == Some(c))
        }
        CompareOp::Ew => {
            let mut a = folded(a).rev();
            folded(e).rev().all(|c| a.next() == Some(c))
        }
        _ => holds(op, folded(a).cmp(folded(e))),
    }
}

fn folded(s: &str) -> impl DoubleEndedIterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// The values a comparison on `attr` looks at in `resource`, for an index to hold exactly what
/// [`Filter::matches`] can see.
pub(crate) fn compared_values<'a>(
    resource: &'a Value,
    attr: &AttrPath,
) -> impl Iterator<Item = &'a Value> {
    values(resource, attr, false)
}

/// `s` case-folded as case-insensitive comparisons fold it: an index keyed by folded values
/// finds every value `eq` or `sw` could match, whatever the attribute's `caseExact`.
pub(crate) fn fold_case(s: &str) -> String {
    folded(s).collect()
}

/// Whether `text` compares as a dateTime rather than as a string: an index of strings cannot
/// answer a comparison with it (`…T00:00:00Z` equals `…T00:00:00.000Z`).
pub(crate) fn is_date_time(text: &str) -> bool {
    date_time(text).is_some()
}

/// dateTime values (RFC 7643 §2.3.5) compare chronologically, whatever their fraction digits.
fn date_time(text: &str) -> Option<OffsetDateTime> {
    // Cheap pre-check: most strings are not timestamps and parsing would only fail.
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes[4] != b'-' || !bytes[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// The only filter of a single term, else the n-ary `and` / `or` of the terms.
fn chain(terms: Vec<Filter>, combine: fn(Vec<Filter>) -> Filter) -> Filter {
    match <[Filter; 1]>::try_from(terms) {
        Ok([only]) => only,
        Err(terms) => combine(terms),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Word(String),
    Str(String),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    at: usize,
}

impl Token {
    fn unexpected(&self, expected: &'static str) -> FilterError {
        let found = match &self.tok {
            Tok::Open => "(".to_owned(),
            Tok::Close => ")".to_owned(),
            Tok::OpenBracket => "[".to_owned(),
            Tok::CloseBracket => "]".to_owned(),
            Tok::Word(w) => w.clone(),
            Tok::Str(s) => format!("\"{s}\""),
        };
        FilterError::Unexpected {
            found,
            at: self.at,
            expected,
        }
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(&self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(word))
    }
}

fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        let single = match c {
            '(' => Some(Tok::Open),
            ')' => Some(Tok::Close),
            '[' => Some(Tok::OpenBracket),
            ']' => Some(Tok::CloseBracket),
            _ => None,
        };
        if let Some(tok) = single {
            chars.next();
            tokens.push(Token { tok, at });
        } else if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut escaped = false;
            let end = loop {
                match chars.next() {
                    None => return Err(FilterError::UnterminatedString { at }),
                    Some((_, '\\')) if !escaped => escaped = true,
                    Some((i, '"')) if !escaped => break i,
                    Some(_) => escaped = false,
                }
            };
            let text = serde_json::from_str(&input[at..=end])
                .map_err(|_| FilterError::InvalidString { at })?;
            tokens.push(Token {
                tok: Tok::Str(text),
                at,
            });
        } else {
            let mut end = at;
            while let Some(&(i, c)) = chars.peek() {
                if c.is_whitespace() || "()[]\"".contains(c) {
                    break;
                }
                end = i + c.len_utf8();
                chars.next();
            }
            tokens.push(Token {
                tok: Tok::Word(input[at..end].to_owned()),
                at,
            });
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// The attribute whose value filter is being parsed; paths inside are qualified with it.
    parent: Option<AttrPath>,
    /// Open `(`, `not (` and `[` around the current token.
    depth: usize,
    /// Attribute expressions parsed so far.
    terms: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += usize::from(token.is_some());
        token
    }

    fn expect(&mut self, want: Tok, expected: &'static str) -> Result<(), FilterError> {
        match self.next() {
            Some(token) if token.tok == want => Ok(()),
            Some(token) => Err(token.unexpected(expected)),
            None => Err(FilterError::UnexpectedEnd { expected }),
        }
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut terms = vec![self.and()?];
        while self.peek().is_some_and(|t| t.keyword("or")) {
            self.pos += 1;
            terms.push(self.and()?);
        }
        Ok(chain(terms, Filter::Or))
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut terms = vec![self.unary()?];
        while self.peek().is_some_and(|t| t.keyword("and")) {
            self.pos += 1;
            terms.push(self.unary()?);
        }
        Ok(chain(terms, Filter::And))
    }

    /// Parses a nested `or` expression one level deeper, `at` being the opening token.
    fn nested(&mut self, at: usize) -> Result<Filter, FilterError> {
        if self.depth >= MAX_DEPTH {
            return Err(FilterError::TooDeep { at });
        }
        self.depth += 1;
        let inner = self.or();
        self.depth -= 1;
        inner
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        const EXPECTED: &str = "an attribute, `not` or `(`";
        let token = self
            .next()
            .ok_or(FilterError::UnexpectedEnd { expected: EXPECTED })?;
        match &token.tok {
            Tok::Word(_) if token.keyword("not") => {
                self.expect(Tok::Open, "`(` after `not`")?;
                let inner = self.nested(token.at)?;
                self.expect(Tok::Close, "`)`")?;
                Ok(Filter::Not(Box::new(inner)))
            }
            Tok::Open => {
                let inner = self.nested(token.at)?;
                self.expect(Tok::Close, "`)`")?;
                Ok(inner)
            }
            Tok::Word(word) => {
                let invalid = || FilterError::InvalidAttrPath {
                    path: word.clone(),
                    at: token.at,
                };
                let attr = AttrPath::parse(word).ok_or_else(invalid)?;
                let attr = match &self.parent {
                    Some(_) if attr.urn.is_some() || attr.sub.is_some() => return Err(invalid()),
                    Some(parent) => attr.within(parent),
                    None => attr,
                };
                self.attribute_expression(attr, token.at)
            }
            _ => Err(token.unexpected(EXPECTED)),
        }
    }

    fn attribute_expression(&mut self, attr: AttrPath, at: usize) -> Result<Filter, FilterError> {
        const EXPECTED: &str = "an operator";
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(FilterError::TooManyTerms { at });
        }
        let token = self
            .next()
            .ok_or(FilterError::UnexpectedEnd { expected: EXPECTED })?;
        let word = match &token.tok {
            Tok::OpenBracket if self.parent.is_some() => {
                return Err(FilterError::NestedValuePath { at: token.at });
            }
            Tok::OpenBracket if attr.sub.is_none() => {
                self.parent = Some(attr.clone());
                let inner = self.nested(token.at)?;
                self.parent = None;
                self.expect(Tok::CloseBracket, "`]`")?;
                return Ok(Filter::ValuePath {
                    attr,
                    filter: Box::new(inner),
                });
            }
            Tok::Word(word) => word,
            _ => return Err(token.unexpected(EXPECTED)),
        };
        if word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(attr));
        }
        let op = CompareOp::parse(word).ok_or_else(|| FilterError::UnknownOperator {
            op: word.clone(),
            at: token.at,
        })?;
        let value = self.comp_value()?;
        let incompatible = match &value {
            CompValue::Bool(_) if op.is_ordering() || op.is_substring() => Some("a boolean"),
            CompValue::Null if op.is_ordering() || op.is_substring() => Some("null"),
            CompValue::Number(_) if op.is_substring() => Some("a number"),
            _ => None,
        };
        if let Some(value) = incompatible {
            return Err(FilterError::IncompatibleValue { value, at });
        }
        Ok(Filter::Compare { attr, op, value })
    }

    fn comp_value(&mut self) -> Result<CompValue, FilterError> {
        const EXPECTED: &str = "a string, number, true, false or null";
        let token = self
            .next()
            .ok_or(FilterError::UnexpectedEnd { expected: EXPECTED })?;
        match &token.tok {
            Tok::Str(s) => Ok(CompValue::String(s.clone())),
            Tok::Word(w) if w == "true" => Ok(CompValue::Bool(true)),
            Tok::Word(w) if w == "false" => Ok(CompValue::Bool(false)),
            Tok::Word(w) if w == "null" => Ok(CompValue::Null),
            Tok::Word(w) => match serde_json::from_str::<Value>(w) {
                Ok(Value::Number(n)) => Ok(CompValue::Number(n)),
                _ => Err(token.unexpected(EXPECTED)),
            },
            _ => Err(token.unexpected(EXPECTED)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ],
            "id": "2819c223",
            "externalId": "Ext-1",
            "userName": "BJensen",
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            "title": "Tour \"Guide\"",
            "nickName": "Ärztin",
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "x509Certificates": [],
            "loginCount": 42,
            "meta": {"lastModified": "2011-05-13T04:42:34Z", "resourceType": "User"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984",
                "manager": {"value": "26118915"}
            }
        })
    }

    fn case_exact(attr: &AttrPath) -> bool {
        attr.sub.is_none()
            && ["id", "externalId"]
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&attr.name))
    }

    #[test]
    fn evaluates_filters() {
        let cases: &[(&str, bool)] = &[
            (r#"userName eq "bjensen""#, true),
            (r#"USERNAME EQ "BJENSEN""#, true),
            (r#"userName eq "bjensen2""#, false),
            (r#"userName ne "bjensen""#, false),
            (r#"userName ne "other""#, true),
            (r#"userName co "jen""#, true),
            (r#"userName sw "bj""#, true),
            (r#"userName sw "je""#, false),
            (r#"userName ew "SEN""#, true),
            (r#"externalId eq "ext-1""#, false),
            (r#"externalId eq "Ext-1""#, true),
            (r#"id eq "2819C223""#, false),
            ("title pr", true),
            ("nickName pr", true),
            ("displayName pr", false),
            (r#"nickName eq "ärztin""#, true),
            (r#"nickName sw "ÄR""#, true),
            (r#"nickName ew "TIN""#, true),
            (r#"nickName ew "ÄRZTIN!""#, false),
            (r#"nickName gt "ärzt""#, true),
            (r#"nickName le "ärzt""#, false),
            (r#"nickName co "RZT""#, true),
            (r#"nickName co "ÄRZTINNEN""#, false),
            (r#"userName co """#, true),
            (r#"userName co "JENSENX""#, false),
            (r#"userName sw "BJENSENX""#, false),
            (r#"userName ge "BJENSEN""#, true),
            (r#"userName lt "BJENSEN""#, false),
            (r#"externalId sw "ext""#, false),
            (r#"externalId ew "t-1""#, true),
            ("x509Certificates pr", false),
            (r#"title eq "Tour \"Guide\"""#, true),
            (r#"name.familyName eq "jensen""#, true),
            (r#"name.FAMILYNAME co "ens""#, true),
            (r#"emails.value co "@jensen.org""#, true),
            (r#"emails co "@jensen.org""#, true),
            (r#"emails.type eq "other""#, false),
            (
                r#"emails[type eq "work" and value co "@example.com"]"#,
                true,
            ),
            (
                r#"emails[type eq "home" and value co "@example.com"]"#,
                false,
            ),
            (r#"emails[primary eq true]"#, true),
            (r#"emails[not (type eq "work")]"#, true),
            ("active eq true", true),
            ("active eq false", false),
            ("active ne false", true),
            ("loginCount gt 41", true),
            ("loginCount gt 42", false),
            ("loginCount ge 42", true),
            ("loginCount lt 42.5", true),
            ("loginCount le 41", false),
            ("loginCount eq 42.0", true),
            (r#"meta.lastModified gt "2011-05-13T04:42:33Z""#, true),
            (r#"meta.lastModified gt "2011-05-13T04:42:34.000Z""#, false),
            (r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#, true),
            (r#"meta.lastModified lt "2011-05-13T05:00:00+02:00""#, false),
            (r#"userName gt "a""#, true),
            (r#"userName lt "A""#, false),
            ("displayName eq null", true),
            ("userName eq null", false),
            ("displayName ne null", false),
            (
                r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen""#,
                true,
            ),
            (r#"urn:example:other:userName eq "bjensen""#, false),
            (r#"userName eq "x" or userName eq "bjensen""#, true),
            (r#"userName eq "x" and userName eq "bjensen""#, false),
            // `a or b and c` is `a or (b and c)`.
            (
                r#"userName eq "bjensen" or title eq "x" and active eq false"#,
                true,
            ),
            (
                r#"(userName eq "bjensen" or title eq "x") and active eq false"#,
                false,
            ),
            (r#"not (userName eq "bjensen")"#, false),
            (r#"not (userName eq "x") and active eq true"#, true),
            (r#"NOT (userName eq "x") AND active eq true"#, true),
            (r#"unknown eq "x""#, false),
            (r#"unknown ne "x""#, true),
        ];
        for (text, want) in cases {
            let filter = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(filter.matches(&user(), &case_exact), *want, "{text}");
        }
    }

    #[test]
    fn rejects_malformed_filters() {
        let cases: &[(&str, &str)] = &[
            ("", "unexpected end"),
            ("userName", "unexpected end"),
            (r#"userName regex "x""#, "unknown operator"),
            (r#"userName eq"#, "unexpected end"),
            (r#"userName eq bjensen"#, "unexpected \"bjensen\""),
            (r#"userName eq "unterminated"#, "unterminated string"),
            (r#"userName eq "bad \q escape""#, "invalid string"),
            (r#"userName eq "a" and"#, "unexpected end"),
            (
                r#"userName eq "a" xor userName eq "b""#,
                "unexpected \"xor\"",
            ),
            (r#"(userName eq "a""#, "unexpected end"),
            (r#"userName eq "a")"#, "unexpected \")\""),
            (r#"not userName eq "a""#, "`(` after `not`"),
            (r#"1userName eq "a""#, "invalid attribute path"),
            (r#"emails[type eq "work""#, "unexpected end"),
            (r#"emails[type eq "work"] eq "x""#, "unexpected \"eq\""),
            (r#"emails[type[value eq "x"]]"#, "cannot be nested"),
            (r#"emails[type.x eq "x"]"#, "invalid attribute path"),
            ("active gt true", "cannot compare with a boolean"),
            ("active co false", "cannot compare with a boolean"),
            ("title lt null", "cannot compare with null"),
            ("loginCount co 4", "cannot compare with a number"),
            (r#""userName" eq "a""#, "expected an attribute"),
            ("userName eq TRUE", "unexpected \"TRUE\""),
            ("[", "expected an attribute"),
        ];
        for (text, want) in cases {
            match parse(text) {
                Ok(f) => panic!("{text} parsed as {f:?}"),
                Err(e) => assert!(e.to_string().contains(want), "{text}: {e}"),
            }
        }
    }

    /// `n` copies of `open`, then `inner`, then `n` copies of `close`.
    fn nest(open: &str, inner: &str, close: &str, n: usize) -> String {
        format!("{}{inner}{}", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn bounds_nesting() {
        let user = user();
        let at_limit = [
            nest("(", "userName pr", ")", MAX_DEPTH),
            nest("not (", "userName pr", ")", MAX_DEPTH),
            format!("emails[{}]", nest("(", "type pr", ")", MAX_DEPTH - 1)),
        ];
        for text in &at_limit {
            let filter = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            // An even number of `not`s, or none: the user has a userName.
            assert!(filter.matches(&user, &case_exact), "{text}");
        }
        let over = [
            nest("(", "userName pr", ")", MAX_DEPTH + 1),
            nest("not (", "userName pr", ")", MAX_DEPTH + 1),
            format!("emails[{}]", nest("(", "type pr", ")", MAX_DEPTH)),
            nest("(", "userName pr", ")", 2000),
        ];
        for text in &over {
            assert!(
                matches!(parse(text), Err(FilterError::TooDeep { .. })),
                "{text}"
            );
        }
    }

    /// The depth limit leaves a worker thread's 2 MiB stack (tokio's default, which `scimcheck
    /// serve` uses) a wide margin: filters at the limit parse, evaluate and drop in a quarter.
    #[test]
    fn nesting_at_the_limit_fits_a_small_stack() {
        let deepest = [
            nest("(", "userName pr", ")", MAX_DEPTH),
            nest("not (", "userName pr", ")", MAX_DEPTH),
            format!("emails[{}]", nest("not (", "type pr", ")", MAX_DEPTH - 1)),
        ];
        std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || {
                for text in &deepest {
                    let filter = parse(text).expect("parses");
                    filter.matches(&user(), &case_exact);
                    let _ = filter.attributes();
                }
            })
            .expect("thread starts")
            .join()
            .expect("no stack overflow");
    }

    #[test]
    fn bounds_terms_and_length() {
        let chain = |n: usize| vec!["userName pr"; n].join(" or ");
        let at_limit = parse(&chain(MAX_TERMS)).expect("parses");
        assert!(matches!(&at_limit, Filter::Or(terms) if terms.len() == MAX_TERMS));
        assert!(at_limit.matches(&user(), &case_exact));
        let mixed = vec![r#"title pr and emails[type eq "x"]"#; MAX_TERMS / 2 + 1].join(" or ");
        for text in [chain(MAX_TERMS + 1), mixed] {
            assert!(
                matches!(parse(&text), Err(FilterError::TooManyTerms { .. })),
                "{} bytes",
                text.len()
            );
        }
        let long = chain(40_000);
        assert_eq!(parse(&long), Err(FilterError::TooLong { len: long.len() }));
        let long_string = format!(r#"userName eq "{}""#, "x".repeat(MAX_FILTER_LEN));
        assert!(matches!(
            parse(&long_string),
            Err(FilterError::TooLong { .. })
        ));
    }

    #[test]
    fn chains_are_flat() {
        let filter = parse(r#"title pr or userName pr and active pr and id pr or nickName pr"#)
            .expect("parses");
        let Filter::Or(terms) = &filter else {
            panic!("not an or: {filter:?}");
        };
        assert_eq!(terms.len(), 3);
        assert!(matches!(&terms[1], Filter::And(inner) if inner.len() == 3));
        // A chain far longer than the parser accepts evaluates and drops without recursing.
        let long = Filter::Or(vec![
            Filter::Present(AttrPath::parse("x").expect("path"));
            200_000
        ]);
        assert!(!long.matches(&user(), &case_exact));
    }

    #[test]
    fn lists_attributes() {
        let filter = parse(r#"emails[type eq "work"] and not (active pr)"#).expect("parses");
        let names: Vec<_> = filter
            .attributes()
            .into_iter()
            .map(|(a, op)| (a.to_string(), op))
            .collect();
        assert_eq!(
            names,
            [
                ("emails".to_owned(), None),
                ("emails.type".to_owned(), Some(CompareOp::Eq)),
                ("active".to_owned(), None),
            ]
        );
    }
}
