//! Structured output: ask for JSON that fits a schema, check the reply, and give the
//! model one chance to fix it.
//!
//! The reply is read leniently (surrounding whitespace and prose, Markdown code fences),
//! validated against `request.json_schema` with [`crate::schema_check`] and deserialised
//! into `T`. An empty reply (DeepSeek's JSON mode blanks output it could not make valid)
//! counts as invalid. On the first invalid reply the request is sent once more with the
//! problem fed back as a user message; a second invalid reply fails with
//! a `Schema` error naming the first violations. The usage and cost of both
//! attempts are summed into the result.
//!
//! Telling the model about the schema (response_format, a forced tool, or the system
//! prompt in JSON-object mode) is the chat clients' business; this module only checks.

use crate::llm::{ChatRequest, ChatResponse, Message, Role};
use crate::router::Router;
use crate::schema_check::{self, Violation};
use crate::{Metered, ProviderError};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Something that answers a chat request with metering: the router for one sub-agent,
/// or a test double.
#[async_trait::async_trait]
pub trait MeteredChat: Send + Sync {
    async fn chat_metered(
        &self,
        request: &ChatRequest,
    ) -> Result<Metered<ChatResponse>, ProviderError>;
}

/// A [`Router`] bound to one sub-agent's route chain.
#[derive(Debug, Clone, Copy)]
pub struct AgentChat<'a> {
    pub router: &'a Router,
    pub agent: &'a str,
}

#[async_trait::async_trait]
impl MeteredChat for AgentChat<'_> {
    async fn chat_metered(
        &self,
        request: &ChatRequest,
    ) -> Result<Metered<ChatResponse>, ProviderError> {
        self.router.chat(self.agent, request).await
    }
}

/// Ask `agent`'s route chain for JSON fitting `request.json_schema` and return it as `T`.
pub async fn chat_json<T: DeserializeOwned>(
    router: &Router,
    agent: &str,
    request: ChatRequest,
) -> Result<Metered<T>, ProviderError> {
    chat_json_with(&AgentChat { router, agent }, request).await
}

/// [`chat_json`] over any [`MeteredChat`].
pub async fn chat_json_with<T: DeserializeOwned, C: MeteredChat + ?Sized>(
    chat: &C,
    mut request: ChatRequest,
) -> Result<Metered<T>, ProviderError> {
    let schema = request.json_schema.as_ref().map(|f| f.schema.clone());

    let first = chat.chat_metered(&request).await?;
    let problem = match parse_reply::<T>(&first.value.text, schema.as_ref()) {
        Ok(value) => return Ok(rewrap(first, value)),
        Err(problem) => problem,
    };
    tracing::info!(provider = %first.provider, model = %first.model, %problem, "structured reply invalid; asking once more");

    // Show the model its own answer (when there was one) and what is wrong with it.
    if !first.value.text.trim().is_empty() {
        request.messages.push(Message::Text {
            role: Role::Assistant,
            text: first.value.text.clone(),
        });
    }
    request.messages.push(Message::Text {
        role: Role::User,
        text: format!(
            "Your previous reply could not be used: {problem}. Reply again with only the JSON value \
             that fits the schema: no prose, no code fences."
        ),
    });
    let second = chat.chat_metered(&request).await?;
    let combined = sum(&first, &second);
    match parse_reply::<T>(&second.value.text, schema.as_ref()) {
        Ok(value) => Ok(Metered {
            value,
            usage: combined.usage,
            cost_usd: combined.cost_usd,
            provider: combined.provider,
            model: combined.model,
            latency: combined.latency,
        }),
        Err(problem) => {
            // The error type carries no cost; log what the two attempts spent.
            tracing::warn!(
                provider = %combined.provider, model = %combined.model, cost_usd = ?combined.cost_usd,
                %problem, "structured reply still invalid after one retry"
            );
            Err(ProviderError::schema(combined.provider, problem))
        }
    }
}

