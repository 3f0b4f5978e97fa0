//! A server for one test: the test kit's app with the engine on a healthy (or a given)
//! sandbox and, when asked, an API key of team `sales` (so pages need signing in).

use atl_store::Store;
use atl_testkit::app::{AppOptions, TestApp};
use std::path::PathBuf;
use std::time::Duration;

pub use atl_testkit::testdata;

pub type App = TestApp;

/// A fresh directory for the test, left for the test to remove.
pub fn temp_dir(tag: &str) -> PathBuf {
    atl_testkit::TempDir::new(&format!("dashboard-{tag}")).into_path()
}

/// The dashboard's app: the engine on a healthy sandbox; `with_key` creates a key.
pub async fn start(store: Store, with_key: bool) -> App {
    start_with(store, with_key, atl_sandbox::SandboxConfig::default()).await
}

pub async fn start_with(store: Store, with_key: bool, sandbox: atl_sandbox::SandboxConfig) -> App {
    TestApp::start(
        store,
        AppOptions {
            engine: true,
            concurrency: 8,
            sandbox,
            keep_alive: Duration::from_millis(500),
            key_for_team: with_key.then(|| "sales".to_string()),
            ..AppOptions::default()
        },
    )
    .await
}
