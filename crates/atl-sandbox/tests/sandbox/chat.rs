//! OpenAI-compatible chat and Anthropic messages, including the ways models miss a schema.

use super::*;

sandbox_test!(chat_text_reply_on_both_paths, |sb, c| {
    for path in [
        "/v1/chat/completions",
        "/chat/completions",
        "/api/v1/chat/completions",
    ] {
        let (status, v) = c
            .post_json(path, &chat_body("Company: Acme Corp\nDomain: acme.com"))
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
});

sandbox_test!(chat_json_schema_reply_validates, |sb, c| {
    let schema = research_schema();
    for company in ["Acme Corp", "Globex", "Initech"] {
        let mut body = chat_body(&format!(
            "Research this company.\nCompany: {company}\nWebsite: https://{}.com",
            company.to_lowercase().replace(' ', "")
        ));
        body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "research", "strict": true, "schema": schema}});
        let (status, v) = c.post_json("/v1/chat/completions", &body).await?;
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
});

sandbox_test!(chat_tool_call_then_text_after_tool_result, |sb, c| {
    let tools = json!([{"type": "function", "function": {"name": "web_search", "parameters": {
        "type": "object", "required": ["query", "domain"],
        "properties": {"query": {"type": "string"}, "domain": {"type": "string"}, "max_results": {"type": "integer", "minimum": 1, "maximum": 10}}}}},
        {"type": "function", "function": {"name": "fetch", "parameters": {"type": "object", "properties": {"url": {"type": "string"}}}}}]);
    let mut body = chat_body("Company: Acme Corp\nDomain: acme.com");
    body["model"] = json!("gpt-5.4-mini");
    body["tools"] = tools.clone();
    let (status, headers, text) = c.post_text("/v1/chat/completions", &body).await?;
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
    let (_, v) = c.post_json("/v1/chat/completions", &body).await?;
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert!(
        v["choices"][0]["message"]["content"]
            .as_str()
            .is_some_and(|t| t.contains("tool result"))
    );

    // A named tool_choice forces that tool.
    body["tool_choice"] = json!({"type": "function", "function": {"name": "fetch"}});
    let (_, v) = c.post_json("/v1/chat/completions", &body).await?;
    assert_eq!(
        v["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
        "fetch"
    );
});

sandbox_test!(chat_stream_ends_with_usage_and_done, |sb, c| {
    let mut body = chat_body("Company: Acme");
    body["model"] = json!("gpt-5.4-mini");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let (status, headers, text) = c.post_text("/v1/chat/completions", &body).await?;
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
    let (_, _, text) = c.post_text("/v1/chat/completions", &body).await?;
    assert!(!text.contains("\"usage\""));
});

sandbox_test!(same_request_same_reply, |sb, c| {
    let mut body = chat_body("Company: Umbrella");
    body["response_format"] =
        json!({"type": "json_schema", "json_schema": {"name": "r", "schema": research_schema()}});
    let url = "/v1/chat/completions";
    let a = c.post_text(url, &body).await?.2;
    let b = c.post_text(url, &body).await?.2;
    // The same answer; only the usage differs, as the second prompt is a cache hit.
    let answer = |text: &str| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        v["usage"].take();
        v
    };
    assert_eq!(answer(&a), answer(&b));
    assert_ne!(a, b, "the repeat is reported as cached input");
    let other = c.post_text(url, &chat_body("Company: Hooli")).await?.2;
    assert_ne!(a, other);
    let m = json!({"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe"});
    let a = c.post_text("/api/v1/people/match", &m).await?.2;
    let b = c.post_text("/api/v1/people/match", &m).await?.2;
    assert_eq!(a, b);
});

sandbox_test!(chat_bad_request_uses_openai_error_shape, |sb, c| {
    let (status, v) = c
        .post_json("/v1/chat/completions", &json!({"messages": []}))
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["type"], "invalid_request_error");
    assert!(v["error"]["message"].is_string());
});

