use super::*;
use atl_agents::{FailureKind, ResearchAgent};
use atl_providers::config::ProvidersConfig;
use atl_providers::toolkit::ToolkitOptions;

#[tokio::test]
async fn a_rate_limited_route_is_a_snooze_and_the_money_spent_is_carried() {
    let env = Env::faulty(|c| {
        c.chat.faults.rate_limit = every(1);
        c.chat.faults.retry_after_secs = 1;
    })
    .await;
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

#[tokio::test]
async fn trivial_schema_misses_are_repaired_not_failed() {
    for miss in ["extra_key", "missing_nullable", "too_many_items", "fenced"] {
        let mut config = SandboxConfig::default();
        let m = &mut config.chat.faults.schema_miss;
        match miss {
            "extra_key" => m.extra_key = every(1),
            "missing_nullable" => m.missing_nullable = every(1),
            "too_many_items" => m.too_many_items = every(1),
            _ => m.fenced = every(1),
        }
        let env = Env::new(config).await;
        let r = ResearchAgent::new(env.kit.clone())
            .run(&env.input("Acme Analytics", Some("acme-analytics.com")))
            .await
            .unwrap_or_else(|e| panic!("{miss}: a trivial miss must be repaired: {e:?}"));
        let warnings = r.data["warnings"].as_array().cloned().unwrap_or_default();
        if miss != "fenced" {
            assert!(
                warnings
                    .iter()
                    .any(|w| w.as_str().is_some_and(|w| w.contains("repaired"))),
                "{miss}: the repair is recorded: {warnings:?}"
            );
        }
        // One model call: repaired in place, not asked again.
        let calls: u64 = ["openrouter", "deepseek", "cerebras"]
            .iter()
            .map(|p| env.requests(p))
            .sum();
        assert_eq!(calls, 1, "{miss}: repaired without asking again");
    }
}

#[tokio::test]
async fn a_route_whose_replies_never_fit_fails_over_to_the_next() {
    // DeepSeek asked in its JSON-object mode gets a generic object from the sandbox, which
    // no repair can make a research brief; the next route of the chain answers properly.
    let env = Env::healthy().await;
    let mut options = ToolkitOptions::sandbox(&env.origin, &*env.dir);
    options.json_schema_everywhere = false;
    let chains = vec![(
        "research",
        vec![
            atl_providers::route::Route::new("deepseek", "deepseek-flash"),
            atl_providers::route::Route::new("openrouter", "openai/gpt-oss-120b"),
        ],
    )];
    let t = atl_providers::toolkit::Toolkit::from_config(
        ProvidersConfig::sandbox(env.origin.clone(), &chains),
        options,
    )
    .expect("toolkit");
    let kit = atl_agents::AgentKit::new(std::sync::Arc::new(t));
    let r = ResearchAgent::new(kit)
        .run(&env.input("Acme Analytics", Some("acme-analytics.com")))
        .await
        .expect("the second route rescues the run");
    assert_eq!(r.provider, "openrouter");
    assert_eq!(
        env.requests("deepseek"),
        1,
        "the first route was tried once"
    );
    assert!(r.cost_nano_usd.unwrap() > 0);
    let parts = r.data["cost_breakdown"].as_array().unwrap();
    assert!(
        parts.iter().any(|p| p["provider"] == "deepseek"),
        "the rejected reply was paid for and is booked: {parts:?}"
    );
}

/// The first `n` of eight Initech people, each with the file's own address.
fn initech_people(env: &Env, n: usize) -> Vec<AgentInput> {
    [
        "Ben Quinn",
        "Ana Park",
        "Dev Rossi",
        "Eli Silva",
        "Fay Tanaka",
        "Gus Ueda",
        "Hana Vega",
        "Ivo Weiss",
    ]
    .iter()
    .take(n)
    .enumerate()
    .map(|(i, name)| {
        let mut input = env.input("Initech Systems", Some("initech.com"));
        input.target_id = i as i64;
        input.contact_name = Some((*name).into());
        input.contact_email = Some(format!(
            "{}@initech.example",
            name.to_lowercase().replace(' ', ".")
        ));
        input
    })
    .collect()
}

#[tokio::test]
async fn an_enrichment_retry_after_a_failed_lookup_does_not_buy_the_match_again() {
    // Hunter is failing (5xx): the run fails after Apollo's match was bought. The match is
    // in the evidence cache, so the retry costs no Apollo credit.
    let env = Env::faulty(|c| c.hunter.faults.server_error = every(1)).await;
    let agent = atl_agents::EnrichmentAgent::new(env.kit.clone());
    // The first of these people whose address needs Hunter (a guess, or the file's own):
    // that run fails on the exhausted plan after its match was bought.
    let mut failed = None;
    for input in initech_people(&env, 8) {
        if let Err(e) = agent.run(&input).await {
            assert_eq!(e.kind, FailureKind::Transient, "{e:?}");
            assert!(e.spent_nano_usd > 0, "the match was paid for: {e:?}");
            failed = Some(input);
            break;
        }
    }
    let input = failed.expect("someone's address goes to Hunter");
    // Hunter is back.
    let before = env.endpoint_requests("apollo", "/api/v1/people/bulk_match");
    env.sandbox.set_config(SandboxConfig::default());
    let retry = agent.run(&input).await.expect("the retry completes");
    let after = env.endpoint_requests("apollo", "/api/v1/people/bulk_match");
    assert_eq!(after, before, "the retry read the match from the cache");
    assert!(
        retry.data["cost_breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["from_cache"] == true && p["provider"] == "apollo"),
        "and says so"
    );
}

#[tokio::test]
async fn an_exhausted_verifier_plan_keeps_the_record_the_match_bought() {
    let env = Env::faulty(|c| c.hunter.faults.quota_exhausted = every(1)).await;
    let agent = atl_agents::EnrichmentAgent::new(env.kit.clone());
    let mut kept = 0;
    for input in initech_people(&env, 6) {
        let r = agent
            .run(&input)
            .await
            .expect("a final Hunter error does not fail the record");
        let rec = record::<atl_domain::records::EnrichmentRecord>(&r);
        if rec
            .meta
            .warnings
            .iter()
            .any(|w| w.starts_with("e-mail not verified"))
        {
            kept += 1;
            assert!(rec.record.contact.is_some(), "the contact stays");
        }
    }
    assert!(kept > 0, "some address needed Hunter");
}
