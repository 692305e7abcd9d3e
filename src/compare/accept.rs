//! `[[accept]]` in scimcheck.toml: a known deviation, named by its finding id or by the rule
//! it breaks, with the reason the team accepted it and an optional expiry date after which it
//! fails the run again.

use serde::{Deserialize, Deserializer};

use super::RunRecord;

/// One accepted deviation, as written in scimcheck.toml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    /// A finding id as reports show it (`f-…`).
    pub finding: Option<String>,
    /// A named rule (`error-status-matches`): every finding it raises.
    pub rule: Option<String>,
    /// Why it is accepted; every report repeats it.
    pub reason: String,
    /// The first day (UTC) it is no longer accepted, e.g. `expires = 2027-03-01`.
    #[serde(default, deserialize_with = "date")]
    pub expires: Option<time::Date>,
}

impl Acceptance {
    /// Exactly one of `finding` and `rule`, and a reason: what [`FileConfig`] checks on load.
    ///
    /// [`FileConfig`]: crate::config::FileConfig
    pub fn problem(&self) -> Option<String> {
        use crate::check::rules::Rule;
        match (&self.finding, &self.rule) {
            (None, None) => Some("needs `finding = \"f-…\"` or `rule = \"…\"`".to_owned()),
            (Some(_), Some(_)) => {
                Some("names both a finding and a rule; write one per [[accept]]".to_owned())
            }
            (None, Some(rule)) if Rule::from_name(rule).is_none() => {
                let known: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
                Some(format!(
                    "names an unknown rule `{rule}` (known: {})",
                    known.join(", ")
                ))
            }
            _ if self.reason.trim().is_empty() => Some("needs a reason".to_owned()),
            _ => None,
        }
    }

    /// What it names, as reports say it.
    pub fn label(&self) -> String {
        match (&self.finding, &self.rule) {
            (Some(id), _) => format!("finding {id}"),
            (None, Some(rule)) => format!("rule `{rule}`"),
            (None, None) => "nothing".to_owned(),
        }
    }

    /// Whether it covers the finding `id` whose mismatches have these `subjects`.
    pub fn covers<'s>(&self, id: &str, mut subjects: impl Iterator<Item = &'s str>) -> bool {
        match (&self.finding, &self.rule) {
            (Some(finding), _) => finding == id,
            (None, Some(rule)) => {
                let named = format!("rule `{rule}`");
                subjects.any(|s| s.starts_with(&named))
            }
            (None, None) => false,
        }
    }
}

/// A TOML local date (`2027-03-01`), or a string holding one.
fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<time::Date>, D::Error> {
    let value = toml::value::Datetime::deserialize(deserializer)?;
    let text = value.to_string();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match (value.date, value.time, value.offset) {
        (Some(_), None, None) => time::Date::parse(&text, format)
            .map(Some)
            .map_err(serde::de::Error::custom),
        _ => Err(serde::de::Error::custom(
            "expires is a date such as 2027-03-01, without a time",
        )),
    }
}

/// What decides whether a finding fails the run beyond `--fail-on`: the acceptances still in
/// force, those that have expired, and the baseline the run is compared with.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    pub accepted: Vec<Acceptance>,
    pub expired: Vec<Acceptance>,
    pub baseline: Option<RunRecord>,
}

impl Gate {
    /// `acceptances` split at `today`: one expiring today has expired.
    pub fn new(acceptances: &[Acceptance], baseline: Option<RunRecord>, today: time::Date) -> Gate {
        let (expired, accepted) = acceptances
            .iter()
            .cloned()
            .partition(|a| a.expires.is_some_and(|day| day <= today));
        Gate {
            accepted,
            expired,
            baseline,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FileConfig;

    fn parse(text: &str) -> Result<FileConfig, String> {
        let path =
            std::env::temp_dir().join(format!("scimcheck-accept-{}.toml", uuid::Uuid::new_v4()));
        std::fs::write(&path, text).expect("write");
        let loaded = FileConfig::load(&path).map_err(|e| e.to_string());
        let _ = std::fs::remove_file(&path);
        loaded
    }

    #[test]
    fn acceptances_load_with_a_reason_and_an_optional_date() {
        let config = parse(
            r#"
[[accept]]
finding = "f-d6cdd619338c"
reason = "status as a number until the v5 API"
expires = 2027-03-01

[[accept]]
rule = "www-authenticate"
reason = "the gateway strips it"
"#,
        )
        .expect("valid");
        assert_eq!(config.accept.len(), 2);
        assert_eq!(
            config.accept[0].expires,
            Some(time::macros::date!(2027 - 03 - 01))
        );
        assert_eq!(config.accept[1].label(), "rule `www-authenticate`");
        assert_eq!(config.accept[1].expires, None);
    }

    #[test]
    fn a_bad_acceptance_is_a_configuration_error_saying_which() {
        for (text, says) in [
            ("[[accept]]\nreason = \"x\"\n", "needs `finding"),
            (
                "[[accept]]\nfinding = \"f-1\"\nrule = \"r\"\nreason = \"x\"\n",
                "names both",
            ),
            (
                "[[accept]]\nfinding = \"f-1\"\nreason = \" \"\n",
                "needs a reason",
            ),
            (
                "[[accept]]\nrule = \"no-such-rule\"\nreason = \"x\"\n",
                "unknown rule",
            ),
            ("[[accept]]\nfinding = \"f-1\"\n", "missing field `reason`"),
            (
                "[[accept]]\nfinding = \"f-1\"\nreason = \"x\"\nexpires = 2027-03-01T10:00:00Z\n",
                "without a time",
            ),
            (
                "[[accept]]\nfinding = \"f-1\"\nreason = \"x\"\nuntil = 2027-03-01\n",
                "unknown field `until`",
            ),
        ] {
            let error = parse(text).expect_err(text);
            assert!(error.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn an_acceptance_expires_on_its_day() {
        let acceptance = |expires| Acceptance {
            finding: Some("f-1".into()),
            rule: None,
            reason: "known".into(),
            expires,
        };
        let day = time::macros::date!(2027 - 03 - 01);
        let all = [acceptance(Some(day)), acceptance(None)];
        let before = Gate::new(&all, None, day.previous_day().expect("a day"));
        assert_eq!((before.accepted.len(), before.expired.len()), (2, 0));
        let on = Gate::new(&all, None, day);
        assert_eq!((on.accepted.len(), on.expired.len()), (1, 1));
        assert_eq!(on.expired[0].expires, Some(day));
    }

    #[test]
    fn a_rule_acceptance_covers_every_finding_of_that_rule_and_no_other() {
        let by_rule = Acceptance {
            finding: None,
            rule: Some("www-authenticate".into()),
            reason: "x".into(),
            expires: None,
        };
        assert!(by_rule.covers(
            "f-1",
            ["rule `www-authenticate` [RFC 7235 §4.1]"].into_iter()
        ));
        assert!(!by_rule.covers("f-1", ["rule `www-authenticate-x`"].into_iter()));
        assert!(!by_rule.covers("f-1", ["status"].into_iter()));
        let by_id = Acceptance {
            finding: Some("f-1".into()),
            rule: None,
            ..by_rule
        };
        assert!(by_id.covers("f-1", std::iter::empty()));
        assert!(!by_id.covers("f-2", std::iter::empty()));
    }
}
