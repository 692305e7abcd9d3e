//! Progress while the cases run, on stderr (stdout belongs to libtest, and stays pure JSON
//! under `--format json`): a live line — done/total, the cases under way, elapsed — on a
//! terminal, and otherwise a plain line every ten seconds, for CI logs.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How the progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// A line redrawn in place, for a person at a terminal.
    Live,
    /// A line every so often, for a log.
    Plain,
}

impl Display {
    fn interval(self) -> Duration {
        match self {
            Display::Live => Duration::from_millis(250),
            Display::Plain => Duration::from_secs(10),
        }
    }
}

/// Cases under way shown by name; the rest are counted.
const NAMED: usize = 3;

/// What the trials report as they start and end.
#[derive(Debug)]
pub struct Tally {
    total: usize,
    done: AtomicUsize,
    running: Mutex<BTreeSet<String>>,
    started: Instant,
}

impl Tally {
    pub fn new(total: usize) -> Tally {
        Tally {
            total,
            done: AtomicUsize::new(0),
            running: Mutex::new(BTreeSet::new()),
            started: Instant::now(),
        }
    }

    pub fn begin(&self, id: &str) {
        self.lock().insert(id.to_owned());
    }

    pub fn end(&self, id: &str) {
        self.lock().remove(id);
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        // A poisoned lock only means a trial panicked; the set is still good.
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `57/236 cases done, 12 running (users::create, users::delete, … and 10 more), 4s`.
    pub fn line(&self) -> String {
        let running = self.lock();
        let mut out = format!(
            "{}/{} cases done, {} running",
            self.done.load(Ordering::Relaxed),
            self.total,
            running.len()
        );
        if !running.is_empty() {
            let names: Vec<&str> = running.iter().take(NAMED).map(String::as_str).collect();
            let _ = write!(out, " ({}", names.join(", "));
            if running.len() > NAMED {
                let _ = write!(out, " and {} more", running.len() - NAMED);
            }
            out.push(')');
        }
        let _ = write!(out, ", {}s", self.started.elapsed().as_secs());
        out
    }
}

/// Shows a [`Tally`] until dropped.
pub struct Progress {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    pub fn show(tally: std::sync::Arc<Tally>, display: Display) -> Progress {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(display.interval()) {
                let line = tally.line();
                let mut stderr = std::io::stderr().lock();
                let _ = match display {
                    // Clear the line, draw it, and leave the cursor at its start for libtest.
                    Display::Live => write!(stderr, "\r\x1b[2K{line}\r"),
                    Display::Plain => writeln!(stderr, "progress: {line}"),
                };
            }
            if display == Display::Live {
                let _ = write!(std::io::stderr(), "\r\x1b[2K");
            }
        });
        Progress {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_done_and_names_a_few_running_cases() {
        let tally = Tally::new(10);
        for id in ["a::1", "a::2", "a::3", "a::4", "a::5"] {
            tally.begin(id);
        }
        tally.end("a::1");
        let line = tally.line();
        assert!(
            line.starts_with("1/10 cases done, 4 running (a::2, a::3, a::4 and 1 more), "),
            "{line}"
        );
        let idle = Tally::new(0);
        assert!(
            idle.line().starts_with("0/0 cases done, 0 running, "),
            "{}",
            idle.line()
        );
    }
}
