//! The one request helper every vendor client shares: join the path to the base URL,
//! add the key the vendor's way, send, read the body, classify a failure, and redact the
//! key from whatever error comes out. A vendor client then has three parts: build the
//! request, send it through [`Vendor::request`], map the answer.

use super::classify::{classify_raw, classify_transport};
use super::redact::{redact_error, require_key};
use super::{MAX_API_BODY, RawResponse};
use crate::ProviderError;
use bytes::Bytes;
use reqwest::{Method, RequestBuilder};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::time::Instant;
use url::Url;

/// How a vendor takes its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// A header of the vendor's own (`x-api-key`, `X-Subscription-Token`, `X-API-KEY`).
    Header(&'static str),
    /// A query parameter (Hunter's `api_key`). Such a URL must never reach an error or a
    /// log line: transport errors are stripped of their URL before they are shown.
    Query(&'static str),
}

/// A non-2xx response → the error it means. Vendors whose statuses mean something
/// unusual (Hunter's 403, Tavily's 432) pass their own; the default is
/// [`super::classify_response`].
pub(crate) type Classify = fn(&str, &RawResponse) -> ProviderError;

/// Who a client talks to and how: one per client, cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Vendor {
    provider: String,
    base: Url,
    key: Option<SecretString>,
    auth: Auth,
    /// Keyless local servers (Ollama, vLLM) are called without a key; every other vendor
    /// is `NotConfigured` without one.
    key_optional: bool,
    max_body: usize,
    classify: Classify,
    http: reqwest::Client,
}

impl Vendor {
    pub(crate) fn new(
        provider: impl Into<String>,
        base: Url,
        key: Option<SecretString>,
        auth: Auth,
        http: reqwest::Client,
    ) -> Self {
        Vendor {
            provider: provider.into(),
            base,
            key,
            auth,
            key_optional: false,
            max_body: MAX_API_BODY,
            classify: classify_raw,
            http,
        }
    }

    /// Calls go out without a key when none is configured.
    pub(crate) fn key_optional(mut self) -> Self {
        self.key_optional = true;
        self
    }

    /// The largest body accepted (audio is larger than JSON).
    pub(crate) fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    pub(crate) fn classify_with(mut self, classify: Classify) -> Self {
        self.classify = classify;
        self
    }

    pub(crate) fn provider(&self) -> &str {
        &self.provider
    }

    pub(crate) fn set_provider(&mut self, provider: impl Into<String>) {
        self.provider = provider.into();
    }

    /// `{base}/{path}` keeping any path prefix of the base (a sandbox may mount a vendor
    /// under `/serper`, a vendor's base may end in `/v1`).
    pub(crate) fn url(&self, path: &str) -> Result<Url, ProviderError> {
        join_url(&self.provider, &self.base, path)
    }

    /// One call: `method` to `path` under the base, shaped by `build` (body, query,
    /// extra headers), with the key added the vendor's way, read to the end (up to the
    /// body limit). A non-2xx status is classified; a 2xx goes to `map`, which reads the
    /// answer. Every error, `map`'s included, is redacted of the key.
    pub(crate) async fn call<T>(
        &self,
        method: Method,
        path: &str,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
        map: impl FnOnce(RawResponse) -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        self.request_inner(method, path, build)
            .await
            .and_then(map)
            .map_err(|e| redact_error(e, self.key.as_ref()))
    }

    async fn request_inner(
        &self,
        method: Method,
        path: &str,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<RawResponse, ProviderError> {
        let key = match require_key(&self.provider, self.key.as_ref()) {
            Ok(k) => Some(k.expose_secret()),
            Err(_) if self.key_optional => None,
            Err(e) => return Err(e),
        };
        let url = self.url(path)?;
        let mut builder = build(self.http.request(method, url));
        if let Some(key) = key {
            builder = match self.auth {
                Auth::Bearer => builder.bearer_auth(key),
                Auth::Header(name) => builder.header(name, key),
                Auth::Query(name) => builder.query(&[(name, key)]),
            };
        }
        let raw = send(&self.provider, builder, self.max_body).await?;
        if raw.status.is_success() {
            Ok(raw)
        } else {
            Err((self.classify)(&self.provider, &raw))
        }
    }

    /// Parses a 2xx JSON body; anything that does not fit is `InvalidResponse`.
    pub(crate) fn parse<T: DeserializeOwned>(&self, raw: &RawResponse) -> Result<T, ProviderError> {
        parse_json(&self.provider, &raw.body)
    }
}

/// `{base}/{path}` with exactly one `/` between them.
pub(crate) fn join_url(provider: &str, base: &Url, path: &str) -> Result<Url, ProviderError> {
    let joined = format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    Url::parse(&joined)
        .map_err(|e| ProviderError::not_configured(provider, format!("invalid base URL: {e}")))
}

/// Sends one request and reads the body (up to `max_body` bytes). Transport failures are
/// classified here; HTTP statuses are left to the caller, which knows the vendor.
pub(crate) async fn send(
    provider: &str,
    request: RequestBuilder,
    max_body: usize,
) -> Result<RawResponse, ProviderError> {
    let started = Instant::now();
    let mut response = request
        .send()
        .await
        .map_err(|e| classify_transport(provider, e, started.elapsed()))?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > max_body {
                    return Err(ProviderError::invalid_response(
                        provider,
                        format!("response body larger than {max_body} bytes"),
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(classify_transport(provider, e, started.elapsed())),
        }
    }
    Ok(RawResponse {
        status,
        headers,
        body: Bytes::from(body),
    })
}

/// Parses a 2xx JSON body; anything that does not fit is `InvalidResponse`, never a panic.
pub(crate) fn parse_json<T: DeserializeOwned>(
    provider: &str,
    body: &[u8],
) -> Result<T, ProviderError> {
    serde_json::from_slice(body)
        .map_err(|e| ProviderError::invalid_response(provider, format!("malformed JSON body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_prefixes() {
        for (base, path, joined) in [
            (
                "http://127.0.0.1:9/deepseek/",
                "/chat/completions",
                "http://127.0.0.1:9/deepseek/chat/completions",
            ),
            (
                "https://api.openai.com/v1",
                "chat/completions",
                "https://api.openai.com/v1/chat/completions",
            ),
            (
                "https://google.serper.dev",
                "search",
                "https://google.serper.dev/search",
            ),
        ] {
            let base = Url::parse(base).unwrap();
            assert_eq!(join_url("p", &base, path).unwrap().as_str(), joined);
        }
    }

    #[tokio::test]
    async fn a_missing_key_is_not_configured_before_any_request() {
        // Port 9 (discard) is never dialled: the key check comes first.
        let v = Vendor::new(
            "p",
            Url::parse("http://127.0.0.1:9").unwrap(),
            None,
            Auth::Bearer,
            super::super::build_http_client(std::time::Duration::from_secs(1)),
        );
        let e = v
            .call(Method::GET, "x", |b| b, |_| Ok(()))
            .await
            .unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::NotConfigured);
    }
}
