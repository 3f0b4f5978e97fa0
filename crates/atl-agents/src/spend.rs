//! What one run spent, call by call, and the pieces every agent shares to turn provider
//! outcomes into an [`AgentResult`] or an [`AgentError`].
//!
//! Each call's cost is converted to nano-dollars on its own and the result's cost is the
//! exact integer sum of those parts (listed in `data.cost_breakdown`), so a reader can
//! check the total. One part with an unknown price makes the total unknown (`None`):
//! unknown is never reported as zero.

use crate::agent::{AgentError, SpendMeter};
use atl_domain::{AgentResult, SubAgentKind};
use atl_providers::llm::{ChatRequest, ChatResponse};
use atl_providers::pricing::usd_to_nanos;
use atl_providers::router::{Route, Router};
use atl_providers::structured::MeteredChat;
use atl_providers::{Metered, ProviderError, Usage};
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone)]
struct Part {
    provider: String,
    model: String,
    usage: Usage,
    nanos: Option<i64>,
}

#[derive(Debug, Default)]
struct Inner {
    parts: Vec<Part>,
    warnings: Vec<String>,
}

/// The money, tokens and warnings of one run. Interior mutability because the recording
/// chat wrapper only gets `&self` from the structured-output helper.
#[derive(Debug)]
pub(crate) struct Spend {
    started: Instant,
    inner: Mutex<Inner>,
    meter: SpendMeter,
}

impl Spend {
    /// A new record of one run; every call recorded is also added to `meter`.
    pub(crate) fn start(meter: &SpendMeter) -> Self {
        Spend {
            started: Instant::now(),
            inner: Mutex::default(),
            meter: meter.clone(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Only plain data lives here; a panic elsewhere cannot leave it inconsistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Count one successful call.
    pub(crate) fn record<T>(&self, m: &Metered<T>) {
        self.meter.add(m.cost_usd.map(usd_to_nanos));
        self.lock().parts.push(Part {
            provider: m.provider.clone(),
            model: m.model.clone(),
            usage: m.usage,
            nanos: m.cost_usd.map(usd_to_nanos),
        });
    }

    /// Something worth knowing that did not stop the run (a failed search, a dropped claim).
    pub(crate) fn warn(&self, message: impl Into<String>) {
        let message = message.into();
        tracing::info!(%message, "agent warning");
        self.lock().warnings.push(message);
    }

    /// The exact sum of the parts, `None` when any part's price is unknown.
    pub(crate) fn total_nanos(&self) -> Option<i64> {
        self.lock()
            .parts
            .iter()
            .try_fold(0i64, |acc, p| p.nanos.map(|n| acc.saturating_add(n)))
    }

    /// What is known to have been spent (for errors, which must still count money).
    pub(crate) fn known_nanos(&self) -> i64 {
        self.lock()
            .parts
            .iter()
            .filter_map(|p| p.nanos)
            .fold(0i64, i64::saturating_add)
    }

    /// Input and output tokens over every LLM call.
    pub(crate) fn tokens(&self) -> (i64, i64) {
        let g = self.lock();
        let (i, o) = g.parts.iter().fold((0u64, 0u64), |(i, o), p| {
            (i + p.usage.input_tokens, o + p.usage.output_tokens)
        });
        (
            i64::try_from(i).unwrap_or(i64::MAX),
            i64::try_from(o).unwrap_or(i64::MAX),
        )
    }

    pub(crate) fn warnings(&self) -> Vec<String> {
        self.lock().warnings.clone()
    }

    pub(crate) fn breakdown(&self) -> Value {
        let g = self.lock();
        Value::Array(
            g.parts
                .iter()
                .map(|p| {
                    json!({
                        "provider": p.provider,
                        "model": p.model,
                        "cost_nano_usd": p.nanos,
                        "tokens_in": p.usage.input_tokens,
                        "tokens_out": p.usage.output_tokens,
                        "lookups": p.usage.lookups,
                        "tts_characters": p.usage.tts_characters,
                    })
                })
                .collect(),
        )
    }

    pub(crate) fn elapsed_ms(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// The agent error for a provider failure, carrying what was spent so far.
    pub(crate) fn fail(&self, e: ProviderError) -> AgentError {
        AgentError::from(e).with_spent(self.known_nanos())
    }

    /// A final error that is not a provider's (bad input), with the money spent.
    pub(crate) fn final_error(&self, message: impl Into<String>) -> AgentError {
        AgentError::final_error(message).with_spent(self.known_nanos())
    }
}

/// The parts of a result that every agent fills the same way.
pub(crate) struct Finish<'a> {
    pub kind: SubAgentKind,
    pub prompt_version: &'a str,
    pub synthetic: bool,
    pub sources: Vec<String>,
    pub confidence: f64,
    /// Provider and model of the main LLM call.
    pub main: (String, String),
}

impl Finish<'_> {
    /// Stamp `data` with the prompt version, the synthetic mark, the cost breakdown and
    /// the warnings, and wrap it with the run's money, tokens and latency.
    pub(crate) fn into_result(self, mut data: Value, spend: &Spend) -> AgentResult {
        if let Value::Object(map) = &mut data {
            map.insert("prompt_version".into(), json!(self.prompt_version));
            if self.synthetic {
                map.insert("synthetic".into(), json!(true));
            }
            map.insert("cost_breakdown".into(), spend.breakdown());
            map.insert("warnings".into(), json!(spend.warnings()));
        }
        let (tokens_in, tokens_out) = spend.tokens();
        AgentResult {
            kind: self.kind,
            data,
            sources: self.sources,
            confidence: self.confidence.clamp(0.0, 1.0),
            cost_nano_usd: spend.total_nanos(),
            latency_ms: spend.elapsed_ms(),
            provider: self.main.0,
            model: self.main.1,
            tokens_in,
            tokens_out,
            synthetic: self.synthetic,
            artefacts: Vec::new(),
        }
    }
}

/// The router bound to one agent's chain, recording every answered call (including the
/// first, rejected attempt of a structured reply, which the structured helper would
/// otherwise only log).
pub(crate) struct RecordingChat<'a> {
    pub router: &'a Router,
    pub agent: &'a str,
    pub spend: &'a Spend,
}

#[async_trait::async_trait]
impl MeteredChat for RecordingChat<'_> {
    fn label(&self) -> &str {
        self.agent
    }

