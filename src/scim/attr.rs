//! Attribute paths (RFC 7644 §3.10): `[URN ":"] name ["." subAttr]`, shared by filters,
//! PATCH paths, `sortBy` and `attributes`.

use std::fmt;

/// A parsed attribute path. Names keep the spelling the client used; callers compare them
/// case-insensitively (RFC 7643 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// Schema URN prefix, e.g. the enterprise extension URN, when the path was fully qualified.
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses `[URN ":"] ATTRNAME ["." subAttr]`. Returns `None` when the text is not a path.
    pub fn parse(text: &str) -> Option<AttrPath> {
        let (urn, rest) = split_urn(text);
        let (name, sub) = match rest.split_once('.') {
            Some((name, sub)) => (name, Some(sub)),
            None => (rest, None),
        };
        if !is_attr_name(name) || sub.is_some_and(|s| !is_attr_name(s)) {
            return None;
        }
        Some(AttrPath {
            urn: urn.map(str::to_owned),
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        })
    }

    /// `self` as a sub-attribute path inside `parent` (for `emails[type eq "work"]`).
    pub fn within(&self, parent: &AttrPath) -> AttrPath {
        AttrPath {
            urn: parent.urn.clone(),
            name: parent.name.clone(),
            sub: Some(self.name.clone()),
        }
    }

    /// The path without its URN: `name` or `name.sub`.
    pub fn dotted(&self) -> String {
        match &self.sub {
            Some(sub) => format!("{}.{sub}", self.name),
            None => self.name.clone(),
        }
    }
}

/// `local@domain.tld`, loosely: what a service provider that wants an email address as a
/// userName accepts.
pub fn looks_like_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    })
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.dotted())
    }
}

/// Whether `text` starts with `urn:` (any case) and has something after it. Looks at bytes,
/// so text whose fourth byte falls inside a character is simply not a URN.
pub(crate) fn has_urn_prefix(text: &str) -> bool {
    text.len() > 4 && text.as_bytes()[..4].eq_ignore_ascii_case(b"urn:")
}

/// Splits a leading schema URN off at its last `:`. URNs contain dots (`2.0`), so only the
/// segment after the last colon can hold the attribute name.
fn split_urn(text: &str) -> (Option<&str>, &str) {
    if has_urn_prefix(text)
        && let Some((urn, rest)) = text.rsplit_once(':')
    {
        return (Some(urn), rest);
    }
    (None, text)
}

/// `ATTRNAME = ALPHA *(nameChar)`, plus `$ref`, which RFC 7643 uses as a sub-attribute name.
pub(crate) fn is_attr_name(name: &str) -> bool {
    let rest = name.strip_prefix('$').unwrap_or(name);
    let mut chars = rest.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths() {
        // (text, Some((urn, name, sub)) or None when it is not a path)
        type Parts<'a> = Option<(Option<&'a str>, &'a str, Option<&'a str>)>;
        let cases: &[(&str, Parts)] = &[
            ("userName", Some((None, "userName", None))),
            ("name.familyName", Some((None, "name", Some("familyName")))),
            ("members.$ref", Some((None, "members", Some("$ref")))),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                Some((
                    Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
                    "employeeNumber",
                    None,
                )),
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                Some((
                    Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
                    "manager",
                    Some("value"),
                )),
            ),
            ("", None),
            ("1abc", None),
            ("a.b.c", None),
            ("name.", None),
            ("user name", None),
            // Multi-byte characters across the fourth byte, where a URN prefix would end.
            ("urnä", None),
            ("abcé.x", None),
            ("ü", None),
            ("名前", None),
        ];
        for (text, want) in cases {
            let got = AttrPath::parse(text);
            let got = got
                .as_ref()
                .map(|p| (p.urn.as_deref(), p.name.as_str(), p.sub.as_deref()));
            assert_eq!(got, *want, "{text}");
        }
    }

    #[test]
    fn displays_round_trip() {
        let text = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value";
        assert_eq!(
            AttrPath::parse(text).map(|p| p.to_string()).as_deref(),
            Some(text)
        );
    }
}
