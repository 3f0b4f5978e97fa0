//! Fault knobs, runtime config, latency, hangs, stats.

use super::*;

#[tokio::test]
async fn fault_rate_limit_every_nth_with_retry_after() -> TestResult {
    let mut config = SandboxConfig::default();
    config.chat = faults_with(|f| {
        f.rate_limit = Trigger::every(3);
        f.retry_after_secs = 7;
    });
    let (sb, c) = start(config).await?;
    let url = "/v1/chat/completions";
    let mut body = chat_body("Company: Acme");
    body["model"] = json!("gpt-5.4-mini");
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let (status, headers, text) = c.post_text(url, &body).await?;
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
        let (status, _, text) = c.post_text(url, &body).await?;
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
    config.anthropic = faults_with(|f| f.overloaded = Trigger::probability(1.0));
    config.apollo = faults_with(|f| f.server_error = Trigger::every(1));
    config.tavily = faults_with(|f| f.malformed = Trigger::every(1));
    let (sb, c) = start(config).await?;
    let body = json!({"model": "claude-haiku-5-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]});
    let (status, v) = c.post_json("/v1/messages", &body).await?;
    assert_eq!(status.as_u16(), 529);
    assert_eq!(v["error"]["type"], "overloaded_error");

    let (status, v) = c
        .post_json("/api/v1/people/match", &json!({"email": "a@acme.com"}))
        .await?;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(v["error"].is_string());

    let (status, _, text) = c.post_text("/search", &json!({"query": "acme"})).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(!text.is_empty());
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "malformed body must not parse: {text}"
    );
    sb.shutdown().await;
    Ok(())
}

sandbox_test!(runtime_config_change_over_http_and_api, |sb, c| {
    let url = c.url("/api/v1/organizations/enrich?domain=acme.com");
    assert_eq!(c.get(&url).send().await?.status(), StatusCode::OK);

    // Flip a fault on mid-run via HTTP; the count restarts, so request 2 fails.
    let cfg =
        json!({"apollo": {"faults": {"rate_limit": {"every_nth": 2}, "retry_after_secs": 3}}});
    let r = c.post_with("/_sandbox/config", &[], &cfg).await?;
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
        .post_with("/_sandbox/config", &[], &json!({"apolo": {}}))
        .await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // And off again through the API.
    sb.set_config(SandboxConfig::default());
    for _ in 0..3 {
        assert_eq!(c.get(&url).send().await?.status(), StatusCode::OK);
    }
    let (_, stats) = c.get_json("/_sandbox/stats").await?;
    assert_eq!(stats["families"]["apollo"]["requests"], 6);
    assert_eq!(stats["families"]["apollo"]["faults"], 1);
});

#[tokio::test]
async fn latency_knob_delays_replies() -> TestResult {
    let mut config = SandboxConfig::default();
    config.hunter.latency = Latency::Fixed { ms: 150 };
    let (sb, c) = start(config).await?;
    let t = Instant::now();
    let (status, _) = c.get_text("/v2/email-verifier?email=a@acme.com").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(150));
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn hang_is_cut_by_client_timeout_and_by_shutdown() -> TestResult {
    let mut config = SandboxConfig::default();
    config.sites = faults_with(|f| f.hang = Trigger::every(1));
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

sandbox_test!(healthz_and_stats, |sb, c| {
    let (status, v) = c.get_json("/healthz").await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["status"], "ok");
    c.get_text("/sites/acme.com/").await?;
    let stats = sb.stats();
    assert_eq!(stats.family(Family::Sites).requests, 1);
    assert_eq!(stats.total, 1);
});
