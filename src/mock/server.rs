//! Starting and stopping the server.

use std::collections::BTreeSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, Sleep};

use super::admin::FAULTS_PATH;
use super::config::{MockConfig, MockCredentials};
use super::faults::Fault;
use super::record::{RecordedRequest, Recorder};
use super::routes::{SCIM_PREFIX, router};
use super::seed::{self, Resources, Seed, SeedError};
use super::state::AppState;
use super::tls::{MockTls, TlsListener};
use super::token::TOKEN_PATH;
use super::variations::Variation;

/// Resolves when the server is to stop.
type Shutdown = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// Binds `addr` with the listen `backlog`, or the system's usual.
async fn bind(addr: SocketAddr, backlog: Option<u32>) -> io::Result<TcpListener> {
    let Some(backlog) = backlog else {
        return TcpListener::bind(addr).await;
    };
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// The state of a server about to serve on `listener`; `scheme` is `http` or `https`.
fn prepare(config: MockConfig, local: SocketAddr, scheme: &str) -> std::io::Result<Arc<AppState>> {
    // A wildcard address is where the server listens, not where a client can reach it.
    let host = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let base_url = format!(
        "{scheme}://{}{SCIM_PREFIX}",
        SocketAddr::new(host, local.port())
    );
    Ok(Arc::new(AppState::new(config, base_url)))
}

/// A running mock SCIM server. Dropping it stops the server.
pub struct MockServer {
    state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Binds `addr` (port 0 picks a free port) and serves on the current tokio runtime.
    pub async fn start(config: MockConfig, addr: SocketAddr) -> std::io::Result<MockServer> {
        let workers = config.workers;
        let listener = bind(addr, config.listen_backlog).await?;
        let listener = Limited::new(listener, workers.unwrap_or(config.max_connections), &config);
        let state = prepare(config, listener.inner.local_addr()?, "http")?;
        let app = router(state.clone());
        Ok(MockServer::serve(state, move |shutdown| async move {
            // Serving only ends on shutdown; an accept error then has nobody to report to.
            let _ = match workers {
                Some(_) => {
                    let app = app.layer(axum::middleware::map_response(close_after));
                    axum::serve(listener, app)
                        .with_graceful_shutdown(shutdown)
                        .await
                }
                None => {
                    axum::serve(listener, app)
                        .with_graceful_shutdown(shutdown)
                        .await
                }
            };
        }))
    }

    /// Like [`start`](Self::start), over HTTPS with `tls`'s certificate: the base URL is
    /// `https://…`, and clients trust [`MockTls::ca_pem`].
    pub async fn start_tls(
        config: MockConfig,
        addr: SocketAddr,
        tls: &MockTls,
    ) -> std::io::Result<MockServer> {
        let listener = bind(addr, config.listen_backlog).await?;
        let local = listener.local_addr()?;
        let listener = Limited::new(
            TlsListener::new(listener, tls)?,
            config.max_connections,
            &config,
        );
        let state = prepare(config, local, "https")?;
        let app = router(state.clone());
        Ok(MockServer::serve(state, move |shutdown| async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
        }))
    }

    /// Spawns `serve`, which serves until the future it is given resolves.
    fn serve<F, Fut>(state: Arc<AppState>, serve: F) -> MockServer
    where
        F: FnOnce(Shutdown) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(Box::pin(async {
            let _ = stopped.await;
        })));
        MockServer {
            state,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The SCIM base URL, e.g. `http://127.0.0.1:PORT/scim/v2`.
    pub fn base_url(&self) -> &str {
        &self.state.base_url
    }

    /// The tokens this run accepts; random per start.
    pub fn credentials(&self) -> &MockCredentials {
        &self.state.credentials
    }

    /// POST, PUT, PATCH and DELETE requests received (all tenants, any outcome), except
    /// `POST …/.search`, which only reads.
    pub fn write_requests(&self) -> u64 {
        self.state.writes.load(Ordering::Relaxed)
    }

    /// Resources created (all tenants, by POST, Bulk or a PUT that creates).
    pub fn created_resources(&self) -> u64 {
        self.state.created.load(Ordering::Relaxed)
    }

    /// All requests received.
    pub fn request_count(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    /// The admin route's URL, outside the SCIM base path: `GET` shows the faults and variations
    /// on, `PUT {"faults": [...], "variations": [...]}` switches them; both need
    /// [`MockCredentials::admin_token`].
    pub fn admin_url(&self) -> String {
        format!("{}{FAULTS_PATH}", self.root())
    }

    /// The OAuth 2.0 token endpoint's URL (client credentials, for
    /// [`MockCredentials::oauth_client_id`]), outside the SCIM base path.
    pub fn oauth_token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.root())
    }

    /// OAuth access tokens issued so far.
    pub fn oauth_tokens_issued(&self) -> u64 {
        self.state.oauth.issued()
    }

    /// Rotates tenant A's SCIM token: a new one is issued and returned, and the one in use
    /// (at first [`MockCredentials::scim_token`]) is revoked, as
    /// [`MockCredentials::revoked_token`] is.
    pub fn rotate_scim_token(&self) -> String {
        self.state.rotate_scim_token()
    }

    /// Revokes every OAuth access token issued so far: the next request with one gets 401.
    pub fn revoke_oauth_tokens(&self) {
        self.state.oauth.revoke_all();
    }

    /// `http://host:port`, the base URL without the SCIM path.
    fn root(&self) -> &str {
        self.state
            .base_url
            .strip_suffix(SCIM_PREFIX)
            .unwrap_or(&self.state.base_url)
    }

    /// Switches the faults on for every request from now on (the others off).
    pub fn set_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        let mut behaviour = self.state.behaviour().clone();
        behaviour.faults = faults.into_iter().collect();
        self.state.set_behaviour(behaviour);
    }

    /// Switches the variations on for every request from now on (the others off).
    pub fn set_variations(&self, variations: impl IntoIterator<Item = Variation>) {
        let mut behaviour = self.state.behaviour().clone();
        behaviour.variations = variations.into_iter().collect();
        self.state.set_behaviour(behaviour);
    }

    /// The faults on now.
    pub fn faults(&self) -> BTreeSet<Fault> {
        self.state.behaviour().faults.clone()
    }

    /// Creates users, then groups, in the SCIM token's tenant, each as a `POST` would; stops at
    /// the first entry refused.
    pub fn seed(&self, seed: &Seed) -> Result<Resources, SeedError> {
        seed::load(&self.state, seed)
    }

    /// The SCIM token's tenant's users and groups now, as a `GET` of each shows them.
    pub fn resources(&self) -> Resources {
        seed::resources(&self.state)
    }

    /// Every request answered so far with its response, oldest first, credentials redacted.
    /// Empty unless [`MockConfig::record_requests`] is set.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state
            .recorder
            .as_ref()
            .map_or_else(Vec::new, Recorder::entries)
    }

    /// Like [`requests`](Self::requests), and empties the log.
    pub fn take_requests(&self) -> Vec<RecordedRequest> {
        self.state
            .recorder
            .as_ref()
            .map_or_else(Vec::new, Recorder::take)
    }

    /// Resolves once a request was recorded since the last call; never without
    /// [`MockConfig::record_requests`].
    pub async fn requests_arrived(&self) {
        match &self.state.recorder {
            Some(recorder) => recorder.arrived().await,
            None => std::future::pending().await,
        }
    }

    /// Stops accepting connections and waits (up to five seconds) for open requests.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Accepts a connection only while fewer than `free`'s permits are taken, so the others wait in