fn rewrap<T>(m: Metered<ChatResponse>, value: T) -> Metered<T> {
    Metered {
        value,
        usage: m.usage,
        cost_usd: m.cost_usd,
        provider: m.provider,
        model: m.model,
        latency: m.latency,
    }
}

/// Both attempts' consumption, under the name of the one that answered last. A cost is
/// known only when both are.
fn sum(a: &Metered<ChatResponse>, b: &Metered<ChatResponse>) -> Metered<()> {
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

/// Read a reply into `T`, or say (for the model and the error) what is wrong with it.
pub fn parse_reply<T: DeserializeOwned>(text: &str, schema: Option<&Value>) -> Result<T, String> {
    let value = extract_json(text, schema)?;
    if let Some(s) = schema {
        let v = schema_check::validate(s, &value);
        if !v.is_empty() {
            return Err(format!(
                "it does not fit the schema: {}",
                schema_check::describe(&v, 5)
            ));
        }
    }
    serde_json::from_value(value).map_err(|e| format!("it does not have the expected shape: {e}"))
}

/// How many `{`/`[` starts to try in a long prose reply before giving up.
const MAX_STARTS: usize = 32;

/// The JSON value in a reply: inside a code fence if there is one, else the first value
/// that starts at a `{` or `[` (prose before and after is ignored). When a schema is
/// given, a value that fits it wins over an earlier one that does not (a `[1]` footnote
/// before the object).
pub fn extract_json(text: &str, schema: Option<&Value>) -> Result<Value, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the reply was empty".into());
    }
    let mut first_found: Option<(Value, Vec<Violation>)> = None;
    for region in fenced(text).into_iter().chain(std::iter::once(text)) {
        let starts = region
            .char_indices()
            .filter(|(_, c)| *c == '{' || *c == '[')
            .map(|(i, _)| i);
        for i in starts.take(MAX_STARTS) {
            let mut values = serde_json::Deserializer::from_str(&region[i..]).into_iter::<Value>();
            let Some(Ok(v)) = values.next() else { continue };
            let violations = schema
                .map(|s| schema_check::validate(s, &v))
                .unwrap_or_default();
            if violations.is_empty() {
                return Ok(v);
            }
            first_found.get_or_insert((v, violations));
        }
    }
    match first_found {
        Some((v, _)) => Ok(v),
        None => Err("the reply contained no JSON object or array".into()),
    }
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
        assert_eq!(
            extract_json("\n\n  {\"a\": 1}  \n", Some(&s)).unwrap(),
            json!({"a": 1})
        );
        assert_eq!(
            extract_json("```json\n{\"a\": 2}\n```", Some(&s)).unwrap(),
            json!({"a": 2})
        );
        assert_eq!(
            extract_json(
                "Here you go:\n```\n{\"a\": 3}\n```\nHope it helps",
                Some(&s)
            )
            .unwrap(),
            json!({"a": 3})
        );
        assert_eq!(
            extract_json("Sure! {\"a\": 4} is the answer.", Some(&s)).unwrap(),
            json!({"a": 4})
        );
        // A footnote-like array before the object does not win when a schema says object.
        assert_eq!(
            extract_json("See [1]. {\"a\": 5}", Some(&s)).unwrap(),
            json!({"a": 5})
        );
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
    fn parse_reply_reports_schema_and_shape_problems() {
        #[derive(serde::Deserialize, Debug)]
        struct A {
            #[allow(dead_code)]
            a: u32,
        }
        let s =
            json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}});
        assert!(parse_reply::<A>("{\"a\": 1}", Some(&s)).is_ok());
        let e = parse_reply::<A>("{\"a\": \"x\"}", Some(&s)).unwrap_err();
        assert!(e.contains("$.a: expected integer, got string"), "{e}");
        let e = parse_reply::<A>("{\"b\": 1}", None).unwrap_err();
        assert!(e.contains("missing field"), "{e}");
    }
}
