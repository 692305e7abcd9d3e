//! The HTTP side: one shared client, the target's credentials, and a record of every exchange.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use reqwest::Url;
use serde_json::Value;
use thiserror::Error;

use crate::case::{Auth, Method};
use crate::contract::Contract;
use crate::files::show_bytes;
use crate::redact::{self, Redactor};
use crate::scim::urn;

use super::limit::{self, Aimd, ConcurrencyReport, ConnectDeadline, Limiter};
use super::oauth::{OAuthError, OAuthSettings, TokenSource};

/// The credentials a run may send.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The SCIM bearer token.
    pub scim: String,
    /// The vendor's general (non-SCIM) API key, for token-confusion cases.
    pub api_key: Option<String>,
    /// A SCIM token of another tenant, for isolation cases.
    pub other_tenant: Option<String>,
}

/// The server under test.
pub struct Target {
    base_url: String,
    /// `base_url` parsed: every request must fall under it (see [`confine`]).
    base: Url,
    credentials: Credentials,
    /// Where the SCIM token comes from when it is an OAuth access token, not `credentials.scim`.
    oauth: Option<TokenSource>,
    /// A SCIM token the target revoked, for the token-rotation case.
    revoked: Option<String>,
    /// Headers every request carries unless a step sets its own (a contract's tenant header).
    extra_headers: Vec<(String, String)>,
    /// Sent in Content-Type and Accept unless a step says otherwise.
    media_type: String,
    wrong_token: String,
    client: reqwest::Client,
    redactor: Redactor,
    in_flight: Limiter,
    pacing: Option<Pacing>,
    retries: u32,
    /// How long a request may keep retrying stalled connects: the per-request timeout.
    stall_budget: Duration,
    throttled: AtomicU32,
    /// After a 429, every request waits until then: the target asked the client, not one
    /// request, to slow down.
    resume_at: std::sync::Mutex<Option<Instant>>,
    verbose: bool,
    max_body: u64,
}

/// Spaces request starts at least `interval` apart.
struct Pacing {
    interval: Duration,
    next_start: tokio::sync::Mutex<Instant>,
}

impl Pacing {
    async fn wait(&self) {
        let mut next = self.next_start.lock().await;
        let now = Instant::now();
        let start = (*next).max(now);
        *next = start + self.interval;
        drop(next);
        tokio::time::sleep_until(start.into()).await;
    }
}

#[derive(Debug, Error)]
pub enum ExecError {
    #[error("failed to build the HTTP client: {0}")]
    Client(String),
    #[error("`{url}` is not a usable base URL: {reason}")]
    BaseUrl { url: String, reason: String },
    /// A URL the target handed out (a Location, `meta.location`, a Bulk `location`, a
    /// ResourceType's `endpoint`, a `$ref`) that is not under the base URL: never requested.
    #[error(
        "{method} {url} was not sent: {reason}, so it is not under the base URL {base} \
         (RFC 7644 §3.1: a resource's location is the service provider's, below its base URL; \
         scimcheck sends its credentials nowhere else)"
    )]
    Outside {
        method: &'static str,
        url: String,
        base: String,
        reason: Outside,
    },
    /// A client option beyond its range (see [`ClientOptions::check`]).
    #[error("{name} {value} is out of range (allowed: {allowed})")]
    OutOfRange {
        name: &'static str,
        value: String,
        allowed: String,
    },
    /// The target answered, with more than the run accepts (`--max-body`); the rest was not read.
    #[error("{method} {url}: the response body exceeds {} (--max-body)", show_bytes(*limit))]
    BodyTooLarge {
        method: &'static str,
        url: String,
        limit: u64,
    },
    #[error("{method} {url}: {message}")]
    Transport {
        method: &'static str,
        url: String,
        message: String,
        /// The request never left: the connection could not be made (safe to retry any method).
        unsent: bool,
        /// The connect stalled and was abandoned (see `limit::ConnectDeadline`): back-pressure
        /// from a full listen backlog, retried without counting against `--retries`.
        stalled: bool,
    },
    #[error(transparent)]
    OAuth(#[from] OAuthError),
}

/// A request as sent (the `Authorization` value is kept only as the credential's name).
#[derive(Debug, Clone)]
pub struct SentRequest {
    pub method: Method,
    pub url: String,
    pub auth: Auth,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// A response as received. Header names are lowercase.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    pub elapsed: Duration,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request and its response.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: SentRequest,
    pub response: Response,
}

/// Options of the HTTP client: how hard scimcheck may push a target.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// How long one request may take.
    pub timeout: Duration,
    /// Requests in flight at once: fixed, or `None` to adapt to the target (see [`limit`]).
    pub concurrency: Option<usize>,
    /// Requests started per second, at most; `None` for no limit.
    pub rate: Option<f64>,
    /// Retries of a throttled (429/503) or failed request, where a retry is safe.
    pub retries: u32,
    /// PEM certificates trusted besides the system roots.
    pub ca_certificates: Vec<Vec<u8>>,
    /// Accept any certificate (a test endpoint with a self-signed one).
    pub insecure: bool,
    /// Trace every exchange on stderr (redacted).
    pub verbose: bool,
    /// The largest response body read; a longer one is an error, not an allocation.
    pub max_body: u64,
}

/// The ranges [`ClientOptions::check`] accepts: beyond them a value is a typo or an attack, and
/// some would overflow (a timeout added to `Instant::now()`, `1/rate` as a `Duration`).
const TIMEOUT_RANGE: std::ops::RangeInclusive<Duration> =
    Duration::from_secs(1)..=Duration::from_secs(3600);
