//! The cleanup ledger: an append-only file recording every resource a run creates, written
//! before the case sees the response, and every deletion. After a crash or `kill -9`,
//! `scimcheck sweep` reads it to remove exactly what was left behind.
//!
//! Sweep deletes what the ledger names, so the ledger must not be turned against the tenant:
//! - every line carries an HMAC-SHA256 under a key kept beside the ledger (`<ledger>.key`, mode
//!   0600, made on first use), and a line whose MAC does not verify is refused, not used;
//! - a run holds an exclusive lock on `<ledger>.runs/<run prefix>.lock` while it runs, and sweep
//!   leaves the entries of a run whose lock is held alone.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ring::hmac;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::check::assert::resolve;

#[derive(Debug, Error)]
/// Each I/O error is said in its message, so it is not a separate source as well: an error
/// chain would say it twice.
pub enum LedgerError {
    #[error("failed to open the cleanup ledger {}: {cause}", path.display())]
    Open {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("failed to write the cleanup ledger {}: {cause}", path.display())]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("failed to use the cleanup ledger's key {}: {reason}", path.display())]
    Key { path: PathBuf, reason: String },
    #[error("failed to use the cleanup ledger: {0}")]
    NotAFile(#[from] crate::files::FileError),
    #[error("failed to lock run {run} in {}: {cause}", path.display())]
    Lock {
        path: PathBuf,
        run: String,
        cause: std::io::Error,
    },
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub event: Event,
    /// The target's base URL.
    pub target: String,
    /// The resource's URL: `{collection}/{id}`.
    pub url: String,
    pub id: String,
    /// The userName or displayName it was created with, exactly.
    pub name: Option<String>,
    /// The run prefix of the run that created it (`sweep` for a sweep's deletions).
    pub run: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    Created,
    Deleted,
}

/// How every run prefix, and so every name a run creates, begins; a run prefix adds 8 hex
/// digits.
pub const RUN_PREFIX: &str = "scimcheck-";
const RUN_HEX: usize = 8;

/// A fresh run prefix.
pub fn new_run_prefix() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("{RUN_PREFIX}{}", &hex[..RUN_HEX])
}

/// The run prefix `text` starts with, if it starts with one followed by its end or `-`.
pub fn run_of(text: &str) -> Option<&str> {
    let hex = text.strip_prefix(RUN_PREFIX)?.get(..RUN_HEX)?;
    let end = RUN_PREFIX.len() + RUN_HEX;
    let rest = &text[end..];
    (hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && (rest.is_empty() || rest.starts_with('-')))
    .then(|| &text[..end])
}

/// Whether `name` starts with `prefix`, ignoring ASCII case (userName is caseExact=false, so a
/// server may store or match it in another case).
pub fn starts_with_ignoring_case(name: &str, prefix: &str) -> bool {
    name.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// The name a resource is recorded and recognised by: its userName (a User) or displayName (a
/// Group and most others); attribute names match case-insensitively, as in SCIM.
pub fn name_of(resource: &Value) -> Option<&str> {
    ["/userName", "/displayName"]
        .iter()
        .find_map(|pointer| resolve(resource, pointer).and_then(Value::as_str))
}

/// An open ledger file, shared by all trials of a run.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    file: Mutex<File>,
    key: hmac::Key,
    /// The lock file this run holds while it runs, if it is a run.
    lock: Option<(PathBuf, File)>,
}

