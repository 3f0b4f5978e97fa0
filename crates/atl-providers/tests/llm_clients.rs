//! OpenAI-compatible and Anthropic clients against wiremock servers speaking the
//! vendors' documented wire formats (fixtures under `tests/fixtures/`).

mod common;

use atl_providers::anthropic::AnthropicClient;
use atl_providers::http::build_http_client;
use atl_providers::llm::{
    ChatModel, ChatRequest, ChatResponse, JsonSchemaFormat, Message, StopReason, ToolCall, ToolSpec,
};
use atl_providers::openai_compat::OpenAiCompatClient;
use atl_providers::{ErrorKind, ProviderError, Usage};
use common::{
    KEY, assert_kind_says, assert_kind_status, assert_no_key, fixture, http, key, last_body, ok,
    responding,
};
use serde_json::{Value, json};
use std::time::Duration;
use url::Url;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn openai(provider: &str, server: &MockServer) -> OpenAiCompatClient {
    OpenAiCompatClient::new(
        provider,
        Url::parse(&server.uri()).unwrap(),
        Some(key()),
        http(),
    )
}

fn anthropic(server: &MockServer) -> AnthropicClient {
    AnthropicClient::new(Url::parse(&server.uri()).unwrap(), key(), http())
}

/// A mock server answering chat completions with `template`.
async fn chat_completions(template: ResponseTemplate) -> MockServer {
    responding("POST", "/chat/completions", template).await
}

/// A mock server answering Anthropic's messages endpoint with `template`.
async fn messages_endpoint(template: ResponseTemplate) -> MockServer {
    responding("POST", "/v1/messages", template).await
}

/// What `provider`'s OpenAI-compatible client makes of a server answering a simple
/// request with `template`.
async fn openai_error(provider: &str, template: ResponseTemplate) -> ProviderError {
    let server = chat_completions(template).await;
    openai(provider, &server)
        .chat(&simple_request())
        .await
        .unwrap_err()
}

/// What the Anthropic client makes of a server answering a simple request with `template`.
async fn anthropic_error(template: ResponseTemplate) -> ProviderError {
    let server = messages_endpoint(template).await;
    anthropic(&server)
        .chat(&simple_request())
        .await
        .unwrap_err()
}

fn simple_request() -> ChatRequest {
    ChatRequest {
        model: "m".into(),
        system: Some("You extract contacts.".into()),
        messages: vec![Message::user("Jane Doe, VP Sales at Acme")],
        max_tokens: 300,
        ..ChatRequest::default()
    }
}

fn schema_request() -> ChatRequest {
    ChatRequest {
        json_schema: Some(JsonSchemaFormat {
            name: "contact".into(),
            schema: json!({"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}),
        }),
        ..simple_request()
    }
}

fn tool_round_trip_request() -> ChatRequest {
    ChatRequest {
        model: "m".into(),
        system: None,
        messages: vec![
            Message::user("find Acme"),
            Message::ToolCalls {
                text: None,
                calls: vec![ToolCall {
                    id: "call_abc".into(),
                    name: "lookup".into(),
                    arguments: json!({"domain": "acme.com"}),
                }],
            },
            Message::ToolResult {
                call_id: "call_abc".into(),
                content: "{\"found\":true}".into(),
                is_error: false,
            },
        ],
        tools: vec![ToolSpec {
            name: "lookup".into(),
            description: "Look a company up".into(),
            parameters: json!({"type":"object","properties":{"domain":{"type":"string"}}}),
        }],
        max_tokens: 100,
        ..ChatRequest::default()
    }
}

/// `reply` ended its turn with `text` from `model`, reporting (input, cached input,
/// output) tokens.
fn assert_finished_text(reply: &ChatResponse, text: &str, model: &str, tokens: (u64, u64, u64)) {
    let (input_tokens, cached_input_tokens, output_tokens) = tokens;
    assert_eq!(reply.text, text);
    assert_eq!(reply.stop, StopReason::EndTurn);
    assert_eq!(reply.model, model);
    assert_eq!(
        reply.usage,
        Usage {
            input_tokens,
            cached_input_tokens,
            output_tokens,
            ..Usage::default()
        }
    );
}

// ---------------------------------------------------------------------------------------
// OpenAI-compatible
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn openai_json_schema_reply_and_request_shape() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({
            "model": "m",
            "max_completion_tokens": 300,
            "messages": [
                {"role": "system", "content": "You extract contacts."},
                {"role": "user", "content": "Jane Doe, VP Sales at Acme"}
            ],
            "response_format": {"type": "json_schema", "json_schema": {"name": "contact", "strict": true}}
        })))
        .respond_with(ok("openai_text.json"))
        .expect(1)
        .mount(&server)
        .await;
    let base = Url::parse(&format!("{}/v1", server.uri())).unwrap();
    let client = OpenAiCompatClient::new("openai", base, Some(key()), http());
    let reply = client.chat(&schema_request()).await.unwrap();
    assert_finished_text(
        &reply,
        r#"{"name":"Jane Doe","title":"VP Sales","domain":"acme.com"}"#,
        "gpt-5.4-mini-2026-03-05",
        (41, 8, 19),
    );
    let body = last_body(&server).await;
    assert!(
        body.get("max_tokens").is_none(),
        "OpenAI gets max_completion_tokens only: {body}"
    );
    assert!(body.get("temperature").is_none());
    assert_eq!(
        body["response_format"]["json_schema"]["schema"]["required"],
        json!(["name"])
    );
}