sandbox_test!(anthropic_headers_text_and_tools, |sb, c| {
    let url = "/v1/messages";
    let body = json!({"model": "claude-haiku-5-5", "max_tokens": 512,
                      "messages": [{"role": "user", "content": "Company: Acme\nClassify Jane Doe, VP Sales"}]});
    let r = c
        .post_with(url, &[("anthropic-version", "2023-06-01")], &body)
        .await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: Value = r.json().await?;
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "authentication_error");
    let r = c.post_with(url, &[("x-api-key", "k")], &body).await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await?;
    assert_eq!(v["error"]["type"], "invalid_request_error");

    let (status, headers, text) = c.post_text(url, &body).await?;
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
    let (_, v) = c.post_json(url, &tb).await?;
    assert_eq!(v["stop_reason"], "tool_use");
    assert_eq!(v["content"][0]["type"], "tool_use");
    assert_eq!(v["content"][0]["name"], "lookup");
    assert_eq!(v["content"][0]["input"]["company"], "Acme");

    tb["tool_choice"] = json!({"type": "tool", "name": "record_contact"});
    let (_, v) = c.post_json(url, &tb).await?;
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
    let (_, v) = c.post_json(url, &tb).await?;
    assert_eq!(v["stop_reason"], "end_turn");
    assert_eq!(v["content"][0]["type"], "text");
});

/// A research answer with one nullable field, a capped array, a number, citations and a
/// named person: something for every kind of miss to act on.
fn answer_schema() -> Value {
    json!({
        "type": "object", "additionalProperties": false,
        "required": ["overview", "employees", "ceo_email", "recent_news", "sources", "contact"],
        "properties": {
            "overview": {"type": "string"},
            "employees": {"type": "integer", "minimum": 1000, "maximum": 100000},
            "ceo_email": {"type": ["string", "null"]},
            "recent_news": {"type": "array", "minItems": 1, "maxItems": 3, "items": {
                "type": "object", "additionalProperties": false, "required": ["title", "url"],
                "properties": {"title": {"type": "string"}, "url": {"type": "string", "format": "uri"}}}},
            "sources": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "uri"}},
            "contact": {"type": "object", "required": ["name", "title", "source_url"], "properties": {
                "name": {"type": "string"}, "title": {"type": "string"}, "source_url": {"type": "string"}}}
        }
    })
}

fn answer_body(company: &str) -> Value {
    let mut body = chat_body(&format!(
        "Research this account.\nCompany: {company}\nDomain: {}.com\nContact: Jane Doe",
        company.to_lowercase()
    ));
    body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "research", "strict": true, "schema": answer_schema()}});
    body
}

fn llm_config(f: Faults) -> SandboxConfig {
    let mut config = SandboxConfig::default();
    config.chat = faults(f);
    config.anthropic = faults(f);
    config
}

