//! Which cases a run or a listing takes: by name (parts of names, or whole ones with
//! `exact`), `skip`, tag, level and area. Values of one selector are alternatives; selectors
//! narrow each other. Every value must name something the catalogue has, so that a typo is an
//! error with a suggestion rather than a run of nothing.

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use crate::case::load::{help_for, suggest};
use crate::case::{Case, Level};

/// The selectors of one run or listing; the default selects every case.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selector {
    /// Parts of case names (whole names with `exact`); a case needs one of them.
    pub names: Vec<String>,
    pub exact: bool,
    /// Parts of case names (whole names with `exact`) to leave out.
    pub skip: Vec<String>,
    pub tags: Vec<String>,
    pub levels: Vec<Level>,
    pub areas: Vec<String>,
}

#[derive(Debug, Error, PartialEq)]
pub enum SelectError {
    #[error("unknown case `{id}` in {origin}; {hint}")]
    UnknownCase {
        /// Where the id was written: `--exact`, `--skip`, `[skip] in ci/scimcheck.toml`.
        origin: String,
        id: String,
        hint: String,
    },
    #[error("unknown {what} `{value}` for {flag}; {hint}")]
    UnknownValue {
        flag: &'static str,
        what: &'static str,
        value: String,
        hint: String,
    },
    #[error("no case name contains `{part}`; {hint}")]
    NoMatch { part: String, hint: String },
    #[error("unknown level `{0}` (known: must, should, may, idp)")]
    UnknownLevel(String),
}

impl Selector {
    pub fn matches(&self, case: &Case) -> bool {
        let named = |pattern: &String| {
            if self.exact {
                case.id == *pattern
            } else {
                case.id.contains(pattern.as_str())
            }
        };
        (self.names.is_empty() || self.names.iter().any(named))
            && !self.skip.iter().any(named)
            && (self.tags.is_empty() || self.tags.iter().any(|t| case.spec.tags.contains(t)))
            && (self.levels.is_empty() || self.levels.contains(&case.spec.level))
            && (self.areas.is_empty() || self.areas.contains(&case.area))
    }

    /// Fails on a value that names nothing in `cases`: a whole name (`exact`) that is no case,
    /// a part of a name that no case's contains, a tag or an area no case has.
    pub fn check(&self, cases: &[Case]) -> Result<(), SelectError> {
        if self.exact {
            for id in &self.names {
                known_case(id, "the names given with --exact", cases)?;
            }
            for id in &self.skip {
                known_case(id, "--skip (with --exact)", cases)?;
            }
        } else {
            for part in self.names.iter().chain(&self.skip) {
                known_part(part, cases)?;
            }
        }
        let tags: BTreeSet<String> = cases
            .iter()
            .flat_map(|c| c.spec.tags.iter().cloned())
            .collect();
        known_values(&self.tags, &tags, "--tag", "tag")?;
        let areas: BTreeSet<String> = cases.iter().map(|c| c.area.clone()).collect();
        known_values(&self.areas, &areas, "--area", "area")
    }

