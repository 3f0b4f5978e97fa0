//! A server for one test: the store, the sandbox-backed engine, an optional API key.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use atl_server::{AppContext, ServeError, serve_on};
use atl_store::Store;
use tokio_util::sync::CancellationToken;

pub struct App {
    pub base: String,
    pub key: Option<String>,
    pub sandbox_origin: String,
    shutdown: CancellationToken,
    handle: tokio::task::JoinHandle<Result<(), ServeError>>,
    data_dir: PathBuf,
}

pub fn temp_dir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("atl-dashboard-{tag}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
        .canonicalize()
        .unwrap()
}

impl App {
    /// A server with the engine on a healthy sandbox; `with_key` creates a key (so pages
    /// need signing in).
    pub async fn start(store: Store, with_key: bool) -> App {
        Self::start_with(store, with_key, atl_sandbox::SandboxConfig::default()).await
    }

    pub async fn start_with(
        store: Store,
        with_key: bool,
        sandbox: atl_sandbox::SandboxConfig,
    ) -> App {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let key = if with_key {
            Some(
                store
                    .create_api_key("sales", Some("dashboard test"))
                    .await
                    .unwrap()
                    .plaintext,
            )
        } else {
            None
        };
        let data_dir = temp_dir("data");
        let mut ctx = AppContext::new(store.clone(), &data_dir);
        ctx.event_poll = Duration::from_millis(50);
        ctx.keep_alive = Duration::from_millis(500);
        let providers = atl_app::Providers::embedded_sandbox(&data_dir, sandbox)
            .await
            .unwrap();
        let sandbox_origin = match &providers.mode {
            atl_app::ProviderMode::Sandbox { origin, .. } => origin.clone(),
            other => panic!("not a sandbox: {other:?}"),
        };
        let config = atl_engine::EngineConfig {
            concurrency: 8,
            data_dir: data_dir.clone(),
            poll_idle: Duration::from_millis(20),
            retry: atl_domain::RetryPolicy {
                backoff_base: Duration::from_millis(10),
                backoff_cap: Duration::from_millis(50),
                ..Default::default()
            },
            ..Default::default()
        };
        let coordinator = atl_app::coordinator(&store, &providers, config);
        ctx.providers = Some(Arc::new(providers));
        ctx.coordinator = Some(Arc::new(coordinator));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(serve_on(ctx, listener, shutdown.clone()));
        App {
            base,
            key,
            sandbox_origin,
            shutdown,
            handle,
            data_dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Switches the sandbox's faults (`{}` = healthy again).
    pub async fn sandbox_config(&self, config: serde_json::Value) {
        let r = reqwest::Client::new()
            .post(format!("{}/_sandbox/config", self.sandbox_origin))
            .json(&config)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "sandbox config: {}", r.status());
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
