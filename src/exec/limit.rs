//! How many requests may be in flight at once: fixed by `--concurrency`, else found while
//! running, the way TCP finds a path's capacity (additive increase, multiplicative decrease).
//!
//! A default of 64 overflowed the listen backlog of small servers (connects dropped and retried
//! for seconds) and is a rude burst for a rate-limited tenant; a default of 4 wastes a target
//! that answers in 50 ms. So the limit starts at `START` (8), grows while responses come back
//! as fast as ever, holds while a request takes far longer than the fastest answer or while
//! more in flight only queue at the target (answered no faster: a single worker), and halves
//! when the target pushes back. A connect a full backlog dropped caps it below what was in
//! flight when that connect started.
//!
//! Only what the target does counts as pushback. On loopback, a response that takes 10 ms instead
//! of 0.1 ms is our own process (client and mock share two cores) and not a queue at the target:
//! latency growth counts only beyond an absolute floor, and it never caps the limit the way a
//! refused connect, a timeout, a 429 or a 503 does.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::client::{Exchange, ExecError};

/// Where an adaptive limit starts: polite to a small server, and slow start reaches 256 within
/// five round trips of a target that keeps up.
pub(crate) const START: usize = 8;
/// The adaptive limit's ceiling: about one request for every case of the catalogue, which all
/// run at once. Below it, a target that answers in 50 ms would keep the cases'
/// requests queueing here, each step of a long case waiting its turn again; a target that cannot
/// take that many says so long before.
pub(crate) const ADAPTIVE_MAX: usize = 256;
/// Latency has grown "markedly" once its smoothed value exceeds the observed minimum this many
/// times over, plus [`LATENCY_FLOOR`]…
const LATENCY_TOLERANCE: u32 = 2;
/// …which keeps a busy client (CPU contention, scheduling) on a sub-millisecond loopback target
/// from reading as queueing at the target.
const LATENCY_FLOOR: Duration = Duration::from_millis(25);
/// A request in flight this many times the fastest answer, plus [`STALL_FLOOR`], is stalled:
/// most likely a connect the target's full listen backlog dropped (the kernel retries it only
/// after a second).
const STALL_TOLERANCE: u32 = 4;
const STALL_FLOOR: Duration = Duration::from_millis(150);
/// A request in flight [`STALL_TOLERANCE`] times the fastest answer plus this long holds the
/// limit where it is until it is answered. Against a single worker answering in 0.15 ms, 2 ms
/// let slow start run to 28 before the first dropped connect stalled; at 0.5 ms it holds at
/// about 13. Against the embedded mock, more than about 16 in flight only adds connections for
/// the two cores to serve, so holding lower costs nothing there.
const HOLD_FLOOR: Duration = Duration::from_micros(500);
/// Good answers at the limit where the target last pushed back before it is tried again: each
/// try may cost a stall. Doubled each time the try is pushed back again.
const PROBE_AFTER: usize = 200;

/// A sign that the target has more than it can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pushback {
    /// A connection could not be made (e.g. a full listen backlog dropping the SYN).
    Connect,
    /// A request was sent and then timed out or lost its connection.
    Dropped,
    /// 429 Too Many Requests.
    TooManyRequests,
    /// 503 Service Unavailable.
    Unavailable,
    /// A request waited in flight far longer than any answer takes (a dropped connect).
    Stalled,
    /// Responses took markedly longer than the fastest seen: requests are queueing.
    Latency,
}

impl Pushback {
    /// The target refused or lost work: the limit that did this is not tried again soon.
    /// Latency growth only says requests queue, which a lower limit relieves.
    fn is_hard(self) -> bool {
        !matches!(self, Pushback::Latency)
    }

    fn describe(self) -> &'static str {
        match self {
            Pushback::Connect => "connect failure",
            Pushback::Dropped => "timeout or dropped connection",
            Pushback::TooManyRequests => "429",
            Pushback::Unavailable => "503",
            Pushback::Stalled => "stalled request",
            Pushback::Latency => "latency growth",
        }
    }
}

/// What one attempt tells the limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Observed {
    /// The target answered, in this long.
    Answered(Duration),
    Pushback(Pushback),
    /// Nothing about the target's capacity (e.g. a body over `--max-body`).
    Nothing,
}

