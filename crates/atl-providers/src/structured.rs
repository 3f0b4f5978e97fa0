//! Structured output: ask a chain for JSON that fits a schema, repair what can be
//! repaired, check the rest, and move on to the next route when a reply still does not
//! fit.
//!
//! Each reply is read leniently (surrounding whitespace and prose, Markdown code fences),
//! repaired deterministically against `request.json_schema` ([`crate::repair`]),
//! validated with [`crate::schema_check`] and deserialised into `T`. An empty reply
//! (DeepSeek's JSON mode blanks output it could not make valid) counts as invalid. An
//! invalid reply goes to the **next route of the chain**, never the same route again;
//! only when every route's reply is invalid does the call fail with a `Schema` error
//! naming what was wrong with each. The usage and cost of every answered attempt are
//! summed into the result, and the repairs made come back with the value.
//!
//! Telling the model about the schema (response_format, a forced tool, or the system
//! prompt in JSON-object mode) is the chat clients' business; this module only checks.

use crate::llm::{ChatRequest, ChatResponse};
use crate::repair::{Repair, repair};
use crate::router::{Route, Router, fail_over};
use crate::schema_check::{self, Violation};
use crate::{Metered, ProviderError};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Mutex;
use std::time::Duration;

/// A chain something can chat through, one route at a time: the router for one chain,
/// a wrapper that records every answered call, or a test double. The failover over
/// [`Self::routes`] is the router's ([`fail_over`]).
#[async_trait::async_trait]
pub trait MeteredChat: Send + Sync {
    /// The chain's name, for errors and logs.
    fn label(&self) -> &str;
    /// The routes to try, in order.
    fn routes(&self) -> Vec<Route>;
    /// One call on one route, governed and metered.
    async fn chat_route(
        &self,
        route: &Route,
        request: &ChatRequest,
    ) -> Result<Metered<ChatResponse>, ProviderError>;

    /// Chat through the chain: one attempt per route until one answers.
    async fn chat_metered(
        &self,
        request: &ChatRequest,
    ) -> Result<Metered<ChatResponse>, ProviderError> {
        let routes = self.routes();
        fail_over(self.label(), &routes, |r| self.chat_route(r, request)).await
    }
}

/// A [`Router`] bound to one chain.
#[derive(Debug, Clone, Copy)]
pub struct ChainChat<'a> {
    pub router: &'a Router,
    pub chain: &'a str,
}

#[async_trait::async_trait]
impl MeteredChat for ChainChat<'_> {
    fn label(&self) -> &str {
        self.chain
    }

    fn routes(&self) -> Vec<Route> {
        self.router.routes(self.chain).to_vec()
    }

    async fn chat_route(
        &self,
        route: &Route,
        request: &ChatRequest,
    ) -> Result<Metered<ChatResponse>, ProviderError> {
        self.router.chat_route(route, request).await
    }
}

/// A structured reply and the repairs that made it fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Repaired<T> {
    pub value: T,
    pub repairs: Vec<Repair>,
}

/// Ask chain `chain` for JSON fitting `request.json_schema` and return it as `T`.
pub async fn chat_json<T: DeserializeOwned>(
    router: &Router,
    chain: &str,
    request: ChatRequest,
) -> Result<Metered<Repaired<T>>, ProviderError> {
    chat_json_with(&ChainChat { router, chain }, request).await
}