#[tokio::test]
async fn tool_calls_round_trip_on_cerebras() {
    let server = chat_completions(ok("openai_tool_call.json")).await;
    let reply = openai("cerebras", &server)
        .chat(&tool_round_trip_request())
        .await
        .unwrap();
    assert_eq!(reply.stop, StopReason::ToolUse);
    assert_eq!(reply.text, "");
    assert_eq!(
        reply.tool_calls,
        vec![
            ToolCall {
                id: "call_abc".into(),
                name: "lookup".into(),
                arguments: json!({"domain": "acme.com"})
            },
            ToolCall {
                id: "call_def".into(),
                name: "now".into(),
                arguments: json!({})
            },
        ]
    );
    assert_eq!(reply.usage.input_tokens, 90);
    let body = last_body(&server).await;
    assert_eq!(body["max_completion_tokens"], 100);
    assert_eq!(body["tools"][0]["type"], "function");
    assert_eq!(body["tools"][0]["function"]["name"], "lookup");
    assert_eq!(
        body["tools"][0]["function"]["parameters"]["properties"]["domain"]["type"],
        "string"
    );
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        3,
        "no system message when none given: {body}"
    );
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["content"], Value::Null);
    assert_eq!(messages[1]["tool_calls"][0]["id"], "call_abc");
    // arguments go out as a JSON string, not an object.
    let args = messages[1]["tool_calls"][0]["function"]["arguments"]
        .as_str()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(args).unwrap(),
        json!({"domain": "acme.com"})
    );
    assert_eq!(
        messages[2],
        json!({"role": "tool", "tool_call_id": "call_abc", "content": "{\"found\":true}"})
    );
    assert!(body.get("thinking").is_none());
}

#[tokio::test]
async fn unparsable_tool_arguments_are_invalid_response() {
    let mut body = fixture("openai_tool_call.json");
    body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] =
        json!("{\"domain\": acme");
    let server = chat_completions(ResponseTemplate::new(200).set_body_json(body)).await;
    let err = openai("cerebras", &server)
        .chat(&tool_round_trip_request())
        .await
        .unwrap_err();
    assert!(err.kind == ErrorKind::InvalidResponse, "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn deepseek_json_mode_cache_hits_and_thinking() {
    let server = chat_completions(ok("deepseek_json.json")).await;
    let client = openai("deepseek", &server);
    let reply = client.chat(&schema_request()).await.unwrap();
    assert_eq!(
        reply.text, r#"{"question":"q","answer":"a"}"#,
        "reasoning_content is not the answer"
    );
    assert_eq!(reply.usage.input_tokens, 120);
    assert_eq!(reply.usage.cached_input_tokens, 64);
    assert_eq!(reply.usage.output_tokens, 85);
    let body = last_body(&server).await;
    assert_eq!(body["response_format"], json!({"type": "json_object"}));
    assert_eq!(body["max_tokens"], 300);
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.starts_with("You extract contacts."));
    assert!(
        system.contains("JSON") && system.contains("additionalProperties"),
        "schema in prompt: {system}"
    );

    // With tools, thinking is switched off (reasoning_content cannot be echoed back).
    client.chat(&tool_round_trip_request()).await.unwrap();
    assert_eq!(
        last_body(&server).await["thinking"],
        json!({"type": "disabled"})
    );
}

