//! PATCH target paths (RFC 7644 §3.5.2): `PATH = attrPath / valuePath [subAttr]`,
//! e.g. `emails[type eq "work"].value` or `members[value eq "2819c223"]`.
//!
//! Paths come from clients: one longer than [`MAX_PATH_LEN`] is refused before it is looked
//! at, and the value filter inside brackets has the filter parser's depth limit
//! ([`filter::MAX_DEPTH`], the brackets counting as a level). Identity providers send paths
//! of well under a hundred bytes.

use std::fmt;

use super::attr::{AttrPath, is_attr_name};
use super::filter::{self, Filter, FilterError};

/// A parsed PATCH path.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute, with `sub` set for plain `name.sub` paths.
    pub attr: AttrPath,
    /// The value filter of a `valuePath`, with attribute names qualified by `attr`; evaluate it
    /// with [`Filter::matches_element`].
    pub filter: Option<Filter>,
    /// The sub-attribute after a value filter (`….value`).
    pub filter_sub: Option<String>,
}

/// Why a PATCH path did not parse. A bad filter inside brackets is `invalidFilter`; everything
/// else is `invalidPath` (RFC 7644 Table 9).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("invalid attribute path {0:?}")]
    InvalidPath(String),
    #[error("the path is {len} bytes long; at most {MAX_PATH_LEN} are accepted")]
    TooLong { len: usize },
    #[error("invalid value filter in path: {0}")]
    InvalidFilter(#[from] FilterError),
}

/// Longest PATCH path accepted, in bytes.
pub const MAX_PATH_LEN: usize = 4 * 1024;

/// Parses a PATCH path.
pub fn parse(input: &str) -> Result<PatchPath, PathError> {
    if input.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong { len: input.len() });
    }
    let invalid = || PathError::InvalidPath(input.to_owned());
    let input_trimmed = input.trim();
    let Some(open) = input_trimmed.find('[') else {
        let attr = AttrPath::parse(input_trimmed).ok_or_else(invalid)?;
        return Ok(PatchPath {
            attr,
            filter: None,
            filter_sub: None,
        });
    };
    let attr = AttrPath::parse(&input_trimmed[..open]).ok_or_else(invalid)?;
    if attr.sub.is_some() {
        return Err(invalid());
    }
    let close = closing_bracket(input_trimmed, open).ok_or_else(invalid)?;
    let filter = filter::parse_value_filter(&input_trimmed[open + 1..close], &attr)?;
    let filter_sub = match &input_trimmed[close + 1..] {
        "" => None,
        rest => match rest.strip_prefix('.') {
            Some(sub) if is_attr_name(sub) => Some(sub.to_owned()),
            _ => return Err(invalid()),
        },
    };
    Ok(PatchPath {
        attr,
        filter: Some(filter),
        filter_sub,
    })
}

/// The `]` matching the `[` at `open`, skipping brackets inside quoted strings.
fn closing_bracket(text: &str, open: usize) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip_while(|&(i, _)| i <= open) {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ']' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if self.filter.is_some() {
            f.write_str("[…]")?;
        }
        if let Some(sub) = &self.filter_sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_paths() {
        // (path, attribute, has filter, sub-attribute after the filter)
        let cases: &[(&str, &str, bool, Option<&str>)] = &[
            ("userName", "userName", false, None),
            ("name.givenName", "name.givenName", false, None),
            ("members", "members", false, None),
            (r#"members[value eq "2819c223"]"#, "members", true, None),
            (
                r#"emails[type eq "work"].value"#,
                "emails",
                true,
                Some("value"),
            ),
            (
                r#"emails[type eq "work" and value co "]"].display"#,
                "emails",
                true,
                Some("display"),
            ),
            (
                r#"addresses[type eq "wo\"rk"].streetAddress"#,
                "addresses",
                true,
                Some("streetAddress"),
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                false,
                None,
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                false,
                None,
            ),
        ];
        for (text, attr, has_filter, sub) in cases {
            let path = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(path.attr.to_string(), *attr, "{text}");
            assert_eq!(path.filter.is_some(), *has_filter, "{text}");
            assert_eq!(path.filter_sub.as_deref(), *sub, "{text}");
        }
    }

    #[test]
    fn filter_in_path_matches_values() {
        let path = parse(r#"emails[type eq "WORK"]"#).expect("parses");
        let filter = path.filter.expect("has a filter");
        let email = json!({"type": "work", "value": "a@b"});
        assert!(filter.matches_element(&email, &|attr| {
            assert_eq!(attr.to_string(), "emails.type");
            false
        }));
        assert!(!filter.matches_element(&email, &|_| true));
    }

    #[test]
    fn bounds_paths() {
        let deep_filter = |n: usize| {
            format!(
                "emails[{}type eq \"work\"{}].value",
                "(".repeat(n),
                ")".repeat(n)
            )
        };
        assert!(parse(&deep_filter(filter::MAX_DEPTH - 1)).is_ok());
        assert!(matches!(
            parse(&deep_filter(filter::MAX_DEPTH)),
            Err(PathError::InvalidFilter(FilterError::TooDeep { .. }))
        ));
        for long in [
            deep_filter(100_000),
            "emails[".repeat(100_000),
            "a.".repeat(MAX_PATH_LEN),
            format!("{}{}", "x".repeat(MAX_PATH_LEN), "é"),
        ] {
            assert_eq!(parse(&long), Err(PathError::TooLong { len: long.len() }));
        }
        // Non-ASCII input at every position is refused, never sliced mid-character.
        for text in [
            "é",
            "émails[type eq \"x\"]",
            "emails[typé eq \"x\"]",
            "emails[type eq \"x\"].vä",
            "urnä:x",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
        assert!(parse("emails[type eq \"wörk\"].value").is_ok());
    }

    #[test]
    fn rejects_bad_paths() {
        let cases: &[(&str, bool)] = &[
            // (path, is a filter error rather than a path error)
            ("", false),
            ("user name", false),
            ("name.givenName.x", false),
            ("emails[", false),
            (r#"emails[type eq "work""#, false),
            (r#"emails[type eq "work"]value"#, false),
            (r#"emails[type eq "work"]."#, false),
            (r#"name.givenName[type eq "work"]"#, false),
            (r#"emails[type eq]"#, true),
            (r#"emails[type regex "x"]"#, true),
            ("emails[]", true),
        ];
        for (text, is_filter_error) in cases {
            match parse(text) {
                Ok(p) => panic!("{text} parsed as {p:?}"),
                Err(e) => assert_eq!(
                    matches!(e, PathError::InvalidFilter(_)),
                    *is_filter_error,
                    "{text}: {e}"
                ),
            }
        }
    }
}
