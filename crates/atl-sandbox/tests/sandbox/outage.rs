//! Outage windows: when they start and end, and how each provider fails during one.

use super::*;
use atl_sandbox::{Outage, OutageMode};

fn window(start: f64, secs: Option<f64>) -> Option<Outage> {
    Some(Outage {
        start_after_secs: start,
        for_secs: secs,
        ..Outage::default()
    })
}

async fn chat_status(c: &Api) -> Result<(u16, Value), Box<dyn std::error::Error>> {
    let (status, v) = c
        .post_json("/chat/completions", &chat_body("Company: Acme"))
        .await?;
    Ok((status.as_u16(), v))
}

/// Sleep until `at` after `t0`.
async fn until(t0: Instant, at: Duration) {
    if let Some(left) = at.checked_sub(t0.elapsed()) {
        tokio::time::sleep(left).await;
    }
}

#[tokio::test]
async fn outage_windows_start_end_and_speak_each_providers_error() -> TestResult {
    let mut config = SandboxConfig::default();
    config.chat.outage = window(0.5, Some(0.7));
    config.anthropic.outage = window(0.0, None);
    config.apollo.outage = Some(Outage {
        status: Some(502),
        ..Outage::default()
    });
    config.hunter.outage = window(0.0, Some(1.2));
    config.tavily.outage = Some(Outage {
        mode: OutageMode::Reset,
        ..Outage::default()
    });
    for family in [
        Family::Brave,
        Family::Serper,
        Family::Sites,
        Family::Cartesia,
    ] {
        config.family_mut(family).outage = window(0.0, None);
    }
    let (sb, c) = start(SandboxConfig::default()).await?;
    sb.set_config(config);
    let t0 = Instant::now();

    // Before the chat window opens: healthy.
    assert_eq!(chat_status(&c).await?.0, 200);

    let (status, v) = c.post_json("/v1/messages", &json!({"model": "claude-haiku-5-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await?;
    assert_eq!(
        (status.as_u16(), &v["error"]["type"]),
        (529, &json!("overloaded_error"))
    );
    let (status, v) = c
        .post_json(
            "/api/v1/people/match",
            &json!({"name": "Jo Doe", "domain": "acme.com"}),
        )
        .await?;
    assert_eq!(status.as_u16(), 502, "the knob's status");
    assert!(v["error"].is_string());
    let (status, v) = c
        .get_json("/v2/email-verifier?email=a@acme.example")
        .await?;
    assert_eq!(status.as_u16(), 503);
    assert_eq!(v["errors"][0]["id"], "service_unavailable");
    let (status, v) = c.get_json("/res/v1/web/search?q=acme").await?;
    assert_eq!(
        (status.as_u16(), &v["error"]["code"]),
        (503, &json!("SERVICE_UNAVAILABLE"))
    );
    let r = c
        .post_with(
            "/serper/search",
            &[("X-API-KEY", "k")],
            &json!({"q": "acme"}),
        )
        .await?;
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(r.json::<Value>().await?["statusCode"], 503);
    assert_eq!(c.get_text("/sites/acme.com/").await?.0.as_u16(), 503);
    let r = speak(&c, "hello").await?;
    assert_eq!(r.status().as_u16(), 503);
    // Reset mode: the connection drops before any status line.
    let err = c
        .post_with("/search", &[], &json!({"query": "acme"}))
        .await
        .err()
        .ok_or("a reset outage must not answer")?;
    assert!(!err.is_timeout() && err.status().is_none(), "{err}");

    // Inside the chat window: DeepSeek's 503 "Server overloaded" envelope.
    until(t0, Duration::from_millis(600)).await;
    let (status, v) = chat_status(&c).await?;
    assert_eq!(status, 503);
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Server overloaded")),
        "{v}"
    );

    // After the windows close, healthy again; an open-ended one lasts until changed.
    until(t0, Duration::from_millis(1_300)).await;
    assert_eq!(chat_status(&c).await?.0, 200);
    let (status, _) = c
        .get_json("/v2/email-verifier?email=a@acme.example")
        .await?;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(c.get_text("/sites/acme.com/").await?.0.as_u16(), 503);
    sb.set_config(SandboxConfig::default());
    assert_eq!(c.get_text("/sites/acme.com/").await?.0.as_u16(), 200);

    let stats = sb.stats();
    assert_eq!(stats.provider("anthropic").responses_5xx, 1);
    assert_eq!(stats.provider("deepseek").responses_5xx, 1);
    assert_eq!(stats.provider("deepseek").requests, 3);
    assert_eq!(stats.provider("sites").responses_5xx, 2);
    sb.shutdown().await;
    Ok(())
}

sandbox_test!(bad_outage_knobs_are_refused, |sb, c| {
    for cfg in [
        json!({"chat": {"outage": {"status": 42}}}),
        json!({"chat": {"outage": {"start_after_secs": -1}}}),
        json!({"apollo": {"faults": {"uncited": {"every_nth": 1}}}}),
        json!({"chat": {"faults": {"truncated_audio": {"every_nth": 1}}}}),
        json!({"limits": {"openai": {"tier": "platinum"}}}),
        json!({"limits": {"sites": {}}}),
        json!({"dead_domains": {"share": 2.0}}),
    ] {
        let r = c.post_with("/_sandbox/config", &[], &cfg).await?;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{cfg}");
    }
    let mut bad = SandboxConfig::default();
    bad.hunter.faults.truncated_audio = Trigger::every(1);
    assert!(Sandbox::start("127.0.0.1:0".parse()?, bad).await.is_err());
});