#[tokio::test]
async fn deepseek_blank_json_content_becomes_empty_text() {
    // Leading blank lines: DeepSeek's keep-alive while the request waits.
    let mut text = "\n\n\n".to_string();
    text.push_str(&fixture("deepseek_blank_json.json").to_string());
    let server =
        chat_completions(ResponseTemplate::new(200).set_body_raw(text, "application/json")).await;
    let reply = openai("deepseek", &server)
        .chat(&schema_request())
        .await
        .unwrap();
    assert_eq!(reply.text, "");
    assert_eq!(reply.stop, StopReason::EndTurn);
    assert_eq!(reply.usage.output_tokens, 50);
}

#[tokio::test]
async fn openrouter_cost_and_attribution_headers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/chat/completions"))
        .and(header("http-referer", "https://atl.example"))
        .and(header("x-openrouter-title", "ATL"))
        .and(body_partial_json(json!({"max_tokens": 300})))
        .respond_with(ok("openrouter_cost.json"))
        .expect(1)
        .mount(&server)
        .await;
    let base = Url::parse(&format!("{}/api/v1", server.uri())).unwrap();
    let client = OpenAiCompatClient::new("openrouter", base, Some(key()), http())
        .with_header("HTTP-Referer", "https://atl.example")
        .with_header("X-OpenRouter-Title", "ATL");
    let outcome = client.chat_with_cost(&simple_request()).await.unwrap();
    assert_eq!(outcome.response.text, "hello");
    assert_eq!(outcome.reported_cost_usd, Some(0.000095));
    assert_eq!(outcome.response.usage.input_tokens, 194);
}

#[tokio::test]
async fn openrouter_error_inside_200() {
    let err = openai_error("openrouter", ok("openrouter_error_in_200.json")).await;
    assert_kind_says(&err, ErrorKind::InvalidResponse, "Upstream provider");

    let body =
        json!({"error": {"code": 429, "message": "Rate limit exceeded: free-models-per-min"}});
    let err = openai_error("openrouter", ResponseTemplate::new(200).set_body_json(body)).await;
    assert!(err.kind == ErrorKind::RateLimited, "{err:?}");
}

