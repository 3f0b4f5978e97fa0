//! What the integration suites share: the vendors' recorded replies under
//! `tests/fixtures/`, a test key and the check that it never shows, and wiremock mounts.

// Each suite compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use atl_providers::http::build_http_client;
use atl_providers::{ErrorKind, ProviderError};
use secrecy::SecretString;
use serde_json::Value;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const KEY: &str = "sk-test-SECRET-0123456789";

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// A 200 reply carrying the named fixture.
pub fn ok(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(fixture(name))
}

pub fn key() -> SecretString {
    SecretString::from(KEY)
}

pub fn http() -> reqwest::Client {
    build_http_client(Duration::from_secs(5))
}

pub fn assert_no_key(e: &ProviderError) {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(KEY), "key leaked: {shown}");
}

/// A mock server answering `verb route` with `template`.
pub async fn responding(verb: &str, route: &str, template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    respond(&server, verb, route, template).await;
    server
}

pub async fn respond(server: &MockServer, verb: &str, route: &str, template: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(template)
        .mount(server)
        .await;
}

/// The JSON body of the last request `server` received.
pub async fn last_body(server: &MockServer) -> Value {
    let requests = server.received_requests().await.unwrap();
    serde_json::from_slice(&requests.last().unwrap().body).unwrap()
}

/// `err` is of `kind` and its message says `text`.
pub fn assert_kind_says(err: &ProviderError, kind: ErrorKind, text: &str) {
    assert!(err.kind == kind && err.message.contains(text), "{err:?}");
}

/// `err` is of `kind` and came with HTTP `status`.
pub fn assert_kind_status(err: &ProviderError, kind: ErrorKind, status: u16) {
    assert!((err.kind, err.status) == (kind, Some(status)), "{err:?}");
}