/// [`chat_json`] over any [`MeteredChat`].
pub async fn chat_json_with<T: DeserializeOwned, C: MeteredChat + ?Sized>(
    chat: &C,
    request: ChatRequest,
) -> Result<Metered<Repaired<T>>, ProviderError> {
    let schema = request.json_schema.as_ref().map(|f| f.schema.clone());
    let spent: Mutex<Option<Metered<()>>> = Mutex::new(None);
    let add = |m: &Metered<ChatResponse>| {
        let mut s = spent.lock().unwrap_or_else(|e| e.into_inner());
        *s = Some(match s.take() {
            None => rewrap(m, ()),
            Some(before) => sum(before, m),
        });
    };
    let routes = chat.routes();
    let outcome = fail_over(chat.label(), &routes, |route| {
        let (request, schema, add) = (&request, schema.as_ref(), &add);
        async move {
            let m = chat.chat_route(route, request).await?;
            add(&m);
            match parse_reply::<T>(&m.value.text, schema) {
                Ok(parsed) => Ok((m.provider, m.model, parsed)),
                Err(problem) => {
                    tracing::info!(route = %route, %problem, "structured reply invalid; trying the next route");
                    Err(ProviderError::schema(&m.provider, problem))
                }
            }
        }
    })
    .await;
    let spent = spent.into_inner().unwrap_or_else(|e| e.into_inner());
    match outcome {
        Ok((provider, model, parsed)) => {
            if !parsed.repairs.is_empty() {
                let repairs: Vec<String> = parsed.repairs.iter().map(Repair::to_string).collect();
                tracing::info!(%provider, %model, ?repairs, "structured reply repaired");
            }
            let spent = spent.unwrap_or_else(|| empty(&provider, &model));
            Ok(Metered {
                value: parsed,
                usage: spent.usage,
                cost_usd: spent.cost_usd,
                provider,
                model,
                latency: spent.latency,
            })
        }
        Err(e) => {
            // The error type carries no cost; log what the answered attempts spent.
            if let Some(s) = spent {
                tracing::warn!(chain = chat.label(), cost_usd = ?s.cost_usd, error = %e, "structured output failed");
            }
            Err(e)
        }
    }
}

fn empty(provider: &str, model: &str) -> Metered<()> {
    Metered {
        value: (),
        usage: Default::default(),
        cost_usd: Some(0.0),
        provider: provider.to_owned(),
        model: model.to_owned(),
        latency: Duration::ZERO,
    }
}

fn rewrap<T>(m: &Metered<ChatResponse>, value: T) -> Metered<T> {
    Metered {
        value,
        usage: m.usage,
        cost_usd: m.cost_usd,
        provider: m.provider.clone(),
        model: m.model.clone(),
        latency: m.latency,
    }
}

/// Two attempts' consumption. A cost is known only when both are.
fn sum(a: Metered<()>, b: &Metered<ChatResponse>) -> Metered<()> {
    let mut usage = a.usage;
    usage.add(&b.usage);
    Metered {
        value: (),
        usage,
        cost_usd: a.cost_usd.zip(b.cost_usd).map(|(x, y)| x + y),
        provider: b.provider.clone(),
        model: b.model.clone(),
        latency: a.latency + b.latency,
    }
}

/// Read a reply into `T` (repairing it first), or say what is wrong with it.
pub fn parse_reply<T: DeserializeOwned>(
    text: &str,
    schema: Option<&Value>,
) -> Result<Repaired<T>, String> {
    let (value, repairs) = read_json(text, schema)?;
    if let Some(s) = schema {
        let v = schema_check::validate(s, &value);
        if !v.is_empty() {
            return Err(format!(
                "it does not fit the schema: {}",
                schema_check::describe(&v, 5)
            ));
        }
    }
    let value = serde_json::from_value(value)
        .map_err(|e| format!("it does not have the expected shape: {e}"))?;
    Ok(Repaired { value, repairs })
}

/// How many `{`/`[` starts to try in a long prose reply before giving up.
const MAX_STARTS: usize = 32;

