//! One provider/model a chat may go to, written `provider:model` in configuration.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Route {
    pub provider: String,
    pub model: String,
}

impl Route {
    pub fn new(provider: impl Into<String>, model: impl Into<String>) -> Self {
        Route {
            provider: provider.into(),
            model: model.into(),
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.provider, self.model)
    }
}

impl FromStr for Route {
    type Err = String;

    /// Splits at the first `:` only: OpenRouter model ids may contain one
    /// (`meta/llama:free`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().split_once(':') {
            Some((p, m)) if !p.trim().is_empty() && !m.trim().is_empty() => {
                Ok(Route::new(p.trim(), m.trim()))
            }
            _ => Err("expected provider:model".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_parsing() {
        let ok = |s: &str, p: &str, m: &str| assert_eq!(s.parse::<Route>(), Ok(Route::new(p, m)));
        ok("deepseek:deepseek-flash", "deepseek", "deepseek-flash");
        ok(
            "openrouter:meta/llama:free",
            "openrouter",
            "meta/llama:free",
        );
        ok(" a : b ", "a", "b");
        for bad in ["deepseek", ":x", "x:", ""] {
            assert!(bad.parse::<Route>().is_err(), "{bad:?}");
        }
        assert_eq!(Route::new("a", "b").to_string(), "a:b");
    }
}
