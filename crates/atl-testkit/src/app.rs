//! The whole app for one test (feature `app`): the HTTP API on 127.0.0.1:0 over a given
//! store, optionally with the real engine and agents on an in-process sandbox, called
//! through typed helpers. Stops gracefully with [`TestApp::stop`].

use crate::TempDir;
use atl_server::{AppContext, ServeError, ServerOptions, serve_on};
use atl_store::Store;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How a [`TestApp`] is started.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Run the coordinator (workers on the sandbox) beside the API.
    pub engine: bool,
    /// Jobs in flight at once when `engine`.
    pub concurrency: usize,
    pub sandbox: atl_sandbox::SandboxConfig,
    /// How often event streams poll the events table.
    pub event_poll: Duration,
    /// SSE keep-alive comments.
    pub keep_alive: Duration,
    /// Create an API key for this team first (kept in [`TestApp::key`]).
    pub key_for_team: Option<String>,
    /// The server's options exactly as given (see [`AppOptions::server`]); `None` serves
    /// the defaults, keyless on loopback when the store has no key.
    pub server: Option<ServerOptions>,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            engine: false,
            concurrency: 16,
            sandbox: atl_sandbox::SandboxConfig::default(),
            event_poll: Duration::from_millis(50),
            keep_alive: Duration::from_millis(200),
            key_for_team: None,
            server: None,
        }
    }
}

impl AppOptions {
    /// The API with the engine on a healthy sandbox.
    pub fn with_engine() -> Self {
        AppOptions {
            engine: true,
            ..AppOptions::default()
        }
    }

    /// Serves with these options as they are: `no_auth` is what they say, so a server
    /// over a store without keys serves nobody unless they ask for it.
    pub fn server(self, server: ServerOptions) -> Self {
        AppOptions {
            server: Some(server),
            ..self
        }
    }

    /// Runs the engine on a sandbox configured as `sandbox`.
    pub fn engine_on(self, sandbox: atl_sandbox::SandboxConfig) -> Self {
        AppOptions {
            engine: true,
            sandbox,
            ..self
        }
    }
}