impl Ledger {
    /// Opens the ledger to record deletions (a sweep).
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let open = |cause| LedgerError::Open {
            path: path.to_owned(),
            cause,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(open)?;
        }
        // Opening a FIFO to append blocks until someone reads it. A device is let be: the
        // errors of writing to /dev/full are cleanup problems like any other.
        if std::fs::metadata(path).is_ok_and(|m| crate::files::is_fifo(m.file_type())) {
            return Err(crate::files::FileError::NotAFile {
                path: path.to_owned(),
                kind: "a FIFO",
            }
            .into());
        }
        let key = load_key(path, true)?.ok_or_else(|| LedgerError::Key {
            path: sibling(path, ".key"),
            reason: "it was removed as it was made".into(),
        })?;
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        // It names the tenant's resources and the people a run created.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(open)?;
        Ok(Ledger {
            path: path.to_owned(),
            file: Mutex::new(file),
            key,
            lock: None,
        })
    }

    /// Opens the ledger for run `run`, which holds its lock until the ledger is dropped, so
    /// that no sweep touches what it is still using.
    pub fn open_for_run(path: &Path, run: &str) -> Result<Ledger, LedgerError> {
        let mut ledger = Ledger::open(path)?;
        let lock_error = |cause| LedgerError::Lock {
            path: path.to_owned(),
            run: run.to_owned(),
            cause,
        };
        let lock_path = lock_path(path, run)
            .ok_or_else(|| lock_error(std::io::Error::other("not a generated run prefix")))?;
        if let Some(dir) = lock_path.parent() {
            std::fs::create_dir_all(dir).map_err(lock_error)?;
        }
        let file = File::create(&lock_path).map_err(lock_error)?;
        file.try_lock()
            .map_err(|e| lock_error(std::io::Error::other(e)))?;
        ledger.lock = Some((lock_path, file));
        Ok(ledger)
    }

    /// Appends and flushes to the disk, so the entry survives the process.
    pub fn append(&self, entry: &Entry) -> Result<(), LedgerError> {
        let write_error = |cause| LedgerError::Write {
            path: self.path.clone(),
            cause,
        };
        let json = serde_json::to_string(entry).map_err(|e| write_error(e.into()))?;
        let line = format!(
            "{} {json}\n",
            hex(hmac::sign(&self.key, json.as_bytes()).as_ref())
        );
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(write_error)
    }
}

