//! The server's security knobs, as values with defaults. Whoever builds the
//! [`crate::AppContext`] (the CLI from its flags and settings, tests, benchmarks) fills
//! them in; nothing in this crate reads the environment.

use std::time::Duration;

/// What the guards in front of the routes enforce (see `guard`).
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Serve requests that carry no key as team `default`. Only ever on a loopback
    /// listener: [`crate::serve`] refuses any other address with this set. A request that
    /// does carry a key is still authenticated (a wrong key is still a 401).
    pub no_auth: bool,
    /// Host names (without port) this server answers to besides the address it listens
    /// on, e.g. `atl.example.com` behind a reverse proxy. Any other `Host` is refused (a
    /// DNS-rebinding page names its own host).
    pub public_names: Vec<String>,
    /// Origins (`https://crm.example.com`) whose pages may call the API from a browser.
    /// Empty (the default): no cross-origin request is served and no CORS header is sent.
    pub cors_origins: Vec<String>,
    pub rate: RateLimits,
    /// Event streams (API and dashboard together) one key may hold open at once; one
    /// more is answered 429.
    pub max_streams_per_key: usize,
    /// How often an open event stream checks that its key is still valid; a revoked key's
    /// streams end within this (plus the key cache's two seconds).
    pub stream_key_recheck: Duration,
}

/// Request budgets, refilled continuously (token buckets); `0` switches a limit off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    /// Requests a second one key may make, sustained.
    pub per_key_per_second: u32,
    /// How many of those may come at once.
    pub per_key_burst: u32,
    /// Requests a second from one client address, whatever key they carry.
    pub per_address_per_second: u32,
    pub per_address_burst: u32,
    /// Failed authentications (unknown, revoked or malformed keys) one address may make
    /// a minute, sustained; beyond its burst every request from it answers 429 until the
    /// budget refills, without the key being looked at.
    pub failed_auth_per_minute: u32,
    pub failed_auth_burst: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        // A dashboard polls a few routes a few times a second; a script uploading and
        // polling stays far below these. A guessing attack gets about one try a second.
        RateLimits {
            per_key_per_second: 100,
            per_key_burst: 200,
            per_address_per_second: 200,
            per_address_burst: 400,
            failed_auth_per_minute: 60,
            failed_auth_burst: 20,
        }
    }
}

impl RateLimits {
    /// No request limit at all (benchmarks that measure the server, not the limiter).
    pub fn unlimited() -> Self {
        RateLimits {
            per_key_per_second: 0,
            per_key_burst: 0,
            per_address_per_second: 0,
            per_address_burst: 0,
            failed_auth_per_minute: 0,
            failed_auth_burst: 0,
        }
    }
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            no_auth: false,
            public_names: Vec::new(),
            cors_origins: Vec::new(),
            rate: RateLimits::default(),
            max_streams_per_key: 16,
            stream_key_recheck: Duration::from_secs(2),
        }
    }
}
