//! End-to-end tests over real HTTP against a sandbox on 127.0.0.1.

// Tests build configs field by field: it reads better than one nested literal.
#![allow(clippy::field_reassign_with_default)]

use atl_sandbox::{Family, FamilyConfig, Faults, Latency, Sandbox, SandboxConfig, Trigger};
use reqwest::{Client, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// reqwest (rustls-no-provider) refuses to build a client without a crypto provider.
fn client(timeout: Duration) -> Result<Client, reqwest::Error> {
    // Err only means another test installed it first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder().timeout(timeout).build()
}

async fn start(config: SandboxConfig) -> Result<(Sandbox, Client), Box<dyn std::error::Error>> {
    let addr: SocketAddr = "127.0.0.1:0".parse()?;
    let sb = Sandbox::start(addr, config).await?;
    let client = client(Duration::from_secs(10))?;
    Ok((sb, client))
}

async fn post(
    c: &Client,
    url: String,
    body: &Value,
) -> Result<(StatusCode, HeaderMap, String), reqwest::Error> {
    let r = c
        .post(url)
        .header("x-api-key", "test")
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await?;
    let status = r.status();
    let headers = r.headers().clone();
    Ok((status, headers, r.text().await?))
}

async fn post_json(
    c: &Client,
    url: String,
    body: &Value,
) -> Result<(StatusCode, Value), Box<dyn std::error::Error>> {
    let (status, _, text) = post(c, url, body).await?;
    Ok((status, serde_json::from_str(&text)?))
}

async fn get_json(
    c: &Client,
    url: String,
) -> Result<(StatusCode, Value), Box<dyn std::error::Error>> {
    let r = c.get(url).send().await?;
    let status = r.status();
    Ok((status, serde_json::from_str(&r.text().await?)?))
}

/// A tiny JSON Schema checker: type, required, properties, items, enum, bounds.
fn validate(schema: &Value, v: &Value, path: &str) -> Result<(), String> {
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        return Err(format!("{path}: {v} not in enum"));
    }
    let ty = schema.get("type").and_then(Value::as_str).unwrap_or("any");
    let ok = match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        _ => true,
    };
    if !ok {
        return Err(format!("{path}: expected {ty}, got {v}"));
    }
    if let Some(x) = v.as_f64() {
        if schema
            .get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| x < m)
        {
            return Err(format!("{path}: {x} below minimum"));
        }
        if schema
            .get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| x > m)
        {
            return Err(format!("{path}: {x} above maximum"));
        }
    }
    if let Some(obj) = v.as_object() {
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = r.as_str().unwrap_or_default();
            if !obj.contains_key(key) {
                return Err(format!("{path}: missing required {key}"));
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, sub) in props {
                if let Some(child) = obj.get(k) {
                    validate(sub, child, &format!("{path}.{k}"))?;
                }
            }
            if schema.get("additionalProperties") == Some(&Value::Bool(false))
                && let Some(extra) = obj.keys().find(|k| !props.contains_key(*k))
            {
                return Err(format!("{path}: unexpected property {extra}"));
            }
        }
    }
    if let Some(items) = v.as_array() {
        let len = items.len() as u64;
        if schema
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
        {
            return Err(format!("{path}: too few items"));
        }
        if schema
            .get("maxItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| len > m)
        {
            return Err(format!("{path}: too many items"));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                validate(item_schema, item, &format!("{path}[{i}]"))?;
            }
        }
    }
    Ok(())
}