impl Observed {
    /// What an attempt that took `latency` says about the target's capacity.
    pub(crate) fn of(outcome: &Result<Exchange, ExecError>, latency: Duration) -> Observed {
        match outcome {
            Ok(exchange) => match exchange.response.status {
                429 => Observed::Pushback(Pushback::TooManyRequests),
                503 => Observed::Pushback(Pushback::Unavailable),
                _ => Observed::Answered(latency),
            },
            Err(ExecError::Transport { unsent: true, .. }) => Observed::Pushback(Pushback::Connect),
            Err(ExecError::Transport { unsent: false, .. }) => {
                Observed::Pushback(Pushback::Dropped)
            }
            Err(_) => Observed::Nothing,
        }
    }
}

/// One finished attempt, with what the limiter knew when it started.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub observed: Observed,
    /// Requests in flight when it started, itself included.
    pub in_flight: usize,
    /// How long the oldest request still in flight (started since the last decrease) has
    /// waited: a connect dropped by a full backlog shows here long before it is answered.
    pub stalled: Duration,
    /// [`Aimd::generation`] when it started.
    pub generation: u64,
    /// Answers that came back while it was in flight, itself included: with its latency, how
    /// fast the target was answering meanwhile.
    pub answered: usize,
}

impl Sample {
    /// Of the requests in flight when it started, how many were waiting at the target rather
    /// than being served: what was in flight, less what the target's answer rate meanwhile
    /// would keep in flight at the fastest latency seen (Little's law; TCP Vegas's estimate,
    /// per request). A target that answers in 50 ms keeps every request busy (none queued);
    /// a single worker answers as fast at 8 in flight as at 2, so the rest queue.
    fn queued(&self, latency: Duration, min: Duration) -> usize {
        let served = (self.answered as u128 * min.as_nanos())
            .checked_div(latency.as_nanos())
            .unwrap_or(u128::MAX);
        self.in_flight
            .saturating_sub(usize::try_from(served).unwrap_or(usize::MAX))
    }
}

/// The limit as pure logic: samples in, a limit out.
#[derive(Debug, Clone)]
pub(crate) struct Aimd {
    limit: usize,
    max: usize,
    fixed: bool,
    /// Until the first pushback the limit grows by one per good answer (doubling per round
    /// trip); after it, by one per window of good answers.
    slow_start: bool,
    credit: usize,
    /// One below the limit at which the target last pushed back: not passed again until
    /// [`PROBE_AFTER`] good answers at it.
    ceiling: Option<usize>,
    /// Good answers at the ceiling before it is raised by one.
    probe_after: usize,
    /// Bumped on every decrease. Requests started before it saw the same overload, so their
    /// pushback does not halve the limit again: one decrease per congestion event, as TCP.
    generation: u64,
    min_latency: Option<Duration>,
    smoothed: Option<Duration>,
    peak: usize,
    backoffs: Vec<(Pushback, u32)>,
}

impl Aimd {
    /// A limit that never moves.
    pub(crate) fn fixed(limit: usize) -> Aimd {
        Aimd {
            fixed: true,
            ..Aimd::adaptive(limit, limit)
        }
    }