const CONCURRENCY_RANGE: std::ops::RangeInclusive<usize> = 1..=4096;
const RATE_RANGE: std::ops::RangeInclusive<f64> = 0.01..=100_000.0;
const RETRIES_RANGE: std::ops::RangeInclusive<u32> = 0..=20;
const MAX_BODY_RANGE: std::ops::RangeInclusive<u64> = 1024..=1024 * 1024 * 1024;

impl ClientOptions {
    /// Every value within its range; the message names the setting and the range.
    pub fn check(&self) -> Result<(), ExecError> {
        let out_of_range = |name, value, allowed| {
            Err(ExecError::OutOfRange {
                name,
                value,
                allowed,
            })
        };
        if !TIMEOUT_RANGE.contains(&self.timeout) {
            return out_of_range(
                "timeout",
                format!("{}s", self.timeout.as_secs_f64()),
                format!(
                    "{}..={} seconds",
                    TIMEOUT_RANGE.start().as_secs(),
                    TIMEOUT_RANGE.end().as_secs()
                ),
            );
        }
        if let Some(concurrency) = self.concurrency
            && !CONCURRENCY_RANGE.contains(&concurrency)
        {
            return out_of_range(
                "concurrency",
                concurrency.to_string(),
                format!("{CONCURRENCY_RANGE:?}"),
            );
        }
        // NaN is in no range, so it is refused here too.
        if let Some(rate) = self.rate
            && !RATE_RANGE.contains(&rate)
        {
            return out_of_range(
                "rate",
                rate.to_string(),
                format!("{RATE_RANGE:?} requests per second"),
            );
        }
        if !RETRIES_RANGE.contains(&self.retries) {
            return out_of_range(
                "retries",
                self.retries.to_string(),
                format!("{RETRIES_RANGE:?}"),
            );
        }
        if !MAX_BODY_RANGE.contains(&self.max_body) {
            return out_of_range(
                "max-body",
                show_bytes(self.max_body),
                format!(
                    "{}..={}",
                    show_bytes(*MAX_BODY_RANGE.start()),
                    show_bytes(*MAX_BODY_RANGE.end())
                ),
            );
        }
        Ok(())
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            concurrency: None,
            rate: None,
            retries: 4,
            ca_certificates: Vec::new(),
            insecure: false,
            verbose: false,
            max_body: 8 * 1024 * 1024,
        }
    }
}

