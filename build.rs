//! Embeds `cases/` and `schemas/` in the binary so an installed `scimcheck` carries its catalogue.
//! `include_str!` makes cargo rebuild when a file changes; `rerun-if-changed` on the folders
//! catches added and removed files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut out = String::new();
    for (name, folder, extension) in [("CASES", "cases", "yaml"), ("SCHEMAS", "schemas", "json")] {
        let dir = root.join(folder);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        collect(&dir, extension, &mut files);
        files.sort();
        writeln!(out, "pub static {name}: &[(&str, &str)] = &[").expect("write to string");
        for file in files {
            let relative = file.strip_prefix(&dir).expect("below dir");
            let relative = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            writeln!(
                out,
                "    ({relative:?}, include_str!({:?})),",
                file.display().to_string()
            )
            .expect("write to string");
        }
        writeln!(out, "];").expect("write to string");
    }
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("catalog.rs");
    std::fs::write(dest, out).expect("write catalog.rs");
}

fn collect(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
}