impl Drop for Ledger {
    /// The run is over: its lock file goes (removed while still locked, so no sweep sees an
    /// unlocked file of a live run).
    fn drop(&mut self) {
        if let Some((path, _file)) = &self.lock {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Whether run `run` is still in progress: its lock is held by a live process.
pub fn run_in_progress(ledger: &Path, run: &str) -> bool {
    let Some(path) = lock_path(ledger, run) else {
        return false;
    };
    match File::open(path) {
        Ok(file) => matches!(
            file.try_lock_shared(),
            Err(std::fs::TryLockError::WouldBlock)
        ),
        Err(_) => false,
    }
}

/// `<ledger>.runs/<run>.lock`, for a run prefix only (so a name cannot walk the file system).
fn lock_path(ledger: &Path, run: &str) -> Option<PathBuf> {
    (run_of(run) == Some(run)).then(|| sibling(ledger, ".runs").join(format!("{run}.lock")))
}

fn sibling(ledger: &Path, suffix: &str) -> PathBuf {
    let mut name = ledger.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The ledger's HMAC key from `<ledger>.key`, made (mode 0600) if `create` and there is none.
fn load_key(ledger: &Path, create: bool) -> Result<Option<hmac::Key>, LedgerError> {
    const KEY_BYTES: usize = 32;
    let path = sibling(ledger, ".key");
    let key_error = |reason: String| LedgerError::Key {
        path: path.clone(),
        reason,
    };
    if create && !path.exists() {
        let mut bytes = [0u8; KEY_BYTES];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
            .map_err(|_| key_error("no randomness to make it from".into()))?;
        // Written whole under a unique name, then linked into place: two runs starting at
        // once agree on one key, and nobody reads half of one.
        let temporary = sibling(ledger, &format!(".key.{}", uuid::Uuid::new_v4().simple()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options
            .open(&temporary)
            .and_then(|mut file| file.write_all(hex(&bytes).as_bytes()))
            .and_then(|()| match std::fs::hard_link(&temporary, &path) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                linked => linked,
            });
        let _ = std::fs::remove_file(&temporary);
        written.map_err(|cause| LedgerError::Open {
            path: path.clone(),
            cause,
        })?;
    }
    if !crate::files::regular_if_present(&path)? {
        return Ok(None);
    }
    let file = File::open(&path).map_err(|cause| LedgerError::Open {
        path: path.clone(),
        cause,
    })?;
    let mut text = String::new();
    file.take(2 * KEY_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .map_err(|e| key_error(e.to_string()))?;
    let bytes = unhex(text.trim())
        .filter(|b| b.len() == KEY_BYTES)
        .ok_or_else(|| key_error(format!("it is not {KEY_BYTES} hex-encoded bytes")))?;
    Ok(Some(hmac::Key::new(hmac::HMAC_SHA256, &bytes)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// What a ledger holds for one target.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Leftovers {
    /// Resources created and never recorded as deleted, oldest first.
    pub entries: Vec<Entry>,
    /// Lines that were not used, and why (`line N: …`).
    pub refused: Vec<String>,
}

/// Resources created on `target` and never recorded as deleted. A missing ledger has no
/// leftovers; a line that does not verify under the key is refused (a crash may cut the last
/// line; a hand or another tool may have edited any).
pub fn leftovers(path: &Path, target: &str) -> Result<Leftovers, LedgerError> {
    if !crate::files::regular_if_present(path)? {
        return Ok(Leftovers::default());
    }
    let open_error = |cause| LedgerError::Open {
        path: path.to_owned(),
        cause,
    };
    let mut file = BufReader::new(File::open(path).map_err(open_error)?);
    let key = load_key(path, false)?;
    let mut refused = Vec::new();
    let mut open: BTreeMap<String, (usize, Entry)> = BTreeMap::new();
    let mut line = Vec::new();
    let mut line_number = 0;
    let mut more_refused = 0;
    while let Some(whole) = next_line(&mut file, &mut line).map_err(open_error)? {
        line_number += 1;
        let verified = if whole {
            std::str::from_utf8(&line)
                .map_err(|_| "not UTF-8 text".to_owned())
                .and_then(|line| verify(key.as_ref(), line.trim_end_matches(['\n', '\r'])))
        } else {
            Err(format!("longer than {MAX_LINE} bytes; not read"))
        };
        let entry = match verified {
            Ok(Some(entry)) => entry,
            Ok(None) => continue,
            Err(reason) => {
                if refused.len() < MAX_REFUSED {
                    refused.push(format!("line {line_number}: {reason}"));
                } else {
                    more_refused += 1;
                }
                continue;
            }
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
    if more_refused > 0 {
        refused.push(format!("{more_refused} more lines refused after these"));
    }
    let mut entries: Vec<(usize, Entry)> = open.into_values().collect();
    entries.sort_by_key(|(line, _)| *line);
    Ok(Leftovers {
        entries: entries.into_iter().map(|(_, entry)| entry).collect(),
        refused,
    })
}

/// The longest ledger line read: an entry is a few hundred bytes, so a longer line is corrupt,
/// and reading it whole could take all memory (a ledger pointed at `/dev/urandom` output).
const MAX_LINE: usize = 64 * 1024;
/// Refused lines listed one by one; a corrupt ledger of millions is summed up after these.
const MAX_REFUSED: usize = 100;

/// Reads the next line of `reader` into `line` (its newline kept): `None` at the end,
/// `Some(false)` for a line over [`MAX_LINE`], skipped unread to its end.
fn next_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    line.clear();
    let read = reader
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.len() <= MAX_LINE || line.ends_with(b"\n") {
        return Ok(Some(true));
    }
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            break;
        }
        match buffer.iter().position(|&b| b == b'\n') {
            Some(end) => {
                reader.consume(end + 1);
                break;
            }
            None => {
                let len = buffer.len();
                reader.consume(len);
            }
        }
    }
    Ok(Some(false))
}

/// The entry on `line` if its MAC verifies; `None` for a blank line.
fn verify(key: Option<&hmac::Key>, line: &str) -> Result<Option<Entry>, String> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    if line.starts_with('{') {
        return Err(
            "written by a scimcheck that did not authenticate ledger lines; not \
                    used (check it and delete by hand)"
                .into(),
        );
    }
    let key = key.ok_or("the ledger's key is missing, so no line can be trusted")?;
    let (mac, json) = line.split_once(' ').ok_or("not a ledger line")?;
    let mac = unhex(mac).ok_or("not a ledger line")?;
    hmac::verify(key, json.as_bytes(), &mac)
        .map_err(|_| "its MAC does not match: edited or cut short after it was written")?;
    serde_json::from_str(json)
        .map(Some)
        .map_err(|e| format!("not an entry: {e}"))
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
            name: Some("scimcheck-0123abcd-001-x@example.com".into()),
            run: "scimcheck-0123abcd".into(),
        }
    }

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("scimcheck-ledger-{}", uuid::Uuid::new_v4()))
    }

    fn append_raw(path: &Path, text: &str) {
        OpenOptions::new()
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .expect("append");
    }

    #[test]
    fn leftovers_are_created_minus_deleted_for_that_target() {
        let dir = temp_dir();
        let path = dir.join("ledger.jsonl");
        let ledger = Ledger::open(&path).expect("open");
        let a = "http://a/scim";
        for entry in [
            entry(Event::Created, a, "http://a/scim/Users/1"),
            entry(Event::Created, a, "http://a/scim/Users/2"),
            entry(Event::Created, "http://b/scim", "http://b/scim/Users/9"),
            entry(Event::Deleted, a, "http://a/scim/Users/1"),
        ] {
            ledger.append(&entry).expect("append");
        }
        drop(ledger);
        let left = leftovers(&path, a).expect("read");
        assert_eq!(
            left.entries,
            vec![entry(Event::Created, a, "http://a/scim/Users/2")]
        );
        assert!(left.refused.is_empty(), "{:?}", left.refused);
        assert_eq!(
            leftovers(&dir.join("missing.jsonl"), a).expect("read"),
            Leftovers::default()
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn tampered_unauthenticated_and_cut_lines_are_refused() {
        let dir = temp_dir();
        let path = dir.join("ledger.jsonl");
        let a = "http://a/scim";
        let ledger = Ledger::open(&path).expect("open");
        ledger
            .append(&entry(Event::Created, a, "http://a/scim/Users/1"))
            .expect("append");
        drop(ledger);
        let genuine = std::fs::read_to_string(&path).expect("read");
        // The same line pointing at someone else's resource, and a line without a MAC.
        append_raw(&path, &genuine.replace("Users/1", "Users/victim"));
        let old = serde_json::json!({"event": "created", "target": a,
            "url": "http://a/scim/Users", "id": "Users", "run": "scimcheck-0123abcd"});
        append_raw(&path, &format!("{old}\n"));
        append_raw(&path, &genuine[..genuine.len() / 2]);
        let left = leftovers(&path, a).expect("read");
        assert_eq!(
            left.entries,
            vec![entry(Event::Created, a, "http://a/scim/Users/1")]
        );
        assert_eq!(left.refused.len(), 3, "{:?}", left.refused);
        assert!(left.refused[0].starts_with("line 2: its MAC does not match"));
        assert!(left.refused[1].starts_with("line 3: written by a scimcheck that did not"));
        assert!(left.refused[2].starts_with("line 4: its MAC does not match"));

        // Another key (a ledger copied from elsewhere, a key replaced) trusts nothing.
        std::fs::write(sibling(&path, ".key"), hex(&[7u8; 32])).expect("key");
        let left = leftovers(&path, a).expect("read");
        assert!(left.entries.is_empty());
        assert_eq!(left.refused.len(), 4);
        std::fs::remove_file(sibling(&path, ".key")).expect("remove key");
        let left = leftovers(&path, a).expect("read");
        assert!(left.entries.is_empty());
        assert!(
            left.refused[0].contains("key is missing"),
            "{:?}",
            left.refused
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn corrupt_lines_are_refused_bounded_and_the_rest_still_read() {
        let dir = temp_dir();
        let path = dir.join("ledger.jsonl");
        let a = "http://a/scim";
        let ledger = Ledger::open(&path).expect("open");
        ledger
            .append(&entry(Event::Created, a, "http://a/scim/Users/1"))
            .expect("append");
        // A line of 1 MiB, one that is not UTF-8, then a genuine line again.
        append_raw(&path, &format!("{}\n", "f".repeat(1 << 20)));
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(b"\xff\xfe\n"))
            .expect("append bytes");
        ledger
            .append(&entry(Event::Created, a, "http://a/scim/Users/2"))
            .expect("append");
        let left = leftovers(&path, a).expect("read");
        assert_eq!(left.entries.len(), 2, "{:?}", left.entries);
        assert_eq!(
            left.refused,
            [
                format!("line 2: longer than {MAX_LINE} bytes; not read"),
                "line 3: not UTF-8 text".to_owned()
            ]
        );
        // A ledger of garbage lists the first refusals and counts the rest.
        append_raw(&path, &"garbage\n".repeat(MAX_REFUSED + 50));
        let left = leftovers(&path, a).expect("read");
        assert_eq!(left.refused.len(), MAX_REFUSED + 1);
        assert_eq!(
            left.refused.last().map(String::as_str),
            Some("52 more lines refused after these")
        );
        drop(ledger);
        std::fs::remove_dir_all(dir).ok();
    }

    #[cfg(unix)]
    #[test]
    fn a_ledger_that_is_not_a_regular_file_is_refused_without_blocking() {
        let dir = temp_dir();
        std::fs::create_dir_all(&dir).expect("dir");
        let fifo = dir.join("ledger.jsonl");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        // Opening a FIFO for reading or appending would block until its other end opened.
        let ledger = dir.join("other.jsonl");
        std::fs::write(&ledger, "").expect("ledger");
        std::fs::rename(&fifo, sibling(&ledger, ".key")).expect("a FIFO for its key");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        for error in [
            leftovers(&ledger, "http://a/scim").err(),
            leftovers(&fifo, "http://a/scim").err(),
            Ledger::open(&fifo).err(),
        ] {
            let error = error.expect("refused").to_string();
            assert!(error.contains("is not a regular file (a FIFO)"), "{error}");
        }
        std::fs::remove_dir_all(dir).ok();
    }

    #[cfg(unix)]
    #[test]
    fn the_key_is_private_and_shared_by_later_runs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir();
        let path = dir.join("ledger.jsonl");
        Ledger::open(&path)
            .expect("open")
            .append(&entry(Event::Created, "t", "t/Users/1"))
            .expect("append");
        let key = sibling(&path, ".key");
        for file in [&key, &path] {
            let mode = std::fs::metadata(file).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", file.display());
        }
        let before = std::fs::read(&key).expect("read");
        Ledger::open(&path)
            .expect("reopen")
            .append(&entry(Event::Created, "t", "t/Users/2"))
            .expect("append");
        assert_eq!(std::fs::read(&key).expect("read"), before);
        assert_eq!(leftovers(&path, "t").expect("read").entries.len(), 2);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_run_is_in_progress_while_its_ledger_is_open() {
        let dir = temp_dir();
        let path = dir.join("ledger.jsonl");
        let run = new_run_prefix();
        assert!(!run_in_progress(&path, &run));
        let ledger = Ledger::open_for_run(&path, &run).expect("open");
        assert!(run_in_progress(&path, &run));
        assert!(!run_in_progress(&path, &new_run_prefix()));
        assert!(
            Ledger::open_for_run(&path, &run).is_err(),
            "a second holder"
        );
        drop(ledger);
        assert!(!run_in_progress(&path, &run));
        assert!(Ledger::open_for_run(&path, "../../etc/x").is_err());
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn run_of_accepts_only_the_generated_form() {
        let cases = [
            ("scimcheck-0123abcd", Some("scimcheck-0123abcd")),
            (
                "scimcheck-0123abcd-001-a@example.com",
                Some("scimcheck-0123abcd"),
            ),
            ("scimcheck-0123abcd9", None),
            ("scimcheck-0123ABCD", None),
            ("SCIMCheck-0123abcd", None),
            ("scimcheck-admin@corp.example", None),
            ("scimcheck-team", None),
            ("scimcheck-", None),
            ("scimcheck-0123abc", None),
            ("scimcheck-0123abcé", None),
            ("", None),
        ];
        for (text, run) in cases {
            assert_eq!(run_of(text), run, "{text}");
        }
        assert_eq!(run_of(&new_run_prefix()).map(str::len), Some(18));
    }
}