impl Target {
    pub fn new(
        base_url: &str,
        credentials: Credentials,
        options: &ClientOptions,
    ) -> Result<Target, ExecError> {
        options.check()?;
        let base_url = base_url.trim_end_matches('/');
        let bad_url = |reason: String| ExecError::BaseUrl {
            url: redact::hide_url_password(base_url).into_owned(),
            reason,
        };
        let base = Url::parse(base_url).map_err(|e| bad_url(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad_url("only http and https are supported".into()));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(bad_url("it must not carry a query or fragment".into()));
        }
        // reqwest would turn userinfo into a Basic header on every request, and the password
        // would be printed wherever the base URL is.
        if has_userinfo(&base) {
            return Err(bad_url(
                "it must not carry a user name or password; pass the token with --token-env".into(),
            ));
        }
        // reqwest is built without a default TLS provider so that only ring is compiled in.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Redirects are answers to check, not to follow: a SCIM endpoint that redirects
        // (possibly to another host, with the token) is reported as it is.
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(10)))
            .connector_layer(ConnectDeadline::default())
            .user_agent(concat!("scimcheck/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(options.insecure);
        for pem in &options.ca_certificates {
            let certificates = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| ExecError::Client(format!("bad CA certificate: {e}")))?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let client = builder
            .build()
            .map_err(|e| ExecError::Client(e.to_string()))?;
        let mut redactor = Redactor::default();
        redactor.add_url_password(base_url);
        redactor.add(&credentials.scim, "scim token");
        if let Some(key) = &credentials.api_key {
            redactor.add(key, "api key");
        }
        if let Some(token) = &credentials.other_tenant {
            redactor.add(token, "other tenant token");
        }
        Ok(Target {
            base_url: base_url.to_owned(),
            base,
            credentials,
            oauth: None,
            revoked: None,
            extra_headers: Vec::new(),
            media_type: urn::MEDIA_TYPE.to_owned(),
            wrong_token: format!("scimcheck-not-a-token-{}", uuid::Uuid::new_v4().simple()),
            client,
            redactor,
            in_flight: Limiter::new(match options.concurrency {
                Some(fixed) => Aimd::fixed(fixed),
                None => Aimd::adaptive(limit::START, limit::ADAPTIVE_MAX),
            }),
            pacing: options.rate.map(|rate| Pacing {
                interval: Duration::from_secs_f64(1.0 / rate),
                next_start: tokio::sync::Mutex::new(Instant::now()),
            }),
            retries: options.retries,
            stall_budget: options.timeout,
            max_body: options.max_body,
            throttled: AtomicU32::new(0),
            resume_at: std::sync::Mutex::new(None),
            verbose: options.verbose,
        })
    }

    /// Takes the SCIM token from an OAuth token endpoint instead of `credentials.scim`;
    /// `insecure` allows a plain-http token URL off loopback. Nothing is fetched yet (see
    /// [`Target::authenticate`]).
    pub fn with_oauth(
        mut self,
        settings: OAuthSettings,
        insecure: bool,
    ) -> Result<Self, ExecError> {
        self.oauth = Some(TokenSource::new(
            settings,
            self.client.clone(),
            self.redactor.clone(),
            insecure,
        )?);
        Ok(self)
    }

    /// A SCIM token the target has revoked (`auth: revoked` in a case).
    pub fn with_revoked_token(mut self, token: String) -> Self {
        self.redactor.add(&token, "revoked token");
        self.revoked = Some(token);
        self
    }

    /// What a contract has every request carry: its headers (a secret one learned by the
    /// redactor) and the media type its target accepts instead of application/scim+json.
    pub fn with_contract_headers(mut self, contract: &Contract) -> Self {
        for header in &contract.request_headers {
            if header.secret {
                self.redactor.add(&header.value, "contract header");
            }
            self.extra_headers
                .push((header.name.clone(), header.value.clone()));
        }
        if let Some(media_type) = &contract.media_type {
            self.media_type.clone_from(media_type);
        }
        self
    }

    /// Fetches the OAuth access token, when there is one to fetch: a refusal stops the run.
    pub async fn authenticate(&self) -> Result<(), ExecError> {
        if let Some(source) = &self.oauth {
            source.fetch_first().await?;
        }
        Ok(())
    }

    /// How many times the target answered 429 or 503 (each one was waited out).
    pub fn throttled(&self) -> u32 {
        self.throttled.load(Ordering::Relaxed)
    }

    /// The concurrency the run settled at, and why it backed off.
    pub fn concurrency_report(&self) -> ConcurrencyReport {
        self.in_flight.report()
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The base URL, parsed: what [`confine`] compares with.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// [`Target::url`] of `path`, confined to the base URL.
    pub fn confined(&self, path: &str) -> Result<Url, Outside> {
        confine(&self.base, &self.url(path))
    }

    /// A URL a response states (a Location, a Bulk `location`), resolved against the request
    /// that got it and confined to the base URL; why not, as a finding's text.
    pub fn located(&self, requested: &Url, location: &str) -> Result<Url, String> {
        let url = requested
            .join(location)
            .map_err(|e| format!("{location}: {e}"))?;
        confine(&self.base, url.as_str())
            .map_err(|reason| format!("{}: {reason}", redact::hide_url_password(url.as_str())))
    }

    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Whether the run has the credential `auth` needs; `Some(reason)` when it does not.
    pub fn missing_credential(&self, auth: Auth) -> Option<&'static str> {
        match auth {
            Auth::ApiKey if self.credentials.api_key.is_none() => {
                Some("no API key configured (--api-key-env)")
            }
            Auth::OtherTenant if self.credentials.other_tenant.is_none() => {
                Some("no other tenant's token configured (--other-tenant-token-env)")
            }
            Auth::Revoked if self.revoked.is_none() => {
                Some("no revoked token configured (--revoked-token-env)")
            }
            _ => None,
        }
    }

    /// The `Authorization` value for `auth`, and the OAuth token's generation when it is one.
    async fn authorization(&self, auth: Auth) -> Result<(Option<String>, Option<u64>), ExecError> {
        let bearer = |token: &str| format!("Bearer {token}");
        if let (Auth::Scim, Some(source)) = (auth, &self.oauth) {
            let (token, generation) = source.current().await?;
            return Ok((Some(bearer(&token)), Some(generation)));
        }
        let value = match auth {
            Auth::Scim => Some(bearer(&self.credentials.scim)),
            Auth::None => None,
            Auth::Wrong => Some(bearer(&self.wrong_token)),
            Auth::Malformed => Some("Bearer".to_owned()),
            Auth::ApiKey => self.credentials.api_key.as_deref().map(bearer),
            Auth::OtherTenant => self.credentials.other_tenant.as_deref().map(bearer),
            Auth::Revoked => self.revoked.as_deref().map(bearer),
        };
        Ok((value, None))
    }

    /// The absolute URL of a path relative to the base URL. An absolute URL (one a target
    /// handed out) is kept as it is: [`Target::send`] refuses it unless it is under the base URL.
    pub fn url(&self, path: &str) -> String {
        under_base(&self.base_url, &self.base, path)
    }

    /// Sends one request, retrying only where a retry is safe. A 429 was refused unprocessed: it
    /// is waited out (its `Retry-After`, else an exponential backoff with jitter, and every
    /// other request waits too) for up to two minutes, unless it asks for more than
    /// `MAX_RETRY_AFTER`. A connection that could not be
    /// made sent nothing, so any method is retried. A 503 or a connection lost mid-request leave
    /// the outcome unknown, so only idempotent methods (and a query POSTed to `.search`) are
    /// replayed then. `body` is sent as-is;
    /// `headers` may override the defaults (`Accept` and, with a body,
    /// `Content-Type: application/scim+json`).
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        query: &[(String, String)],
        headers: &[(String, String)],
        body: Option<String>,
        auth: Auth,
    ) -> Result<Exchange, ExecError> {
        let url = confine(&self.base, url).map_err(|reason| ExecError::Outside {
            method: method.as_str(),
            url: redact::hide_url_password(url).into_owned(),
            base: self.base_url.clone(),
            reason,
        })?;
        // A POST to `.search` is a query (RFC 7644 §3.4.3): replaying it changes nothing.
        let idempotent = matches!(method, Method::Get | Method::Put | Method::Delete)
            || (method == Method::Post && url.path().trim_end_matches('/').ends_with("/.search"));
        let mut attempt = 0;
        let mut throttled_for = Duration::ZERO;
        let mut reauthenticated = false;
        let started = Instant::now();
        loop {
            let (authorization, generation) = self.authorization(auth).await?;
            let outcome = {
                let mut permit = self.in_flight.acquire().await;
                let resume_at = *self.resume_at.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(resume_at) = resume_at {
                    tokio::time::sleep_until(resume_at.into()).await;
                }
                if let Some(pacing) = &self.pacing {
                    pacing.wait().await;
                }
                permit.sending();
                let outcome = self
                    .send_once(
                        method,
                        url.clone(),
                        query,
                        headers,
                        body.clone(),
                        (auth, authorization),
                    )
                    .await;
                permit.finish(&outcome);
                outcome
            };
            if self.verbose {
                self.trace(&outcome);
            }
            // A 401 to an OAuth token may mean it expired early or was revoked: a new one is
            // fetched and the request sent again, once (a 401 was not processed).
            if let (Ok(exchange), Some(generation), Some(source)) =
                (&outcome, generation, &self.oauth)
                && exchange.response.status == 401
                && !reauthenticated
            {
                reauthenticated = true;
                if source.rejected(generation).await? {
                    continue;
                }
            }
            let wait = match &outcome {
                // Refused unprocessed: always safe to send again, for as long as the budget lasts.
                Ok(exchange) if exchange.response.status == 429 => {
                    self.throttled.fetch_add(1, Ordering::Relaxed);
                    let wait = retry_after(exchange.response.header("retry-after"))
                        .unwrap_or_else(|| backoff(attempt + 1));
                    (self.retries > 0
                        && wait <= MAX_RETRY_AFTER
                        && throttled_for + wait <= THROTTLE_BUDGET)
                        .then_some((wait, true))
                }
                Ok(exchange) if exchange.response.status == 503 && idempotent => {
                    self.throttled.fetch_add(1, Ordering::Relaxed);
                    let wait = retry_after(exchange.response.header("retry-after"))
                        .unwrap_or_else(|| backoff(attempt + 1));
                    (attempt < self.retries && wait <= MAX_RETRY_AFTER).then_some((wait, true))
                }
                // Back-pressure, not failure: the limit has come down meanwhile, and the
                // connect is tried again as soon as there is room under it.
                Err(ExecError::Transport { stalled: true, .. })
                    if started.elapsed() < self.stall_budget =>
                {
                    // A short jittered pause keeps the retries of one dropped burst apart; no
                    // longer than the connect deadline's floor, since the case waits it out
                    // (5-50 ms cost a single worker's run about as much as the stall itself).
                    let pause = Duration::from_millis(fastrand::u64(1..=10));
                    tokio::time::sleep(pause).await;
                    continue;
                }
                Err(ExecError::Transport { unsent, .. }) if *unsent || idempotent => {
                    (attempt < self.retries).then(|| (backoff(attempt + 1), false))
                }
                _ => None,
            };
            match wait {
                Some((wait, throttled)) => {
                    attempt += 1;
                    if throttled {
                        // The target asked the client, not this request, to slow down.
                        throttled_for += wait;
                        let until = Instant::now() + wait;
                        let mut resume_at =
                            self.resume_at.lock().unwrap_or_else(|e| e.into_inner());
                        *resume_at = Some(resume_at.map_or(until, |at| at.max(until)));
                    }
                    tokio::time::sleep(wait).await;
                }
                _ => return outcome,
            }
        }
    }

    /// One exchange on stderr, secrets redacted, then bodies cut short.
    fn trace(&self, outcome: &Result<Exchange, ExecError>) {
        const LIMIT: usize = 500;
        let short = |text: &str| -> String {
            let text = self.redactor.redact(text);
            match text.char_indices().nth(LIMIT) {
                Some((end, _)) => format!("{}… ({} bytes in all)", &text[..end], text.len()),
                None => text.into_owned(),
            }
        };
        let text = match outcome {
            Ok(exchange) => {
                let mut text = format!("> {}\n", exchange.request);
                if let Some(body) = &exchange.request.body {
                    text.push_str(&format!("> {}\n", short(body)));
                }
                let response = &exchange.response;
                text.push_str(&format!(
                    "< {} ({} ms)\n",
                    response.status,
                    response.elapsed.as_millis()
                ));
                if !response.body.is_empty() {
                    text.push_str(&format!("< {}\n", short(&response.body)));
                }
                text
            }
            Err(error) => format!("! {error}\n"),
        };
        eprint!("{}", redact::printable(&self.redactor.redact(&text)));
    }

    /// `url` has been through [`confine`].
    async fn send_once(
        &self,
        method: Method,
        mut url: Url,
        query: &[(String, String)],
        headers: &[(String, String)],
        body: Option<String>,
        (auth, authorization): (Auth, Option<String>),
    ) -> Result<Exchange, ExecError> {
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut all_headers: Vec<(String, String)> = Vec::new();
        let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        if !has("accept") {
            all_headers.push(("Accept".into(), self.media_type.clone()));
        }
        if body.is_some() && !has("content-type") {
            all_headers.push(("Content-Type".into(), self.media_type.clone()));
        }
        all_headers.extend(
            self.extra_headers
                .iter()
                .filter(|(name, _)| !has(name))
                .cloned(),
        );
        all_headers.extend(headers.iter().cloned());

        let http_method = match method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(http_method, url.clone());
        for (name, value) in &all_headers {
            builder = builder.header(name, value);
        }
        if let Some(authorization) = authorization {
            builder = builder.header(reqwest::header::AUTHORIZATION, authorization);
        }
        if let Some(body) = &body {
            builder = builder.body(body.clone());
        }
        let shown_url = redact::hide_url_password(url.as_str()).into_owned();
        let transport = |err: reqwest::Error| ExecError::Transport {
            method: method.as_str(),
            url: shown_url.clone(),
            message: describe_reqwest_error(&err),
            unsent: err.is_connect(),
            stalled: limit::is_stalled_connect(&err),
        };
        let started = Instant::now();
        let mut response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let response_headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        // Read chunk by chunk and stop at the cap: a hostile or broken target may send gigabytes,
        // or a body that never ends (the client's timeout bounds that one in time).
        let too_large = || ExecError::BodyTooLarge {
            method: method.as_str(),
            url: shown_url.clone(),
            limit: self.max_body,
        };
        if response.content_length().is_some_and(|n| n > self.max_body) {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if (bytes.len() + chunk.len()) as u64 > self.max_body {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = if text.trim().is_empty() {
            None
        } else {
            serde_json::from_str(&text).ok()
        };
        Ok(Exchange {
            request: SentRequest {
                method,
                // As sent: later requests are built from it; writers redact it.
                url: url.to_string(),
                auth,
                headers: all_headers,
                body,
            },
            response: Response {
                status,
                headers: response_headers,
                body: text,
                json,
                elapsed: started.elapsed(),
            },
        })
    }
}

/// Why a URL is not under the base URL.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Outside {
    #[error("it is not an absolute URL ({0})")]
    NotAUrl(String),
    #[error("it carries a user name or password")]
    UserInfo,
    #[error("its scheme is {0}")]
    Scheme(String),
    #[error("its host is {0}")]
    Host(String),
    #[error("its port is {0}")]
    Port(u16),
    #[error("its path {0} is not below {1}")]
    Path(String, String),
}

