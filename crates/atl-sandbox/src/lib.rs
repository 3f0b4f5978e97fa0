//! `atl sandbox`: one local HTTP server that speaks every provider's wire format with
//! synthetic, deterministic content, plus latency and fault knobs.
//!
//! * Content is a pure function of the request (the body is hashed with FNV-1a and the
//!   hash seeds everything), so the same request always gets the same reply.
//! * Everything is marked synthetic: texts start with `[synthetic]`, records carry
//!   `"synthetic": true` where the format allows extra fields, URLs live under
//!   `https://sandbox.atl.invalid/…` or the sandbox's own `/sites/{domain}/` pages,
//!   LinkedIn URLs start with `https://www.linkedin.com/in/synthetic-`, phones are in the
//!   fictional 555-01xx range, and e-mail addresses are at reserved domains
//!   (`jane.doe@acme.example`), never at a company's real one.
//! * It misbehaves the way the real services do, at the low rates real data has (a
//!   missing person, someone who changed jobs, a catch-all mail domain, a search result
//!   about another company of the same name), deterministically by hash; anything
//!   rarer — faults, schema-missing model answers, outages, rate limits per API key — is
//!   a knob ([`SandboxConfig`]), per route family, settable at start, through
//!   [`Sandbox::set_config`] or `POST /_sandbox/config`.
//!
//! Routes (all on one origin):
//!
//! | family | routes |
//! |---|---|
//! | chat | `POST /v1/chat/completions`, `POST /chat/completions` (DeepSeek), `POST /api/v1/chat/completions` (OpenRouter) |
//! | anthropic | `POST /v1/messages`, `POST /anthropic/v1/messages` (DeepSeek's Anthropic format) |
//! | apollo | `POST /api/v1/people/match`, `POST /api/v1/people/bulk_match`, `GET\|POST /api/v1/organizations/enrich`, `POST /api/v1/organizations/bulk_enrich`, `POST /api/v1/mixed_people/api_search`, `POST /api/v1/mixed_people/search` (legacy); also under `/v1/…` |
//! | cartesia | `POST /tts/bytes` |
//! | tavily | `POST /search` |
//! | brave | `GET /res/v1/web/search` |
//! | serper | `POST /serper/search` (Serper's `POST https://google.serper.dev/search`) |
//! | hunter | `GET /v2/email-finder`, `GET /v2/email-verifier` |
//! | sites | `GET /sites/{domain}/`, `GET /sites/{domain}`, `GET /sites/{domain}/about`, `GET /sites/{domain}/news`; `investors.{domain}` and `stock.{domain}` are investor-relations pages |
//! | — | `GET /healthz`, `GET /_sandbox/stats` (per family and per provider: requests, 429s, 5xx, per endpoint and per key), `GET\|POST /_sandbox/config` |

mod answers;
mod anthropic;
mod apollo;
mod apollo_records;
mod brave;
mod cartesia;
mod config;
mod control;
mod ctx;
mod dates;
mod fortune;
mod hunter;
mod knobs;
mod limits;
mod mailbox;
mod news;
mod openai;
mod openai_wire;
mod people;
mod prompt_cache;
mod provider;
mod ratelimit;
mod resp;
mod schema;
mod serp;
mod serper;
mod sites;
mod state;
mod stats;
mod synth;
mod tavily;
mod tiers;

pub use config::{
    DeadDomains, Family, FamilyConfig, Faults, Latency, LimitSpec, Limits, Outage, OutageMode,
    SandboxConfig, SchemaMisses, Trigger,
};
pub use state::{AppState, FamilyStats, SandboxStats};
pub use stats::{KeyStats, ProviderStats, key_fingerprint};
pub use synth::SYNTH_HOST;
pub use tavily::EMPTY_MARKER;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Prompts carrying fetched pages can be large; axum's default (2 MiB) is too tight.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// How long [`Sandbox::shutdown`] waits for in-flight requests before aborting the server.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the listening address: {0}")]
    LocalAddr(#[source] std::io::Error),
    #[error("invalid sandbox config: {0}")]
    Config(String),
}

