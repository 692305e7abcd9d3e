//! Secrets never leave the process: every text scimcheck prints or writes passes through a
//! [`Redactor`] that knows the configured credentials.
//!
//! The rule for every writer: assemble the whole text, redact it, and only then cut it short.
//! A text cut first may end in the first 21 characters of a 22-character token, which no
//! search for the whole token finds. (A cut ending in `…` is caught here as a last resort.)

use std::borrow::Cow;
use std::sync::{Arc, PoisonError, RwLock};

use regex::Regex;

/// What replaces a secret: `[REDACTED scim token]`.
fn label_text(label: &str) -> String {
    format!("[REDACTED {label}]")
}

/// The marker every cut in scimcheck's messages ends with.
const CUT_MARKER: char = '…';
/// The shortest head of a secret, just before a cut marker, that is still redacted.
const MIN_CUT_PREFIX: usize = 4;

#[derive(Debug, Clone)]
struct Secret {
    text: String,
    label: &'static str,
    /// The secret as written, percent-encoded (in a query or a `Location`), form-encoded or
    /// JSON-escaped, in any mix.
    pattern: Regex,
}

/// Replaces every configured secret with a label naming which credential it was.
///
/// Clones share their secrets: a secret learned while the run goes on (an OAuth access token
/// fetched mid-run) is redacted by every clone, including the ones reports were handed.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<Secret>>>,
}

impl Redactor {
    /// Adds a secret; empty strings are ignored (they would match everywhere).
    pub fn add(&mut self, secret: &str, label: &'static str) {
        self.learn(secret, label);
    }

    /// [`add`](Self::add) through a shared reference, for secrets issued while the run goes on.
    pub fn learn(&self, secret: &str, label: &'static str) {
        let mut secrets = self.secrets.write().unwrap_or_else(PoisonError::into_inner);
        if secret.is_empty() || secrets.iter().any(|s| s.text == secret) {
            return;
        }
        secrets.push(Secret {
            text: secret.to_owned(),
            label,
            pattern: encoded_forms(secret),
        });
        // Longest first, so a secret that contains another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.text.len()));
    }

    /// Adds the password of a URL's userinfo (`https://admin:pw@host`), as written and decoded.
    pub fn add_url_password(&mut self, url: &str) {
        if let Some((_, password)) = userinfo_password(url) {
            self.add(password, "url password");
            let decoded = percent_encoding::percent_decode_str(password).decode_utf8_lossy();
            self.add(&decoded, "url password");
        }
    }

    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let secrets = self.secrets.read().unwrap_or_else(PoisonError::into_inner);
        let mut out = Cow::Borrowed(text);
        for secret in secrets.iter() {
            if let Cow::Owned(replaced) = secret
                .pattern
                .replace_all(&out, label_text(secret.label).as_str())
            {
                out = Cow::Owned(replaced);
            }
        }
        if out.contains(CUT_MARKER) {
            for secret in secrets.iter() {
                if let Some(hidden) = hide_cut_heads(&out, secret) {
                    out = Cow::Owned(hidden);
                }
            }
        }
        out
    }
}

/// A pattern matching `secret` with each of its characters as written, percent-encoded (either
/// hex case), `+` for a space, or backslash-escaped as JSON may write it.
fn encoded_forms(secret: &str) -> Regex {
    let mut pattern = String::new();
    for c in secret.chars() {
        if c.is_ascii_alphanumeric() {
            pattern.push(c);
            continue;
        }
        let mut alternatives = vec![regex::escape(&c.to_string())];
        let mut utf8 = [0u8; 4];
        let encoded: String = c
            .encode_utf8(&mut utf8)
            .bytes()
            .map(|b| format!("%(?i:{b:02X})"))
            .collect();
        alternatives.push(encoded);
        if c == ' ' {
            alternatives.push(r"\+".to_owned());
        }
        if matches!(c, '/' | '"' | '\\') {
            alternatives.push(format!(r"\\{}", regex::escape(&c.to_string())));
        }
        pattern.push_str(&format!("(?:{})", alternatives.join("|")));
    }
    Regex::new(&pattern).expect("escaped characters form a valid pattern")
}

