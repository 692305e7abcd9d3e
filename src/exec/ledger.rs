//! The cleanup ledger: an append-only file recording every resource a run creates, written
//! before the case sees the response, and every deletion. After a crash or `kill -9`,
//! `scimcheck sweep` reads it to remove exactly what was left behind.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum LedgerError {
    #[error("failed to open the cleanup ledger {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to write the cleanup ledger {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub event: Event,
    /// The target's base URL.
    pub target: String,
    /// The resource's URL.
    pub url: String,
    pub id: String,
    pub run: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    Created,
    Deleted,
}

/// An open ledger file, shared by all trials of a run.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    file: Mutex<File>,
}

impl Ledger {
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| LedgerError::Open {
                path: path.to_owned(),
                source,
            })?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| LedgerError::Open {
                path: path.to_owned(),
                source,
            })?;
        Ok(Ledger {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    /// Appends and flushes to the disk, so the entry survives the process.
    pub fn append(&self, entry: &Entry) -> Result<(), LedgerError> {
        let mut line = serde_json::to_string(entry).unwrap_or_default();
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|source| LedgerError::Write {
                path: self.path.clone(),
                source,
            })
    }
}

/// Resources created on `target` and never recorded as deleted, oldest first.
/// A missing ledger has no leftovers; unreadable lines are skipped (a crash may cut the last one).
pub fn leftovers(path: &Path, target: &str) -> Result<Vec<Entry>, LedgerError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(LedgerError::Open {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut open: BTreeMap<String, (usize, Entry)> = BTreeMap::new();
    for (line_number, line) in BufReader::new(file).lines().enumerate() {
        let Ok(line) = line else { continue };
        let Ok(entry) = serde_json::from_str::<Entry>(&line) else {
            continue;
        };
        if entry.target != target {
            continue;
        }
        match entry.event {
            Event::Created => {
                open.insert(entry.url.clone(), (line_number, entry));
            }
            Event::Deleted => {
                open.remove(&entry.url);
            }
        }
    }
    let mut entries: Vec<(usize, Entry)> = open.into_values().collect();
    entries.sort_by_key(|(line, _)| *line);
    Ok(entries.into_iter().map(|(_, entry)| entry).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(event: Event, target: &str, url: &str) -> Entry {
        Entry {
            event,
            target: target.into(),
            url: url.into(),
            id: url.rsplit('/').next().unwrap_or_default().into(),
            run: "scimcheck-1".into(),
        }
    }

    #[test]
    fn leftovers_are_created_minus_deleted_for_that_target() {
        let dir = std::env::temp_dir().join(format!("scimcheck-ledger-{}", uuid::Uuid::new_v4()));
        let path = dir.join("ledger.jsonl");
        let ledger = Ledger::open(&path).expect("open");
        let a = "http://a/scim";
        ledger
            .append(&entry(Event::Created, a, "http://a/scim/Users/1"))
            .unwrap();
        ledger
            .append(&entry(Event::Created, a, "http://a/scim/Users/2"))
            .unwrap();
        ledger
            .append(&entry(
                Event::Created,
                "http://b/scim",
                "http://b/scim/Users/9",
            ))
            .unwrap();
        ledger
            .append(&entry(Event::Deleted, a, "http://a/scim/Users/1"))
            .unwrap();
        drop(ledger);
        // A line cut by a crash is skipped, not fatal.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"{\"event\":\"crea"))
            .unwrap();
        let left = leftovers(&path, a).expect("read");
        assert_eq!(
            left,
            vec![entry(Event::Created, a, "http://a/scim/Users/2")]
        );
        assert!(leftovers(&dir.join("missing.jsonl"), a).unwrap().is_empty());
        std::fs::remove_dir_all(dir).ok();
    }
}
