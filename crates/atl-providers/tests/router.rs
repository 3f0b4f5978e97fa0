//! Router and structured output against fake chat models (no network).

use atl_providers::config::ProvidersConfig;
use atl_providers::llm::{
    ChatModel, ChatRequest, ChatResponse, JsonSchemaFormat, Message, Role, StopReason,
};
use atl_providers::router::{Route, Router};
use atl_providers::structured::chat_json;
use atl_providers::{ErrorKind, ProviderError, Usage};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

/// A chat model that replays scripted outcomes (then repeats the last one) and records
/// the requests it saw.
struct Fake {
    name: String,
    script: Mutex<VecDeque<Result<String, ProviderError>>>,
    last: Mutex<Option<Result<String, ProviderError>>>,
    seen: Mutex<Vec<ChatRequest>>,
}

impl Fake {
    fn new(name: &str, script: Vec<Result<&str, ProviderError>>) -> Arc<Self> {
        Arc::new(Fake {
            name: name.into(),
            script: Mutex::new(script.into_iter().map(|r| r.map(str::to_owned)).collect()),
            last: Mutex::new(None),
            seen: Mutex::new(Vec::new()),
        })
    }
    fn ok(name: &str, text: &str) -> Arc<Self> {
        Self::new(name, vec![Ok(text)])
    }
    fn calls(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
    fn requests(&self) -> Vec<ChatRequest> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl ChatModel for Fake {
    fn provider(&self) -> &str {
        &self.name
    }
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        self.seen.lock().unwrap().push(request.clone());
        let next = self.script.lock().unwrap().pop_front();
        let outcome = match next {
            Some(o) => {
                *self.last.lock().unwrap() = Some(o.clone());
                o
            }
            None => self
                .last
                .lock()
                .unwrap()
                .clone()
                .unwrap_or_else(|| Ok(String::new())),
        };
        outcome.map(|text| ChatResponse {
            text,
            tool_calls: vec![],
            stop: StopReason::EndTurn,
            usage: Usage {
                input_tokens: 1_000,
                output_tokens: 500,
                ..Usage::default()
            },
            model: format!("{}-vendor-name", request.model),
        })
    }
}

const FAST: &str = r#"
# Metered costs must not depend on the hour the test runs at.
[pricing.deepseek."deepseek-flash"]
peak_multiplier = 1.0
[providers.deepseek]
max_retries = 0
breaker_failures = 1
[providers.openrouter]
max_retries = 0
breaker_failures = 1
[providers.cerebras]
max_retries = 0
breaker_failures = 1
"#;

fn config(keys: &[&str], extra_toml: &str) -> ProvidersConfig {
    let env: HashMap<String, String> = keys
        .iter()
        .map(|p| (format!("{}_API_KEY", p.to_uppercase()), format!("key-{p}")))
        .collect();
    ProvidersConfig::from_sources(&env, Some(&format!("{FAST}\n{extra_toml}"))).unwrap()
}

fn router(cfg: ProvidersConfig, models: &[&Arc<Fake>]) -> Router {
    let mut r = Router::new(cfg);
    for m in models {
        r.register(m.name.clone(), Arc::clone(m) as Arc<dyn ChatModel>);
    }
    r
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "ignored".into(),
        messages: vec![Message::Text {
            role: Role::User,
            text: "Tell me about Acme".into(),
        }],
        max_tokens: 1_000,
        ..ChatRequest::default()
    }
}

fn server_error(p: &str) -> ProviderError {
    ProviderError::server(p, 503, "down", None)
}

const ALL: &[&str] = &["deepseek", "openrouter", "cerebras"];

