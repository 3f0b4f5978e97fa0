//! Which `Host` and `Origin` a request may carry.
//!
//! A web page the user happens to visit can make the browser send requests to a server on
//! the user's machine or network. Two things tell such requests apart: a page served by
//! another site sends its own `Origin`, and a DNS-rebinding page (a name of the
//! attacker's that now resolves to this server) sends the attacker's name as `Host`. So
//! a request is served only when its `Host` is the address the server listens on (or a
//! configured public name) and its `Origin`, when it has one, is this server or an
//! origin configured for CORS.

use std::net::{IpAddr, SocketAddr};

use axum::http::uri::Authority;
use axum::http::{HeaderMap, Uri, header};

/// The served address and the names and origins the options add.
#[derive(Debug, Clone, Default)]
pub(crate) struct Policy {
    /// The listener's address; `None` when the router runs without one (only loopback
    /// names are accepted then).
    pub served: Option<SocketAddr>,
    /// Lower-case host names, without port or trailing dot.
    pub public_names: Vec<String>,
    /// Lower-case origins without a trailing slash (`https://crm.example.com`).
    pub cors_origins: Vec<String>,
}

/// Why a request was refused (said in the 403's message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    ForeignHost,
    ForeignOrigin,
}

impl Refusal {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Refusal::ForeignHost => {
                "the Host header does not name this server; add the name to the server's \
                 public names to serve it"
            }
            Refusal::ForeignOrigin => {
                "this request came from another site's page; add its origin to the \
                 server's CORS origins to allow it"
            }
        }
    }
}

impl Policy {
    pub(crate) fn new(
        served: Option<SocketAddr>,
        public_names: &[String],
        cors_origins: &[String],
    ) -> Policy {
        Policy {
            served,
            public_names: public_names
                .iter()
                .map(|n| n.trim().trim_end_matches('.').to_ascii_lowercase())
                .filter(|n| !n.is_empty())
                .collect(),
            cors_origins: cors_origins
                .iter()
                .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
                .filter(|o| !o.is_empty())
                .collect(),
        }
    }

    /// `Ok` when the request's `Host` (or HTTP/2 `:authority`) and `Origin` are allowed.
    pub(crate) fn check(&self, headers: &HeaderMap, uri: &Uri) -> Result<(), Refusal> {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<Authority>().ok())
            .or_else(|| uri.authority().cloned())
            .ok_or(Refusal::ForeignHost)?;
        if !self.host_allowed(&host) {
            return Err(Refusal::ForeignHost);
        }
        match headers.get(header::ORIGIN) {
            None => Ok(()),
            Some(origin) => {
                let origin = origin.to_str().map_err(|_| Refusal::ForeignOrigin)?;
                if same_origin(origin, &host) || self.cors_allows(origin) {
                    Ok(())
                } else {
                    Err(Refusal::ForeignOrigin)
                }
            }
        }
    }

    /// Whether `origin` is one of the configured CORS origins.
    pub(crate) fn cors_allows(&self, origin: &str) -> bool {
        let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
        self.cors_origins.contains(&origin)
    }

    fn host_allowed(&self, host: &Authority) -> bool {
        let name = bare_host(host.host());
        if self.public_names.contains(&name) {
            return true;
        }
        let port = host.port_u16().unwrap_or(80);
        let Some(served) = self.served else {
            return is_loopback_name(&name);
        };
        if port != served.port() {
            return false;
        }
        match name.parse::<IpAddr>() {
            // An address literal cannot be a rebinding name: any address of this machine
            // is fine when the listener takes all of them.
            Ok(ip) => ip == served.ip() || served.ip().is_unspecified(),
            Err(_) => {
                name == "localhost" && (served.ip().is_loopback() || served.ip().is_unspecified())
            }
        }
    }
}

/// `host` without IPv6 brackets and trailing dot, lower case.
fn bare_host(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

fn is_loopback_name(name: &str) -> bool {
    name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether `origin` (`scheme://host[:port]`) names the host and port the request was
/// sent to. `null` (sandboxed frames, some redirects) is never the same origin.
fn same_origin(origin: &str, host: &Authority) -> bool {
    let Ok(uri) = origin.parse::<Uri>() else {
        return false;
    };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return false;
    };
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return false,
    };
    bare_host(authority.host()) == bare_host(host.host())
        && authority.port_u16().unwrap_or(default_port) == host.port_u16().unwrap_or(default_port)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    fn check(policy: &Policy, host: &str, origin: Option<&str>) -> Result<(), Refusal> {
        policy.check(&headers(host, origin), &Uri::from_static("/"))
    }

    #[test]
    fn hosts() {
        let local = Policy::new(Some("127.0.0.1:8080".parse().unwrap()), &[], &[]);
        assert_eq!(check(&local, "127.0.0.1:8080", None), Ok(()));
        assert_eq!(check(&local, "localhost:8080", None), Ok(()));
        assert_eq!(check(&local, "LOCALHOST.:8080", None), Ok(()));
        for foreign in [
            "evil.example:8080",
            "127.0.0.1:9999",
            "10.0.0.1:8080",
            "127.0.0.1",
        ] {
            assert_eq!(
                check(&local, foreign, None),
                Err(Refusal::ForeignHost),
                "{foreign}"
            );
        }
        let all = Policy::new(
            Some("0.0.0.0:8080".parse().unwrap()),
            &["ATL.example.com".into()],
            &[],
        );
        assert_eq!(check(&all, "10.0.0.1:8080", None), Ok(()));
        assert_eq!(check(&all, "[::1]:8080", None), Ok(()));
        assert_eq!(check(&all, "atl.example.com", None), Ok(()));
        assert_eq!(
            check(&all, "rebind.evil.example:8080", None),
            Err(Refusal::ForeignHost)
        );
        let unbound = Policy::new(None, &[], &[]);
        assert_eq!(check(&unbound, "127.0.0.1:1234", None), Ok(()));
        assert_eq!(
            check(&unbound, "evil.example", None),
            Err(Refusal::ForeignHost)
        );
    }

    #[test]
    fn origins() {
        let p = Policy::new(
            Some("127.0.0.1:8080".parse().unwrap()),
            &[],
            &["https://crm.example.com/".into()],
        );
        assert_eq!(
            check(&p, "127.0.0.1:8080", Some("http://127.0.0.1:8080")),
            Ok(())
        );
        assert_eq!(
            check(&p, "127.0.0.1:8080", Some("https://crm.example.com")),
            Ok(())
        );
        for foreign in [
            "https://evil.example",
            "null",
            "http://127.0.0.1:9999",
            "file://",
        ] {
            assert_eq!(
                check(&p, "127.0.0.1:8080", Some(foreign)),
                Err(Refusal::ForeignOrigin),
                "{foreign}"
            );
        }
    }
}
