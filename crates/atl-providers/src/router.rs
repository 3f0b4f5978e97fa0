//! Model routing: each sub-agent has an ordered chain of (provider, model) routes; a chat
//! goes to the first usable one and fails over down the chain.
//!
//! A route is usable when its provider has a key (or needs none), a client is registered
//! for the provider, and the route's governor breaker admits calls.
//!
//! **Failover policy.** The next route is tried when the error says something about the
//! *route*, not the request:
//! - retryable errors after the governor exhausted its retries, and `CircuitOpen`;
//! - `Auth`, `Quota`, `NotConfigured`: this provider cannot serve, another may;
//! - `BadRequest` with status 404: the model is unknown or retired at this provider
//!   (model ids move; provider-apis.md §2, §3).
//!
//! Any other final error (400/422 bad request, `Schema`, `Blocked`) is the request's
//! fault: every route would refuse it too, so it is returned at once instead of being
//! paid for up to three times.

use crate::config::ProvidersConfig;
use crate::governor::Governors;
use crate::llm::{ChatModel, ChatRequest, ChatResponse, Message};
use crate::{ErrorKind, Metered, ProviderError};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

pub use crate::route::Route;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::time::Instant;

/// Whether a failed route should hand over to the next one (see the module docs).
pub fn fails_over(e: &ProviderError) -> bool {
    e.is_retryable()
        || matches!(
            e.kind,
            ErrorKind::Auth | ErrorKind::Quota | ErrorKind::NotConfigured
        )
        || (e.kind == ErrorKind::BadRequest && e.status == Some(404))
}

/// A rough upper bound of what a request may consume, for the tokens-per-minute
/// reservation: ~4 characters per token over everything sent, plus `max_tokens`.
/// [`crate::governor::Governor::adjust_tokens`] corrects it with the reported usage.
pub fn estimate_tokens(req: &ChatRequest) -> u64 {
    let mut chars = req.system.as_ref().map_or(0, String::len);
    for m in &req.messages {
        chars += match m {
            Message::Text { text, .. } => text.len(),
            Message::ToolCalls { text, calls } => {
                text.as_ref().map_or(0, String::len)
                    + calls
                        .iter()
                        .map(|c| c.name.len() + c.arguments.to_string().len())
                        .sum::<usize>()
            }
            Message::ToolResult { content, .. } => content.len(),
        };
    }
    for t in &req.tools {
        chars += t.name.len() + t.description.len() + t.parameters.to_string().len();
    }
    if let Some(s) = &req.json_schema {
        chars += s.schema.to_string().len();
    }
    (chars as u64).div_ceil(4) + u64::from(req.max_tokens)
}

/// Why a route was passed over.
enum Skip {
    NoKey(String),
    NoClient,
    UnknownProvider,
    Breaker(Duration),
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::NoKey(var) => write!(f, "no API key (set {var})"),
            Skip::NoClient => f.write_str("no client registered"),
            Skip::UnknownProvider => f.write_str("provider not configured"),
            Skip::Breaker(d) => write!(f, "circuit open, retry in {d:?}"),
        }
    }
}

pub struct Router {
    config: Arc<ProvidersConfig>,
    governors: Arc<Governors>,
    models: HashMap<String, Arc<dyn ChatModel>>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut models: Vec<&String> = self.models.keys().collect();
        models.sort();
        f.debug_struct("Router")
            .field("routes", &self.config.routes)
            .field("models", &models)
            .finish()
    }
}

impl Router {
    /// A router with its own governors (limits from `config`).
    pub fn new(config: ProvidersConfig) -> Self {
        let governors = Arc::new(Governors::from_config(&config));
        Router::with_governors(Arc::new(config), governors)
    }

    /// A router sharing the process's governors (the clients for search, Apollo … use
    /// the same registry, so every call to a provider sees one set of limits).
    pub fn with_governors(config: Arc<ProvidersConfig>, governors: Arc<Governors>) -> Self {
        Router {
            config,
            governors,
            models: HashMap::new(),
        }
    }

    /// Register the client that serves `provider` (its name in routes and config).
    pub fn register(&mut self, provider: impl Into<String>, model: Arc<dyn ChatModel>) {
        self.models.insert(provider.into(), model);
    }

    pub fn config(&self) -> &ProvidersConfig {
        &self.config
    }

    pub fn governors(&self) -> &Arc<Governors> {
        &self.governors
    }

    /// The chain of `agent` (empty when it has none).
    pub fn routes(&self, agent: &str) -> &[Route] {
        self.config.routes_for(agent)
    }

    fn check(&self, route: &Route) -> Result<&Arc<dyn ChatModel>, Skip> {
        let provider = self
            .config
            .provider(&route.provider)
            .ok_or(Skip::UnknownProvider)?;
        if !provider.is_usable() {
            return Err(Skip::NoKey(provider.key_env_var()));
        }
        let model = self.models.get(&route.provider).ok_or(Skip::NoClient)?;
        if let Some(g) = self.governors.peek(&route.provider, &route.model)
            && !g.is_healthy()
        {
            return Err(Skip::Breaker(g.retry_after()));
        }
        Ok(model)
    }

