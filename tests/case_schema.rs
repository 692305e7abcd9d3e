//! The published case-format schema is generated from the Rust types and must stay current;
//! every bundled case must satisfy it.

use std::path::Path;

use scimcheck::case::model::case_json_schema;

fn committed_schema() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/case.schema.json");
    let text = std::fs::read_to_string(&path).expect("schemas/case.schema.json exists");
    serde_json::from_str(&text).expect("schemas/case.schema.json is JSON")
}

#[test]
fn the_published_case_schema_is_current() {
    assert!(
        committed_schema() == case_json_schema(),
        "schemas/case.schema.json is stale: run `cargo run -- case-schema > schemas/case.schema.json`"
    );
}

#[test]
fn every_bundled_case_satisfies_the_case_schema() {
    let validator = jsonschema::validator_for(&committed_schema()).expect("schema compiles");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    let sources = scimcheck::case::load::read_dir(&root).expect("cases readable");
    for source in sources {
        let document: serde_json::Value =
            serde_saphyr::from_str(&source.text).expect("case is YAML");
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", source.display);
    }
}

#[test]
fn the_case_schema_rejects_an_unknown_key() {
    let validator = jsonschema::validator_for(&committed_schema()).expect("schema compiles");
    let bad = serde_json::json!({
        "name": "x", "description": "x", "rfc": ["RFC 7644 §3.3"], "level": "MUST",
        "steps": [], "colour": "blue"
    });
    assert!(!validator.is_valid(&bad));
}