/// the listen backlog (and, once it is full, are dropped by the kernel), as with a
/// single-threaded server when the limit is its workers.
struct Limited<L> {
    inner: L,
    free: Arc<Semaphore>,
    answer_timeout: Duration,
}

impl<L> Limited<L> {
    fn new(inner: L, connections: usize, config: &MockConfig) -> Self {
        Limited {
            inner,
            free: Arc::new(Semaphore::new(connections.max(1))),
            answer_timeout: config.answer_timeout,
        }
    }
}

impl<L: Listener> Listener for Limited<L> {
    type Io = Guarded<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // The semaphore is never closed; were it, the limit would merely be lifted.
        let permit = Arc::clone(&self.free).acquire_owned().await.ok();
        let (stream, addr) = self.inner.accept().await;
        (
            Guarded {
                stream,
                _permit: permit,
                answer_timeout: self.answer_timeout,
                deadline: Box::pin(tokio::time::sleep(self.answer_timeout)),
            },
            addr,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection, the permit it holds until it closes, and the time by which it must have been
/// answered: only writing an answer moves that on, so neither idling nor dripping a request
/// keeps a connection open.
struct Guarded<S> {
    stream: S,
    _permit: Option<OwnedSemaphorePermit>,
    answer_timeout: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<S> Guarded<S> {
    /// Stalled I/O fails once the deadline passes, which makes hyper close the connection.
    fn expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        self.deadline.as_mut().poll(cx).map(|()| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                "the connection was not answered in time",
            )
        })
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Pending => self.expired(cx).map(Err),
            ready => ready,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.stream).poll_write(cx, buf) {
            Poll::Ready(Ok(written)) if written > 0 => {
                let next = Instant::now() + self.answer_timeout;
                self.deadline.as_mut().reset(next);
                Poll::Ready(Ok(written))
            }
            Poll::Pending => self.expired(cx).map(Err),
            ready => ready,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// One request per connection, so a kept-alive client cannot hold a worker for good.
async fn close_after(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