    /// The first usable route of `agent`.
    pub fn pick(&self, agent: &str) -> Result<Route, ProviderError> {
        self.pick_from(agent, self.routes(agent))
    }

    fn pick_from(&self, label: &str, routes: &[Route]) -> Result<Route, ProviderError> {
        let mut skipped = Vec::new();
        for r in routes {
            match self.check(r) {
                Ok(_) => return Ok(r.clone()),
                Err(s) => skipped.push((r, s)),
            }
        }
        Err(no_route(label, &skipped))
    }

    /// Chat through `agent`'s chain.
    pub async fn chat(
        &self,
        agent: &str,
        request: &ChatRequest,
    ) -> Result<Metered<ChatResponse>, ProviderError> {
        self.chat_on(agent, self.routes(agent), request).await
    }

    /// Chat through an explicit chain (a campaign's route override); `label` names it in
    /// errors and logs. `request.model` is replaced by each route's model.
    pub async fn chat_on(
        &self,
        label: &str,
        routes: &[Route],
        request: &ChatRequest,
    ) -> Result<Metered<ChatResponse>, ProviderError> {
        let started = Instant::now();
        let mut skipped = Vec::new();
        let mut last_err = None;
        for route in routes {
            let model = match self.check(route) {
                Ok(m) => m,
                Err(s) => {
                    skipped.push((route, s));
                    continue;
                }
            };
            let governor = self.governors.get(&route.provider, &route.model);
            let mut req = request.clone();
            req.model.clone_from(&route.model);
            let estimate = estimate_tokens(&req);
            match governor.call(estimate, || model.chat(&req)).await {
                Ok((resp, stats)) => {
                    governor.adjust_tokens(
                        stats.reserved_tokens,
                        resp.usage.input_tokens + resp.usage.output_tokens,
                    );
                    let usage = resp.usage;
                    let cost_usd = self.config.prices.cost_at(
                        &route.provider,
                        &route.model,
                        &usage,
                        OffsetDateTime::now_utc(),
                    );
                    if cost_usd.is_none() {
                        tracing::warn!(route = %route, "no price configured; cost reported as unknown");
                    }
                    return Ok(Metered {
                        value: resp,
                        usage,
                        cost_usd,
                        provider: route.provider.clone(),
                        model: route.model.clone(),
                        latency: started.elapsed(),
                    });
                }
                Err(e) if fails_over(&e) => {
                    tracing::warn!(agent = label, route = %route, error = %e, "route failed; trying the next");
                    last_err = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| no_route(label, &skipped)))
    }
}

/// The error when no route could even be tried: `CircuitOpen` (retry later) when some
/// route is only waiting for its breaker, else `NotConfigured`, naming every route and
/// why it was passed over.
fn no_route(label: &str, skipped: &[(&Route, Skip)]) -> ProviderError {
    if skipped.is_empty() {
        return ProviderError::not_configured(label, "no routes configured");
    }
    let tried = skipped
        .iter()
        .map(|(r, s)| format!("{r} ({s})"))
        .collect::<Vec<_>>()
        .join("; ");
    let soonest = skipped
        .iter()
        .filter_map(|(_, s)| match s {
            Skip::Breaker(d) => Some(*d),
            _ => None,
        })
        .min();
    match soonest {
        Some(retry_after) => ProviderError::new(
            ErrorKind::CircuitOpen,
            label,
            format!("no route is admitting calls: {tried}"),
        )
        .with_retry_after(Some(retry_after)),
        None => ProviderError::not_configured(label, format!("no usable route: {tried}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_counts_prompt_and_max_tokens() {
        let req = ChatRequest {
            system: Some("x".repeat(40)),
            messages: vec![Message::Text {
                role: crate::llm::Role::User,
                text: "y".repeat(41),
            }],
            max_tokens: 100,
            ..ChatRequest::default()
        };
        assert_eq!(estimate_tokens(&req), 21 + 100);
    }

    #[test]
    fn failover_policy() {
        for (e, over) in [
            (ProviderError::server("p", 503, "down", None), true),
            (ProviderError::rate_limited("p", "slow", None), true),
            (ProviderError::quota("p", "none left"), true),
            (ProviderError::auth("p", 401, "bad key"), true),
            (ProviderError::not_configured("p", "no key"), true),
            (ProviderError::bad_request("p", 404, "model retired"), true),
            (ProviderError::bad_request("p", 400, "bad tools"), false),
            (ProviderError::schema("p", "no fit"), false),
            (ProviderError::blocked("http://x/", "private"), false),
        ] {
            assert_eq!(fails_over(&e), over, "{e}");
        }
    }
}