#[tokio::test]
async fn openai_compatible_error_shapes() {
    struct Case {
        provider: &'static str,
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Value,
        check: fn(&ProviderError) -> bool,
    }
    let cases = vec![
        Case {
            provider: "openai",
            status: 429,
            headers: vec![
                ("x-ratelimit-remaining-requests", "0".into()),
                ("x-ratelimit-reset-requests", "6m0s".into()),
                ("x-ratelimit-remaining-tokens", "100".into()),
                ("x-ratelimit-reset-tokens", "20ms".into()),
            ],
            body: json!({"error": {"message": "Rate limit reached for requests", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}),
            check: |e| {
                e.kind == ErrorKind::RateLimited
                    && e.retry_after.is_some()
                    && e.retry_after.unwrap_or_default() == Duration::from_secs(360)
                    && e.message == "Rate limit reached for requests"
            },
        },
        Case {
            provider: "openai",
            status: 429,
            headers: vec![("retry-after", "1".into())],
            body: fixture("openai_insufficient_quota.json"),
            check: |e| e.kind == ErrorKind::Quota && e.message.starts_with("You exceeded"),
        },
        Case {
            provider: "cerebras",
            status: 429,
            headers: vec![
                ("x-ratelimit-remaining-tokens-minute", "0".into()),
                (
                    "x-ratelimit-reset-tokens-minute",
                    "11.382867097854614".into(),
                ),
                ("x-ratelimit-remaining-requests-day", "14370".into()),
                (
                    "x-ratelimit-reset-requests-day",
                    "33011.382867097855".into(),
                ),
            ],
            body: fixture("cerebras_429.json"),
            check: |e| {
                e.kind == ErrorKind::RateLimited
                    && e.retry_after.is_some()
                    && e.message.starts_with("Tokens per minute")
                    && e.retry_after.unwrap_or_default().as_secs() == 11
            },
        },
        Case {
            provider: "deepseek",
            status: 402,
            headers: vec![],
            body: json!({"error": {"message": "Insufficient Balance", "type": "unknown_error", "param": null, "code": "invalid_request_error"}}),
            check: |e| e.kind == ErrorKind::Quota && e.message == "Insufficient Balance",
        },
        Case {
            provider: "openrouter",
            status: 402,
            headers: vec![],
            body: json!({"error": {"code": 402, "message": "Insufficient credits", "metadata": {"limit_source": "openrouter_credits"}}}),
            check: |e| e.kind == ErrorKind::Quota,
        },
        Case {
            provider: "openai",
            status: 401,
            headers: vec![],
            body: json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}),
            check: |e| (e.kind, e.status) == (ErrorKind::Auth, Some(401)),
        },
        Case {
            provider: "cerebras",
            status: 404,
            headers: vec![],
            body: json!({"message": "Model llama3.1-8b does not exist", "type": "not_found_error", "param": "model", "code": "model_not_found"}),
            check: |e| e.status == Some(404) && e.message.contains("does not exist"),
        },
        Case {
            provider: "deepseek",
            status: 422,
            headers: vec![],
            body: json!({"error": {"message": "Invalid max_tokens", "type": "invalid_request_error"}}),
            check: |e| (e.kind, e.status) == (ErrorKind::BadRequest, Some(422)),
        },
        Case {
            provider: "deepseek",
            status: 503,
            headers: vec![],
            body: json!({"error": {"message": "Server overloaded", "type": "server_error"}}),
            check: |e| (e.kind, e.status, e.retry_after) == (ErrorKind::Server, Some(503), None),
        },
    ];
    for case in cases {
        let mut template = ResponseTemplate::new(case.status).set_body_json(&case.body);
        for (k, v) in &case.headers {
            template = template.insert_header(*k, v.as_str());
        }
        let err = openai_error(case.provider, template).await;
        assert!(
            (case.check)(&err),
            "{} {}: got {err:?}",
            case.provider,
            case.status
        );
        assert!(err.to_string().starts_with(case.provider), "{err}");
        assert_no_key(&err);
    }
}

#[tokio::test]
async fn malformed_2xx_bodies_are_invalid_response() {
    for body in ["not json", "{\"choices\": []}", "{\"choices\": 7}"] {
        let template = ResponseTemplate::new(200).set_body_raw(body, "application/json");
        let err = openai_error("deepseek", template).await;
        assert!(err.kind == ErrorKind::InvalidResponse, "{body}: {err:?}");
    }
}

#[tokio::test]
async fn keyless_local_server_sends_no_authorization() {
    let server = chat_completions(ok("openai_text.json")).await;
    let client =
        OpenAiCompatClient::new("ollama", Url::parse(&server.uri()).unwrap(), None, http());
    client.chat(&simple_request()).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].headers.get("authorization").is_none());
    assert!(
        requests[0]
            .headers
            .get("user-agent")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("atl/")
    );
}

#[tokio::test]
async fn timeouts_and_refused_connections() {
    let server = chat_completions(ok("openai_text.json").set_delay(Duration::from_secs(3))).await;
    let slow = OpenAiCompatClient::new(
        "deepseek",
        Url::parse(&server.uri()).unwrap(),
        Some(key()),
        build_http_client(Duration::from_millis(300)),
    );
    let err = slow.chat(&simple_request()).await.unwrap_err();
    assert!(err.kind == ErrorKind::Timeout, "{err:?}");

    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = OpenAiCompatClient::new(
        "deepseek",
        Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        Some(key()),
        http(),
    );
    let err = client.chat(&simple_request()).await.unwrap_err();
    assert!(err.kind == ErrorKind::Connection, "{err:?}");
    assert!(err.counts_against_health());
    assert_no_key(&err);
}