#[tokio::test(start_paused = true)]
async fn first_route_answers_with_cost_and_the_route_model() {
    let ds = Fake::ok("deepseek", "hello");
    let or = Fake::ok("openrouter", "fallback");
    let r = router(config(ALL, ""), &[&ds, &or]);
    assert_eq!(
        r.pick("research").unwrap(),
        Route::new("deepseek", "deepseek-flash")
    );
    let m = r.chat("research", &request()).await.unwrap();
    assert_eq!(m.value.text, "hello");
    assert_eq!(
        (m.provider.as_str(), m.model.as_str()),
        ("deepseek", "deepseek-flash")
    );
    assert_eq!(
        ds.requests()[0].model,
        "deepseek-flash",
        "the route's model is sent"
    );
    // 1,000 in at $0.15/M + 500 out at $0.60/M.
    let want = 1_000.0 * 0.15 / 1e6 + 500.0 * 0.60 / 1e6;
    assert!(
        (m.cost_usd.unwrap() - want).abs() < 1e-15,
        "{:?}",
        m.cost_usd
    );
    assert_eq!(m.usage.input_tokens, 1_000);
    assert_eq!(or.calls(), 0);
    let snap = r.governors().get("deepseek", "deepseek-flash").snapshot();
    assert_eq!((snap.calls, snap.successes), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn missing_key_skips_the_route() {
    let ds = Fake::ok("deepseek", "hello");
    let or = Fake::ok("openrouter", "fallback");
    let r = router(config(&["openrouter"], ""), &[&ds, &or]);
    assert_eq!(r.pick("research").unwrap().provider, "openrouter");
    let m = r.chat("research", &request()).await.unwrap();
    assert_eq!(m.provider, "openrouter");
    assert_eq!(m.model, "openai/gpt-oss-120b");
    assert_eq!(ds.calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn retryable_failure_fails_over_and_an_open_breaker_is_skipped() {
    let ds = Fake::new("deepseek", vec![Err(server_error("deepseek"))]);
    let or = Fake::ok("openrouter", "fallback");
    let r = router(config(ALL, ""), &[&ds, &or]);
    let m = r.chat("research", &request()).await.unwrap();
    assert_eq!(m.provider, "openrouter");
    assert_eq!(ds.calls(), 1);
    // DeepSeek's breaker (threshold 1) is now open: skipped without a call.
    assert_eq!(r.pick("research").unwrap().provider, "openrouter");
    let m = r.chat("research", &request()).await.unwrap();
    assert_eq!(m.provider, "openrouter");
    assert_eq!(ds.calls(), 1);
    // After the cool-down the probe goes to DeepSeek again (and fails over again).
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert_eq!(r.pick("research").unwrap().provider, "deepseek");
    r.chat("research", &request()).await.unwrap();
    assert_eq!(ds.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn bad_request_does_not_fail_over() {
    let ds = Fake::new(
        "deepseek",
        vec![Err(ProviderError::bad_request(
            "deepseek",
            400,
            "bad tools",
        ))],
    );
    let or = Fake::ok("openrouter", "fallback");
    let r = router(config(ALL, ""), &[&ds, &or]);
    let e = r.chat("research", &request()).await.unwrap_err();
    assert!(
        (e.kind, e.status) == (ErrorKind::BadRequest, Some(400)),
        "{e}"
    );
    assert!(e.to_string().contains("bad tools"));
    assert_eq!(or.calls(), 0);
    // And it says nothing against DeepSeek's health.
    assert_eq!(r.pick("research").unwrap().provider, "deepseek");
}

#[tokio::test(start_paused = true)]
async fn auth_quota_and_unknown_model_fail_over() {
    for err in [
        ProviderError::auth("deepseek", 401, "bad key"),
        ProviderError::quota("deepseek", "insufficient balance"),
        ProviderError::bad_request("deepseek", 404, "model retired"),
    ] {
        let ds = Fake::new("deepseek", vec![Err(err.clone())]);
        let or = Fake::ok("openrouter", "fallback");
        let r = router(config(ALL, ""), &[&ds, &or]);
        let m = r.chat("research", &request()).await.unwrap();
        assert_eq!(m.provider, "openrouter", "after {err}");
        assert_eq!(ds.calls(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn unknown_price_is_none() {
    let ds = Fake::ok("deepseek", "hello");
    let r = router(
        config(ALL, "[routes]\nresearch = [\"deepseek:mystery-model\"]\n"),
        &[&ds],
    );
    let m = r.chat("research", &request()).await.unwrap();
    assert_eq!(m.model, "mystery-model");
    assert_eq!(m.cost_usd, None);
}

#[tokio::test(start_paused = true)]
async fn nothing_usable_names_what_was_tried() {
    let ds = Fake::ok("deepseek", "x");
    let r = router(config(&[], ""), &[&ds]);
    let e = r.pick("research").unwrap_err();
    let msg = e.to_string();
    assert!(e.kind == ErrorKind::NotConfigured, "{msg}");
    assert!(
        msg.contains("deepseek:deepseek-flash (no API key (set DEEPSEEK_API_KEY))"),
        "{msg}"
    );
    assert!(msg.contains("openrouter:openai/gpt-oss-120b"), "{msg}");
    assert!(msg.contains("cerebras:gpt-oss-120b"), "{msg}");
    let e = r.chat("research", &request()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotConfigured);
    let e = r.pick("no-such-agent").unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotConfigured);
}

#[tokio::test(start_paused = true)]
async fn every_route_failing_returns_the_last_error_then_circuit_open() {
    let ds = Fake::new("deepseek", vec![Err(server_error("deepseek"))]);
    let or = Fake::new("openrouter", vec![Err(server_error("openrouter"))]);
    let cb = Fake::new("cerebras", vec![Err(server_error("cerebras"))]);
    let r = router(config(ALL, ""), &[&ds, &or, &cb]);
    let e = r.chat("research", &request()).await.unwrap_err();
    assert_eq!(
        (e.kind, e.provider.as_str()),
        (ErrorKind::Server, "cerebras")
    );
    let e = r.chat("research", &request()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::CircuitOpen);
    assert!(e.retry_after.unwrap() <= Duration::from_secs(30));
    assert!(e.to_string().contains("circuit open"), "{e}");
    assert_eq!((ds.calls(), or.calls(), cb.calls()), (1, 1, 1));
}

// ---- structured output through the router ----

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Company {
    name: String,
    employees: u32,
}

fn json_request() -> ChatRequest {
    ChatRequest {
        json_schema: Some(JsonSchemaFormat {
            name: "company".into(),
            schema: json!({
                "type": "object",
                "required": ["name", "employees"],
                "properties": {"name": {"type": "string"}, "employees": {"type": "integer", "minimum": 1}}
            }),
        }),
        ..request()
    }
}

#[tokio::test(start_paused = true)]
async fn bad_json_then_good_sums_both_attempts() {
    let ds = Fake::new(
        "deepseek",
        vec![
            Ok("{\"name\": \"Acme\"}"),
            Ok("{\"name\": \"Acme\", \"employees\": 910}"),
        ],
    );
    let r = router(config(ALL, ""), &[&ds]);
    let m = chat_json::<Company>(&r, "research", json_request())
        .await
        .unwrap();
    assert_eq!(
        m.value,
        Company {
            name: "Acme".into(),
            employees: 910
        }
    );
    assert_eq!(ds.calls(), 2);
    assert_eq!(m.usage.input_tokens, 2_000);
    assert_eq!(m.usage.output_tokens, 1_000);
    let one = 1_000.0 * 0.15 / 1e6 + 500.0 * 0.60 / 1e6;
    assert!((m.cost_usd.unwrap() - 2.0 * one).abs() < 1e-15);
    // The retry showed the model its reply and what was wrong with it.
    let retry = &ds.requests()[1];
    let n = retry.messages.len();
    assert!(
        matches!(&retry.messages[n - 2], Message::Text { role: Role::Assistant, text } if text.contains("Acme"))
    );
    match &retry.messages[n - 1] {
        Message::Text {
            role: Role::User,
            text,
        } => assert!(
            text.contains("missing required property \"employees\""),
            "{text}"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn always_bad_is_a_schema_error_after_one_retry() {
    let ds = Fake::new("deepseek", vec![Ok("{\"name\": 5, \"employees\": 0}")]);
    let r = router(config(ALL, ""), &[&ds]);
    let e = chat_json::<Company>(&r, "research", json_request())
        .await
        .unwrap_err();
    assert_eq!(ds.calls(), 2);
    assert_eq!(
        (e.kind, e.provider.as_str()),
        (ErrorKind::Schema, "deepseek")
    );
    assert!(
        e.message.contains("$.name: expected string, got integer"),
        "{e}"
    );
    assert!(e.message.contains("$.employees"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn fenced_json_is_accepted_first_time() {
    let ds = Fake::ok(
        "deepseek",
        "Here it is:\n```json\n{\"name\": \"Acme\", \"employees\": 3}\n```\n",
    );
    let r = router(config(ALL, ""), &[&ds]);
    let m = chat_json::<Company>(&r, "research", json_request())
        .await
        .unwrap();
    assert_eq!(m.value.employees, 3);
    assert_eq!(ds.calls(), 1);
    assert_eq!(m.usage.input_tokens, 1_000);
}

#[tokio::test(start_paused = true)]
async fn blank_reply_counts_as_invalid() {
    let ds = Fake::new(
        "deepseek",
        vec![
            Ok("   \n\n  "),
            Ok("{\"name\": \"Acme\", \"employees\": 3}"),
        ],
    );
    let r = router(config(ALL, ""), &[&ds]);
    let m = chat_json::<Company>(&r, "research", json_request())
        .await
        .unwrap();
    assert_eq!(m.value.name, "Acme");
    let retry = &ds.requests()[1];
    // No empty assistant turn is sent back; only the complaint.
    assert!(
        matches!(retry.messages.last(), Some(Message::Text { role: Role::User, text }) if text.contains("empty"))
    );
    assert_eq!(retry.messages.len(), 2);
}
