//! Starting and stopping the server.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::config::{MockConfig, MockCredentials};
use super::routes::{SCIM_PREFIX, router};
use super::state::AppState;

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
        let local = listener.local_addr()?;
        // A wildcard address is where the server listens, not where a client can reach it.
        let host = match local.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let base_url = format!(
            "http://{}{SCIM_PREFIX}",
            SocketAddr::new(host, local.port())
        );
        let state = Arc::new(AppState::new(config, base_url));
        let app = router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            // Serving only ends on shutdown; an accept error then has nobody to report to.
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        Ok(MockServer {
            state,
            stop: Some(stop),
            task: Some(task),
        })
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
