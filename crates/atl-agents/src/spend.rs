//! What one run spent, call by call, and the pieces every agent shares to turn provider
//! outcomes into an [`AgentResult`] or an [`AgentError`].
//!
//! Each call's cost is converted to money on its own and the result's cost is the exact
//! integer sum of those parts (listed in the record's `cost_breakdown`), so a reader can
//! check the total. One part with an unknown price makes the total unknown (`None`):
//! unknown is never reported as zero. Evidence served from the cache is listed too, at no
//! cost and marked `from_cache`.

use crate::agent::{AgentError, SpendMeter};
use crate::kit::AgentKit;
use crate::prompts;
use atl_domain::records::{self, CostPart, RunMeta};
use atl_domain::{AgentResult, Artefact, Money, SubAgentKind};
use atl_providers::llm::{ChatRequest, ChatResponse, JsonSchemaFormat, Message, Role};
use atl_providers::router::Route;
use atl_providers::structured::{ChainChat, MeteredChat, chat_json_with};
use atl_providers::{Metered, ProviderError, Usage};
use serde::Serialize;
use serde_json::Value;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Default)]
struct Inner {
    parts: Vec<CostPart>,
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

fn part(provider: &str, model: &str, usage: &Usage, cost: Option<Money>) -> CostPart {
    CostPart {
        provider: provider.to_string(),
        model: model.to_string(),
        cost,
        tokens_in: usage.input_tokens,
        cached_tokens_in: usage.cached_input_tokens,
        tokens_out: usage.output_tokens,
        lookups: usage.lookups,
        tts_characters: usage.tts_characters,
        from_cache: false,
    }
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

    /// Count one metered call.
    pub(crate) fn record<T>(&self, m: &Metered<T>) {
        self.record_usage(&m.provider, &m.model, &m.usage, m.cost_usd);
    }

    /// A provider call's answer with its cost counted, or its failure as the run's error
    /// (carrying what was spent so far).
    pub(crate) fn paid<T>(
        &self,
        r: Result<Metered<T>, ProviderError>,
    ) -> Result<Metered<T>, AgentError> {
        let m = r.map_err(|e| self.fail(e))?;
        self.record(&m);
        Ok(m)
    }

    /// Count one call from its parts (a share of a batched call, say).
    pub(crate) fn record_usage(
        &self,
        provider: &str,
        model: &str,
        usage: &Usage,
        usd: Option<f64>,
    ) {
        let cost = usd.map(Money::from_usd_saturating);
        self.meter.add(cost.map(Money::nanos));
        self.lock().parts.push(part(provider, model, usage, cost));
    }

    /// Count evidence served from the cache: listed, at no cost.
    pub(crate) fn cached(&self, provider: &str, what: &str) {
        let mut p = part(provider, what, &Usage::default(), Some(Money::ZERO));
        p.from_cache = true;
        self.lock().parts.push(p);
    }

    /// Something worth knowing that did not stop the run (a failed search, a dropped claim).
    pub(crate) fn warn(&self, message: impl Into<String>) {
        let message = message.into();
        tracing::info!(%message, "agent warning");
        self.lock().warnings.push(message);
    }

    /// The exact sum of the parts, `None` when any part's price is unknown.
    pub(crate) fn total(&self) -> Option<Money> {
        self.lock()
            .parts
            .iter()
            .try_fold(Money::ZERO, |acc, p| p.cost.map(|c| acc + c))
    }

    /// What is known to have been spent (for errors, which must still count money).
    pub(crate) fn known(&self) -> Money {
        self.lock().parts.iter().filter_map(|p| p.cost).sum()
    }

    /// Input and output tokens over every LLM call.
    pub(crate) fn tokens(&self) -> (i64, i64) {
        let g = self.lock();
        let (i, o) = g.parts.iter().fold((0u64, 0u64), |(i, o), p| {
            (i + p.tokens_in, o + p.tokens_out)
        });
        (
            i64::try_from(i).unwrap_or(i64::MAX),
            i64::try_from(o).unwrap_or(i64::MAX),
        )
    }

    pub(crate) fn meta(&self, prompt_version: &str, synthetic: bool) -> RunMeta {
        let g = self.lock();
        RunMeta {
            prompt_version: prompt_version.to_string(),
            synthetic,
            cost_breakdown: g.parts.clone(),
            warnings: g.warnings.clone(),
        }
    }

    pub(crate) fn elapsed_ms(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// The agent error for a provider failure, carrying what was spent so far.
    pub(crate) fn fail(&self, e: ProviderError) -> AgentError {
        AgentError::from(e).with_spent(self.known().nanos())
    }

    /// A final error that is not a provider's (bad input), with the money spent.
    pub(crate) fn final_error(&self, message: impl Into<String>) -> AgentError {
        AgentError::final_error(message).with_spent(self.known().nanos())
    }
}

/// What one run made: its record, the sources it rests on, how far to trust it, the
/// provider and model of its main call (`none` when the run made no model call) and the
/// files it wrote.
pub(crate) struct Outcome<R> {
    pub record: R,
    pub sources: Vec<String>,
    pub confidence: f64,
    pub main: (String, String),
    pub artefacts: Vec<Artefact>,
}

/// What an agent's own part of a run returns.
pub(crate) type Run<R> = Result<Outcome<R>, AgentError>;

impl<R: Serialize> Outcome<R> {
    pub(crate) fn new(
        record: R,
        sources: Vec<String>,
        confidence: f64,
        main: (String, String),
    ) -> Self {
        Outcome {
            record,
            sources,
            confidence,
            main,
            artefacts: Vec::new(),
        }
    }

    /// The record with the run's meta (prompt version, synthetic mark, cost breakdown,
    /// warnings), wrapped with the run's money, tokens and latency.
    pub(crate) fn into_result(
        self,
        kind: SubAgentKind,
        synthetic: bool,
        spend: &Spend,
    ) -> AgentResult {
        let meta = spend.meta(prompts::version(kind), synthetic);
        let data = records::encode(&self.record, &meta);
        let (tokens_in, tokens_out) = spend.tokens();
        AgentResult {
            kind,
            data,
            sources: self.sources,
            confidence: self.confidence.clamp(0.0, 1.0),
            cost_nano_usd: spend.total().map(Money::nanos),
            latency_ms: spend.elapsed_ms(),
            provider: self.main.0,
            model: self.main.1,
            tokens_in,
            tokens_out,
            synthetic,
            artefacts: self.artefacts,
        }
    }
}

/// An agent's one structured question to the model: the route it asks on, the name of
/// the reply's schema and the system prompt.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ModelCall {
    pub route: &'static str,
    schema_name: &'static str,
    system: fn() -> String,
}

/// The model's reply as checked against the schema (and repaired where it could be), and
/// the provider and model that gave it.
pub(crate) struct Answer {
    pub value: Value,
    pub main: (String, String),
}

impl ModelCall {
    pub(crate) const fn new(
        route: &'static str,
        schema_name: &'static str,
        system: fn() -> String,
    ) -> Self {
        ModelCall {
            route,
            schema_name,
            system,
        }
    }

