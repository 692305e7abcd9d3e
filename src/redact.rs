//! Secrets never leave the process: every text scimcheck prints or writes passes through a
//! [`Redactor`] that knows the configured credentials.

use std::borrow::Cow;

/// Replaces every configured secret with a label naming which credential it was.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<(String, &'static str)>,
}

impl Redactor {
    /// Adds a secret; empty strings are ignored (they would match everywhere).
    pub fn add(&mut self, secret: &str, label: &'static str) {
        if !secret.is_empty() && !self.secrets.iter().any(|(s, _)| s == secret) {
            self.secrets.push((secret.to_owned(), label));
            // Longest first, so a secret that contains another is replaced whole.
            self.secrets
                .sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
        }
    }

    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for (secret, label) in &self.secrets {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), &format!("[REDACTED {label}]")));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