    /// A limit that starts at `start` and moves within `1..=max`.
    pub(crate) fn adaptive(start: usize, max: usize) -> Aimd {
        let max = max.max(1);
        let limit = start.clamp(1, max);
        Aimd {
            limit,
            max,
            fixed: false,
            slow_start: true,
            credit: 0,
            ceiling: None,
            probe_after: PROBE_AFTER,
            generation: 0,
            min_latency: None,
            smoothed: None,
            peak: limit,
            backoffs: Vec::new(),
        }
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    pub(crate) fn record(&mut self, sample: Sample) {
        if self.fixed {
            return;
        }
        let current = sample.generation == self.generation;
        match sample.observed {
            Observed::Nothing => {}
            Observed::Pushback(why) => {
                if current {
                    self.decrease(why, Some(sample.in_flight));
                }
            }
            Observed::Answered(latency) => {
                let min = self.min_latency.map_or(latency, |min| min.min(latency));
                self.min_latency = Some(min);
                if !current {
                    return;
                }
                // An exponentially weighted mean (TCP's SRTT, weight 1/8): one slow endpoint
                // is not a queue.
                let smoothed = self.smoothed.map_or(latency, |s| (s * 7 + latency) / 8);
                self.smoothed = Some(smoothed);
                if sample.stalled > min * STALL_TOLERANCE + STALL_FLOOR {
                    self.decrease(Pushback::Stalled, None);
                } else if smoothed > min * LATENCY_TOLERANCE + LATENCY_FLOOR {
                    self.decrease(Pushback::Latency, None);
                } else if sample.stalled > min * STALL_TOLERANCE + HOLD_FLOOR {
                    // Held: something in flight takes far longer than answers do (a connect
                    // a full backlog dropped, or a queue building). On a fast target slow
                    // start would otherwise double the limit many times over before the
                    // stall is certain.
                } else if sample.queued(latency, min) * 4 > sample.in_flight.max(8) {
                    // Held: a quarter of what is in flight (more than two) already waits at
                    // the target, so more would wait too, and may overflow its listen backlog.
                    // A target that is slow but keeps up answers as many meanwhile: not held.
                } else if sample.in_flight * 2 >= self.limit {
                    // Only a limit in use has been shown to be enough.
                    self.increase();
                }
            }
        }
    }

    fn increase(&mut self) {
        if let Some(ceiling) = self.ceiling
            && self.limit >= ceiling
        {
            self.credit += 1;
            if self.credit >= self.probe_after {
                self.credit = 0;
                self.ceiling = Some(ceiling + 1);
            }
            return;
        }
        if self.slow_start {
            self.limit += 1;
        } else {
            self.credit += 1;
            if self.credit >= self.limit {
                self.credit = 0;
                self.limit += 1;
            }
        }
        self.limit = self.limit.min(self.max);
        self.peak = self.peak.max(self.limit);
    }

    /// Halves the limit. `in_flight` is what was in flight when the request that pushed back
    /// started, when the pushback is that request's own.
    fn decrease(&mut self, why: Pushback, in_flight: Option<usize>) {
        let before = self.limit;
        self.limit = (before / 2).max(1);
        if why.is_hard() {
            // Pushed back at or above the last ceiling: the target's capacity is known, so
            // trying it costs more than it finds.
            if self.ceiling.is_some_and(|ceiling| before >= ceiling) {
                self.probe_after = self.probe_after.saturating_mul(2);
            }
            // A connect dropped by a full backlog is noticed only at its deadline, by which
            // time slow start has run the limit far past what the target takes: the overflow
            // began at what was in flight when that request started.
            let overflowed = match (why, in_flight) {
                (Pushback::Connect | Pushback::Dropped, Some(in_flight)) => in_flight.min(before),
                _ => before,
            };
            let ceiling = overflowed.saturating_sub(1).max(1);
            self.ceiling = Some(ceiling);
            self.limit = self.limit.min(ceiling);
        }
        self.slow_start = false;
        self.credit = 0;
        self.generation += 1;
        // Latency from before the decrease describes the old limit.
        self.smoothed = None;
        match self.backoffs.iter_mut().find(|(w, _)| *w == why) {
            Some((_, count)) => *count += 1,
            None => self.backoffs.push((why, 1)),
        }
    }

    pub(crate) fn report(&self) -> ConcurrencyReport {
        let mut backoffs = self.backoffs.clone();
        backoffs.sort();
        ConcurrencyReport {
            fixed: self.fixed,
            settled: self.limit,
            peak: self.peak,
            max: self.max,
            backoffs,
        }
    }
}

/// The concurrency a run used, for its summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcurrencyReport {
    /// Set by `--concurrency`, not adapted.
    pub fixed: bool,
    /// The limit when the run ended.
    pub settled: usize,
    /// The highest limit reached.
    pub peak: usize,
    /// The ceiling.
    pub max: usize,
    /// Each reason the limit was halved, and how often.
    pub backoffs: Vec<(Pushback, u32)>,
}

impl fmt::Display for ConcurrencyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.fixed {
            return write!(f, "concurrency fixed at {} (--concurrency)", self.settled);
        }
        write!(
            f,
            "concurrency settled at {} (peak {}, max {})",
            self.settled, self.peak, self.max
        )?;
        if self.backoffs.is_empty() {
            return write!(f, "; the target never pushed back");
        }
        let reasons: Vec<String> = self
            .backoffs
            .iter()
            .map(|(why, count)| format!("{count} × {}", why.describe()))
            .collect();
        write!(f, "; backed off on {}", reasons.join(", "))
    }
}

tokio::task_local! {
    /// Round trips the case sending from this task still has ahead of it, its teardown
    /// included (see `exec::schedule`).
    pub(crate) static CHAIN_LEFT: Cell<u32>;
}

/// The limit applied to requests: room for [`Aimd::limit`] of them in flight. A request that
/// waits for room goes before those of cases with fewer round trips left ([`CHAIN_LEFT`]),
/// in order of arrival among equals: against a distant target the case with the longest chain
/// bounds the run's wall time, and a first-come queue would make each of its steps wait behind
/// every other case's.
pub(crate) struct Limiter {
    state: Mutex<State>,
}

