//! `scimcheck list`: the selected cases as a table that fits the terminal, or as JSON.

use serde_json::{Value, json};

use crate::case::Case;

const HEADER: [&str; 5] = ["ID", "LEVEL", "AREA", "TAGS", "TITLE"];
/// On a terminal, tags give way to titles beyond this many characters.
const TAGS_ON_A_TERMINAL: usize = 20;

/// One line per case under a header, columns aligned, every line cut to `width` characters
/// (with `…`) when a width is given; then how many cases were listed of how many.
pub fn table(cases: &[&Case], total: usize, width: Option<usize>) -> String {
    let rows: Vec<[String; 5]> = cases
        .iter()
        .map(|case| {
            [
                case.id.clone(),
                case.spec.level.to_string(),
                case.area.clone(),
                match width {
                    Some(_) => cut(&case.spec.tags.join(","), Some(TAGS_ON_A_TERMINAL)),
                    None => case.spec.tags.join(","),
                },
                case.spec.name.clone(),
            ]
        })
        .collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut line = String::new();
        for (column, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if column + 1 == cells.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        cut(line.trim_end(), width)
    };
    let mut out = line(HEADER);
    out.push('\n');
    for row in &rows {
        out.push_str(&line(row.each_ref().map(String::as_str)));
        out.push('\n');
    }
    if cases.len() == total {
        out.push_str(&format!("{total} cases\n"));
    } else {
        out.push_str(&format!("{} of {total} cases\n", cases.len()));
    }
    out
}

/// Every field a script may select on, one object per case.
pub fn json(cases: &[&Case]) -> Value {
    Value::Array(
        cases
            .iter()
            .map(|case| {
                json!({
                    "id": case.id,
                    "file": case.file,
                    "area": case.area,
                    "level": case.spec.level.to_string(),
                    "tags": case.spec.tags,
                    "title": case.spec.name,
                    "description": case.spec.description,
                    "rfc": case.spec.rfc,
                    "requires": case.spec.requires.iter().map(|c| c.name()).collect::<Vec<_>>(),
                    "read_only": case.spec.read_only,
                })
            })
            .collect(),
    )
}

fn cut(line: &str, width: Option<usize>) -> String {
    match width {
        Some(width) if line.chars().count() > width => {
            let mut cut: String = line.chars().take(width.saturating_sub(1)).collect();
            cut.push('…');
            cut
        }
        _ => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::case::load::{CaseSource, KnownNames, load};

    fn cases() -> Vec<Case> {
        let source = |path: &str, name: &str, tags: &str| {
            CaseSource {
            relative: path.into(),
            display: format!("cases/{path}"),
            text: format!(
                "name: {name}\ndescription: d\nrfc: [\"RFC 7644 §3.3\"]\nlevel: MUST\ntags: [{tags}]\nrequires: [patch]\nsteps:\n  - name: s\n    request: {{ method: GET, path: /Users }}\n    expect: {{ status: 200 }}\n"
            )
            .into(),
        }
        };
        let known = KnownNames {
            schemas: BTreeSet::new(),
            target_schema_prefix: "target:",
            rules: BTreeSet::new(),
        };
        load(
            &[
                source(
                    "users/create.yaml",
                    "POST creates a user and answers 201 with it",
                    "users, create",
                ),
                source("paging/walk-count-1.yaml", "Pages of one", "paging"),
            ],
            &known,
        )
        .expect("cases")
    }

    #[test]
    fn a_table_has_a_header_aligned_columns_and_a_count() {
        let cases = cases();
        let all: Vec<&Case> = cases.iter().collect();
        let text = table(&all, 2, None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "ID                    LEVEL  AREA    TAGS          TITLE",
                "users::create         MUST   users   users,create  POST creates a user and answers 201 with it",
                "paging::walk-count-1  MUST   paging  paging        Pages of one",
                "2 cases",
            ]
        );
        let one = table(&all[..1], 2, None);
        assert!(one.ends_with("1 of 2 cases\n"), "{one}");
    }

    #[test]
    fn no_line_overflows_the_width_given() {
        let cases = cases();
        let all: Vec<&Case> = cases.iter().collect();
        for width in [20, 50, 70] {
            for line in table(&all, 2, Some(width)).lines() {
                assert!(line.chars().count() <= width, "{width}: {line}");
            }
        }
        let narrow = table(&all, 2, Some(50));
        assert!(
            narrow.contains("users::create         MUST   users   users,create…"),
            "{narrow}"
        );
        let wider = table(&all, 2, Some(70));
        assert!(wider.contains("  Pages of one\n"), "{wider}");
        assert!(wider.contains("  POST creates a use…\n"), "{wider}");
    }

    #[test]
    fn long_tags_are_cut_on_a_terminal_only() {
        let mut cases = cases();
        cases[0].spec.tags = ["a-long-tag", "another-long-tag", "and-a-third"]
            .map(String::from)
            .to_vec();
        let all: Vec<&Case> = cases.iter().collect();
        assert!(table(&all, 2, Some(200)).contains("  a-long-tag,another-…  POST"));
        assert!(table(&all, 2, None).contains("  a-long-tag,another-long-tag,and-a-third  POST"));
    }

    #[test]
    fn json_carries_every_field_a_script_selects_on() {
        let cases = cases();
        let all: Vec<&Case> = cases.iter().collect();
        let value = json(&all);
        assert_eq!(value[0]["id"], "users::create");
        assert_eq!(value[0]["area"], "users");
        assert_eq!(value[0]["level"], "MUST");
        assert_eq!(value[0]["tags"], json!(["users", "create"]));
        assert_eq!(
            value[0]["title"],
            "POST creates a user and answers 201 with it"
        );
        assert_eq!(value[0]["requires"], json!(["patch"]));
        assert_eq!(value[0]["file"], "cases/users/create.yaml");
    }
}
