//! Starting and stopping the server.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::admin::FAULTS_PATH;
use super::config::{MockConfig, MockCredentials};
use super::faults::Fault;
use super::record::{RecordedRequest, Recorder};
use super::routes::{SCIM_PREFIX, router};
use super::seed::{self, Resources, Seed, SeedError};
use super::state::AppState;
use super::tls::{MockTls, TlsListener};
use super::variations::Variation;

/// Resolves when the server is to stop.
type Shutdown = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// The state of a server about to serve on `listener`; `scheme` is `http` or `https`.
fn prepare(
    config: MockConfig,
    listener: &TcpListener,
    scheme: &str,
) -> std::io::Result<Arc<AppState>> {
    let local = listener.local_addr()?;
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
        let listener = TcpListener::bind(addr).await?;
        let state = prepare(config, &listener, "http")?;
        let app = router(state.clone());
        Ok(MockServer::serve(state, move |shutdown| async move {
            // Serving only ends on shutdown; an accept error then has nobody to report to.
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
        }))
    }

    /// Like [`start`](Self::start), over HTTPS with `tls`'s certificate: the base URL is
    /// `https://…`, and clients trust [`MockTls::ca_pem`].
    pub async fn start_tls(
        config: MockConfig,
        addr: SocketAddr,
        tls: &MockTls,
    ) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(addr).await?;
        let state = prepare(config, &listener, "https")?;
        let listener = TlsListener::new(listener, tls)?;
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
        let root = self
            .state
            .base_url
            .strip_suffix(SCIM_PREFIX)
            .unwrap_or(&self.state.base_url);
        format!("{root}{FAULTS_PATH}")
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
