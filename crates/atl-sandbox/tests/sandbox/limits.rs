//! Rate limits per API key, with each provider's own refusal and headers.

use super::*;
use atl_sandbox::{LimitSpec, key_fingerprint};

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn chat_as(
    c: &Api,
    key: &str,
    model: &str,
    max_tokens: Option<u64>,
) -> Result<(StatusCode, HeaderMap, Value), Box<dyn std::error::Error>> {
    let mut body = chat_body("Company: Acme");
    body["model"] = json!(model);
    if let Some(n) = max_tokens {
        body["max_tokens"] = json!(n);
    }
    let bearer = format!("Bearer {key}");
    let r = c
        .post_with("/v1/chat/completions", &[("authorization", &bearer)], &body)
        .await?;
    let (status, headers) = (r.status(), r.headers().clone());
    Ok((status, headers, r.json().await?))
}

#[tokio::test]
async fn keys_are_counted_apart_and_refusals_carry_openais_headers() -> TestResult {
    let mut config = SandboxConfig::default();
    config.limits.openai = Some(LimitSpec {
        rpm: Some(2),
        tpm: Some(1_000_000),
        ..LimitSpec::default()
    });
    let (sb, c) = start(config).await?;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (status, h, v) = chat_as(&c, "sk-a", "gpt-5.4-mini", None).await?;
        statuses.push(status.as_u16());
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(v["error"]["code"], "rate_limit_exceeded");
            assert_eq!(v["error"]["type"], "requests");
            assert_eq!(header(&h, "x-ratelimit-limit-requests"), Some("2"));
            assert_eq!(header(&h, "x-ratelimit-remaining-requests"), Some("0"));
            let reset = header(&h, "x-ratelimit-reset-requests").unwrap_or("");
            assert!(
                reset.ends_with('s') && (reset.contains('m') || reset.len() <= 3),
                "{reset}"
            );
        } else {
            assert_eq!(header(&h, "x-ratelimit-limit-requests"), Some("2"));
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
    let (status, h, _) = chat_as(&c, "sk-b", "gpt-5.4-mini", None).await?;
    assert_eq!(status, StatusCode::OK, "another key, another window");
    assert_eq!(header(&h, "x-ratelimit-remaining-requests"), Some("1"));

    // DeepSeek is not limited here: the same key goes through.
    let (status, _, _) = chat_as(&c, "sk-a", "deepseek-flash", None).await?;
    assert_eq!(status, StatusCode::OK);

    let stats = sb.stats();
    let openai = stats.provider("openai");
    assert_eq!(
        (openai.requests, openai.responses_429, openai.rate_limited),
        (4, 1, 1)
    );
    let a = openai
        .keys
        .get(&key_fingerprint("sk-a"))
        .copied()
        .unwrap_or_default();
    let b = openai
        .keys
        .get(&key_fingerprint("sk-b"))
        .copied()
        .unwrap_or_default();
    assert_eq!(
        (a.requests, a.rate_limited, b.requests, b.rate_limited),
        (3, 1, 1, 0)
    );
    assert_eq!(openai.endpoints.get("/v1/chat/completions"), Some(&4));
    assert_eq!(stats.provider("deepseek").responses_429, 0);
    // Over HTTP too, and no key is echoed.
    let (_, v) = c.get_json("/_sandbox/stats").await?;
    assert_eq!(v["providers"]["openai"]["responses_429"], 1);
    assert!(!v.to_string().contains("sk-a"));
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn cerebras_tokens_openrouter_epoch_and_deepseek_concurrency() -> TestResult {
    let mut config = SandboxConfig::default();
    config.limits.cerebras = Some(LimitSpec {
        tier: Some("free".into()),
        tpm: Some(1_000),
        ..LimitSpec::default()
    });
    config.limits.openrouter = Some(LimitSpec {
        rpm: Some(1),
        ..LimitSpec::default()
    });
    config.limits.deepseek = Some(LimitSpec {
        concurrency: Some(1),
        ..LimitSpec::default()
    });
    config.chat.latency = Latency::Fixed { ms: 300 };
    let (sb, c) = start(config).await?;

    let (status, h, _) = chat_as(&c, "k", "gpt-oss-120b", Some(600)).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "x-ratelimit-limit-tokens-minute"), Some("1000"));
    assert_eq!(header(&h, "x-ratelimit-limit-requests-day"), Some("14400"));
    let (status, h, v) = chat_as(&c, "k", "gpt-oss-120b", Some(600)).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(v["code"], "token_quota_exceeded", "flat body: {v}");
    assert!(v.get("error").is_none());
    let reset: f64 = header(&h, "x-ratelimit-reset-tokens-minute")
        .unwrap_or("x")
        .parse()?;
    assert!(reset > 0.0 && reset <= 60.0);

    let (status, _, _) = chat_as(&c, "k", "openai/gpt-oss-120b", None).await?;
    assert_eq!(status, StatusCode::OK);
    let (status, h, v) = chat_as(&c, "k", "openai/gpt-oss-120b", None).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(v["error"]["code"], 429);
    let reset_ms: u128 = header(&h, "x-ratelimit-reset").unwrap_or("0").parse()?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    assert!(
        reset_ms > now_ms && reset_ms <= now_ms + 61_000,
        "{reset_ms} vs {now_ms}"
    );

    // One request in flight per key: a second one at the same time is refused at once.
    let (one, two, other) = tokio::join!(
        chat_as(&c, "ds-1", "deepseek-flash", None),
        async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let t = Instant::now();
            let r = chat_as(&c, "ds-1", "deepseek-flash", None).await;
            (r, t.elapsed())
        },
        async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            chat_as(&c, "ds-2", "deepseek-flash", None).await
        }
    );
    assert_eq!(one?.0, StatusCode::OK);
    let (two, waited) = two;
    let (status, h, v) = two?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        waited < Duration::from_millis(250),
        "refused without the latency: {waited:?}"
    );
    assert!(
        h.get("x-ratelimit-limit-requests").is_none(),
        "DeepSeek sends no limit headers"
    );
    assert!(v["error"]["message"].is_string());
    assert_eq!(other?.0, StatusCode::OK);
    // The slot is free again once the reply is out.
    assert_eq!(
        chat_as(&c, "ds-1", "deepseek-flash", None).await?.0,
        StatusCode::OK
    );
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn anthropic_limits_say_when_in_rfc3339_and_retry_after() -> TestResult {
    let mut config = SandboxConfig::default();
    config.limits.anthropic = Some(LimitSpec {
        tier: Some("tier1".into()),
        rpm: Some(1),
        ..LimitSpec::default()
    });
    let (sb, c) = start(config).await?;
    let url = "/v1/messages";
    let body = json!({"model": "claude-haiku-5-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]});
    let (status, h, _) = c.post_text(url, &body).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "anthropic-ratelimit-requests-limit"), Some("1"));
    assert_eq!(
        header(&h, "anthropic-ratelimit-tokens-limit"),
        Some("50000")
    );
    let (status, h, text) = c.post_text(url, &body).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let v: Value = serde_json::from_str(&text)?;
    assert_eq!(v["error"]["type"], "rate_limit_error");
    let wait: u64 = header(&h, "retry-after").unwrap_or("x").parse()?;
    assert!((1..=60).contains(&wait));
    assert_eq!(
        header(&h, "anthropic-ratelimit-requests-remaining"),
        Some("0")
    );
    let reset = header(&h, "anthropic-ratelimit-requests-reset").unwrap_or("");
    assert!(
        reset.len() == 20 && reset.ends_with('Z') && reset.as_bytes()[10] == b'T',
        "{reset}"
    );
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn apollo_counts_per_endpoint_and_bulk_gets_a_tenth() -> TestResult {
    let mut config = SandboxConfig::default();
    config.limits.apollo = Some(LimitSpec::tier("free"));
    let (sb, c) = start(config).await?;
    let bulk = json!({"details": [{"name": "Jo Doe", "domain": "acme.com"}]});
    let send = |path: &str, key: &str, body: &Value| {
        c.post(c.url(path))
            .header("x-api-key", key)
            .json(body)
            .send()
    };
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = send("/api/v1/people/bulk_match", "ak-1", &bulk).await?;
        statuses.push(r.status().as_u16());
        assert_eq!(
            header(r.headers(), "x-rate-limit-minute"),
            Some("5"),
            "50 a minute / 10"
        );
        assert_eq!(header(r.headers(), "x-rate-limit-24-hour"), Some("60"));
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(
                r.headers().get("retry-after").is_none(),
                "Apollo sends no Retry-After"
            );
            assert_eq!(header(r.headers(), "x-minute-requests-left"), Some("0"));
            let v: Value = r.json().await?;
            let msg = v["error"].as_str().unwrap_or("");
            assert!(
                msg.contains("api/v1/people/bulk_match") && msg.contains("5 times per minute"),
                "{msg}"
            );
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429]);
    // The single endpoint has its own window, and its own limit.
    let one = json!({"name": "Jo Doe", "domain": "acme.com"});
    let r = send("/api/v1/people/match", "ak-1", &one).await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(r.headers(), "x-rate-limit-minute"), Some("50"));
    assert_eq!(header(r.headers(), "x-minute-usage"), Some("1"));
    assert_eq!(header(r.headers(), "x-minute-requests-left"), Some("49"));
    assert_eq!(header(r.headers(), "x-hourly-requests-left"), Some("199"));
    // Another key is not refused.
    assert_eq!(
        send("/api/v1/people/bulk_match", "ak-2", &bulk)
            .await?
            .status(),
        StatusCode::OK
    );
    let apollo = sb.stats().provider("apollo");
    assert_eq!(apollo.endpoints.get("/api/v1/people/bulk_match"), Some(&7));
    assert_eq!(apollo.endpoints.get("/api/v1/people/match"), Some(&1));
    assert_eq!(apollo.responses_429, 1);
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn brave_reports_its_windows_as_comma_lists() -> TestResult {
    let mut config = SandboxConfig::default();
    config.limits.brave = Some(LimitSpec::tier("free"));
    let (sb, c) = start(config).await?;
    let url = c.url("/res/v1/web/search?q=acme");
    let get = || c.get(&url).header("X-Subscription-Token", "bt").send();
    let r = get().await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(r.headers(), "x-ratelimit-limit"), Some("1, 2000"));
    assert_eq!(
        header(r.headers(), "x-ratelimit-policy"),
        Some("1;w=1, 2000;w=2592000")
    );
    assert_eq!(
        header(r.headers(), "x-ratelimit-remaining"),
        Some("0, 1999")
    );
    let r = get().await?;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(r.headers(), "x-ratelimit-remaining"),
        Some("0, 1999")
    );
    let v: Value = r.json().await?;
    assert_eq!(v["error"]["code"], "RATE_LIMITED");
    assert_eq!(v["error"]["meta"]["rate_limit"], 1);
    sb.shutdown().await;
    Ok(())
}
