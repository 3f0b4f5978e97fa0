use super::*;
use atl_agents::{FailureKind, ResearchAgent};
use atl_providers::config::ProvidersConfig;
use atl_providers::toolkit::ToolkitOptions;

#[tokio::test]
async fn a_rate_limited_route_is_a_snooze_and_the_money_spent_is_carried() {
    let mut config = SandboxConfig::default();
    config.chat.faults.rate_limit = atl_sandbox::Trigger {
        every_nth: 1,
        ..Default::default()
    };
    config.chat.faults.retry_after_secs = 1;
    let env = Env::new(config).await;
    let err = ResearchAgent::new(env.kit.clone())
        .run(&env.input("Acme Analytics", Some("acme-analytics.com")))
        .await
        .expect_err("every route is rate limited");
    assert_eq!(err.kind, FailureKind::Snooze, "{err:?}");
    assert!(
        err.retry_after.is_some(),
        "the provider's wait is kept: {err:?}"
    );
    assert!(err.spent_nano_usd > 0, "the search was paid for");
}

#[tokio::test]
async fn an_unconfigured_route_fails_final_naming_the_key() {
    let env = Env::healthy().await;
    let mut providers =
        ProvidersConfig::sandbox(env.origin.clone(), &atl_agents::routes::default_routes());
    for p in providers.providers.values_mut() {
        p.api_key = None;
    }
    let options = ToolkitOptions::sandbox(&env.origin, &*env.dir);
    let t = atl_providers::toolkit::Toolkit::from_config(providers, options).expect("toolkit");
    let kit = atl_agents::AgentKit::new(std::sync::Arc::new(t));
    let err = ResearchAgent::new(kit)
        .run(&env.input("Acme Analytics", None))
        .await
        .expect_err("no route has a key");
    assert_eq!(err.kind, FailureKind::Final, "{err:?}");
    assert!(err.message.contains("API_KEY"), "{}", err.message);
}

#[tokio::test]
async fn estimates_follow_the_input() {
    let env = Env::healthy().await;
    let kit = &env.kit;
    let agents = atl_agents::all_agents(kit);
    let small = env.input("Acme", Some("acme.com"));
    let mut huge = small.clone();
    huge.company_name = "A".repeat(10_000_000);
    let mut with_contact = small.clone();
    with_contact.contact_name = Some("Ada Lovelace".into());
    for a in &agents {
        let s = a.estimate(&small);
        assert!(
            s.low_nano_usd <= s.expected_nano_usd && s.expected_nano_usd <= s.high_nano_usd,
            "{:?}: {s:?}",
            a.kind()
        );
        let h = a.estimate(&huge);
        // Names are capped before they reach a prompt: a 10 MB cell costs what a 300
        // character one does.
        assert!(
            h.high_nano_usd < s.high_nano_usd * 3 + 1_000_000,
            "{:?}: {h:?}",
            a.kind()
        );
    }
    let enrichment = agents
        .iter()
        .find(|a| a.kind() == SubAgentKind::Enrichment)
        .unwrap();
    assert_eq!(
        enrichment.estimate(&small).expected_nano_usd,
        0,
        "no contact: only free lookups"
    );
    assert!(
        enrichment.estimate(&with_contact).expected_nano_usd > 0,
        "a contact to match costs credits"
    );
}