/// `text` with every head of `secret` that ends right at a cut marker replaced by its label, or
/// `None` when there is none.
fn hide_cut_heads(text: &str, secret: &Secret) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find(CUT_MARKER) {
        let before = &rest[..at];
        let head = (MIN_CUT_PREFIX..secret.text.len())
            .rev()
            .filter(|n| secret.text.is_char_boundary(*n))
            .find(|n| before.ends_with(&secret.text[..*n]));
        match head {
            Some(n) => {
                out.push_str(&before[..before.len() - n]);
                out.push_str(&label_text(secret.label));
                changed = true;
            }
            None => out.push_str(before),
        }
        out.push(CUT_MARKER);
        rest = &rest[at + CUT_MARKER.len_utf8()..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// The byte range of the password in `url`'s userinfo and the password itself, if any. Done by
/// hand so that even a URL the URL parser refuses is shown without its password.
fn userinfo_password(url: &str) -> Option<(std::ops::Range<usize>, &str)> {
    let authority_start = url.find("://")? + 3;
    let authority_len = url[authority_start..]
        .find(['/', '?', '#'])
        .unwrap_or(url.len() - authority_start);
    let authority = &url[authority_start..authority_start + authority_len];
    let userinfo = &authority[..authority.rfind('@')?];
    let colon = userinfo.find(':')?;
    let start = authority_start + colon + 1;
    let end = authority_start + userinfo.len();
    (start < end).then(|| (start..end, &url[start..end]))
}

/// `url` with the password of its userinfo replaced (`https://admin:[REDACTED url password]@…`),
/// for messages written before any [`Redactor`] exists.
pub fn hide_url_password(url: &str) -> Cow<'_, str> {
    match userinfo_password(url) {
        Some((range, _)) => {
            let mut out = url.to_owned();
            out.replace_range(range, &label_text("url password"));
            Cow::Owned(out)
        }
        None => Cow::Borrowed(url),
    }
}

/// `text` safe to print on a terminal: what a target sent may hold an escape sequence that
/// recolours, retitles or rewrites the screen (ESC, CSI, OSC: C0 and C1 controls) or reorders
/// what is shown (the bidirectional overrides and isolates). Each is shown as `\u{1b}`; newlines
/// and tabs stay.
pub fn printable(text: &str) -> Cow<'_, str> {
    let hostile = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.contains(hostile) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hostile(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_bidi_overrides_are_shown_not_obeyed() {
        let table = [
            ("plain\ttext\nlines", "plain\ttext\nlines"),
            ("\u{1b}[31mred\u{1b}[0m", "\\u{1b}[31mred\\u{1b}[0m"),
            ("\u{1b}]0;title\u{7}", "\\u{1b}]0;title\\u{7}"),
            ("csi\u{9b}2J", "csi\\u{9b}2J"),
            ("back\rspace\u{8}\u{7f}", "back\\u{d}space\\u{8}\\u{7f}"),
            ("a\u{202e}b\u{2066}c", "a\\u{202e}b\\u{2066}c"),
            ("é → ✓", "é → ✓"),
        ];
        for (text, shown) in table {
            assert_eq!(printable(text), shown, "{text:?}");
        }
        assert!(matches!(printable("nothing to do"), Cow::Borrowed(_)));
    }

    #[test]
    fn replaces_every_secret_everywhere() {
        let mut redactor = Redactor::default();
        redactor.add("tok-123", "scim token");
        redactor.add("tok-123-long", "api key");
        redactor.add("", "nothing");
        let text = "Bearer tok-123 and tok-123-long, tok-123 again";
        assert_eq!(
            redactor.redact(text),
            "Bearer [REDACTED scim token] and [REDACTED api key], [REDACTED scim token] again"
        );
        assert!(matches!(redactor.redact("clean"), Cow::Borrowed("clean")));
    }

    #[test]
    fn replaces_encoded_and_escaped_forms() {
        let mut redactor = Redactor::default();
        redactor.add("ab+c/d=e f", "scim token");
        let forms = [
            "ab%2Bc%2Fd%3De%20f",
            "ab%2bc%2fd%3de+f",
            "ab+c%2Fd=e%20f",
            r"ab+c\/d=e f",
            "ab+c/d=e f",
        ];
        for form in forms {
            assert_eq!(
                redactor.redact(&format!("token={form}&x=1")),
                "token=[REDACTED scim token]&x=1",
                "{form}"
            );
        }
        assert_eq!(
            redactor.redact("ab+c/d=e"),
            "ab+c/d=e",
            "a part is not the secret"
        );
        let mut unicode = Redactor::default();
        unicode.add("pässword", "url password");
        assert_eq!(unicode.redact("p%C3%A4ssword"), "[REDACTED url password]");
    }

    #[test]
    fn a_secret_cut_short_is_redacted_too() {
        let mut redactor = Redactor::default();
        redactor.add("s3cret-scim-t0ken-5f2b", "scim token");
        let cut = "detail: you sent Bearer s3cret-scim-t0ken-5f… (3000 bytes in all)";
        assert_eq!(
            redactor.redact(cut),
            "detail: you sent Bearer [REDACTED scim token]… (3000 bytes in all)"
        );
        // A short head is indistinguishable from ordinary text and left alone.
        assert_eq!(
            redactor.redact("s3c… and s3cret…"),
            "s3c… and [REDACTED scim token]…"
        );
    }

    #[test]
    fn a_secret_learned_later_is_redacted_by_every_clone() {
        let redactor = Redactor::default();
        let handed_out = redactor.clone();
        redactor.learn("at-0123456789", "oauth access token");
        assert_eq!(
            handed_out.redact("Bearer at-0123456789"),
            "Bearer [REDACTED oauth access token]"
        );
    }

    #[test]
    fn url_passwords_are_hidden_and_redacted() {
        let cases = [
            (
                "https://admin:pw@host/scim",
                "https://admin:[REDACTED url password]@host/scim",
            ),
            (
                "http://u:p%40ss@host:8080",
                "http://u:[REDACTED url password]@host:8080",
            ),
            (
                "http://host:8080@other/x",
                "http://host:[REDACTED url password]@other/x",
            ),
            ("https://admin@host/scim", "https://admin@host/scim"),
            ("https://host/a:b@c", "https://host/a:b@c"),
            ("not a url", "not a url"),
        ];
        for (url, shown) in cases {
            assert_eq!(hide_url_password(url), shown, "{url}");
        }
        let mut redactor = Redactor::default();
        redactor.add_url_password("http://u:p%40ss-w0rd@host/scim");
        assert_eq!(
            redactor.redact("GET http://u:p%40ss-w0rd@host/x; password p@ss-w0rd"),
            "GET http://u:[REDACTED url password]@host/x; password [REDACTED url password]"
        );
    }
}
