//! Router failover and structured output against fake chat models, and the cost of a
//! persistent 429 against wiremock servers.

use atl_providers::config::ProvidersConfig;
use atl_providers::llm::{
    ChatModel, ChatRequest, ChatResponse, JsonSchemaFormat, Message, StopReason,
};
use atl_providers::openai_compat::OpenAiCompatClient;
use atl_providers::router::{Route, Router};
use atl_providers::structured::{Repaired, chat_json};
use atl_providers::testing::chains;
use atl_providers::{ErrorKind, Metered, ProviderError, Usage};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A chat model that replays scripted outcomes (then repeats the last one) and records
/// the requests it saw.
struct Fake {
    name: String,
    usage: Usage,
    script: Mutex<VecDeque<Result<String, ProviderError>>>,
    last: Mutex<Option<Result<String, ProviderError>>>,
    seen: Mutex<Vec<ChatRequest>>,
}

impl Fake {
    fn new(name: &str, script: Vec<Result<&str, ProviderError>>) -> Arc<Self> {
        Arc::new(Fake {
            name: name.into(),
            usage: Usage {
                input_tokens: 1_000,
                output_tokens: 500,
                ..Usage::default()
            },
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
            usage: self.usage,
            model: format!("{}-vendor-name", request.model),
        })
    }
}

const FAST: &str = r#"
# Metered costs must not depend on the hour the test runs at.
[pricing.deepseek."deepseek-flash"]
peak_multiplier = 1.0
[providers.deepseek]
breaker_failures = 1
[providers.openrouter]
breaker_failures = 1
[providers.cerebras]
breaker_failures = 1
"#;