struct State {
    aimd: Aimd,
    /// Room no request holds.
    available: usize,
    waiting: BinaryHeap<Waiting>,
    next_ticket: u64,
    /// When each request in flight started, and in which generation.
    started: Vec<(u64, Instant, u64)>,
    next_id: u64,
    /// Room to retire as it comes back: the limit fell below what is in flight.
    debt: usize,
    /// Answers so far.
    answered: usize,
}

/// A request waiting for room.
struct Waiting {
    chain_left: u32,
    ticket: u64,
    grant: oneshot::Sender<()>,
}

impl Waiting {
    fn rank(&self) -> (u32, Reverse<u64>) {
        (self.chain_left, Reverse(self.ticket))
    }
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        self.rank() == other.rank()
    }
}

impl Eq for Waiting {}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl State {
    /// One unit of room comes back: retired if the limit has fallen, else handed to the first
    /// request waiting that is still there.
    fn give_back(&mut self) {
        if self.debt > 0 {
            self.debt -= 1;
            return;
        }
        while let Some(waiting) = self.waiting.pop() {
            if waiting.grant.send(()).is_ok() {
                return;
            }
        }
        self.available += 1;
    }
}

impl Limiter {
    pub(crate) fn new(aimd: Aimd) -> Limiter {
        Limiter {
            state: Mutex::new(State {
                available: aimd.limit(),
                aimd,
                waiting: BinaryHeap::new(),
                next_ticket: 0,
                started: Vec::new(),
                next_id: 0,
                debt: 0,
                answered: 0,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent across a panic: every update is a few integer writes.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for room under the limit; dropping the permit without [`Permit::finish`] records
    /// nothing.
    pub(crate) async fn acquire(&self) -> Permit<'_> {
        let waiting = {
            let mut state = self.state();
            if state.available > 0 && state.waiting.is_empty() {
                state.available -= 1;
                None
            } else {
                let (grant, granted) = oneshot::channel();
                let ticket = state.next_ticket;
                state.next_ticket += 1;
                state.waiting.push(Waiting {
                    chain_left: CHAIN_LEFT.try_with(Cell::get).unwrap_or(0),
                    ticket,
                    grant,
                });
                Some(Wait {
                    limiter: self,
                    granted,
                    done: false,
                })
            }
        };
        if let Some(mut wait) = waiting {
            // The sender lives in the queue until it grants, and the queue as long as `self`.
            let _ = (&mut wait.granted).await;
            wait.done = true;
        }
        let mut state = self.state();
        let (id, started, generation) = (state.next_id, Instant::now(), state.aimd.generation());
        state.next_id += 1;
        state.started.push((id, started, generation));
        Permit {
            limiter: self,
            id,
            started,
            in_flight: state.started.len(),
            answered_before: state.answered,
            generation,
            observed: None,
        }
    }

    pub(crate) fn report(&self) -> ConcurrencyReport {
        self.state().aimd.report()
    }

    /// `answered_before`: [`State::answered`] when the request started.
    fn release(&self, id: u64, answered_before: usize, sample: Option<Sample>) {
        let mut state = self.state();
        state.started.retain(|&(other, ..)| other != id);
        if let Some(mut sample) = sample {
            if let Observed::Answered(_) = sample.observed {
                state.answered += 1;
            }
            sample.answered = state.answered - answered_before;
            let generation = state.aimd.generation();
            sample.stalled = state
                .started
                .iter()
                .filter(|&&(.., g)| g == generation)
                .map(|&(_, started, _)| started.elapsed())
                .max()
                .unwrap_or_default();
            let before = state.aimd.limit();
            state.aimd.record(sample);
            let after = state.aimd.limit();
            for _ in before..after {
                state.give_back();
            }
            if after < before {
                let shrunk = before - after;
                let taken = shrunk.min(state.available);
                state.available -= taken;
                state.debt += shrunk - taken;
            }
        }
        state.give_back();
    }
}

/// A request waiting in the queue: if it is dropped (its case was cancelled) after room was
/// granted to it, the room goes to the next.
struct Wait<'a> {
    limiter: &'a Limiter,
    granted: oneshot::Receiver<()>,
    done: bool,
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        self.granted.close();
        if self.granted.try_recv().is_ok() {
            self.limiter.state().give_back();
        }
    }
}

/// Room for one request under the limit.
pub(crate) struct Permit<'a> {
    limiter: &'a Limiter,
    id: u64,
    started: Instant,
    in_flight: usize,
    answered_before: usize,
    generation: u64,
    observed: Option<Observed>,
}