    /// The selectors in force, one phrase each, for the reports.
    pub fn describe(&self) -> Vec<String> {
        let either = |values: &[String]| {
            values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let how = if self.exact { "named" } else { "containing" };
        let mut out = Vec::new();
        if !self.names.is_empty() {
            out.push(format!("names {how} {}", either(&self.names)));
        }
        if !self.skip.is_empty() {
            out.push(format!("--skip names {how} {}", either(&self.skip)));
        }
        if !self.tags.is_empty() {
            out.push(format!("tag {}", either(&self.tags)));
        }
        if !self.levels.is_empty() {
            let levels: Vec<String> = self.levels.iter().map(Level::to_string).collect();
            out.push(format!("level {}", either(&levels)));
        }
        if !self.areas.is_empty() {
            out.push(format!("area {}", either(&self.areas)));
        }
        out
    }
}

/// Fails on a case id in the skip table that names no case; `origin` says where the table came
/// from (`[skip] in ci.toml`).
pub fn check_skip_table(
    skip: &BTreeMap<String, String>,
    origin: Option<&str>,
    cases: &[Case],
) -> Result<(), SelectError> {
    let origin = origin.unwrap_or("the cases given to RunConfig::skip_case");
    skip.keys().try_for_each(|id| known_case(id, origin, cases))
}

/// A requirement level as written on the command line, in any case: `must`, `SHOULD`, `idp`.
pub fn parse_level(text: &str) -> Result<Level, SelectError> {
    match text.to_ascii_uppercase().as_str() {
        "MUST" => Ok(Level::Must),
        "SHOULD" => Ok(Level::Should),
        "MAY" => Ok(Level::May),
        "IDP" => Ok(Level::Idp),
        _ => Err(SelectError::UnknownLevel(text.to_owned())),
    }
}

fn known_case(id: &str, origin: &str, cases: &[Case]) -> Result<(), SelectError> {
    if cases.iter().any(|c| c.id == id) {
        return Ok(());
    }
    let hint = match suggest(id, cases.iter().map(|c| c.id.as_str())) {
        Some(close) => format!("did you mean `{close}`?"),
        None => "`scimcheck list` shows every case".to_owned(),
    };
    Err(SelectError::UnknownCase {
        origin: origin.to_owned(),
        id: id.to_owned(),
        hint,
    })
}

fn known_part(part: &str, cases: &[Case]) -> Result<(), SelectError> {
    if cases.iter().any(|c| c.id.contains(part)) {
        return Ok(());
    }
    // A part is most often an area (`users::`) or a case's last name (`create`): suggest from
    // those, and from whole names.
    let candidates: BTreeSet<&str> = cases
        .iter()
        .flat_map(|c| {
            let id = c.id.as_str();
            id.match_indices("::")
                .map(move |(at, _)| &id[..at + 2])
                .chain(id.split("::"))
                .chain([id])
        })
        .collect();
    let hint = match suggest(part, candidates.into_iter()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => "`scimcheck list` shows every case".to_owned(),
    };
    Err(SelectError::NoMatch {
        part: part.to_owned(),
        hint,
    })
}

fn known_values(
    values: &[String],
    known: &BTreeSet<String>,
    flag: &'static str,
    what: &'static str,
) -> Result<(), SelectError> {
    match values.iter().find(|v| !known.contains(*v)) {
        None => Ok(()),
        Some(value) => Err(SelectError::UnknownValue {
            flag,
            what,
            value: value.clone(),
            hint: help_for(value, known, &format!("{what}s")),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::load::{CaseSource, KnownNames, load};

    fn case(path: &str, level: &str, tags: &str) -> CaseSource {
        CaseSource {
            relative: path.into(),
            display: format!("cases/{path}"),
            text: format!(
                "name: x\ndescription: x\nrfc: [\"RFC 7644 §3.3\"]\nlevel: {level}\ntags: [{tags}]\nsteps:\n  - name: s\n    request: {{ method: GET, path: /Users }}\n    expect: {{ status: 200 }}\n"
            )
            .into(),
        }
    }

    fn catalogue() -> Vec<Case> {
        let sources = [
            case("users/create.yaml", "MUST", "users"),
            case("users/get.yaml", "SHOULD", "users, read"),
            case("groups/create.yaml", "MUST", "groups"),
            case("paging/walk.yaml", "MAY", "paging, read"),
            case("idp/okta/import.yaml", "IDP", "okta, paging"),
        ];
        let known = KnownNames {
            schemas: BTreeSet::new(),
            target_schema_prefix: "target:",
            rules: BTreeSet::new(),
        };
        load(&sources, &known).expect("cases load")
    }

    fn selected(selector: &Selector) -> Vec<String> {
        catalogue()
            .into_iter()
            .filter(|c| selector.matches(c))
            .map(|c| c.id)
            .collect()
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn values_of_one_selector_widen_and_selectors_narrow() {
        let all = selected(&Selector::default());
        assert_eq!(all.len(), 5);
        let table = [
            (
                Selector {
                    names: strings(&["users::", "groups::"]),
                    ..Selector::default()
                },
                vec!["groups::create", "users::create", "users::get"],
            ),
            (
                Selector {
                    names: strings(&["create"]),
                    skip: strings(&["groups"]),
                    ..Selector::default()
                },
                vec!["users::create"],
            ),
            (
                Selector {
                    tags: strings(&["read", "okta"]),
                    ..Selector::default()
                },
                vec!["idp::okta::import", "paging::walk", "users::get"],
            ),
            (
                Selector {
                    tags: strings(&["paging"]),
                    levels: vec![Level::May],
                    ..Selector::default()
                },
                vec!["paging::walk"],
            ),
            (
                Selector {
                    areas: strings(&["users", "idp"]),
                    levels: vec![Level::Must, Level::Idp],
                    ..Selector::default()
                },
                vec!["idp::okta::import", "users::create"],
            ),
            (
                Selector {
                    names: strings(&["users::create"]),
                    exact: true,
                    ..Selector::default()
                },
                vec!["users::create"],
            ),
            (
                Selector {
                    names: strings(&["users"]),
                    exact: true,
                    ..Selector::default()
                },
                vec![],
            ),
        ];
        for (selector, expected) in table {
            let mut got = selected(&selector);
            got.sort();
            assert_eq!(got, expected, "{selector:?}");
        }
    }

    #[test]
    fn a_value_naming_nothing_is_an_error_with_a_suggestion() {
        let cases = catalogue();
        let error = |selector: Selector| selector.check(&cases).expect_err("unknown").to_string();
        assert_eq!(
            error(Selector {
                names: strings(&["users::creat"]),
                exact: true,
                ..Selector::default()
            }),
            "unknown case `users::creat` in the names given with --exact; did you mean `users::create`?"
        );
        assert_eq!(
            error(Selector {
                skip: strings(&["nothing::like::it"]),
                exact: true,
                ..Selector::default()
            }),
            "unknown case `nothing::like::it` in --skip (with --exact); `scimcheck list` shows every case"
        );
        assert_eq!(
            error(Selector {
                tags: strings(&["pagng"]),
                ..Selector::default()
            }),
            "unknown tag `pagng` for --tag; did you mean `paging`?"
        );
        assert_eq!(
            error(Selector {
                areas: strings(&["zzz"]),
                ..Selector::default()
            }),
            "unknown area `zzz` for --area; known areas: groups, idp, paging, users"
        );
        assert_eq!(
            error(Selector {
                names: strings(&["usres::"]),
                ..Selector::default()
            }),
            "no case name contains `usres::`; did you mean `users::`?"
        );
        assert_eq!(
            error(Selector {
                skip: strings(&["craete"]),
                ..Selector::default()
            }),
            "no case name contains `craete`; did you mean `create`?"
        );
        let known = Selector {
            names: strings(&["users::", "okta::imp"]),
            skip: strings(&["get"]),
            tags: strings(&["read"]),
            areas: strings(&["paging"]),
            ..Selector::default()
        };
        assert_eq!(known.check(&cases), Ok(()));
    }

    #[test]
    fn skip_table_ids_must_be_cases() {
        let cases = catalogue();
        let table = BTreeMap::from([("users::get".to_owned(), "why".to_owned())]);
        assert_eq!(check_skip_table(&table, None, &cases), Ok(()));
        let table = BTreeMap::from([("user::get".to_owned(), "why".to_owned())]);
        assert_eq!(
            check_skip_table(&table, Some("[skip] in ci/acme.toml"), &cases)
                .expect_err("unknown")
                .to_string(),
            "unknown case `user::get` in [skip] in ci/acme.toml; did you mean `users::get`?"
        );
        assert_eq!(
            check_skip_table(&table, None, &cases)
                .expect_err("unknown")
                .to_string(),
            "unknown case `user::get` in the cases given to RunConfig::skip_case; \
             did you mean `users::get`?"
        );
    }

    #[test]
    fn levels_are_read_in_any_case_and_unknown_ones_refused() {
        assert_eq!(parse_level("must"), Ok(Level::Must));
        assert_eq!(parse_level("Should"), Ok(Level::Should));
        assert_eq!(parse_level("MAY"), Ok(Level::May));
        assert_eq!(parse_level("idp"), Ok(Level::Idp));
        assert_eq!(
            parse_level("mustn't"),
            Err(SelectError::UnknownLevel("mustn't".into()))
        );
    }

    #[test]
    fn describes_each_selector_in_force() {
        assert!(Selector::default().describe().is_empty());
        let selector = Selector {
            names: strings(&["users::", "groups::"]),
            skip: strings(&["bulk"]),
            tags: strings(&["okta"]),
            levels: vec![Level::Must, Level::Idp],
            areas: strings(&["users"]),
            exact: false,
        };
        assert_eq!(
            selector.describe(),
            [
                "names containing `users::` or `groups::`",
                "--skip names containing `bulk`",
                "tag `okta`",
                "level `MUST` or `IDP`",
                "area `users`"
            ]
        );
    }
}