/// The one gate every request passes: `candidate` parsed, then compared with `base` part by
/// part — same scheme, host and port (default ports made explicit), no userinfo, and a path
/// whose segments begin with the base path's segments (so `/scim/v2` does not admit
/// `/scim/v2evil`, and `..` cannot climb out, since parsing has already resolved it).
pub fn confine(base: &Url, candidate: &str) -> Result<Url, Outside> {
    let url = Url::parse(candidate).map_err(|e| Outside::NotAUrl(e.to_string()))?;
    if has_userinfo(&url) {
        return Err(Outside::UserInfo);
    }
    if url.scheme() != base.scheme() {
        return Err(Outside::Scheme(url.scheme().to_owned()));
    }
    if url.host() != base.host() {
        return Err(Outside::Host(
            url.host().map(|h| h.to_string()).unwrap_or_default(),
        ));
    }
    if url.port_or_known_default() != base.port_or_known_default() {
        return Err(Outside::Port(url.port_or_known_default().unwrap_or(0)));
    }
    if !segments(&url).starts_with(&segments(base)) {
        return Err(Outside::Path(url.path().to_owned(), base.path().to_owned()));
    }
    Ok(url)
}

/// The path's segments, without the empty one a trailing slash leaves.
fn segments(url: &Url) -> Vec<&str> {
    let mut segments: Vec<&str> = url
        .path_segments()
        .map(Iterator::collect)
        .unwrap_or_default();
    if segments.last() == Some(&"") {
        segments.pop();
    }
    segments
}