impl Permit<'_> {
    /// The request leaves now: waits before this (pacing, a 429's pause) are not the target's
    /// latency.
    pub(crate) fn sending(&mut self) {
        self.started = Instant::now();
        let mut state = self.limiter.state();
        if let Some(entry) = state.started.iter_mut().find(|(id, ..)| *id == self.id) {
            entry.1 = self.started;
        }
    }

    /// Gives the room back, with what the attempt showed.
    pub(crate) fn finish(mut self, outcome: &Result<Exchange, ExecError>) {
        self.observed = Some(Observed::of(outcome, self.started.elapsed()));
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let sample = self.observed.map(|observed| Sample {
            observed,
            in_flight: self.in_flight,
            stalled: Duration::ZERO,
            generation: self.generation,
            answered: 0,
        });
        self.limiter.release(self.id, self.answered_before, sample);
    }
}

/// A connect that takes this many times the fastest one seen, plus [`CONNECT_FLOOR`], has
/// stalled: its SYN was most likely dropped by a full listen backlog, and the kernel would
/// resend it only after a second. Generous, since a TLS handshake varies with the network;
/// the floor matters only for a target a few milliseconds away, where each stall holds up a
/// case that long: against a single worker with a backlog of 5, 10 ms instead of 50 took the
/// run from 1.24-1.31 to 1.16-1.21 times the best fixed concurrency. The kernel completes a
/// loopback handshake in microseconds; the floor covers the client's own scheduling delays.
const CONNECT_TOLERANCE: u32 = 8;
const CONNECT_FLOOR: Duration = Duration::from_millis(10);

/// The connector's deadline: a connect that stalls is abandoned (it sent nothing) and retried
/// by `Target::send` under a limit that has meanwhile come down, rather than waiting out the
/// kernel's SYN retransmission. Until one connect has succeeded there is no deadline but the
/// client's connect timeout.
#[derive(Clone, Default)]
pub(crate) struct ConnectDeadline {
    /// The fastest connect so far, in microseconds; 0 before the first.
    fastest_micros: Arc<AtomicU64>,
}

impl ConnectDeadline {
    fn deadline(&self) -> Option<Duration> {
        let fastest = self.fastest_micros.load(Ordering::Relaxed);
        (fastest > 0).then(|| Duration::from_micros(fastest) * CONNECT_TOLERANCE + CONNECT_FLOOR)
    }

    fn connected(&self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
        self.fastest_micros
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |fastest| {
                (fastest == 0 || micros < fastest).then_some(micros)
            })
            .ok();
    }
}

/// A connect abandoned at the deadline.
#[derive(Debug, thiserror::Error)]
#[error("no connection within {0:?} (a full listen backlog drops connects)")]
pub(crate) struct ConnectStalled(Duration);

impl<S> tower_layer::Layer<S> for ConnectDeadline {
    type Service = Deadlined<S>;

    fn layer(&self, inner: S) -> Deadlined<S> {
        Deadlined {
            inner,
            deadline: self.clone(),
        }
    }
}

/// A connector under a [`ConnectDeadline`].
#[derive(Clone)]
pub(crate) struct Deadlined<S> {
    inner: S,
    deadline: ConnectDeadline,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, R> tower_service::Service<R> for Deadlined<S>
where
    S: tower_service::Service<R>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let deadline = self.deadline.clone();
        let connecting = self.inner.call(request);
        Box::pin(async move {
            let started = Instant::now();
            let connected = match deadline.deadline() {
                Some(limit) => tokio::time::timeout(limit, connecting)
                    .await
                    .map_err(|_| Box::new(ConnectStalled(limit)) as BoxError)?,
                None => connecting.await,
            };
            let connection = connected.map_err(Into::into)?;
            deadline.connected(started.elapsed());
            Ok(connection)
        })
    }
}