fn research_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["overview", "industry", "headquarters", "employee_range", "recent_news", "market_position", "signals", "sources", "confidence"],
        "properties": {
            "overview": {"type": "string"},
            "industry": {"type": "string"},
            "headquarters": {"type": "string"},
            "employee_range": {"type": "string", "enum": ["1-10", "11-50", "51-200", "201-1000", "1000+"]},
            "recent_news": {"type": "array", "minItems": 1, "maxItems": 5, "items": {
                "type": "object", "additionalProperties": false, "required": ["title", "date", "url", "summary"],
                "properties": {"title": {"type": "string"}, "date": {"type": "string", "format": "date"},
                               "url": {"type": "string", "format": "uri"}, "summary": {"type": "string"}}}},
            "market_position": {"type": "string"},
            "signals": {"type": "object", "required": ["hiring", "funding"], "properties": {
                "hiring": {"type": "boolean"}, "funding": {"type": "string"}}},
            "sources": {"type": "array", "minItems": 2, "items": {"type": "string", "format": "uri"}},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "employees": {"type": "integer", "minimum": 1, "maximum": 100000}
        }
    })
}

fn chat_body(user: &str) -> Value {
    json!({"model": "deepseek-flash", "messages": [
        {"role": "system", "content": "You are a research agent."},
        {"role": "user", "content": user}]})
}

