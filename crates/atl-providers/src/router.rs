//! Model routing and failover: each chain (a name → an ordered list of
//! (provider, model) routes, given by configuration) is tried route by route, **one
//! attempt per route**, until one answers. The router owns failover; the governor under
//! each route only admits.
//!
//! A route is usable when its provider has a key (or needs none), a client is registered
//! for the provider, and the route's breaker admits calls; an unusable route is passed
//! over without a call.
//!
//! **Failover policy** ([`fails_over`]). The next route is tried when the error says
//! something about the *route*, not the request:
//! - retryable errors (a 5xx, a timeout, a 429 or a rate slot too far away, an open
//!   breaker);
//! - `Auth`, `Quota`, `NotConfigured`: this provider cannot serve, another may;
//! - `BadRequest` with status 404: the model is unknown or retired at this provider;
//! - `Schema`: this model's reply could not be made to fit; another model may do better.
//!
//! Any other final error (400/422, `Blocked`) is the request's fault: every route would
//! refuse it too, so it is returned at once instead of being paid for again.
//!
//! When every route fails, the error is the last tried route's, its message naming the
//! routes tried; when no route could be called at all, `CircuitOpen` (some breaker will
//! admit again) or `NotConfigured`; when every tried route's reply was invalid, `Schema`
//! naming what was wrong with each.

use crate::config::ProvidersConfig;
use crate::governor::{Governors, TokenEstimate};
use crate::llm::{ChatModel, ChatRequest, ChatResponse, Message};
use crate::{ErrorKind, Metered, ProviderError};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::time::Instant;

pub use crate::route::Route;

/// Whether a failed route should hand over to the next one (see the module docs).
pub fn fails_over(e: &ProviderError) -> bool {
    e.is_retryable()
        || matches!(
            e.kind,
            ErrorKind::Auth | ErrorKind::Quota | ErrorKind::NotConfigured | ErrorKind::Schema
        )
        || (e.kind == ErrorKind::BadRequest && e.status == Some(404))
}

/// Whether a route's error means it was passed over without a call: no key, no client
/// or an open breaker. Such errors never come from a provider's answer.
fn not_tried(e: &ProviderError) -> bool {
    matches!(e.kind, ErrorKind::NotConfigured | ErrorKind::CircuitOpen)
}

/// Try `routes` in order, one `attempt` each, until one succeeds (see the module docs
/// for which errors move on and what is returned when every route fails).
pub async fn fail_over<'r, T, F, Fut>(
    label: &str,
    routes: &'r [Route],
    mut attempt: F,
) -> Result<T, ProviderError>
where
    F: FnMut(&'r Route) -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut failures: Vec<(&'r Route, ProviderError)> = Vec::new();
    for route in routes {
        match attempt(route).await {
            Ok(v) => return Ok(v),
            Err(e) if fails_over(&e) => {
                if !not_tried(&e) {
                    tracing::warn!(chain = label, route = %route, error = %e, "route failed; trying the next");
                }
                failures.push((route, e));
            }
            Err(e) => return Err(e),
        }
    }
    Err(all_failed(label, failures))
}