/// The JSON value in a reply, repaired against `schema`: inside a code fence if there is
/// one, else the first value that starts at a `{` or `[` (prose before and after is
/// ignored). A value that fits the schema after repair wins over an earlier one that does
/// not (a `[1]` footnote before the object).
pub fn read_json(text: &str, schema: Option<&Value>) -> Result<(Value, Vec<Repair>), String> {
    let mut first_found: Option<(Value, Vec<Repair>)> = None;
    for mut v in candidates(text)? {
        let repairs = match schema {
            Some(s) => repair(s, &mut v),
            None => Vec::new(),
        };
        let violations: Vec<Violation> = schema
            .map(|s| schema_check::validate(s, &v))
            .unwrap_or_default();
        if violations.is_empty() {
            return Ok((v, repairs));
        }
        first_found.get_or_insert((v, repairs));
    }
    first_found.ok_or_else(|| "the reply contained no JSON object or array".into())
}

/// [`read_json`] without the repairs.
pub fn extract_json(text: &str, schema: Option<&Value>) -> Result<Value, String> {
    read_json(text, schema).map(|(v, _)| v)
}

/// Every JSON value starting at a `{` or `[`, fenced ones first.
fn candidates(text: &str) -> Result<Vec<Value>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the reply was empty".into());
    }
    let mut out = Vec::new();
    for region in fenced(text).into_iter().chain(std::iter::once(text)) {
        let starts = region
            .char_indices()
            .filter(|(_, c)| *c == '{' || *c == '[')
            .map(|(i, _)| i);
        for i in starts.take(MAX_STARTS) {
            let mut values = serde_json::Deserializer::from_str(&region[i..]).into_iter::<Value>();
            if let Some(Ok(v)) = values.next() {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// The body of the first Markdown code fence (```json … ``` or ``` … ```), if any.
fn fenced(text: &str) -> Option<&str> {
    let open = text.find("```")?;
    let after = &text[open + 3..];
    // Skip the info string (`json`, `JSON`, nothing) up to the end of its line.
    let body_start = after.find('\n').map_or(after.len(), |i| i + 1);
    let body = &after[body_start..];
    let end = body.find("```").unwrap_or(body.len());
    Some(&body[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extracts_from_fences_prose_and_whitespace() {
        let s = json!({"type": "object", "required": ["a"]});
        for (reply, want) in [
            ("\n\n  {\"a\": 1}  \n", json!({"a": 1})),
            ("```json\n{\"a\": 2}\n```", json!({"a": 2})),
            (
                "Here you go:\n```\n{\"a\": 3}\n```\nHope it helps",
                json!({"a": 3}),
            ),
            ("Sure! {\"a\": 4} is the answer.", json!({"a": 4})),
            // A footnote-like array before the object does not win when a schema says object.
            ("See [1]. {\"a\": 5}", json!({"a": 5})),
        ] {
            assert_eq!(extract_json(reply, Some(&s)).unwrap(), want, "{reply:?}");
        }
        assert!(
            extract_json("   \n ", Some(&s))
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            extract_json("no json here", None)
                .unwrap_err()
                .contains("no JSON")
        );
    }

    #[test]
    fn parse_reply_repairs_then_reports_schema_and_shape_problems() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct A {
            a: u32,
        }
        let s =
            json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}});
        assert_eq!(
            parse_reply::<A>("{\"a\": 1}", Some(&s)).unwrap().value,
            A { a: 1 }
        );
        // A number written as a string is repaired, and the repair reported.
        let r = parse_reply::<A>("{\"a\": \"1,000\"}", Some(&s)).unwrap();
        assert_eq!(r.value, A { a: 1000 });
        assert_eq!(r.repairs.len(), 1);
        assert_eq!(r.repairs[0].path, "$.a");
        // The repaired footnote case: the object fits only after repair, and still wins.
        let r = parse_reply::<A>("See [1]. {\"a\": \"5\"}", Some(&s)).unwrap();
        assert_eq!(r.value, A { a: 5 });
        let e = parse_reply::<A>("{\"a\": \"x\"}", Some(&s)).unwrap_err();
        assert!(e.contains("$.a: expected integer, got string"), "{e}");
        let e = parse_reply::<A>("{\"b\": 1}", None).unwrap_err();
        assert!(e.contains("missing field"), "{e}");
    }
}