fn config(keys: &[&str], extra_toml: &str) -> ProvidersConfig {
    let env: HashMap<String, String> = keys
        .iter()
        .map(|p| (format!("{}_API_KEY", p.to_uppercase()), format!("key-{p}")))
        .collect();
    ProvidersConfig::from_sources(&env, Some(&format!("{FAST}\n{extra_toml}")), &chains()).unwrap()
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
        messages: vec![Message::user("Tell me about Acme")],
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
    // The last route's error, naming every route tried.
    assert!(
        e.message.contains(
            "routes tried: deepseek:deepseek-flash: server error, \
             openrouter:openai/gpt-oss-120b: server error, cerebras:gpt-oss-120b: server error"
        ),
        "{e}"
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
async fn an_invalid_reply_goes_to_the_next_route_and_both_are_paid() {
    let ds = Fake::new(
        "deepseek",
        vec![
            Ok("{\"name\": \"Acme\"}"),
            Ok("{\"name\": \"Acme\", \"employees\": 1}"),
        ],
    );
    let or = Fake::ok("openrouter", "{\"name\": \"Acme\", \"employees\": 910}");
    let m = research_company(&[&ds, &or], json_request()).await.unwrap();
    assert_eq!(
        m.value.value,
        Company {
            name: "Acme".into(),
            employees: 910
        }
    );
    assert_eq!(
        (m.provider.as_str(), m.model.as_str()),
        ("openrouter", "openai/gpt-oss-120b")
    );
    assert_eq!(
        (ds.calls(), or.calls()),
        (1, 1),
        "the same route is not asked again"
    );
    assert_eq!(m.usage.input_tokens, 2_000);
    assert_eq!(m.usage.output_tokens, 1_000);
    let deepseek = 1_000.0 * 0.15 / 1e6 + 500.0 * 0.60 / 1e6;
    let openrouter = 1_000.0 * 0.039 / 1e6 + 500.0 * 0.18 / 1e6;
    assert!((m.cost_usd.unwrap() - (deepseek + openrouter)).abs() < 1e-15);
    // The next route gets the request as it was: no feedback turns.
    assert_eq!(or.requests()[0].messages, json_request().messages);
}

#[tokio::test(start_paused = true)]
async fn every_route_invalid_is_a_schema_error_naming_each() {
    let bad = "{\"name\": 5, \"employees\": 0}";
    let ds = Fake::ok("deepseek", bad);
    let or = Fake::ok("openrouter", "no json at all");
    let cb = Fake::ok("cerebras", bad);
    let r = router(config(ALL, ""), &[&ds, &or, &cb]);
    let e = chat_json::<Company>(&r, "research", json_request())
        .await
        .unwrap_err();
    assert_eq!((ds.calls(), or.calls(), cb.calls()), (1, 1, 1));
    assert_eq!(
        (e.kind, e.provider.as_str()),
        (ErrorKind::Schema, "cerebras")
    );
    for part in [
        // `"name": 5` is repaired to "5"; the count below the minimum is not repairable.
        "deepseek:deepseek-flash (it does not fit the schema: $.employees: 0 is below the minimum 1)",
        "openrouter:openai/gpt-oss-120b (the reply contained no JSON object or array)",
        "cerebras:gpt-oss-120b",
    ] {
        assert!(e.message.contains(part), "{part}: {e}");
    }
    // An invalid reply says nothing against the routes' health.
    assert_eq!(r.pick("research").unwrap().provider, "deepseek");
}

#[tokio::test(start_paused = true)]
async fn replies_are_repaired_before_they_are_judged() {
    let ds = Fake::ok(
        "deepseek",
        "```json\n{\"name\": \"Acme\", \"employees\": \"1,200\", \"confidence\": 0.9}\n```",
    );
    let mut request = json_request();
    request.json_schema.as_mut().unwrap().schema["additionalProperties"] = json!(false);
    let m = research_company(&[&ds], request).await.unwrap();
    assert_eq!(m.value.value.employees, 1_200);
    let repairs: Vec<String> = m.value.repairs.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        repairs,
        [
            "$: dropped \"confidence\", which the schema does not allow",
            "$.employees: \"1,200\" → 1200"
        ]
    );
    assert_eq!(ds.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn cached_input_is_priced_at_the_cached_rate() {
    let mut fake = Fake::new("deepseek", vec![Ok("hello")]);
    Arc::get_mut(&mut fake).unwrap().usage = Usage {
        input_tokens: 1_000_000,
        cached_input_tokens: 600_000,
        output_tokens: 0,
        ..Usage::default()
    };
    let r = router(config(ALL, ""), &[&fake]);
    let m = r.chat("research", &request()).await.unwrap();
    let want = 0.4 * 0.15 + 0.6 * 0.003;
    assert!(
        (m.cost_usd.unwrap() - want).abs() < 1e-12,
        "{:?}",
        m.cost_usd
    );
}

#[tokio::test(start_paused = true)]
async fn fenced_json_is_accepted_first_time() {
    let ds = Fake::ok(
        "deepseek",
        "Here it is:\n```json\n{\"name\": \"Acme\", \"employees\": 3}\n```\n",
    );
    let m = research_company(&[&ds], json_request()).await.unwrap();
    assert_eq!(m.value.value.employees, 3);
    assert!(m.value.repairs.is_empty());
    assert_eq!(ds.calls(), 1);
    assert_eq!(m.usage.input_tokens, 1_000);
}

#[tokio::test(start_paused = true)]
async fn blank_reply_counts_as_invalid() {
    let ds = Fake::ok("deepseek", "   \n\n  ");
    let or = Fake::ok("openrouter", "{\"name\": \"Acme\", \"employees\": 3}");
    let m = research_company(&[&ds, &or], json_request()).await.unwrap();
    assert_eq!(m.value.value.name, "Acme");
    assert_eq!((ds.calls(), or.calls()), (1, 1));
}

/// A [`Company`] asked of the research chain, over every route with `models` behind them.
async fn research_company(
    models: &[&Arc<Fake>],
    request: ChatRequest,
) -> Result<Metered<Repaired<Company>>, ProviderError> {
    let r = router(config(ALL, ""), models);
    chat_json::<Company>(&r, "research", request).await
}

// ---- a persistent 429 through real clients ----

async fn always_429(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "30")
                .set_body_json(
                    json!({"error": {"message": "slow down", "code": "rate_limit_exceeded"}}),
                ),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_persistent_429_costs_one_call_per_route_per_run() {
    let (ds_server, or_server) = (MockServer::start().await, MockServer::start().await);
    always_429(&ds_server).await;
    always_429(&or_server).await;
    let env: HashMap<String, String> = [
        ("DEEPSEEK_API_KEY", "k1".to_string()),
        ("DEEPSEEK_BASE_URL", ds_server.uri()),
        ("OPENROUTER_API_KEY", "k2".to_string()),
        ("OPENROUTER_BASE_URL", or_server.uri()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let cfg = ProvidersConfig::from_sources(&env, None, &chains()).unwrap();
    let mut r = Router::new(cfg.clone());
    let http = atl_providers::http::build_http_client(Duration::from_secs(5));
    for name in ["deepseek", "openrouter"] {
        let p = cfg.provider(name).unwrap();
        let key = p.api_key.as_ref().map(|k| k.expose().to_string().into());
        let client = OpenAiCompatClient::new(name, p.base_url.clone(), key, http.clone());
        r.register(name, Arc::new(client));
    }
    let started = std::time::Instant::now();
    // A plain chat and a structured one: each route is called once per run.
    let e = r.chat("research", &request()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited, "{e}");
    assert_eq!(
        e.retry_after,
        Some(Duration::from_secs(30)),
        "the provider's wait"
    );
    let e = chat_json::<Company>(&r, "research", json_request())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited, "{e}");
    for server in [&ds_server, &or_server] {
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "nobody slept through the 30 s"
    );
}