/// An engine configuration for tests: `concurrency` jobs, idle polls of 20 ms and retries
/// that back off milliseconds instead of seconds.
pub fn fast_engine(data_dir: PathBuf, concurrency: usize) -> atl_engine::EngineConfig {
    atl_engine::EngineConfig {
        concurrency,
        data_dir,
        poll_idle: Duration::from_millis(20),
        retry: atl_domain::RetryPolicy {
            backoff_base: Duration::from_millis(10),
            backoff_cap: Duration::from_millis(50),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A running server for one test.
pub struct TestApp {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub client: reqwest::Client,
    /// The bearer key every request helper sends, when set.
    pub key: Option<String>,
    /// The in-process sandbox's origin when the engine runs.
    pub sandbox_origin: Option<String>,
    /// The engine's providers when it runs (their governors show what was fetched).
    pub providers: Option<Arc<atl_app::Providers>>,
    shutdown: CancellationToken,
    handle: tokio::task::JoinHandle<Result<(), ServeError>>,
    data_dir: TempDir,
}

impl TestApp {
    pub async fn start(store: Store, options: AppOptions) -> TestApp {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let key = match &options.key_for_team {
            Some(team) => Some(
                store
                    .create_api_key(team, Some("test"))
                    .await
                    .unwrap()
                    .plaintext,
            ),
            None => None,
        };
        let data_dir = TempDir::new("app-data");
        let mut ctx = AppContext::new(store.clone(), data_dir.path());
        ctx.event_poll = options.event_poll;
        ctx.keep_alive = options.keep_alive;
        match options.server {
            Some(server) => ctx.options = server,
            // A test that made no key runs the keyless loopback mode (`atl serve
            // --no-auth`); without it a server with no key serves nobody.
            None => ctx.options.no_auth = store.count_active_api_keys().await.unwrap() == 0,
        }
        let mut sandbox_origin = None;
        let mut engine_providers = None;
        if options.engine {
            let providers = atl_app::Providers::embedded_sandbox(data_dir.path(), options.sandbox)
                .await
                .unwrap();
            if let atl_app::ProviderMode::Sandbox { origin, .. } = &providers.mode {
                sandbox_origin = Some(origin.clone());
            }
            let config = fast_engine(data_dir.path().to_path_buf(), options.concurrency);
            let coordinator = atl_app::coordinator(&store, &providers, config);
            let providers = Arc::new(providers);
            ctx.providers = Some(Arc::clone(&providers));
            ctx.coordinator = Some(Arc::new(coordinator));
            engine_providers = Some(providers);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(serve_on(ctx, listener, shutdown.clone()));
        TestApp {
            base,
            addr,
            client: reqwest::Client::new(),
            key,
            sandbox_origin,
            providers: engine_providers,
            shutdown,
            handle,
            data_dir,
        }
    }

    /// Where the app writes audio and other artefacts.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request to `path` carrying the key, when there is one.
    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.client.request(method, self.url(path));
        match &self.key {
            Some(k) => r.bearer_auth(k),
            None => r,
        }
    }

    /// A request to `path` carrying another `key` than the app's.
    pub fn req_as(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
    ) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(key)
    }

    /// GET with the key: the whole response.
    pub async fn fetch(&self, path: &str) -> reqwest::Response {
        self.req(reqwest::Method::GET, path).sent().await
    }

    /// GET with the key: the body as text.
    pub async fn text(&self, path: &str) -> String {
        self.fetch(path).await.text().await.unwrap()
    }

    /// GET: the status and the JSON body (`null` when the body is not JSON).
    pub async fn get(&self, path: &str) -> (u16, Value) {
        json_answer(self.req(reqwest::Method::GET, path)).await
    }

    /// POST with no body: the status and the JSON body.
    pub async fn post(&self, path: &str) -> (u16, Value) {
        json_answer(self.req(reqwest::Method::POST, path)).await
    }

    /// POST /upload of `bytes` as `<name>.csv`, campaign name `name`.
    pub async fn upload(&self, name: &str, bytes: Vec<u8>) -> (u16, Value) {
        json_answer(
            self.req(reqwest::Method::POST, "/api/atl/upload")
                .multipart(upload_form(name, bytes)),
        )
        .await
    }

    /// Switches the sandbox's faults (`{}` = healthy again).
    pub async fn sandbox_config(&self, config: Value) {
        let origin = self
            .sandbox_origin
            .as_deref()
            .expect("the app runs on a sandbox");
        let r = reqwest::Client::new()
            .post(format!("{origin}/_sandbox/config"))
            .json(&config)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "sandbox config: {}", r.status());
    }

    /// Stops taking requests and waits for the server (and its event streams) to end.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("server stops within the drain timeout")
            .unwrap()
            .unwrap();
    }
}

/// The upload form of `bytes` as `<name>.csv`, campaign name `name`.
pub fn upload_form(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("name", name.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(format!("{name}.csv")),
        )
}

async fn json_answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    status_and_json(request.sent().await).await
}

/// The status and the JSON body (`null` when the body is not JSON).
pub async fn status_and_json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The response's header `name` as text; panics (naming the URL) when it is missing.
pub fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{} has no {name}: {:?}", r.url(), r.headers()))
}

/// Sending a request that must reach the server: a transport error fails the test.
pub trait Sent {
    /// The response, whatever its status.
    fn sent(self) -> impl Future<Output = reqwest::Response> + Send;
}

impl Sent for reqwest::RequestBuilder {
    async fn sent(self) -> reqwest::Response {
        self.send().await.unwrap()
    }
}

/// Every API error has the one shape: `{"error": {"code", "message", …}}` with a message.
#[track_caller]
pub fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}
