//! A step's `generate`: values sized by what the target advertised, built before the request
//! is rendered (one Bulk operation more than `maxOperations`, a body over `maxPayloadSize`,
//! RFC 7644 §3.7.4).

use serde_json::Value;
use thiserror::Error;

use super::model::{Generate, Repeat};
use super::template::{REPEAT_INDEX, RenderError, Scope, render_str, render_value};

/// The most copies a `repeat` makes: a target advertising more cannot be exceeded in one
/// request this harness is willing to send.
pub const MAX_COPIES: u64 = 10_000;
/// The longest string a `pad` makes (16 MiB).
pub const MAX_PAD: u64 = 16 * 1024 * 1024;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum GenerateError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("`{field}` renders to `{text}`, which is not a whole number")]
    NotANumber { field: &'static str, text: String },
    #[error(
        "`{field}` asks for {size}, more than the {cap} scimcheck generates: the target's limit is too large to exceed in one request"
    )]
    TooLarge {
        field: &'static str,
        size: u64,
        cap: u64,
    },
}

/// Builds the value `spec` describes, rendering its templates in `scope`.
pub fn generate(spec: &Generate, scope: &dyn Scope) -> Result<Value, GenerateError> {
    match spec {
        Generate::Repeat { count, plus, item } => {
            let count = size("count", count, *plus, MAX_COPIES, scope)?;
            (1..=count)
                .map(|i| {
                    let numbered = Numbered {
                        scope,
                        index: Value::from(i),
                    };
                    Ok(render_value(item, &numbered)?)
                })
                .collect::<Result<Vec<_>, GenerateError>>()
                .map(Value::Array)
        }
        Generate::Pad { length, plus } => {
            let length = size("length", length, *plus, MAX_PAD, scope)?;
            // Bounded by MAX_PAD, which fits in usize on every target this builds for.
            Ok(Value::from(
                "x".repeat(usize::try_from(length).unwrap_or(0)),
            ))
        }
    }
}

/// How many times a step with `repeat` runs (once without), its count rendered in `scope`.
pub fn runs(repeat: Option<&Repeat>, scope: &dyn Scope) -> Result<u32, GenerateError> {
    match repeat {
        None => Ok(1),
        Some(Repeat::Times(times)) => Ok(*times),
        Some(Repeat::Counted(counted)) => {
            let runs = size("repeat", &counted.count, counted.plus, MAX_COPIES, scope)?;
            // Bounded by MAX_COPIES.
            Ok(u32::try_from(runs).unwrap_or(u32::MAX))
        }
    }
}

/// `text` rendered as a whole number, plus `plus`, at most `cap`.
fn size(
    field: &'static str,
    text: &str,
    plus: u32,
    cap: u64,
    scope: &dyn Scope,
) -> Result<u64, GenerateError> {
    let rendered = render_str(text, scope)?;
    let base: u64 = rendered
        .trim()
        .parse()
        .map_err(|_| GenerateError::NotANumber {
            field,
            text: rendered.clone(),
        })?;
    let size = base.saturating_add(u64::from(plus));
    if size > cap {
        return Err(GenerateError::TooLarge { field, size, cap });
    }
    Ok(size)
}

/// `scope` with `${i}` set to one copy's number.
struct Numbered<'a> {
    scope: &'a dyn Scope,
    index: Value,
}

impl Scope for Numbered<'_> {
    fn variable(&self, name: &str) -> Option<&Value> {
        if name == REPEAT_INDEX {
            Some(&self.index)
        } else {
            self.scope.variable(name)
        }
    }

    fn case_prefix(&self) -> &str {
        self.scope.case_prefix()
    }

    fn email_domain(&self) -> Option<&str> {
        self.scope.email_domain()
    }
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
            "p"
        }
    }

    fn vars() -> Vars {
        Vars(HashMap::from([
            ("max", json!(2)),
            ("big", json!(MAX_COPIES)),
            ("word", json!("many")),
        ]))
    }

    fn parse(yaml: &str) -> Generate {
        serde_saphyr::from_str(yaml).expect("generate")
    }

    #[test]
    fn repeat_numbers_each_copy_and_pad_makes_a_string_of_the_length() {
        let ops = parse(
            r#"{ repeat: { count: "${max}", plus: 1, item: { bulkId: "b${i}", userName: "${user:u-${i}}" } } }"#,
        );
        assert_eq!(
            generate(&ops, &vars()),
            Ok(json!([
                {"bulkId": "b1", "userName": "p-u-1@example.com"},
                {"bulkId": "b2", "userName": "p-u-2@example.com"},
                {"bulkId": "b3", "userName": "p-u-3@example.com"},
            ]))
        );
        let pad = parse(r#"{ pad: { length: "${max}", plus: 3 } }"#);
        assert_eq!(generate(&pad, &vars()), Ok(json!("xxxxx")));
        let none = parse(r#"{ repeat: { count: "0", item: 1 } }"#);
        assert_eq!(generate(&none, &vars()), Ok(json!([])));
    }

    #[test]
    fn a_repeat_is_a_number_or_a_count_rendered_at_run_time() {
        let repeat = |yaml: &str| serde_saphyr::from_str::<Repeat>(yaml);
        assert_eq!(runs(None, &vars()), Ok(1));
        let times = repeat("3").expect("a number");
        assert_eq!(runs(Some(&times), &vars()), Ok(3));
        let counted = repeat(r#"{ count: "${max}", plus: 1 }"#).expect("a count");
        assert_eq!(runs(Some(&counted), &vars()), Ok(3));
        let word = repeat(r#"{ count: "${word}" }"#).expect("a count");
        assert_eq!(
            runs(Some(&word), &vars()),
            Err(GenerateError::NotANumber {
                field: "repeat",
                text: "many".into(),
            })
        );
        for bad in ["-1", "{ count: \"1\", plus: 1, extra: 2 }", "\"3\""] {
            assert!(repeat(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_must_be_whole_numbers_within_the_caps() {
        let cases = [
            (
                r#"{ repeat: { count: "${word}", item: 1 } }"#,
                GenerateError::NotANumber {
                    field: "count",
                    text: "many".into(),
                },
            ),
            (
                r#"{ pad: { length: "-1" } }"#,
                GenerateError::NotANumber {
                    field: "length",
                    text: "-1".into(),
                },
            ),
            (
                r#"{ repeat: { count: "${big}", plus: 1, item: 1 } }"#,
                GenerateError::TooLarge {
                    field: "count",
                    size: MAX_COPIES + 1,
                    cap: MAX_COPIES,
                },
            ),
            (
                r#"{ pad: { length: "99999999999" } }"#,
                GenerateError::TooLarge {
                    field: "length",
                    size: 99_999_999_999,
                    cap: MAX_PAD,
                },
            ),
        ];
        for (yaml, expected) in cases {
            assert_eq!(generate(&parse(yaml), &vars()), Err(expected), "{yaml}");
        }
        let undefined = parse(r#"{ pad: { length: "${nope}" } }"#);
        assert!(matches!(
            generate(&undefined, &vars()),
            Err(GenerateError::Render(_))
        ));
        assert!(serde_saphyr::from_str::<Generate>("{ pad: { size: 3 } }").is_err());
        assert!(serde_saphyr::from_str::<Generate>("{ copies: { count: 3 } }").is_err());
    }
}