#[tokio::test]
async fn chat_text_reply_on_both_paths() -> TestResult {
    let (sb, c) = start(SandboxConfig::default()).await?;
    for path in [
        "/v1/chat/completions",
        "/chat/completions",
        "/api/v1/chat/completions",
    ] {
        let (status, v) = post_json(
            &c,
            format!("{}{path}", sb.base_url()),
            &chat_body("Company: Acme Corp\nDomain: acme.com"),
        )
        .await?;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(v["object"], "chat.completion");
        assert_eq!(v["model"], "deepseek-flash");
        assert!(v["id"].as_str().is_some_and(|s| s.starts_with("chatcmpl-")));
        let choice = &v["choices"][0];
        assert_eq!(choice["finish_reason"], "stop");
        assert_eq!(choice["message"]["role"], "assistant");
        let text = choice["message"]["content"].as_str().unwrap_or_default();
        assert!(
            text.starts_with("[synthetic]") && text.contains("Acme Corp"),
            "{text}"
        );
        let u = &v["usage"];
        let (p, comp, t) = (
            u["prompt_tokens"].as_u64(),
            u["completion_tokens"].as_u64(),
            u["total_tokens"].as_u64(),
        );
        assert!(p.is_some_and(|p| p > 10) && comp.is_some_and(|c| c > 10));
        assert_eq!(t, Some(p.unwrap_or(0) + comp.unwrap_or(0)));
        assert!(
            u["prompt_cache_miss_tokens"].is_u64(),
            "deepseek dialect extras"
        );
    }
    assert_eq!(sb.stats().family(Family::Chat).requests, 3);
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn chat_json_schema_reply_validates() -> TestResult {
    let (sb, c) = start(SandboxConfig::default()).await?;
    let schema = research_schema();
    for company in ["Acme Corp", "Globex", "Initech"] {
        let mut body = chat_body(&format!(
            "Research this company.\nCompany: {company}\nWebsite: https://{}.com",
            company.to_lowercase().replace(' ', "")
        ));
        body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "research", "strict": true, "schema": schema}});
        let (status, v) =
            post_json(&c, format!("{}/v1/chat/completions", sb.base_url()), &body).await?;
        assert_eq!(status, StatusCode::OK);
        let content = v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default();
        let reply: Value = serde_json::from_str(content)?;
        validate(&schema, &reply, "$").map_err(|e| format!("{e}\n{reply:#}"))?;
        assert!(
            reply["overview"]
                .as_str()
                .is_some_and(|o| o.contains("synthetic") && o.contains(company))
        );
        assert!(
            reply["sources"][0]
                .as_str()
                .is_some_and(|s| s.starts_with("https://sandbox.atl.invalid/"))
        );
    }
    // A schema the checker rejects must be caught (the checker itself can fail).
    assert!(validate(&schema, &json!({"overview": 1}), "$").is_err());
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn chat_tool_call_then_text_after_tool_result() -> TestResult {
    let (sb, c) = start(SandboxConfig::default()).await?;
    let tools = json!([{"type": "function", "function": {"name": "web_search", "parameters": {
        "type": "object", "required": ["query", "domain"],
        "properties": {"query": {"type": "string"}, "domain": {"type": "string"}, "max_results": {"type": "integer", "minimum": 1, "maximum": 10}}}}},
        {"type": "function", "function": {"name": "fetch", "parameters": {"type": "object", "properties": {"url": {"type": "string"}}}}}]);
    let mut body = chat_body("Company: Acme Corp\nDomain: acme.com");
    body["model"] = json!("gpt-5.4-mini");
    body["tools"] = tools.clone();
    let (status, headers, text) =
        post(&c, format!("{}/v1/chat/completions", sb.base_url()), &body).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key("x-ratelimit-remaining-requests"));
    let v: Value = serde_json::from_str(&text)?;
    let choice = &v["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert!(choice["message"]["content"].is_null());
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "web_search");
    let args: Value = serde_json::from_str(call["function"]["arguments"].as_str().unwrap_or("x"))?;
    assert_eq!(args["domain"], "acme.com");
    let n = args["max_results"].as_i64().unwrap_or(0);
    assert!((1..=10).contains(&n));

    // Second turn: the tool answered, so the model answers in text.
    let call_id = call["id"].as_str().unwrap_or_default().to_string();
    if let Some(msgs) = body["messages"].as_array_mut() {
        msgs.push(choice["message"].clone());
        msgs.push(json!({"role": "tool", "tool_call_id": call_id, "content": "{\"results\": []}"}));
    }
    let (_, v) = post_json(&c, format!("{}/v1/chat/completions", sb.base_url()), &body).await?;
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert!(
        v["choices"][0]["message"]["content"]
            .as_str()
            .is_some_and(|t| t.contains("tool result"))
    );

    // A named tool_choice forces that tool.
    body["tool_choice"] = json!({"type": "function", "function": {"name": "fetch"}});
    let (_, v) = post_json(&c, format!("{}/v1/chat/completions", sb.base_url()), &body).await?;
    assert_eq!(
        v["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
        "fetch"
    );
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn chat_stream_ends_with_usage_and_done() -> TestResult {
    let (sb, c) = start(SandboxConfig::default()).await?;
    let mut body = chat_body("Company: Acme");
    body["model"] = json!("gpt-5.4-mini");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let (status, headers, text) =
        post(&c, format!("{}/v1/chat/completions", sb.base_url()), &body).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(events.last().copied(), Some("data: [DONE]"));
    let mut content = String::new();
    let mut saw_usage = false;
    for e in &events[..events.len() - 1] {
        let chunk: Value = serde_json::from_str(e.trim_start_matches("data: "))?;
        if let Some(t) = chunk["choices"][0]["delta"]["content"].as_str() {
            content.push_str(t);
        }
        saw_usage |= chunk["usage"]["total_tokens"].is_u64();
    }
    assert!(saw_usage && content.starts_with("[synthetic]"));

    // Without include_usage: no usage chunk.
    body["stream_options"] = json!({"include_usage": false});
    let (_, _, text) = post(&c, format!("{}/v1/chat/completions", sb.base_url()), &body).await?;
    assert!(!text.contains("\"usage\""));
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn same_request_same_reply() -> TestResult {
    let (sb, c) = start(SandboxConfig::default()).await?;
    let mut body = chat_body("Company: Umbrella");
    body["response_format"] =
        json!({"type": "json_schema", "json_schema": {"name": "r", "schema": research_schema()}});
    let url = format!("{}/v1/chat/completions", sb.base_url());
    let a = post(&c, url.clone(), &body).await?.2;
    let b = post(&c, url.clone(), &body).await?.2;
    assert_eq!(a, b);
    let other = post(&c, url, &chat_body("Company: Hooli")).await?.2;
    assert_ne!(a, other);
    let m = json!({"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe"});
    let a = post(&c, format!("{}/api/v1/people/match", sb.base_url()), &m)
        .await?
        .2;
    let b = post(&c, format!("{}/api/v1/people/match", sb.base_url()), &m)
        .await?
        .2;
    assert_eq!(a, b);
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn chat_bad_request_uses_openai_error_shape() -> TestResult {
    let (sb, c) = start(SandboxConfig::default()).await?;
    let (status, v) = post_json(
        &c,
        format!("{}/v1/chat/completions", sb.base_url()),
        &json!({"messages": []}),
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["type"], "invalid_request_error");
    assert!(v["error"]["message"].is_string());
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn anthropic_headers_text_and_tools() -> TestResult {
    let (sb, c) = start(SandboxConfig::default()).await?;
    let url = format!("{}/v1/messages", sb.base_url());
    let body = json!({"model": "claude-haiku-5-5", "max_tokens": 512,
                      "messages": [{"role": "user", "content": "Company: Acme\nClassify Jane Doe, VP Sales"}]});
    let r = c
        .post(&url)
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: Value = r.json().await?;
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "authentication_error");
    let r = c
        .post(&url)
        .header("x-api-key", "k")
        .json(&body)
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await?;
    assert_eq!(v["error"]["type"], "invalid_request_error");

    let (status, headers, text) = post(&c, url.clone(), &body).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key("request-id"));
    let v: Value = serde_json::from_str(&text)?;
    assert_eq!(v["type"], "message");
    assert_eq!(v["stop_reason"], "end_turn");
    assert_eq!(v["content"][0]["type"], "text");
    assert!(
        v["content"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("synthetic"))
    );
    assert!(v["usage"]["input_tokens"].as_u64().is_some_and(|n| n > 0));
    assert!(v["usage"]["output_tokens"].as_u64().is_some_and(|n| n > 0));

    let seniority = ["c_suite", "vp", "director", "manager", "other"];
    let mut tb = body.clone();
    tb["tools"] = json!([
        {"name": "lookup", "input_schema": {"type": "object", "properties": {"company": {"type": "string"}}}},
        {"name": "record_contact", "input_schema": {"type": "object", "required": ["name", "seniority"],
            "properties": {"name": {"type": "string"}, "seniority": {"type": "string", "enum": seniority}}}}]);
    let (_, v) = post_json(&c, url.clone(), &tb).await?;
    assert_eq!(v["stop_reason"], "tool_use");
    assert_eq!(v["content"][0]["type"], "tool_use");
    assert_eq!(v["content"][0]["name"], "lookup");
    assert_eq!(v["content"][0]["input"]["company"], "Acme");

    tb["tool_choice"] = json!({"type": "tool", "name": "record_contact"});
    let (_, v) = post_json(&c, url.clone(), &tb).await?;
    let block = &v["content"][0];
    assert_eq!(block["name"], "record_contact");
    assert!(
        block["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("toolu_"))
    );
    assert!(seniority.contains(&block["input"]["seniority"].as_str().unwrap_or("?")));
    assert!(block["input"]["name"].is_string());

    // After a tool_result (auto choice): text.
    tb["tool_choice"] = json!({"type": "auto"});
    if let Some(msgs) = tb["messages"].as_array_mut() {
        msgs.push(json!({"role": "assistant", "content": [block.clone()]}));
        msgs.push(json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": block["id"], "content": "stored"}]}));
    }
    let (_, v) = post_json(&c, url, &tb).await?;
    assert_eq!(v["stop_reason"], "end_turn");
    assert_eq!(v["content"][0]["type"], "text");
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn apollo_routes() -> TestResult {
    let (sb, c) = start(SandboxConfig::default()).await?;
    let base = sb.base_url();
    let (status, v) = post_json(
        &c,
        format!("{base}/api/v1/people/match"),
        &json!({"first_name": "Jane", "last_name": "Doe", "domain": "acme.com"}),
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    let p = &v["person"];
    assert_eq!(p["name"], "Jane Doe");
    assert_eq!(p["synthetic"], true);
    assert!(
        p["linkedin_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://www.linkedin.com/in/synthetic-"))
    );
    assert!(
        p["phone_numbers"][0]["raw_number"]
            .as_str()
            .is_some_and(|n| n.contains("555-01"))
    );
    assert!(
        [
            "verified",
            "guessed",
            "extrapolated",
            "unavailable",
            "bounced"
        ]
        .contains(&p["email_status"].as_str().unwrap_or(""))
    );
    assert_eq!(p["organization"]["primary_domain"], "acme.com");

    // A deterministic ~10 % miss: find one among a few inputs, and it misses every time.
    let mut miss = None;
    let mut hits = 0;
    for i in 0..60 {
        let body = json!({"email": format!("person{i}@acme.com")});
        let (_, v) = post_json(&c, format!("{base}/api/v1/people/match"), &body).await?;
        if v["person"].is_null() {
            miss.get_or_insert(body);
        } else {
            hits += 1;
        }
    }
    assert!(hits > 40, "most inputs should hit ({hits}/60)");
    let miss = miss.ok_or("no miss in 60 inputs")?;
    let (_, v) = post_json(&c, format!("{base}/api/v1/people/match"), &miss).await?;
    assert!(v.get("person").is_some_and(Value::is_null));

    // Bulk: slots line up, the known miss is a null slot.
    let details = json!({"details": [{"first_name": "Jane", "last_name": "Doe", "domain": "acme.com"}, miss]});
    let (status, v) = post_json(&c, format!("{base}/api/v1/people/bulk_match"), &details).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["matches"].as_array().map(Vec::len), Some(2));
    assert!(v["matches"][0].is_object() && v["matches"][1].is_null());
    assert_eq!(v["missing_records"], 1);
    let eleven = json!({"details": vec![json!({"email": "a@b.com"}); 11]});
    let (status, v) = post_json(&c, format!("{base}/api/v1/people/bulk_match"), &eleven).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["error"].is_string());

    let r = c
        .get(format!(
            "{base}/api/v1/organizations/enrich?domain=acme.com"
        ))
        .send()
        .await?;
    assert_eq!(
        r.headers()
            .get("x-minute-requests-left")
            .and_then(|h| h.to_str().ok()),
        Some("999")
    );
    let v: Value = r.json().await?;
    let org = &v["organization"];
    assert_eq!(org["primary_domain"], "acme.com");
    assert_eq!(org["synthetic"], true);
    assert!(org["estimated_num_employees"].is_i64());

    let (status, v) = post_json(&c, format!("{base}/api/v1/mixed_people/api_search"),
        &json!({"q_organization_domains_list": ["acme.com"], "person_seniorities": ["c_suite", "vp"], "page": 1, "per_page": 25})).await?;
    assert_eq!(status, StatusCode::OK);
    let people = v["people"].as_array().cloned().unwrap_or_default();
    assert!((3..=6).contains(&people.len()));
    assert_eq!(v["total_entries"], people.len());
    assert_eq!(v["pagination"]["total_entries"], people.len());
    for p in &people {
        assert!(["c_suite", "vp"].contains(&p["seniority"].as_str().unwrap_or("")));
        assert!(
            p["last_name_obfuscated"]
                .as_str()
                .is_some_and(|l| l.contains("***"))
        );
        assert!(p.get("email").is_none());
    }
    // Query-string form of the filter, unfiltered seniorities are Apollo values.
    let (_, v) = post_json(&c, format!("{base}/api/v1/mixed_people/api_search?person_seniorities[]=director&q_organization_domains_list[]=acme.com"), &json!({})).await?;
    assert!(
        v["people"]
            .as_array()
            .is_some_and(|p| p.iter().all(|p| p["seniority"] == "director"))
    );
    sb.shutdown().await;
    Ok(())
}

fn tts_body(text: &str) -> Value {
    json!({"model_id": "sonic-3.5", "transcript": text, "voice": {"mode": "id", "id": "v"},
           "output_format": {"container": "wav", "encoding": "pcm_s16le", "sample_rate": 24000}})
}

#[tokio::test]
async fn cartesia_wav_duration_scales_with_text() -> TestResult {
    let (sb, c) = start(SandboxConfig::default()).await?;
    let url = format!("{}/tts/bytes", sb.base_url());
    let r = c.post(&url).json(&tts_body("hello")).send().await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await?;
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("Cartesia-Version"))
    );

    let mut secs = Vec::new();
    for text in [
        "Hi Jane, a quick note.",
        &"Hi Jane, a quick note about your pipeline. ".repeat(4),
    ] {
        let r = c
            .post(&url)
            .header("Cartesia-Version", "2026-03-01")
            .json(&tts_body(text))
            .send()
            .await?;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()
                .get("content-type")
                .and_then(|h| h.to_str().ok()),
            Some("audio/wav")
        );
        let bytes = r.bytes().await?;
        let reader = hound::WavReader::new(std::io::Cursor::new(bytes.to_vec()))?;
        let spec = reader.spec();
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (1, 24000, 16)
        );
        let s = f64::from(reader.duration()) / 24000.0;
        let expected = text.chars().count() as f64 * 0.060;
        assert!((s - expected).abs() < 0.01, "{s} vs {expected}");
        secs.push(s);
    }
    assert!(secs[1] > secs[0] * 4.0);
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn search_and_email_routes() -> TestResult {
    let (sb, c) = start(SandboxConfig::default()).await?;
    let base = sb.base_url();
    let (status, v) = post_json(
        &c,
        format!("{base}/search"),
        &json!({"query": "Acme Corp funding 2026", "max_results": 3, "topic": "news"}),
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    let results = v["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 3);
    for r in &results {
        assert!(
            r["title"].is_string()
                && r["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("synthetic"))
        );
        assert!(
            r["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://sandbox.atl.invalid/"))
        );
        assert!(
            r["score"]
                .as_f64()
                .is_some_and(|s| (0.0..=1.0).contains(&s))
        );
        assert!(r["published_date"].is_string());
    }
    let (_, v) = post_json(
        &c,
        format!("{base}/search"),
        &json!({"query": "nothing sandbox:empty"}),
    )
    .await?;
    assert_eq!(v["results"], json!([]));
    let (status, v) = post_json(&c, format!("{base}/search"), &json!({"max_results": 3})).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["detail"]["error"].is_string());

    let (status, v) = get_json(
        &c,
        format!("{base}/res/v1/web/search?q=acme+corp+vp+sales&count=4"),
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["query"]["original"], "acme corp vp sales");
    assert_eq!(v["web"]["results"].as_array().map(Vec::len), Some(4));
    assert!(v["web"]["results"][0]["description"].is_string());
    let (_, v) = get_json(&c, format!("{base}/res/v1/web/search?q=sandbox:empty")).await?;
    assert!(v.get("web").is_none());

    let (status, v) = get_json(
        &c,
        format!("{base}/v2/email-finder?domain=acme.com&first_name=Jane&last_name=Doe&api_key=k"),
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    let d = &v["data"];
    assert_eq!(d["domain"], "acme.com");
    assert!(d["email"].is_null() || d["email"] == "jane.doe@acme.com");
    let (status, v) = get_json(&c, format!("{base}/v2/email-finder?domain=acme.com")).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["errors"][0]["id"], "wrong_params");

    let mut seen = std::collections::BTreeSet::new();
    for i in 0..40 {
        let (status, v) = get_json(
            &c,
            format!("{base}/v2/email-verifier?email=user{i}@acme.com"),
        )
        .await?;
        assert_eq!(status, StatusCode::OK);
        seen.insert(v["data"]["status"].as_str().unwrap_or("").to_string());
    }
    let all: std::collections::BTreeSet<String> = ["accept_all", "unknown", "valid"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(seen, all);
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn synthetic_sites() -> TestResult {
    let (sb, c) = start(SandboxConfig::default()).await?;
    for path in [
        "/sites/acme.com/",
        "/sites/acme.com/about",
        "/sites/acme.com",
    ] {
        let r = c.get(format!("{}{path}", sb.base_url())).send().await?;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(
            r.headers()
                .get("content-type")
                .and_then(|h| h.to_str().ok())
                .is_some_and(|t| t.starts_with("text/html"))
        );
        let html = r.text().await?;
        assert!(
            html.contains("<title>")
                && html.contains("name=\"description\"")
                && html.contains("<h1>")
        );
        assert!(html.contains("synthetic") && html.contains("Acme") && html.contains("<a href="));
    }
    let r = c
        .get(format!("{}/sites/not_a_domain/", sb.base_url()))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    sb.shutdown().await;
    Ok(())
}

fn faults(f: Faults) -> FamilyConfig {
    FamilyConfig {
        latency: Latency::None,
        faults: f,
        ..FamilyConfig::default()
    }
}

#[tokio::test]
async fn fault_rate_limit_every_nth_with_retry_after() -> TestResult {
    let mut config = SandboxConfig::default();
    config.chat = faults(Faults {
        rate_limit: Trigger::every(3),
        retry_after_secs: 7,
        ..Faults::default()
    });
    let (sb, c) = start(config).await?;
    let url = format!("{}/v1/chat/completions", sb.base_url());
    let mut body = chat_body("Company: Acme");
    body["model"] = json!("gpt-5.4-mini");
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let (status, headers, text) = post(&c, url.clone(), &body).await?;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(
                headers.get("retry-after").and_then(|h| h.to_str().ok()),
                Some("7")
            );
            assert_eq!(
                headers
                    .get("x-ratelimit-remaining-requests")
                    .and_then(|h| h.to_str().ok()),
                Some("0")
            );
            let v: Value = serde_json::from_str(&text)?;
            assert_eq!(v["error"]["code"], "rate_limit_exceeded");
        }
        statuses.push(status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 429, 200, 200, 429]);
    // Cerebras dialect: flat error body.
    body["model"] = json!("gpt-oss-120b");
    let mut cerebras = None;
    for _ in 0..3 {
        let (status, _, text) = post(&c, url.clone(), &body).await?;
        if status == StatusCode::TOO_MANY_REQUESTS {
            cerebras = Some(serde_json::from_str::<Value>(&text)?);
        }
    }
    let v = cerebras.ok_or("no 429 in three requests")?;
    assert_eq!(v["code"], "request_quota_exceeded");
    assert!(v.get("error").is_none());
    let stats = sb.stats().family(Family::Chat);
    assert_eq!((stats.requests, stats.faults), (9, 3));
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fault_500_529_and_malformed() -> TestResult {
    let mut config = SandboxConfig::default();
    config.anthropic = faults(Faults {
        overloaded: Trigger::probability(1.0),
        ..Faults::default()
    });
    config.apollo = faults(Faults {
        server_error: Trigger::every(1),
        ..Faults::default()
    });
    config.tavily = faults(Faults {
        malformed: Trigger::every(1),
        ..Faults::default()
    });
    let (sb, c) = start(config).await?;
    let base = sb.base_url();
    let body = json!({"model": "claude-haiku-5-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]});
    let (status, v) = post_json(&c, format!("{base}/v1/messages"), &body).await?;
    assert_eq!(status.as_u16(), 529);
    assert_eq!(v["error"]["type"], "overloaded_error");

    let (status, v) = post_json(
        &c,
        format!("{base}/api/v1/people/match"),
        &json!({"email": "a@acme.com"}),
    )
    .await?;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(v["error"].is_string());

    let (status, _, text) = post(&c, format!("{base}/search"), &json!({"query": "acme"})).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(!text.is_empty());
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "malformed body must not parse: {text}"
    );
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn runtime_config_change_over_http_and_api() -> TestResult {
    let (sb, c) = start(SandboxConfig::default()).await?;
    let base = sb.base_url();
    let url = format!("{base}/api/v1/organizations/enrich?domain=acme.com");
    assert_eq!(c.get(&url).send().await?.status(), StatusCode::OK);

    // Flip a fault on mid-run via HTTP; the count restarts, so request 2 fails.
    let cfg =
        json!({"apollo": {"faults": {"rate_limit": {"every_nth": 2}, "retry_after_secs": 3}}});
    let r = c
        .post(format!("{base}/_sandbox/config"))
        .json(&cfg)
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(c.get(&url).send().await?.status(), StatusCode::OK);
    let r = c.get(&url).send().await?;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.headers().get("retry-after").and_then(|h| h.to_str().ok()),
        Some("3")
    );
    assert_eq!(
        r.headers()
            .get("x-minute-requests-left")
            .and_then(|h| h.to_str().ok()),
        Some("0")
    );
    assert_eq!(sb.config().apollo.faults.rate_limit.every_nth, 2);

    // Typos are rejected rather than silently ignored.
    let r = c
        .post(format!("{base}/_sandbox/config"))
        .json(&json!({"apolo": {}}))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // And off again through the API.
    sb.set_config(SandboxConfig::default());
    for _ in 0..3 {
        assert_eq!(c.get(&url).send().await?.status(), StatusCode::OK);
    }
    let (_, stats) = get_json(&c, format!("{base}/_sandbox/stats")).await?;
    assert_eq!(stats["families"]["apollo"]["requests"], 6);
    assert_eq!(stats["families"]["apollo"]["faults"], 1);
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn latency_knob_delays_replies() -> TestResult {
    let mut config = SandboxConfig::default();
    config.hunter.latency = Latency::Fixed { ms: 150 };
    let (sb, c) = start(config).await?;
    let t = Instant::now();
    let r = c
        .get(format!(
            "{}/v2/email-verifier?email=a@acme.com",
            sb.base_url()
        ))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(150));
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn hang_is_cut_by_client_timeout_and_by_shutdown() -> TestResult {
    let mut config = SandboxConfig::default();
    config.sites = faults(Faults {
        hang: Trigger::every(1),
        ..Faults::default()
    });
    let (sb, _) = start(config).await?;
    let url = format!("{}/sites/acme.com/", sb.base_url());
    let short = client(Duration::from_millis(300))?;
    let t = Instant::now();
    let err = short
        .get(&url)
        .send()
        .await
        .err()
        .ok_or("a hang must not answer")?;
    assert!(err.is_timeout(), "{err}");
    assert!(t.elapsed() < Duration::from_secs(3));

    // A request still hanging when the sandbox shuts down is released (503) promptly.
    let long = client(Duration::from_secs(30))?;
    let pending = tokio::spawn(async move { long.get(url).send().await.map(|r| r.status()) });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = Instant::now();
    sb.shutdown().await;
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        t.elapsed()
    );
    let status = pending.await??;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    Ok(())
}

#[tokio::test]
async fn healthz_and_stats() -> TestResult {
    let (sb, c) = start(SandboxConfig::default()).await?;
    let (status, v) = get_json(&c, format!("{}/healthz", sb.base_url())).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["status"], "ok");
    let _ = c
        .get(format!("{}/sites/acme.com/", sb.base_url()))
        .send()
        .await?;
    let stats = sb.stats();
    assert_eq!(stats.family(Family::Sites).requests, 1);
    assert_eq!(stats.total, 1);
    sb.shutdown().await;
    Ok(())
}
