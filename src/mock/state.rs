//! State shared by every request of one server run.

use std::collections::BTreeSet;
use std::hash::RandomState;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use super::config::{MockConfig, MockCredentials};
use super::faults::Fault;
use super::record::Recorder;
use super::routes::SCIM_PREFIX;
use super::schema::Kind;
use super::store::Tenant;
use super::token::Issuer;
use super::variations::{MINIMAL_GROUP_OMITS, MINIMAL_USER_OMITS, SMALL_PAGE_CAP, Variation};

/// Which tenant a request acts on, as established by its bearer token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TenantId(pub usize);

pub(crate) const TENANT_A: TenantId = TenantId(0);
pub(crate) const TENANT_B: TenantId = TenantId(1);

/// The faults and variations on now; switchable while the server runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Behaviour {
    pub faults: BTreeSet<Fault>,
    pub variations: BTreeSet<Variation>,
}

pub(crate) struct AppState {
    /// The configuration the server started with; its faults and variations are the first
    /// [`Behaviour`], and only `behaviour` says which are on now.
    pub config: MockConfig,
    behaviour: RwLock<Behaviour>,
    pub credentials: MockCredentials,
    /// SCIM base URL, e.g. `http://127.0.0.1:8080/scim/v2`.
    pub base_url: String,
    tenants: [RwLock<Tenant>; 2],
    pub requests: AtomicU64,
    pub writes: AtomicU64,
    /// Resources created (all tenants, Bulk included).
    pub created: AtomicU64,
    /// Start of the current one-second rate-limit window and the requests seen in it.
    pub rate_window: Mutex<(Instant, u32)>,
    /// Per-run secret key that authenticates cursors (SipHash is a keyed PRF).
    pub cursor_key: RandomState,
    /// The request log, when the configuration asks for one.
    pub recorder: Option<Recorder>,
    /// The OAuth access tokens issued by `POST /oauth/token`.
    pub oauth: Issuer,
    /// Tenant A's SCIM token now, and the ones rotated out.
    pub scim_tokens: RwLock<ScimTokens>,
    /// Shared with the request log: a token issued while serving is redacted there too.
    pub redactor: crate::redact::Redactor,
}

/// Tenant A's SCIM token after every rotation (see [`AppState::rotate_scim_token`]).
pub(crate) struct ScimTokens {
    pub current: String,
    pub revoked: Vec<String>,
}

impl AppState {
    pub fn new(config: MockConfig, base_url: String) -> Self {
        let credentials = MockCredentials::issue(&config);
        let redactor = credentials.redactor();
        let recorder = config
            .record_requests
            .then(|| Recorder::new(redactor.clone()));
        AppState {
            behaviour: RwLock::new(Behaviour {
                faults: config.faults.clone(),
                variations: config.variations.clone(),
            }),
            recorder,
            oauth: Issuer::new(redactor.clone()),
            scim_tokens: RwLock::new(ScimTokens {
                current: credentials.scim_token.clone(),
                revoked: vec![credentials.revoked_token.clone()],
            }),
            redactor,
            config,
            credentials,
            base_url,
            tenants: Default::default(),
            requests: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            created: AtomicU64::new(0),
            rate_window: Mutex::new((Instant::now(), 0)),
            cursor_key: RandomState::new(),
        }
    }

    /// Issues tenant A a new SCIM token and revokes the current one, as a vendor's token
    /// rotation does; returns the new token.
    pub fn rotate_scim_token(&self) -> String {
        let fresh = format!("scim-{}", uuid::Uuid::new_v4().simple());
        self.redactor.learn(&fresh, "scim token");
        let mut tokens = self
            .scim_tokens
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let old = std::mem::replace(&mut tokens.current, fresh.clone());
        tokens.revoked.push(old);
        fresh
    }

    pub fn has(&self, fault: Fault) -> bool {
        self.behaviour().faults.contains(&fault)
    }

    pub fn varies(&self, variation: Variation) -> bool {
        self.behaviour().variations.contains(&variation)
    }

    pub fn behaviour(&self) -> RwLockReadGuard<'_, Behaviour> {
        self.behaviour
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Switches to `behaviour` for every request from now on.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self
            .behaviour
            .write()
            .unwrap_or_else(PoisonError::into_inner) = behaviour;
    }

    /// What the locations the server hands out start with: the base URL, or under
    /// [`Variation::RelativeLocations`] its path alone.
    pub fn location_base(&self) -> &str {
        if self.varies(Variation::RelativeLocations) {
            SCIM_PREFIX
        } else {
            &self.base_url
        }
    }

    /// Whether the server leaves a core attribute of `kind` out of its schema.
    pub fn undeclared(&self, kind: Kind, name: &str) -> bool {
        let omitted: &[&str] = match kind {
            Kind::User if self.varies(Variation::MinimalUserSchema) => &MINIMAL_USER_OMITS,
            Kind::Group if self.varies(Variation::MinimalGroupSchema) => &MINIMAL_GROUP_OMITS,
            _ => &[],
        };
        omitted.iter().any(|o| o.eq_ignore_ascii_case(name))
    }

    /// The largest page returned: `filter.maxResults`.
    pub fn max_page_size(&self) -> usize {
        if self.varies(Variation::SmallPageCap) {
            self.config.max_page_size.min(SMALL_PAGE_CAP)
        } else {
            self.config.max_page_size
        }
    }

    /// A poisoned lock only means another handler panicked mid-request; the data is
    /// still the last committed state because writes are built aside and swapped in.
    pub fn read(&self, tenant: TenantId) -> RwLockReadGuard<'_, Tenant> {
        self.tenants[tenant.0]
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub fn write(&self, tenant: TenantId) -> RwLockWriteGuard<'_, Tenant> {
        self.tenants[tenant.0]
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub fn count_request(&self, is_write: bool) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if is_write {
            self.writes.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether this request exceeds the configured requests per second.
    pub fn rate_limited(&self) -> bool {
        let Some(limit) = self.config.rate_limit else {
            return false;
        };
        let mut window = self
            .rate_window
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if window.0.elapsed().as_secs() >= 1 {
            *window = (Instant::now(), 0);
        }
        window.1 += 1;
        window.1 > limit
    }
}