/// Whether two URLs name the same resource: same origin and the same path segments (a trailing
/// slash aside). Queries and fragments do not name a resource.
pub fn same_resource(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
        && segments(a) == segments(b)
}

/// `{collection}/{id}`, the id as one percent-encoded segment; `None` for an id that is not one
/// (empty, `.` or `..`), which would name the collection or its parent instead.
pub fn member(collection: &Url, id: &str) -> Option<Url> {
    if matches!(id, "" | "." | "..") {
        return None;
    }
    let mut url = collection.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut().ok()?.pop_if_empty().push(id);
    (segments(&url).len() == segments(collection).len() + 1).then_some(url)
}

fn has_userinfo(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// How long one request may spend waiting out 429s before its 429 is the answer.
const THROTTLE_BUDGET: Duration = Duration::from_secs(120);

/// The longest one `Retry-After` is waited out. A target asking for more (a hostile
/// 999999999 s, or an hour's lockout) is not retried early against its word: its 429 or 503
/// is the answer at once, `Retry-After` and all, so no run waits on it for minutes.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// `Retry-After` in seconds (RFC 9110 §10.2.3); one too large for a `u64` reads as the most.
fn retry_after(value: Option<&str>) -> Option<Duration> {
    let value = value?.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)))
}

/// Whether rustls refused the server's certificate somewhere down the chain. tokio-rustls
/// hands it up inside `io::Error`s, whose `source` skips what they wrap: look inside them.
fn untrusted_certificate(err: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if cause
            .downcast_ref::<rustls::Error>()
            .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_)))
        {
            return true;
        }
        source = match cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => cause.source(),
        };
    }
    false
}

/// 200 ms doubled per attempt, with ±50 % jitter so concurrent trials do not retry in step.
fn backoff(attempt: u32) -> Duration {
    let base = 200.0 * 2f64.powi(attempt.saturating_sub(1).min(6) as i32);
    Duration::from_millis((base * (0.5 + fastrand::f64())) as u64)
}

const UNTRUSTED: &str = "the target's TLS certificate is not trusted (pass --ca-cert PEM with \
     the CA that signed it, or --insecure for a test endpoint)";

impl ExecError {
    /// The target did not answer: a timeout, a refused or reset connection. A certificate the
    /// run was not told to trust is the run's configuration, not the target's silence.
    pub fn unanswered(&self) -> bool {
        matches!(self, ExecError::Transport { message, .. } if !message.starts_with(UNTRUSTED))
    }
}