/// Whether `error` (a reqwest error's source chain) is a connect abandoned at the deadline.
pub(crate) fn is_stalled_connect(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(error) = source {
        if error.is::<ConnectStalled>() {
            return true;
        }
        source = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn answered(ms: u64) -> Observed {
        Observed::Answered(MS * ms as u32)
    }

    /// Feeds `observed`, each as if started now with the limit in full use, and every request
    /// ahead of it answered before it.
    fn feed(aimd: &mut Aimd, observed: &[Observed]) {
        for &observed in observed {
            aimd.record(Sample {
                observed,
                in_flight: aimd.limit(),
                stalled: Duration::ZERO,
                generation: aimd.generation(),
                answered: aimd.limit(),
            });
        }
    }

    #[test]
    fn the_limit_follows_what_the_target_shows() {
        let pushbacks = [
            Pushback::Connect,
            Pushback::Dropped,
            Pushback::TooManyRequests,
            Pushback::Unavailable,
        ];
        // (start, max, samples, limit after)
        let mut table: Vec<(usize, usize, Vec<Observed>, usize)> = vec![
            // Slow start: one more per good answer.
            (8, 64, vec![answered(10); 4], 12),
            (8, 64, vec![answered(10); 100], 64),
            (8, 20, vec![answered(10); 100], 20),
            // Latency within tolerance of the minimum is not backed off from; answered no
            // faster with more in flight, it holds the limit.
            (8, 64, vec![answered(10), answered(20), answered(40)], 9),
            // Loopback: 0.1 ms at best, 20 ms when client and server fight for the CPU. That
            // may be our own process, so it is not backed off from; but more in flight would
            // not be answered sooner, so it is not grown either.
            (
                8,
                64,
                [vec![Observed::Answered(MS / 10)], vec![answered(20); 40]].concat(),
                9,
            ),
            // Answers that say nothing leave it alone.
            (8, 64, vec![Observed::Nothing; 10], 8),
            // Marked latency growth halves it.
            (8, 64, vec![answered(10), answered(1000)], 4),
            // A 1 ms target answering in 40 ms is queueing: held at 9, then halved, and again
            // while it lasts.
            (
                8,
                64,
                [vec![answered(1)], vec![answered(40); 10]].concat(),
                2,
            ),
            // Never below one.
            (1, 64, vec![Observed::Pushback(Pushback::Unavailable)], 1),
            // After a pushback, growth is one per window: 4 → 5 takes four answers.
            (
                8,
                64,
                vec![
                    Observed::Pushback(Pushback::TooManyRequests),
                    answered(10),
                    answered(10),
                    answered(10),
                ],
                4,
            ),
            (
                8,
                64,
                vec![
                    Observed::Pushback(Pushback::TooManyRequests),
                    answered(10),
                    answered(10),
                    answered(10),
                    answered(10),
                ],
                5,
            ),
        ];
        for why in pushbacks {
            table.push((8, 64, vec![Observed::Pushback(why)], 4));
            table.push((9, 64, vec![Observed::Pushback(why); 2], 2));
            table.push((64, 64, vec![Observed::Pushback(why); 10], 1));
        }
        for (start, max, samples, expected) in table {
            let mut aimd = Aimd::adaptive(start, max);
            feed(&mut aimd, &samples);
            assert_eq!(aimd.limit(), expected, "{start} {max} {samples:?}");
            assert!((1..=max).contains(&aimd.limit()));
        }
    }

    #[test]
    fn one_overload_halves_the_limit_once() {
        let mut aimd = Aimd::adaptive(32, 64);
        let generation = aimd.generation();
        // 32 requests in flight all hit the same full backlog: one halving, not 32.
        for _ in 0..32 {
            aimd.record(Sample {
                observed: Observed::Pushback(Pushback::Connect),
                in_flight: 32,
                stalled: Duration::ZERO,
                generation,
                answered: 0,
            });
        }
        assert_eq!(aimd.limit(), 16);
        // Their slow answers describe the old limit too.
        aimd.record(Sample {
            observed: answered(900),
            in_flight: 32,
            stalled: Duration::ZERO,
            generation,
            answered: 32,
        });
        assert_eq!(aimd.limit(), 16);
    }

    #[test]
    fn a_request_stalled_in_flight_holds_then_halves_the_limit_before_it_is_answered() {
        let mut aimd = Aimd::adaptive(8, 64);
        let sample = |aimd: &Aimd, stalled_ms: u32| Sample {
            observed: answered(1),
            in_flight: aimd.limit(),
            stalled: MS * stalled_ms,
            generation: aimd.generation(),
            answered: aimd.limit(),
        };
        // min 1 ms: waiting 4 ms is nothing; 5 ms (a queue building at a single worker) and
        // 100 ms (a busy client, or the start of a stall) hold the limit where it is; 300 ms is
        // a dropped connect.
        aimd.record(sample(&aimd, 4));
        assert_eq!(aimd.limit(), 9);
        aimd.record(sample(&aimd, 5));
        assert_eq!(aimd.limit(), 9);
        aimd.record(sample(&aimd, 100));
        assert_eq!(aimd.limit(), 9);
        aimd.record(sample(&aimd, 300));
        assert_eq!(aimd.limit(), 4);
        assert_eq!(aimd.report().backoffs, vec![(Pushback::Stalled, 1)]);
    }

    #[test]
    fn the_level_that_was_pushed_back_is_tried_again_only_rarely() {
        let mut aimd = Aimd::adaptive(8, 64);
        feed(&mut aimd, &[Observed::Pushback(Pushback::Connect)]);
        // Back up to one below the 8 that overflowed, and held there…
        feed(&mut aimd, &vec![answered(1); 4 + 5 + 6 + 20]);
        assert_eq!(aimd.limit(), 7);
        // …until enough good answers at 7 to try 8 again.
        feed(&mut aimd, &vec![answered(1); PROBE_AFTER]);
        feed(&mut aimd, &[answered(1); 7]);
        assert_eq!(aimd.limit(), 8);
        // 8 overflows again: back to 7 takes twice as long to try 8 a third time.
        feed(&mut aimd, &[Observed::Pushback(Pushback::Connect)]);
        feed(&mut aimd, &vec![answered(1); 4 + 5 + 6 + 20]);
        assert_eq!(aimd.limit(), 7);
        feed(&mut aimd, &vec![answered(1); PROBE_AFTER + 7]);
        assert_eq!(aimd.limit(), 7);
        feed(&mut aimd, &vec![answered(1); PROBE_AFTER]);
        assert_eq!(aimd.limit(), 8);
    }

    #[test]
    fn a_dropped_connect_caps_the_limit_below_what_was_in_flight_when_it_started() {
        // (pushback, in flight when the pushed-back request started, limit after)
        let table = [
            // Slow start ran to 24 while the connect started at 7 waited for its deadline.
            (Pushback::Connect, 7, 6),
            (Pushback::Dropped, 7, 6),
            (Pushback::Connect, 24, 12),
            (Pushback::Connect, 1, 1),
            // A 429 or a 503 is about the rate or the target's state, not connections: halved.
            (Pushback::TooManyRequests, 2, 12),
            (Pushback::Unavailable, 2, 12),
        ];
        for (why, in_flight, expected) in table {
            let mut aimd = Aimd::adaptive(8, 64);
            feed(&mut aimd, &vec![answered(1); 16]);
            assert_eq!(aimd.limit(), 24);
            aimd.record(Sample {
                observed: Observed::Pushback(why),
                in_flight,
                stalled: Duration::ZERO,
                generation: aimd.generation(),
                answered: 0,
            });
            assert_eq!(aimd.limit(), expected, "{why:?} at {in_flight} in flight");
            // The level that overflowed is not tried again soon.
            feed(&mut aimd, &vec![answered(1); 50]);
            if matches!(why, Pushback::Connect | Pushback::Dropped) && in_flight < 24 {
                assert_eq!(aimd.limit(), expected, "{why:?} at {in_flight} in flight");
            } else {
                assert!(aimd.limit() < 24, "{why:?}: {}", aimd.limit());
            }
        }
    }

    #[test]
    fn latency_growth_lowers_the_limit_without_capping_it() {
        let mut aimd = Aimd::adaptive(16, 64);
        feed(&mut aimd, &[answered(1), answered(1000)]);
        assert_eq!(aimd.limit(), 8);
        // Additive growth passes the 17 where latency grew: only a hard pushback sets a cap.
        feed(
            &mut aimd,
            &vec![answered(1); 8 + 9 + 10 + 11 + 12 + 13 + 14 + 15 + 16 + 17],
        );
        assert_eq!(aimd.limit(), 18);
        assert_eq!(aimd.report().backoffs, vec![(Pushback::Latency, 1)]);
    }

    #[test]
    fn a_limit_not_in_use_does_not_grow() {
        let mut aimd = Aimd::adaptive(8, 64);
        for _ in 0..50 {
            aimd.record(Sample {
                observed: answered(10),
                in_flight: 1,
                stalled: Duration::ZERO,
                generation: aimd.generation(),
                answered: 1,
            });
        }
        assert_eq!(aimd.limit(), 8);
    }

    #[test]
    fn growth_stops_where_more_in_flight_only_queues_at_the_target() {
        let single_worker = |n: usize| MS / 5 * n as u32;
        let distant = |_: usize| MS * 50;
        // Up to 6 ms over 50: a busy client, not a queue.
        let distant_noisy = |n: usize| MS * 50 + MS * (n % 7) as u32;
        // (target, latency with n in flight, start, limit after)
        let table = [
            // One request served at a time, 0.2 ms each: at 4 in flight three wait.
            (
                "single worker",
                single_worker as fn(usize) -> Duration,
                2,
                4,
            ),
            ("single worker, started high", single_worker, 8, 8),
            ("50 ms", distant, 8, 256),
            ("50 ms, noisy", distant_noisy, 8, 256),
        ];
        for (target, latency, start, expected) in table {
            let mut aimd = Aimd::adaptive(start, 256);
            // The fastest answer: one request alone.
            aimd.record(Sample {
                observed: Observed::Answered(latency(1)),
                in_flight: 1,
                stalled: Duration::ZERO,
                generation: 0,
                answered: 1,
            });
            for _ in 0..1000 {
                let n = aimd.limit();
                // Every request ahead is answered before it.
                aimd.record(Sample {
                    observed: Observed::Answered(latency(n)),
                    in_flight: n,
                    stalled: Duration::ZERO,
                    generation: aimd.generation(),
                    answered: n,
                });
            }
            assert_eq!(aimd.limit(), expected, "{target}");
            // Held, never halved: queueing is not a pushback.
            assert!(
                aimd.report().backoffs.is_empty(),
                "{target}: {}",
                aimd.report()
            );
        }
    }

    #[test]
    fn a_fixed_limit_never_moves() {
        for samples in [
            vec![answered(10); 100],
            vec![Observed::Pushback(Pushback::Unavailable); 10],
            vec![answered(1), answered(1000)],
        ] {
            let mut aimd = Aimd::fixed(4);
            feed(&mut aimd, &samples);
            assert_eq!(aimd.limit(), 4);
            assert_eq!(
                aimd.report().to_string(),
                "concurrency fixed at 4 (--concurrency)"
            );
        }
    }

    #[test]
    fn the_report_says_where_it_settled_and_why() {
        let mut aimd = Aimd::adaptive(8, 64);
        assert_eq!(
            aimd.report().to_string(),
            "concurrency settled at 8 (peak 8, max 64); the target never pushed back"
        );
        feed(
            &mut aimd,
            &[
                answered(10),
                answered(10),
                Observed::Pushback(Pushback::Unavailable),
                Observed::Pushback(Pushback::Connect),
                Observed::Pushback(Pushback::Unavailable),
            ],
        );
        assert_eq!(
            aimd.report().to_string(),
            "concurrency settled at 1 (peak 10, max 64); backed off on 1 × connect failure, 2 × 503"
        );
    }

    #[tokio::test]
    async fn the_limiter_admits_only_the_limit() {
        let limiter = Limiter::new(Aimd::adaptive(2, 4));
        let a = limiter.acquire().await;
        let b = limiter.acquire().await;
        let third = tokio::time::timeout(MS * 20, limiter.acquire()).await;
        assert!(
            third.is_err(),
            "a third request was admitted under a limit of 2"
        );
        // A pushback halves the limit to 1: b's permit is retired, a's is the only one.
        a.finish(&Err(ExecError::Transport {
            method: "GET",
            url: "http://h/".into(),
            message: "could not connect".into(),
            unsent: true,
            stalled: false,
        }));
        assert!(
            tokio::time::timeout(MS * 20, limiter.acquire())
                .await
                .is_err()
        );
        b.finish(&Err(ExecError::Client("not about capacity".into())));
        let c = limiter.acquire().await;
        assert!(
            tokio::time::timeout(MS * 20, limiter.acquire())
                .await
                .is_err()
        );
        drop(c);
        assert_eq!(limiter.report().settled, 1);
        assert!(
            tokio::time::timeout(MS * 20, limiter.acquire())
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn room_goes_to_the_longest_chain_left_then_to_the_first_come() {
        let limiter = Limiter::new(Aimd::fixed(1));
        let held = limiter.acquire().await;
        let admitted = &Mutex::new(Vec::new());
        let limiter = &limiter;
        let waiter = |name: &'static str, chain_left: u32| {
            CHAIN_LEFT.scope(Cell::new(chain_left), async move {
                let permit = limiter.acquire().await;
                admitted.lock().expect("not poisoned").push(name);
                tokio::task::yield_now().await;
                drop(permit);
            })
        };
        // join! polls in order: every waiter queues before the held room comes back.
        tokio::join!(
            async {
                tokio::task::yield_now().await;
                drop(held);
            },
            waiter("short", 1),
            waiter("long", 9),
            waiter("medium", 4),
            waiter("long, later", 9),
            waiter("outside a case", 0),
        );
        assert_eq!(
            *admitted.lock().expect("not poisoned"),
            ["long", "long, later", "medium", "short", "outside a case"]
        );
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_leaves_its_room_to_the_next() {
        let limiter = Limiter::new(Aimd::fixed(1));
        let held = limiter.acquire().await;
        assert!(
            tokio::time::timeout(MS * 5, limiter.acquire())
                .await
                .is_err()
        );
        drop(held);
        let next = tokio::time::timeout(MS * 20, limiter.acquire()).await;
        assert!(next.is_ok(), "the room went to a waiter that had given up");
    }
}
