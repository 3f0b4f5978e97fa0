//! The server is safe to share between teams: one promise per test, each on SQLite and
//! PostgreSQL where the store is involved (`all_stores`). A real server on 127.0.0.1:0,
//! reqwest as the client, the in-process sandbox as every provider (no network).

mod door;
mod headers;
mod isolation;
mod limits;
mod streams;
mod uploads;

use std::sync::Arc;

use atl_server::ServerOptions;
use atl_store::Store;
use atl_testkit::TestStore;
pub use atl_testkit::app::Sent;
use atl_testkit::app::{AppOptions, TestApp, status_and_json, upload_form};

/// The test kit's app with the server options as given, whose requests each name their
/// key (several keys and teams meet in one test).
pub struct App(TestApp);

impl std::ops::Deref for App {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.0
    }
}

impl App {
    /// A server without workers, with these options.
    pub async fn start(store: Store, options: ServerOptions) -> App {
        App(TestApp::start(store, AppOptions::default().server(options)).await)
    }

    /// A server running the engine on the in-process sandbox configured as `sandbox`.
    pub async fn with_engine(
        store: Store,
        options: ServerOptions,
        sandbox: atl_sandbox::SandboxConfig,
    ) -> (App, Arc<atl_app::Providers>) {
        let options = AppOptions::default().server(options).engine_on(sandbox);
        let app = TestApp::start(store, options).await;
        let providers = Arc::clone(app.providers.as_ref().expect("the engine runs"));
        (App(app), providers)
    }

    /// A GET with this key.
    pub fn get(&self, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.req_as(reqwest::Method::GET, path, key)
    }

    /// A POST with this key.
    pub fn post(&self, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.req_as(reqwest::Method::POST, path, key)
    }

    /// A dashboard request signed in with this key (its session cookie).
    pub fn page(&self, method: reqwest::Method, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("cookie", format!("atl_session={key}"))
    }

    /// Uploads `csv` with this key.
    pub async fn upload(&self, key: &str, name: &str, csv: Vec<u8>) -> (u16, serde_json::Value) {
        status_and_json(self.post_form(key, upload_form(name, csv)).await).await
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
        self.post("/api/atl/upload", key)
            .multipart(form)
            .sent()
            .await
    }

    pub async fn stop(self) {
        self.0.stop().await;
    }
}

pub const SMALL_CSV: &str = "Company,Contact,Email,Website\n\
Acme Corp,Jane Doe,jane@acme.com,https://acme.com\n\
Globex,John Smith,john@globex.com,https://globex.com\n";

/// A key for `team`.
pub async fn key(store: &Store, team: &str) -> String {
    store.create_api_key(team, None).await.unwrap().plaintext
}

/// [`with_acme_app_on`] the default options.
pub async fn with_acme_app(check: impl AsyncFn(&'static str, &TestStore, &App, &str)) {
    with_acme_app_on(ServerOptions::default(), check).await;
}

/// Runs `check(backend, store, app, key)` on each backend against a server with these
/// options over a store with one key of team `acme` (made before the server starts);
/// stops the server afterwards.
pub async fn with_acme_app_on(
    options: ServerOptions,
    check: impl AsyncFn(&'static str, &TestStore, &App, &str),
) {
    for (backend, store) in atl_testkit::all_stores().await {
        let key = key(&store, "acme").await;
        let app = App::start(store.store(), options.clone()).await;
        check(backend, &store, &app, &key).await;
        app.stop().await;
    }
}