/// reqwest's top-level message hides the cause ("error sending request"); walk the chain.
pub(crate) fn describe_reqwest_error(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if untrusted_certificate(err) {
        UNTRUSTED
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_decode() || err.is_body() {
        "failed to read the response"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    if causes.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {}", causes.join(": "))
    }
}

/// [`Target::url`] for the base URL `base_url` (`base` parsed).
fn under_base(base_url: &str, base: &Url, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_owned();
    }
    // A location a target hands out may be an absolute-path reference (`/scim/v2/Users/1`,
    // which RFC 7643 §2.3.7 and RFC 9110 §10.2.2 allow): it already carries the base URL's
    // path and resolves against the origin. A case's own paths start at an endpoint (`/Users`).
    let base_path = base.path().trim_end_matches('/');
    let carries_base = !base_path.is_empty()
        && path
            .strip_prefix(base_path)
            .is_some_and(|rest| rest.starts_with('/'));
    if carries_base {
        format!("{}{path}", base.origin().ascii_serialization())
    } else if path.starts_with('/') {
        format!("{base_url}{path}")
    } else {
        format!("{base_url}/{path}")
    }
}

impl fmt::Display for SentRequest {
    /// `METHOD URL` with the credential named, never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} (auth: {})",
            self.method.as_str(),
            self.url,
            self.auth.name()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A target whose first connection is closed as soon as a request arrives (a server that
    /// dropped a kept-alive connection under it), and whose later ones answer 200.
    async fn reset_first_connection() -> (String, tokio::task::JoinHandle<usize>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}/scim/v2", listener.local_addr().expect("addr"));
        let server = tokio::spawn(async move {
            let mut connections = 0;
            while let Ok((mut socket, _)) = listener.accept().await {
                connections += 1;
                let mut buffer = vec![0; 64 * 1024];
                let _ = socket.read(&mut buffer).await;
                if connections == 1 {
                    // Closed with the request read and unanswered: its outcome is unknown.
                    drop(socket);
                    continue;
                }
                let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/scim+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                if connections == 2 {
                    break;
                }
            }
            connections
        });
        (base, server)
    }

    async fn send(target: &Target, path: &str) -> Result<Exchange, ExecError> {
        let url = target.url(path);
        let body = Some("{}".to_owned());
        target
            .send(Method::Post, &url, &[], &[], body, Auth::Scim)
            .await
    }

    #[tokio::test]
    async fn a_search_lost_mid_request_is_sent_again_and_a_create_is_not() {
        let credentials = Credentials {
            scim: "token".into(),
            api_key: None,
            other_tenant: None,
        };
        let options = ClientOptions {
            retries: 1,
            ..ClientOptions::default()
        };

        let (base, server) = reset_first_connection().await;
        let target = Target::new(&base, credentials.clone(), &options).expect("target");
        let search = send(&target, "/Users/.search").await;
        assert_eq!(search.map(|e| e.response.status).ok(), Some(200));
        assert_eq!(server.await.ok(), Some(2), "sent again on a new connection");

        let (base, server) = reset_first_connection().await;
        let target = Target::new(&base, credentials, &options).expect("target");
        let create = send(&target, "/Users").await;
        assert!(
            matches!(create, Err(ExecError::Transport { unsent: false, .. })),
            "a create whose outcome is unknown is not sent twice: {create:?}"
        );
        server.abort();
    }

    #[test]
    fn retry_after_reads_seconds_and_nothing_else() {
        let cases = [
            (Some("3"), Some(3)),
            (Some(" 120 "), Some(120)),
            (Some("999999999"), Some(999_999_999)),
            (Some("99999999999999999999999"), Some(u64::MAX)),
            (Some("-1"), None),
            (Some("1.5"), None),
            (Some(""), None),
            (Some("Wed, 21 Oct 2015 07:28:00 GMT"), None),
            (None, None),
        ];
        for (value, seconds) in cases {
            assert_eq!(
                retry_after(value),
                seconds.map(Duration::from_secs),
                "{value:?}"
            );
        }
    }

    #[test]
    fn a_path_is_joined_to_the_base_url_and_a_handed_out_reference_resolved() {
        let joined =
            |base: &str, path: &str| under_base(base, &Url::parse(base).expect("base"), path);
        let table = [
            ("http://h/scim/v2", "/Users", "http://h/scim/v2/Users"),
            ("http://h/scim/v2", "Users/1", "http://h/scim/v2/Users/1"),
            (
                "http://h/scim/v2",
                "/scim/v2/Users/1",
                "http://h/scim/v2/Users/1",
            ),
            ("http://h:81/v2", "/v2/Users/1", "http://h:81/v2/Users/1"),
            // Not the base path by segments: a case path, joined as ever.
            (
                "http://h/scim/v2",
                "/scim/v2x/Users",
                "http://h/scim/v2/scim/v2x/Users",
            ),
            ("http://h", "/Users/1", "http://h/Users/1"),
            (
                "http://h/scim/v2",
                "https://h/scim/v2/Users/1",
                "https://h/scim/v2/Users/1",
            ),
        ];
        for (base, path, url) in table {
            assert_eq!(joined(base, path), url, "{base} + {path}");
        }
    }