/// Every route, for mounting or for in-process tests (`tower::ServiceExt::oneshot`).
pub fn router(state: AppState) -> Router {
    let apollo = Router::new()
        .route("/people/match", post(apollo::people_match))
        .route("/people/bulk_match", post(apollo::bulk_match))
        .route(
            "/organizations/enrich",
            get(apollo::organization_enrich).post(apollo::organization_enrich),
        )
        .route(
            "/organizations/bulk_enrich",
            post(apollo::organization_bulk_enrich),
        )
        .route(
            "/mixed_people/api_search",
            post(|call: apollo::Call| apollo::people_search(call, false)),
        )
        .route(
            "/mixed_people/search",
            post(|call: apollo::Call| apollo::people_search(call, true)),
        );
    let hunter = Router::new()
        .route("/email-finder", get(hunter::email_finder))
        .route("/email-verifier", get(hunter::email_verifier));
    let sites = Router::new()
        .route("/{domain}", get(sites::home))
        .route("/{domain}/", get(sites::home))
        .route("/{domain}/about", get(sites::about))
        .route("/{domain}/news", get(sites::news));
    Router::new()
        .route("/v1/chat/completions", post(openai::chat))
        .route("/chat/completions", post(openai::chat))
        .route("/api/v1/chat/completions", post(openai::chat))
        .route("/v1/messages", post(anthropic::messages))
        .route("/anthropic/v1/messages", post(anthropic::messages))
        .nest("/api/v1", apollo.clone())
        .nest("/v1", apollo)
        .route("/tts/bytes", post(cartesia::tts_bytes))
        .route("/search", post(tavily::search))
        .route("/res/v1/web/search", get(brave::web_search))
        .route("/serper/search", post(serper::search))
        .nest("/v2", hunter)
        .nest("/sites", sites)
        .route("/healthz", get(control::healthz))
        .route("/_sandbox/stats", get(control::stats))
        .route(
            "/_sandbox/config",
            get(control::get_config).post(control::set_config),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            state::track,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// A running sandbox server. Dropping it starts a graceful shutdown in the background;
/// prefer [`Sandbox::shutdown`], which waits for it.
pub struct Sandbox {
    addr: SocketAddr,
    state: AppState,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Bind `addr` (port 0 picks a free port) and serve on the current tokio runtime.
    /// A config with knobs that would do nothing is refused ([`SandboxConfig::validate`]).
    pub async fn start(addr: SocketAddr, config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        config.validate().map_err(SandboxError::Config)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(SandboxError::LocalAddr)?;
        let state = AppState::new(config);
        let app = router(state.clone());
        let mut down = state.shutdown_signal();
        let task = tokio::spawn(async move {
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                // Small request/response pairs on keep-alive connections: no Nagle delay.
                let _ = tcp.set_nodelay(true);
            });
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = down.wait_for(|d| *d).await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "sandbox server stopped with an error");
            }
        });
        tracing::info!(%addr, "sandbox listening (synthetic content)");
        Ok(Sandbox {
            addr,
            state,
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port` — the base URL to give every provider client.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn config(&self) -> SandboxConfig {
        self.state.config()
    }

    /// Replace the knobs while running; restarts every `every_nth` count.
    pub fn set_config(&self, config: SandboxConfig) {
        self.state.set_config(config);
    }

    pub fn stats(&self) -> SandboxStats {
        self.state.stats()
    }

    /// Stop accepting, end hanging requests (they get a 503), wait for in-flight
    /// requests for up to 5 s, then abort whatever is left.
    pub async fn shutdown(mut self) {
        self.state.begin_shutdown();
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Best effort: the server task drains on its own if the runtime keeps running.
        self.state.begin_shutdown();
    }
}
