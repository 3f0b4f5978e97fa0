//! Building the one `reqwest::Client` every API caller shares.

use std::sync::Once;
use std::time::Duration;

/// `atl/<crate version>`, sent on every request so vendors can tell who is calling.
pub const USER_AGENT: &str = concat!("atl/", env!("CARGO_PKG_VERSION"));

/// reqwest is built without a default TLS provider (ring is the only one compiled in);
/// it must be installed process-wide before the first client is built. A second
/// installation (by us or by another crate) fails harmlessly, so the result is ignored.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The client every API caller shares: rustls on ring, no system proxy (a proxy would
/// see keys and bypass the SSRF guard), no automatic retries (a client makes one attempt;
/// whether to call again is decided above it), a connect timeout and a total `timeout`
/// per request.
pub fn build_http_client(timeout: Duration) -> reqwest::Client {
    install_crypto_provider();
    base_builder(timeout)
        .build()
        // Building only fails when the TLS backend cannot initialise, which is a broken
        // build, not a runtime condition; no provider response can reach this line.
        .expect("reqwest client with rustls/ring must build")
}

/// The builder behind [`build_http_client`], shared with the SSRF-guarded fetcher.
pub(crate) fn base_builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .no_proxy()
        .retry(reqwest::retry::never())
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .timeout(timeout)
}