fn all_failed(label: &str, failures: Vec<(&Route, ProviderError)>) -> ProviderError {
    if failures.is_empty() {
        return ProviderError::not_configured(label, "no routes configured");
    }
    let listed = |pick: &dyn Fn(&ProviderError) -> bool| {
        failures
            .iter()
            .filter(|(_, e)| pick(e))
            .map(|(r, e)| format!("{r} ({})", e.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if failures.iter().all(|(_, e)| not_tried(e)) {
        let soonest = failures
            .iter()
            .filter(|(_, e)| e.kind == ErrorKind::CircuitOpen)
            .filter_map(|(_, e)| e.retry_after)
            .min();
        let tried = listed(&|_| true);
        return match soonest {
            Some(wait) => ProviderError::new(
                ErrorKind::CircuitOpen,
                label,
                format!("no route is admitting calls: {tried}"),
            )
            .with_retry_after(Some(wait)),
            None => ProviderError::not_configured(label, format!("no usable route: {tried}")),
        };
    }
    let tried: Vec<&(&Route, ProviderError)> =
        failures.iter().filter(|(_, e)| !not_tried(e)).collect();
    if tried.iter().all(|(_, e)| e.kind == ErrorKind::Schema) {
        let provider = tried.last().map_or(label, |(r, _)| r.provider.as_str());
        let why = listed(&|e| e.kind == ErrorKind::Schema);
        return ProviderError::schema(provider, format!("every route's reply was invalid: {why}"));
    }
    let names: Vec<String> = tried
        .iter()
        .map(|(r, e)| format!("{r}: {}", e.kind))
        .collect();
    let Some((_, last)) = failures.into_iter().rev().find(|(_, e)| !not_tried(e)) else {
        return ProviderError::not_configured(label, "no routes configured");
    };
    let mut last = last;
    last.message = format!("{} (routes tried: {})", last.message, names.join(", "));
    last
}

/// A rough upper bound of what a request may consume, for the token reservations:
/// ~4 characters per token over everything sent (input) and `max_tokens` (output).
/// [`crate::governor::Governor::settle`] corrects it with the reported usage.
pub fn estimate_tokens(req: &ChatRequest) -> TokenEstimate {
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
    TokenEstimate {
        input: (chars as u64).div_ceil(4),
        output: u64::from(req.max_tokens),
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

    /// The chain `name` (empty when there is none).
    pub fn routes(&self, name: &str) -> &[Route] {
        self.config.routes_for(name)
    }

    /// The route's client, or the error that passes it over without a call.
    fn check(&self, route: &Route) -> Result<&Arc<dyn ChatModel>, ProviderError> {
        let skip = |why: String| ProviderError::not_configured(&route.provider, why);
        let provider = self
            .config
            .provider(&route.provider)
            .ok_or_else(|| skip("provider not configured".into()))?;
        if !provider.is_usable() {
            return Err(skip(format!("no API key (set {})", provider.key_env_var())));
        }
        let model = self
            .models
            .get(&route.provider)
            .ok_or_else(|| skip("no client registered".into()))?;
        if let Some(g) = self.governors.peek(&route.provider, &route.model)
            && !g.is_healthy()
        {
            let wait = g.retry_after();
            return Err(ProviderError::new(
                ErrorKind::CircuitOpen,
                &route.provider,
                format!("circuit open, retry in {wait:?}"),
            )
            .with_retry_after(Some(wait)));
        }
        Ok(model)
    }

    /// The first usable route of chain `name`.
    pub fn pick(&self, name: &str) -> Result<Route, ProviderError> {
        let routes = self.routes(name);
        let mut skipped = Vec::new();
        for r in routes {
            match self.check(r) {
                Ok(_) => return Ok(r.clone()),
                Err(e) => skipped.push((r, e)),
            }
        }
        Err(all_failed(name, skipped))
    }

    /// One call on one route, governed and metered: `request.model` is replaced by the
    /// route's model. An unusable route fails without a call.
    pub async fn chat_route(
        &self,
        route: &Route,
        request: &ChatRequest,
    ) -> Result<Metered<ChatResponse>, ProviderError> {
        let started = Instant::now();
        let model = self.check(route)?;
        let governor = self.governors.get(&route.provider, &route.model);
        let mut req = request.clone();
        req.model.clone_from(&route.model);
        let (resp, stats) = governor
            .call(estimate_tokens(&req), || model.chat(&req))
            .await?;
        let used = TokenEstimate {
            input: resp.usage.input_tokens,
            output: resp.usage.output_tokens,
        };
        governor.settle(stats.reserved, used).await;
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
        Ok(Metered {
            value: resp,
            usage,
            cost_usd,
            provider: route.provider.clone(),
            model: route.model.clone(),
            latency: started.elapsed(),
        })
    }

    /// Chat through chain `name`.
    pub async fn chat(
        &self,
        name: &str,
        request: &ChatRequest,
    ) -> Result<Metered<ChatResponse>, ProviderError> {
        self.chat_on(name, self.routes(name), request).await
    }

    /// Chat through an explicit chain (a campaign's route override); `label` names it in
    /// errors and logs.
    pub async fn chat_on(
        &self,
        label: &str,
        routes: &[Route],
        request: &ChatRequest,
    ) -> Result<Metered<ChatResponse>, ProviderError> {
        fail_over(label, routes, |route| self.chat_route(route, request)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_counts_prompt_and_max_tokens() {
        let req = ChatRequest {
            system: Some("x".repeat(40)),
            messages: vec![Message::user("y".repeat(41))],
            max_tokens: 100,
            ..ChatRequest::default()
        };
        assert_eq!(
            estimate_tokens(&req),
            TokenEstimate {
                input: 21,
                output: 100
            }
        );
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
            (ProviderError::schema("p", "no fit"), true),
            (ProviderError::bad_request("p", 400, "bad tools"), false),
            (ProviderError::blocked("http://x/", "private"), false),
        ] {
            assert_eq!(fails_over(&e), over, "{e}");
        }
    }
}
