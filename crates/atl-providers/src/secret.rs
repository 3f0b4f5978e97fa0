//! API keys that cannot leak through `Debug`, `Display` or logs.
//!
//! The key is only reachable through [`ApiKey::expose`], which a client calls at the one
//! place it builds an auth header or query parameter. Everything else (config dumps,
//! `tracing` fields, error messages, panics) prints `ApiKey(****)`.

use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// A provider credential. Cloning is cheap enough (one small allocation) and done once per
/// client at start-up.
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(SecretString::from(key.into()))
    }

    /// The key itself. Call it only where a request header or query parameter is built.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(****)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(****)")
    }
}

impl PartialEq for ApiKey {
    /// Equality is for tests and config diffs; keys are short, so a timing side channel
    /// on an in-process comparison is not a concern here.
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl<'de> serde::Deserialize<'de> for ApiKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(ApiKey::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_key() {
        let key = ApiKey::new("sk-live-very-secret-123");
        let dbg = format!("{key:?}");
        let disp = format!("{key}");
        let nested = format!("{:?}", Some(vec![key.clone()]));
        for s in [&dbg, &disp, &nested] {
            assert!(!s.contains("very-secret"), "leaked: {s}");
            assert!(s.contains("ApiKey(****)"));
        }
        assert_eq!(key.expose(), "sk-live-very-secret-123");
    }

    #[test]
    fn deserializes_from_a_plain_string() {
        #[derive(serde::Deserialize, Debug)]
        struct S {
            api_key: ApiKey,
        }
        let s: S = toml::from_str("api_key = \"abc\"").unwrap();
        assert_eq!(s.api_key.expose(), "abc");
        assert!(!format!("{s:?}").contains("abc"));
    }
}
