//! What the sandbox knows about the request being served, kept in a task-local so the
//! gate and the vendor modules can read it without every handler passing it along: the
//! API key it carried, the route it matched, which provider answered, the rate-limit
//! readings for that provider's headers, and the in-flight slot it holds.
//!
//! [`serve`] sets it up around one request and, when the reply is ready, releases the slot
//! and says which provider answered; the statistics are the state's, recorded by its
//! middleware (`state::track`).

use crate::provider::Provider;
use crate::ratelimit::{RateView, Slot};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use std::cell::{Cell, RefCell};

pub(crate) struct RequestCtx {
    key: String,
    endpoint: String,
    provider: Cell<Option<Provider>>,
    rate: RefCell<Option<RateView>>,
    slot: RefCell<Option<Slot>>,
    rate_limited: Cell<bool>,
}

tokio::task_local! {
    static CTX: RequestCtx;
}

/// The credential a request carries, as each provider expects it: `Authorization:
/// Bearer …` (OpenAI-compatible, Tavily, Cartesia), `x-api-key` (Anthropic, Apollo,
/// Serper, Hunter's header form), `X-Subscription-Token` (Brave), `api_key=` (Hunter).
fn api_key(headers: &HeaderMap, query: Option<&str>) -> String {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if let Some(v) = text(header::AUTHORIZATION.as_str()) {
        let v = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .unwrap_or(v);
        return v.trim().to_string();
    }
    for name in ["x-api-key", "x-subscription-token"] {
        if let Some(v) = text(name) {
            return v.to_string();
        }
    }
    query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, v)| *k == "api_key" && !v.is_empty())
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

/// What a served provider request leaves for the statistics.
pub(crate) struct Served {
    pub(crate) provider: Provider,
    pub(crate) endpoint: String,
    pub(crate) key: String,
    pub(crate) rate_limited: bool,
}

/// Runs `next` for `req` inside a fresh request context and releases the in-flight slot
/// once the reply is built; says which provider answered, if one did. `/healthz` and
/// `/_sandbox/*` run without a context.
pub(crate) async fn serve(req: Request, next: Next) -> (Response, Option<Served>) {
    let endpoint = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_string(), |m| m.as_str().to_string());
    if endpoint == "/healthz" || endpoint.starts_with("/_sandbox") {
        return (next.run(req).await, None);
    }
    let ctx = RequestCtx {
        key: api_key(req.headers(), req.uri().query()),
        endpoint,
        provider: Cell::new(None),
        rate: RefCell::new(None),
        slot: RefCell::new(None),
        rate_limited: Cell::new(false),
    };
    CTX.scope(ctx, async move {
        let r = next.run(req).await;
        let served = CTX
            .try_with(|c| {
                // The reply is built: the request no longer occupies its slot.
                c.slot.borrow_mut().take();
                c.provider.get().map(|provider| Served {
                    provider,
                    endpoint: c.endpoint.clone(),
                    key: c.key.clone(),
                    rate_limited: c.rate_limited.get(),
                })
            })
            .ok()
            .flatten();
        (r, served)
    })
    .await
}

/// The request's API key (empty when it carried none or runs outside [`serve`]).
pub(crate) fn key() -> String {
    CTX.try_with(|c| c.key.clone()).unwrap_or_default()
}

/// The matched route, e.g. `/api/v1/people/match`.
pub(crate) fn endpoint() -> String {
    CTX.try_with(|c| c.endpoint.clone()).unwrap_or_default()
}

pub(crate) fn set_provider(p: Provider) {
    let _ = CTX.try_with(|c| c.provider.set(Some(p)));
}

pub(crate) fn set_rate(view: RateView) {
    let _ = CTX.try_with(|c| *c.rate.borrow_mut() = Some(view));
}

/// The limiter's readings for this request (none when the provider is not limited).
pub(crate) fn rate() -> Option<RateView> {
    CTX.try_with(|c| c.rate.borrow().clone()).ok().flatten()
}

pub(crate) fn hold(slot: Option<Slot>) {
    if slot.is_some() {
        let _ = CTX.try_with(|c| *c.slot.borrow_mut() = slot);
    }
}

pub(crate) fn mark_rate_limited() {
    let _ = CTX.try_with(|c| c.rate_limited.set(true));
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn key_from_each_providers_place() {
        let mut h = HeaderMap::new();
        assert_eq!(api_key(&h, Some("domain=a.com&api_key=hk")), "hk");
        h.insert("x-subscription-token", HeaderValue::from_static("brave"));
        assert_eq!(api_key(&h, None), "brave");
        h.insert("X-API-KEY", HeaderValue::from_static("serper"));
        assert_eq!(api_key(&h, None), "serper");
        h.insert("authorization", HeaderValue::from_static("Bearer sk-1"));
        assert_eq!(api_key(&h, None), "sk-1");
        assert_eq!(api_key(&HeaderMap::new(), None), "");
    }
}
