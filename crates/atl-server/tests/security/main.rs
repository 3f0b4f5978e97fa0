//! The server is safe to share between teams: one promise per test, each on SQLite and
//! PostgreSQL where the store is involved (`all_stores`). A real server on 127.0.0.1:0,
//! reqwest as the client, the in-process sandbox as every provider (no network).

mod door;
mod headers;
mod isolation;
mod limits;
mod streams;
mod uploads;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use atl_server::{AppContext, ServeError, ServerOptions, serve_on};
use atl_store::Store;
use tokio_util::sync::CancellationToken;

pub struct App {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
    handle: tokio::task::JoinHandle<Result<(), ServeError>>,
    data_dir: PathBuf,
}

pub fn temp_dir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("atl-security-{tag}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl App {
    /// A server without workers, with these options.
    pub async fn start(store: Store, options: ServerOptions) -> App {
        Self::start_with(store, options, None).await
    }

    /// A server running the engine on the in-process sandbox configured as `sandbox`.
    pub async fn with_engine(
        store: Store,
        options: ServerOptions,
        sandbox: atl_sandbox::SandboxConfig,
    ) -> (App, Arc<atl_app::Providers>) {
        let data_dir = temp_dir("engine");
        let providers = Arc::new(
            atl_app::Providers::embedded_sandbox(&data_dir, sandbox)
                .await
                .unwrap(),
        );
        let app = Self::start_with(store, options, Some((data_dir, Arc::clone(&providers)))).await;
        (app, providers)
    }

    async fn start_with(
        store: Store,
        options: ServerOptions,
        engine: Option<(PathBuf, Arc<atl_app::Providers>)>,
    ) -> App {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let data_dir = match &engine {
            Some((dir, _)) => dir.clone(),
            None => temp_dir("data"),
        };
        let mut ctx = AppContext::new(store.clone(), &data_dir);
        ctx.event_poll = Duration::from_millis(50);
        ctx.keep_alive = Duration::from_millis(200);
        ctx.options = options;
        if let Some((dir, providers)) = engine {
            let config = atl_testkit::app::fast_engine(dir, 16);
            let coordinator = atl_app::coordinator(&store, &providers, config);
            ctx.providers = Some(providers);
            ctx.coordinator = Some(Arc::new(coordinator));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(serve_on(ctx, listener, shutdown.clone()));
        App {
            base: format!("http://{addr}"),
            addr,
            client: reqwest::Client::new(),
            shutdown,
            handle,
            data_dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A GET with this key.
    pub fn get(&self, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(key)
    }

    /// Uploads `csv` with this key.
    pub async fn upload(&self, key: &str, name: &str, csv: Vec<u8>) -> (u16, serde_json::Value) {
        let form = reqwest::multipart::Form::new()
            .text("name", name.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv).file_name(format!("{name}.csv")),
            );
        let r = self.post_form(key, form).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Uploads the small CSV as a new campaign of `key`'s team; its id.
    pub async fn campaign(&self, key: &str) -> i64 {
        let (status, body) = self
            .upload(key, "small", SMALL_CSV.as_bytes().to_vec())
            .await;
        assert_eq!(status, 201, "{body}");
        body["campaign_id"].as_i64().unwrap()
    }

    /// Posts a multipart form to the upload route with this key.
    pub async fn post_form(&self, key: &str, form: reqwest::multipart::Form) -> reqwest::Response {
        self.client
            .post(self.url("/api/atl/upload"))
            .bearer_auth(key)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("server stops within the drain timeout")
            .unwrap()
            .unwrap();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

pub const SMALL_CSV: &str = "Company,Contact,Email,Website\n\
Acme Corp,Jane Doe,jane@acme.com,https://acme.com\n\
Globex,John Smith,john@globex.com,https://globex.com\n";

/// A key for `team`.
pub async fn key(store: &Store, team: &str) -> String {
    store.create_api_key(team, None).await.unwrap().plaintext
}