    #[test]
    fn confine_admits_only_urls_under_the_base() {
        let inside = |base: &str, candidate: &str| {
            confine(&Url::parse(base).expect("base"), candidate).map(|url| url.to_string())
        };
        let admitted = [
            ("http://h/scim/v2", "http://h/scim/v2", "http://h/scim/v2"),
            ("http://h/scim/v2", "http://h/scim/v2/", "http://h/scim/v2/"),
            (
                "http://h/scim/v2",
                "http://h/scim/v2/Users/1?a=b",
                "http://h/scim/v2/Users/1?a=b",
            ),
            (
                "http://h/scim/v2",
                "HTTP://H/scim/v2/Users",
                "http://h/scim/v2/Users",
            ),
            (
                "http://h:80/scim",
                "http://h/scim/Users",
                "http://h/scim/Users",
            ),
            (
                "http://h/scim",
                "http://h:80/scim/Users",
                "http://h/scim/Users",
            ),
            (
                "https://h/scim",
                "https://h:443/scim/Users",
                "https://h/scim/Users",
            ),
            ("http://h", "http://h/anything", "http://h/anything"),
            ("http://h/", "http://h/", "http://h/"),
            (
                "http://[::1]:8080/scim",
                "http://[0:0::1]:8080/scim/Users",
                "http://[::1]:8080/scim/Users",
            ),
            (
                "http://h/scim/v2",
                "http://h/scim/v2/Users/../Groups",
                "http://h/scim/v2/Groups",
            ),
            (
                "http://h/scim/v2",
                "http://h/scim/v2/Users/a%2Fb",
                "http://h/scim/v2/Users/a%2Fb",
            ),
            (
                "http://h/scim/v2/",
                "http://h/scim/v2/Users",
                "http://h/scim/v2/Users",
            ),
        ];
        for (base, candidate, url) in admitted {
            assert_eq!(
                inside(base, candidate),
                Ok(url.to_owned()),
                "{base} {candidate}"
            );
        }
        let path = |p: &str, b: &str| Outside::Path(p.to_owned(), b.to_owned());
        let refused = [
            (
                "http://h/scim/v2",
                "http://other/scim/v2/Users",
                Outside::Host("other".into()),
            ),
            (
                "http://h:8080",
                "http://h:8080@other/Users",
                Outside::UserInfo,
            ),
            ("http://h", "http://h:1@other/", Outside::UserInfo),
            (
                "http://h/scim",
                "http://u:p@h/scim/Users",
                Outside::UserInfo,
            ),
            ("http://h/scim", "http://u@h/scim/Users", Outside::UserInfo),
            (
                "http://h/scim",
                "https://h/scim/Users",
                Outside::Scheme("https".into()),
            ),
            (
                "https://h/scim",
                "http://h/scim/Users",
                Outside::Scheme("http".into()),
            ),
            (
                "http://h/scim",
                "ftp://h/scim/Users",
                Outside::Scheme("ftp".into()),
            ),
            (
                "http://h/scim",
                "http://h:8080/scim/Users",
                Outside::Port(8080),
            ),
            (
                "http://h:8080/scim",
                "http://h/scim/Users",
                Outside::Port(80),
            ),
            (
                "https://h/scim",
                "https://h:80/scim/Users",
                Outside::Port(80),
            ),
            (
                "http://h/scim",
                "http://h.evil/scim/Users",
                Outside::Host("h.evil".into()),
            ),
            (
                "http://h/scim",
                "http://evil.h/scim/Users",
                Outside::Host("evil.h".into()),
            ),
            (
                "http://[::1]/scim",
                "http://127.0.0.1/scim",
                Outside::Host("127.0.0.1".into()),
            ),
            (
                "http://h/scim/v2",
                "http://h/scim/v2evil/Users",
                path("/scim/v2evil/Users", "/scim/v2"),
            ),
            (
                "http://h/scim/v2",
                "http://h/scim",
                path("/scim", "/scim/v2"),
            ),
            (
                "http://h/scim/v2",
                "http://h/scim/v2/../admin",
                path("/scim/admin", "/scim/v2"),
            ),
            (
                "http://h/scim/v2",
                "http://h/scim/v2/%2e%2e/admin",
                path("/scim/admin", "/scim/v2"),
            ),
            (
                "http://h/scim/v2",
                "http://h/scim/v2/.%2E/.%2e/x",
                path("/x", "/scim/v2"),
            ),
            (
                "http://h/scim/v2",
                "http://h/scim/v2\\..\\..\\x",
                path("/x", "/scim/v2"),
            ),
            (
                "http://h/scim/v2",
                "http://h/scim/v2%2F../x",
                path("/scim/v2%2F../x", "/scim/v2"),
            ),
            (
                "http://h/scim/v2",
                "http://h/scim/%76%32/Users",
                path("/scim/%76%32/Users", "/scim/v2"),
            ),
            (
                "http://h/scim/v2",
                "http://h/SCIM/v2/Users",
                path("/SCIM/v2/Users", "/scim/v2"),
            ),
        ];
        for (base, candidate, reason) in refused {
            assert_eq!(inside(base, candidate), Err(reason), "{base} {candidate}");
        }
        for relative in ["/scim/Users", "Users/1", "//other/scim", ""] {
            assert!(matches!(
                inside("http://h/scim", relative),
                Err(Outside::NotAUrl(_))
            ));
        }
    }

    #[test]
    fn options_out_of_range_are_refused_by_name() {
        let with = |change: fn(&mut ClientOptions)| {
            let mut options = ClientOptions::default();
            change(&mut options);
            options.check().map_err(|e| e.to_string())
        };
        assert_eq!(with(|_| {}), Ok(()));
        assert_eq!(with(|o| o.rate = Some(0.01)), Ok(()));
        type Change = fn(&mut ClientOptions);
        let refused: [(Change, &str); 11] = [
            (
                |o| o.rate = Some(1e-20),
                "rate 0.00000000000000000001 is out of range",
            ),
            (|o| o.rate = Some(f64::NAN), "rate NaN is out of range"),
            (|o| o.rate = Some(f64::INFINITY), "rate inf is out of range"),
            (|o| o.rate = Some(-1.0), "rate -1 is out of range"),
            (|o| o.rate = Some(0.0), "rate 0 is out of range"),
            (|o| o.timeout = Duration::ZERO, "timeout 0s is out of range"),
            (
                |o| o.timeout = Duration::from_secs(u64::MAX),
                "timeout 18446744073709552000s is out of range",
            ),
            (|o| o.concurrency = Some(0), "concurrency 0 is out of range"),
            (
                |o| o.concurrency = Some(usize::MAX),
                "concurrency 18446744073709551615 is out of range",
            ),
            (
                |o| o.retries = u32::MAX,
                "retries 4294967295 is out of range",
            ),
            (|o| o.max_body = 0, "max-body 0 bytes is out of range"),
        ];
        for (change, message) in refused {
            let error = with(change).expect_err(message);
            assert!(error.starts_with(message), "{error}");
        }
    }