#[tokio::test]
async fn a_key_echoed_by_the_server_is_redacted() {
    let body = json!({"error": {"message": format!("Incorrect API key provided: {KEY}"), "code": "invalid_api_key"}});
    let server = chat_completions(ResponseTemplate::new(401).set_body_json(body)).await;
    let client = openai("openai", &server);
    let err = client.chat(&simple_request()).await.unwrap_err();
    assert!(err.kind == ErrorKind::Auth);
    assert_no_key(&err);
    assert!(err.to_string().contains("[redacted]"));
    assert!(!format!("{client:?}").contains(KEY));
}

// ---------------------------------------------------------------------------------------
// Anthropic
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn anthropic_text_reply_headers_and_usage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({
            "model": "m", "max_tokens": 300, "system": "You extract contacts.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Jane Doe, VP Sales at Acme"}]}]
        })))
        .respond_with(ok("anthropic_text.json"))
        .expect(1)
        .mount(&server)
        .await;
    let reply = anthropic(&server).chat(&simple_request()).await.unwrap();
    // input_tokens exclude cache reads/writes on the wire; ours include them.
    assert_finished_text(
        &reply,
        "VP — senior sales leader.",
        "claude-haiku-5-5",
        (522, 100, 88),
    );
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests[0].headers.get("authorization").is_none(),
        "Anthropic keys go in x-api-key only"
    );
    let body = last_body(&server).await;
    assert!(body.get("temperature").is_none() && body.get("tools").is_none());
}

#[tokio::test]
async fn anthropic_tool_use_and_tool_result_blocks() {
    let server = messages_endpoint(ok("anthropic_tool_use.json")).await;
    let mut request = tool_round_trip_request();
    // Two results in a row must be merged into one user turn, results first.
    request.messages.push(Message::ToolResult {
        call_id: "call_xyz".into(),
        content: "boom".into(),
        is_error: true,
    });
    let reply = anthropic(&server).chat(&request).await.unwrap();
    assert_eq!(reply.stop, StopReason::ToolUse);
    assert_eq!(reply.text, "Recording it.");
    assert_eq!(
        reply.tool_calls,
        vec![ToolCall {
            id: "toolu_01A09q90qw90lq917835lq9".into(),
            name: "record_contact".into(),
            arguments: json!({"name": "Jane Doe", "seniority": "vp"})
        }]
    );
    let body = last_body(&server).await;
    assert!(body.get("system").is_none());
    assert_eq!(
        body["tools"][0]["input_schema"]["properties"]["domain"]["type"],
        "string"
    );
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{body}");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(
        messages[1]["content"][0],
        json!({"type": "tool_use", "id": "call_abc", "name": "lookup", "input": {"domain": "acme.com"}})
    );
    assert_eq!(messages[2]["role"], "user");
    assert_eq!(
        messages[2]["content"],
        json!([
            {"type": "tool_result", "tool_use_id": "call_abc", "content": "{\"found\":true}", "is_error": false},
            {"type": "tool_result", "tool_use_id": "call_xyz", "content": "boom", "is_error": true}
        ])
    );
}

#[tokio::test]
async fn anthropic_json_schema_via_forced_tool() {
    let server = MockServer::start().await;
    let reply_body = json!({
        "id": "msg_json", "type": "message", "role": "assistant", "model": "claude-haiku-5-5",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "contact", "input": {"name": "Jane Doe"}}],
        "stop_reason": "tool_use", "usage": {"input_tokens": 50, "output_tokens": 12}
    });
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(
            json!({"tool_choice": {"type": "tool", "name": "contact"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply_body))
        .expect(1)
        .mount(&server)
        .await;
    let reply = anthropic(&server).chat(&schema_request()).await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&reply.text).unwrap(),
        json!({"name": "Jane Doe"})
    );
    assert!(reply.tool_calls.is_empty());
    assert_eq!(reply.stop, StopReason::EndTurn);
    let body = last_body(&server).await;
    assert_eq!(body["tools"][0]["name"], "contact");
    assert_eq!(
        body["tools"][0]["input_schema"]["required"],
        json!(["name"])
    );
}