/// The content of a chat answer, as text.
async fn chat_answer(c: &Api, body: &Value) -> Result<String, Box<dyn std::error::Error>> {
    let (status, v) = c.post_json("/v1/chat/completions", body).await?;
    assert_eq!(status, StatusCode::OK, "{v}");
    Ok(v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// A company's answer as JSON, before and after the faults `switch_on` sets are switched
/// on (over default faults).
async fn without_and_with(
    sb: &Sandbox,
    c: &Api,
    company: &str,
    switch_on: fn(&mut Faults),
) -> Result<(Value, Value), Box<dyn std::error::Error>> {
    let body = answer_body(company);
    let good: Value = serde_json::from_str(&chat_answer(c, &body).await?)?;
    let mut faults = Faults::default();
    switch_on(&mut faults);
    sb.set_config(llm_config(faults));
    let v: Value = serde_json::from_str(&chat_answer(c, &body).await?)?;
    Ok((good, v))
}

sandbox_test!(each_schema_miss_misses_in_exactly_its_own_way, |sb, c| {
    let schema = answer_schema();
    let body = answer_body("Initech");
    let good: Value = serde_json::from_str(&chat_answer(&c, &body).await?)?;
    validate(&schema, &good, "$").map_err(|e| format!("default answers are valid: {e}"))?;

    let one = |pick: fn(&mut atl_sandbox::SchemaMisses)| {
        let mut f = Faults::default();
        pick(&mut f.schema_miss);
        llm_config(f)
    };
    // With one kind of miss on, the answer must fail the schema with `expected`.
    let miss =
        async |accepted: &str, expected: &str| -> Result<Value, Box<dyn std::error::Error>> {
            let v: Value = serde_json::from_str(&chat_answer(&c, &body).await?)?;
            let err = validate(&schema, &v, "$").err().ok_or(accepted)?;
            assert!(err.contains(expected), "{err}");
            Ok(v)
        };
    // An undeclared key; take it away and the answer is the valid one.
    sb.set_config(one(|m| m.extra_key = Trigger::every(1)));
    let mut v = miss("extra key accepted", "unexpected property").await?;
    let extra: Vec<String> = v
        .as_object()
        .map(|o| {
            o.keys()
                .filter(|k| good.get(k.as_str()).is_none())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(extra.len(), 1, "{extra:?}");
    v.as_object_mut().map(|o| o.remove(&extra[0]));
    assert_eq!(v, good);

    // The nullable field is left out.
    sb.set_config(one(|m| m.missing_nullable = Trigger::every(1)));
    let mut v = miss("missing field accepted", "missing required ceo_email").await?;
    v["ceo_email"] = good["ceo_email"].clone();
    assert_eq!(v, good);

    // One item past maxItems.
    sb.set_config(one(|m| m.too_many_items = Trigger::every(1)));
    let mut v = miss("long array accepted", "too many items").await?;
    assert_eq!(v["recent_news"].as_array().map(Vec::len), Some(4));
    v["recent_news"] = good["recent_news"].clone();
    assert_eq!(v, good);

    // A number as a string with thousands separators.
    sb.set_config(one(|m| m.number_as_string = Trigger::every(1)));
    let mut v = miss("string number accepted", "expected integer").await?;
    let n = good["employees"].as_i64().ok_or("employees")?;
    let text = v["employees"].as_str().ok_or("a string")?;
    assert!(text.contains(','), "{text}");
    assert_eq!(text.replace(',', "").parse::<i64>()?, n);
    v["employees"] = good["employees"].clone();
    assert_eq!(v, good);

    // Fenced with prose: not JSON, but the fence holds the valid answer.
    sb.set_config(one(|m| m.fenced = Trigger::every(1)));
    let text = chat_answer(&c, &body).await?;
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    let inner = text
        .split("```json")
        .nth(1)
        .and_then(|r| r.split("```").next())
        .ok_or("no fence")?;
    assert!(
        !text.starts_with("```") && !text.trim_end().ends_with("```"),
        "prose around it"
    );
    assert_eq!(serde_json::from_str::<Value>(inner.trim())?, good);

    // Mix: every answer misses somehow, not always the same way.
    sb.set_config(one(|m| m.mix = Trigger::every(1)));
    let mut kinds = std::collections::BTreeSet::new();
    for company in [
        "Acme", "Globex", "Hooli", "Umbrella", "Soylent", "Vandelay", "Wonka", "Stark",
    ] {
        let text = chat_answer(&c, &answer_body(company)).await?;
        let kind = match serde_json::from_str::<Value>(&text) {
            Err(_) => "fenced".to_string(),
            Ok(v) => validate(&schema, &v, "$")
                .err()
                .ok_or(format!("mix left {company} valid"))?,
        };
        kinds.insert(
            kind.split(':')
                .nth(1)
                .unwrap_or(&kind)
                .trim()
                .split(' ')
                .next()
                .unwrap_or("")
                .to_string(),
        );
    }
    assert!(kinds.len() >= 2, "{kinds:?}");

    // Anthropic's structured output misses the same way.
    sb.set_config(one(|m| m.extra_key = Trigger::every(1)));
    let msg = json!({"model": "claude-haiku-5-5", "max_tokens": 800,
        "messages": [{"role": "user", "content": "Company: Initech\nDomain: initech.com"}],
        "output_config": {"format": {"type": "json_schema", "schema": schema}}});
    let (_, v) = c.post_json("/v1/messages", &msg).await?;
    let answer: Value = serde_json::from_str(v["content"][0]["text"].as_str().unwrap_or(""))?;
    let err = validate(&schema, &answer, "$")
        .err()
        .ok_or("anthropic extra key accepted")?;
    assert!(err.contains("unexpected property"), "{err}");
});

sandbox_test!(
    uncited_answers_keep_their_claims_and_drop_every_source,
    |sb, c| {
        let (good, v) =
            without_and_with(&sb, &c, "Globex", |f| f.uncited = Trigger::every(1)).await?;
        assert!(good["sources"].as_array().is_some_and(|s| !s.is_empty()));
        assert!(good["contact"]["source_url"].is_string());
        assert_eq!(v["sources"], json!([]));
        assert!(v["contact"]["source_url"].is_null());
        let news = v["recent_news"].as_array().cloned().unwrap_or_default();
        assert!(
            !news.is_empty()
                && news
                    .iter()
                    .all(|n| n["url"].is_null() && n["title"].is_string())
        );
        assert_eq!(v["overview"], good["overview"], "the claims stay");
        assert_eq!(v["contact"]["name"], good["contact"]["name"]);
    }
);

sandbox_test!(other_person_names_someone_no_tool_found, |sb, c| {
    let (good, v) =
        without_and_with(&sb, &c, "Hooli", |f| f.other_person = Trigger::every(1)).await?;
    assert_eq!(good["contact"]["name"], "Jane Doe");
    let name = v["contact"]["name"].as_str().ok_or("a name")?;
    assert_ne!(name, "Jane Doe");
    assert!(!name.contains("Jane") && !name.contains("Doe"), "{name}");
    assert_eq!(name.split_whitespace().count(), 2, "{name}");
    assert_eq!(
        v["contact"]["title"], good["contact"]["title"],
        "only names change"
    );
    assert_eq!(v["overview"], good["overview"]);
    validate(&answer_schema(), &v, "$")?;
});

sandbox_test!(
    a_repeated_system_prompt_is_reported_as_cached_input,
    |sb, c| {
        let system = "You are a careful researcher. ".repeat(60);
        let ask = |company: &str| {
            json!({"model": "deepseek-flash", "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": format!("Company: {company}\nDomain: {company}.example")}
            ]})
        };
        let url = "/v1/chat/completions";
        let (_, first) = c.post_json(url, &ask("acme")).await?;
        let (_, second) = c.post_json(url, &ask("globex")).await?;
        assert_eq!(first["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
        let u = &second["usage"];
        let cached = u["prompt_tokens_details"]["cached_tokens"]
            .as_u64()
            .unwrap_or(0);
        assert!(
            cached >= 320,
            "the shared system prompt is a cache hit: {u}"
        );
        assert_eq!(cached % 64, 0, "DeepSeek caches in 64-token units");
        assert_eq!(u["prompt_cache_hit_tokens"].as_u64(), Some(cached));
        assert_eq!(
            u["prompt_cache_hit_tokens"].as_u64().unwrap_or(0)
                + u["prompt_cache_miss_tokens"].as_u64().unwrap_or(0),
            u["prompt_tokens"].as_u64().unwrap_or(0)
        );
        // Cerebras lists no cached-input price and reports none.
        let mut other = ask("initech");
        other["model"] = json!("gpt-oss-120b");
        c.post_json(url, &other).await?;
        let (_, again) = c.post_json(url, &other).await?;
        assert_eq!(again["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
    }
);