    #[test]
    fn member_is_one_segment_below_the_collection() {
        let users = Url::parse("http://h/scim/Users").expect("url");
        let member_of = |id: &str| member(&users, id).map(|url| url.to_string());
        assert_eq!(
            member_of("2819c223").as_deref(),
            Some("http://h/scim/Users/2819c223")
        );
        assert_eq!(
            member_of("a/../b").as_deref(),
            Some("http://h/scim/Users/a%2F..%2Fb")
        );
        assert_eq!(
            member_of("a b?c#d").as_deref(),
            Some("http://h/scim/Users/a%20b%3Fc%23d")
        );
        assert_eq!(
            member_of("%2e%2e").as_deref(),
            Some("http://h/scim/Users/%252e%252e")
        );
        for id in ["", ".", ".."] {
            assert_eq!(member_of(id), None, "{id:?}");
        }
        let trailing = Url::parse("http://h/scim/Users/?x=1").expect("url");
        assert_eq!(
            member(&trailing, "7").map(|url| url.to_string()).as_deref(),
            Some("http://h/scim/Users/7")
        );
    }

    #[test]
    fn same_resource_compares_structure_not_text() {
        let url = |text: &str| Url::parse(text).expect("url");
        let a = url("http://h/scim/Users/7");
        for same in [
            "http://H:80/scim/Users/7",
            "http://h/scim/Users/7/",
            "http://h/scim/Users/7?x",
        ] {
            assert!(same_resource(&a, &url(same)), "{same}");
        }
        for other in [
            "http://h/scim/Users/8",
            "http://h/scim/Users/7/x",
            "https://h/scim/Users/7",
            "http://h:81/scim/Users/7",
            "http://other/scim/Users/7",
            "http://h/scim/Groups/7",
        ] {
            assert!(!same_resource(&a, &url(other)), "{other}");
        }
    }

    #[test]
    fn a_stated_location_is_resolved_against_the_request_then_confined() {
        let target = Target::new(
            "http://h:8080/scim/v2",
            Credentials {
                scim: "t".into(),
                api_key: None,
                other_tenant: None,
            },
            &ClientOptions::default(),
        )
        .expect("target");
        let requested = Url::parse("http://h:8080/scim/v2/Users").expect("url");
        let located = |location: &str| target.located(&requested, location);
        let admitted = [
            (
                "http://h:8080/scim/v2/Users/1",
                "http://h:8080/scim/v2/Users/1",
            ),
            ("/scim/v2/Users/1", "http://h:8080/scim/v2/Users/1"),
            ("Users/1", "http://h:8080/scim/v2/Users/1"),
        ];
        for (location, url) in admitted {
            assert_eq!(located(location).map(String::from), Ok(url.to_owned()));
        }
        let refused = [
            ("//other/scim/v2/Users/1", "its host is other"),
            ("/Users/1", "its path /Users/1 is not below /scim/v2"),
            ("../../Users/1", "its path /Users/1 is not below /scim/v2"),
            (
                "http://h:8080@other/scim/v2/Users/1",
                "it carries a user name or password",
            ),
            (
                "http://u:pw@h:8080/scim/v2/Users/1",
                "http://u:[REDACTED url password]@h:8080/scim/v2/Users/1",
            ),
            ("http://[::1", "invalid IPv6 address"),
        ];
        for (location, why) in refused {
            let refusal = located(location).expect_err(location);
            assert!(refusal.contains(why), "{location}: {refusal}");
            assert!(!refusal.contains(":pw@"), "{refusal}");
        }
    }

    #[test]
    fn a_base_url_with_userinfo_is_refused_without_printing_the_password() {
        let credentials = Credentials {
            scim: "t".into(),
            api_key: None,
            other_tenant: None,
        };
        let options = ClientOptions::default();
        for base in ["https://admin:hunter2@h/scim", "https://admin@h/scim"] {
            let Err(error) = Target::new(base, credentials.clone(), &options) else {
                panic!("{base} was accepted");
            };
            let message = error.to_string();
            assert!(message.contains("user name or password"), "{message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
        assert!(Target::new("https://h/scim/", credentials, &options).is_ok());
    }

    #[test]
    fn a_target_refuses_bad_options_and_hides_a_url_password() {
        let credentials = || Credentials {
            scim: "t".into(),
            api_key: None,
            other_tenant: None,
        };
        let options = ClientOptions {
            rate: Some(1e-20),
            ..ClientOptions::default()
        };
        assert!(matches!(
            Target::new("http://127.0.0.1/scim", credentials(), &options),
            Err(ExecError::OutOfRange { name: "rate", .. })
        ));
        let error = Target::new(
            "ftp://admin:hunter2@127.0.0.1/scim",
            credentials(),
            &ClientOptions::default(),
        )
        .err()
        .expect("not http");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}