#[tokio::test]
async fn anthropic_error_shapes() {
    // 529 overloaded → Server{529}
    let err = anthropic_error(
        ResponseTemplate::new(529).set_body_json(fixture("anthropic_overloaded.json")),
    )
    .await;
    assert_eq!(
        err,
        ProviderError::server("anthropic", 529, "Overloaded", None)
    );

    // 429 with retry-after and RFC 3339 resets: retry-after wins.
    let err = anthropic_error(
        ResponseTemplate::new(429)
            .set_body_json(fixture("anthropic_rate_limit.json"))
            .insert_header("retry-after", "17")
            .insert_header("anthropic-ratelimit-input-tokens-remaining", "0")
            .insert_header(
                "anthropic-ratelimit-input-tokens-reset",
                "2099-01-01T00:00:00Z",
            ),
    )
    .await;
    assert!(
        err.kind == ErrorKind::RateLimited
            && err.retry_after.is_some()
            && err.retry_after.unwrap_or_default() == Duration::from_secs(17)
            && err.message.contains("per-minute"),
        "{err:?}"
    );

    // 429 without retry-after: the exhausted window's RFC 3339 reset.
    let reset = (time::OffsetDateTime::now_utc() + time::Duration::seconds(30))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let err = anthropic_error(
        ResponseTemplate::new(429)
            .set_body_json(fixture("anthropic_rate_limit.json"))
            .insert_header("anthropic-ratelimit-output-tokens-remaining", "0")
            .insert_header("anthropic-ratelimit-output-tokens-reset", reset.as_str()),
    )
    .await;
    let wait = err.retry_after().expect("reset header read");
    assert!(
        wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );

    for (status, kind, check) in [
        (
            400u16,
            "invalid_request_error",
            (|e: &ProviderError| (e.kind, e.status) == (ErrorKind::BadRequest, Some(400)))
                as fn(&ProviderError) -> bool,
        ),
        (401, "authentication_error", |e| {
            (e.kind, e.status) == (ErrorKind::Auth, Some(401))
        }),
        (402, "billing_error", |e| e.kind == ErrorKind::Quota),
        (403, "permission_error", |e| {
            (e.kind, e.status) == (ErrorKind::Auth, Some(403))
        }),
        (404, "not_found_error", |e| {
            (e.kind, e.status) == (ErrorKind::BadRequest, Some(404))
        }),
        (409, "conflict_error", |e| {
            (e.kind, e.status) == (ErrorKind::Server, Some(409))
        }),
        (500, "api_error", |e| {
            (e.kind, e.status) == (ErrorKind::Server, Some(500))
        }),
    ] {
        let body = json!({"type": "error", "error": {"type": kind, "message": format!("{kind} happened")}, "request_id": "req_1"});
        let err = anthropic_error(ResponseTemplate::new(status).set_body_json(body)).await;
        assert!(check(&err), "{status}: {err:?}");
        assert!(
            err.to_string().contains(&format!("{kind} happened")),
            "{err}"
        );
        assert_no_key(&err);
    }
    // 413 from Cloudflare is not JSON.
    let err = anthropic_error(
        ResponseTemplate::new(413).set_body_string("<html>Request Entity Too Large</html>"),
    )
    .await;
    assert_kind_status(&err, ErrorKind::BadRequest, 413);
}

#[tokio::test]
async fn anthropic_malformed_body_and_debug() {
    let server = messages_endpoint(
        ResponseTemplate::new(200).set_body_raw("{\"content\": [", "application/json"),
    )
    .await;
    let client = anthropic(&server);
    let err = client.chat(&simple_request()).await.unwrap_err();
    assert!(err.kind == ErrorKind::InvalidResponse, "{err:?}");
    assert!(!format!("{client:?}").contains(KEY));
}
