//! Durations as people write them on a command line: `250ms`, `1.5s`, `2m`.

use std::time::Duration;

use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum DurationError {
    #[error("`{0}` is not a duration like 250ms, 1.5s or 2m")]
    Malformed(String),
    #[error("`{text}`: unknown unit `{unit}` (use ms, s or m)")]
    UnknownUnit { text: String, unit: String },
    #[error("`{text}` is longer than {max}")]
    TooLong { text: String, max: &'static str },
}

/// A non-negative number followed by `ms`, `s` or `m` (a bare number is milliseconds, as
/// `--latency` always read it).
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let malformed = || DurationError::Malformed(text.to_owned());
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return Err(malformed());
    }
    let value: f64 = number.parse().map_err(|_| malformed())?;
    let seconds = match unit.trim() {
        "" | "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        unit => {
            return Err(DurationError::UnknownUnit {
                text: text.to_owned(),
                unit: unit.to_owned(),
            });
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| malformed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_whole_and_fractional_values_in_each_unit() {
        let cases = [
            ("250ms", Duration::from_millis(250)),
            ("1.5s", Duration::from_millis(1500)),
            ("2s", Duration::from_secs(2)),
            ("0.25m", Duration::from_secs(15)),
            ("50", Duration::from_millis(50)),
            ("0ms", Duration::ZERO),
            (" 3s ", Duration::from_secs(3)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_duration() {
        for text in ["", "s", "1.s", ".5s", "1..5s", "-1s", "abc"] {
            assert!(
                matches!(parse_duration(text), Err(DurationError::Malformed(_))),
                "{text}: {:?}",
                parse_duration(text)
            );
        }
        assert_eq!(
            parse_duration("3h"),
            Err(DurationError::UnknownUnit {
                text: "3h".into(),
                unit: "h".into()
            })
        );
        assert_eq!(
            parse_duration("1.5 parsecs").unwrap_err().to_string(),
            "`1.5 parsecs`: unknown unit `parsecs` (use ms, s or m)"
        );
    }
}