    /// Ask `user` on the route, the reply held to `schema` and `max_tokens`. Every answered
    /// attempt is booked to `spend` and every repair made to the reply is a warning.
    pub(crate) async fn ask(
        &self,
        kit: &AgentKit,
        spend: &Spend,
        user: String,
        schema: Value,
        max_tokens: u32,
    ) -> Result<Answer, AgentError> {
        let request = ChatRequest {
            system: Some((self.system)()),
            messages: vec![Message::Text {
                role: Role::User,
                text: user,
            }],
            json_schema: Some(JsonSchemaFormat {
                name: self.schema_name.into(),
                schema,
            }),
            max_tokens,
            ..ChatRequest::default()
        };
        let chat = RecordingChat {
            chain: ChainChat {
                router: &kit.toolkit.router,
                chain: self.route,
            },
            spend,
        };
        let answer = chat_json_with::<Value, _>(&chat, request)
            .await
            .map_err(|e| spend.fail(e))?;
        for r in &answer.value.repairs {
            spend.warn(format!("the model's reply was repaired: {r}"));
        }
        Ok(Answer {
            value: answer.value.value,
            main: (answer.provider, answer.model),
        })
    }
}

/// The router bound to one agent's chain, recording every answered call (including the
/// rejected attempts of a structured reply, which the structured helper would otherwise
/// only log).
struct RecordingChat<'a> {
    chain: ChainChat<'a>,
    spend: &'a Spend,
}

#[async_trait::async_trait]
impl MeteredChat for RecordingChat<'_> {
    fn label(&self) -> &str {
        self.chain.label()
    }

    fn routes(&self) -> Vec<Route> {
        self.chain.routes()
    }

    async fn chat_route(
        &self,
        route: &Route,
        request: &ChatRequest,
    ) -> Result<Metered<ChatResponse>, ProviderError> {
        let m = self.chain.chat_route(route, request).await?;
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
        s.cached("apollo", "people_match");
        assert_eq!(s.total(), Some(Money::from_nanos(3_500)));
        assert_eq!(s.tokens(), (15, 2));
        s.record(&metered(None, 1));
        assert_eq!(s.total(), None);
        assert_eq!(s.known(), Money::from_nanos(3_500));
        assert_eq!((meter.nanos(), meter.unknown_calls()), (3_500, 1));
        let meta = s.meta("v", true);
        assert_eq!(meta.cost_breakdown.len(), 4);
        assert!(meta.cost_breakdown[2].from_cache);
    }
}