    fn routes(&self) -> Vec<Route> {
        self.router.routes(self.agent).to_vec()
    }

    async fn chat_route(
        &self,
        route: &Route,
        request: &ChatRequest,
    ) -> Result<Metered<ChatResponse>, ProviderError> {
        let m = self.router.chat_route(route, request).await?;
        self.spend.record(&m);
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn metered(cost: Option<f64>, input: u64) -> Metered<()> {
        Metered {
            value: (),
            usage: Usage {
                input_tokens: input,
                output_tokens: 1,
                ..Usage::default()
            },
            cost_usd: cost,
            provider: "p".into(),
            model: "m".into(),
            latency: Duration::ZERO,
        }
    }

    #[test]
    fn total_is_sum_of_parts_and_unknown_poisons_it() {
        let meter = SpendMeter::default();
        let s = Spend::start(&meter);
        s.record(&metered(Some(0.000_001), 10));
        s.record(&metered(Some(0.000_002_5), 5));
        assert_eq!(s.total_nanos(), Some(3_500));
        assert_eq!(s.tokens(), (15, 2));
        s.record(&metered(None, 1));
        assert_eq!(s.total_nanos(), None);
        assert_eq!(s.known_nanos(), 3_500);
        assert_eq!((meter.nanos(), meter.unknown_calls()), (3_500, 1));
        let e = s.fail(ProviderError::timeout("p", Duration::from_secs(1)));
        assert!(e.is_retryable());
        assert_eq!(e.spent_nano_usd(), 3_500);
    }
}
