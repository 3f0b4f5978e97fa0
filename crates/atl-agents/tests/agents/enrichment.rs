use super::*;
use atl_agents::EnrichmentAgent;
use atl_domain::SourceKind;
use atl_domain::records::{ContactOutcome, EmailStatus, EnrichmentRecord};

fn ceo(env: &Env, company: &str, name: &str, domain: &str) -> AgentInput {
    let mut i = env.input(company, Some(domain));
    i.contact_name = Some(name.into());
    i.contact_title = Some("CEO".into());
    i
}

#[tokio::test]
async fn the_contact_is_the_inputs_person_as_apollo_found_them() {
    let env = Env::healthy().await;
    let input = ceo(&env, "Apple", "Timothy D. Cook", "apple.com");
    let r = env
        .run(&EnrichmentAgent::new(env.kit.clone()), &input)
        .await;
    check_common(&r, SubAgentKind::Enrichment);
    assert_eq!(r.tokens_in, 0, "no model decides who the contact is");
    let rec = record::<EnrichmentRecord>(&r).record;
    let c = rec.contact.as_ref().expect("a contact");
    match &rec.contact_outcome {
        ContactOutcome::Found => {
            assert_eq!(c.provenance.source, SourceKind::Apollo);
            for (field, source) in [
                ("title", c.title.as_ref().map(|t| t.provenance.source)),
                (
                    "linkedin",
                    c.linkedin_url.as_ref().map(|t| t.provenance.source),
                ),
                ("phone", c.phone.as_ref().map(|t| t.provenance.source)),
            ] {
                if let Some(s) = source {
                    assert_eq!(s, SourceKind::Apollo, "{field} from the same record");
                }
            }
            if let Some(e) = &c.email {
                assert!(
                    e.address.ends_with(".example"),
                    "sandbox e-mails are reserved: {}",
                    e.address
                );
            }
        }
        other => panic!("the sandbox knows Apple's CEO: {other:?}"),
    }
    assert!(
        !rec.executives.iter().any(|e| e.name == c.name),
        "the contact is not listed twice"
    );
}

#[tokio::test]
async fn without_an_input_contact_nobody_is_invented_and_executives_are_listed() {
    let env = Env::healthy().await;
    let input = env.input("Acme Analytics", Some("acme-analytics.com"));
    let r = env
        .run(&EnrichmentAgent::new(env.kit.clone()), &input)
        .await;
    let rec = record::<EnrichmentRecord>(&r).record;
    assert!(rec.contact.is_none(), "no contact is invented");
    assert_eq!(rec.contact_outcome, ContactOutcome::NoInputContact);
    assert!(
        !rec.executives.is_empty(),
        "the account's executives instead"
    );
    for e in &rec.executives {
        assert!(e.seniority.as_ref().is_some_and(|s| s.value.is_executive()));
        assert!(
            !e.display_name().contains('*'),
            "hidden names are said, not masked: {}",
            e.display_name()
        );
        assert_eq!(e.provenance.source, SourceKind::Apollo);
    }
    assert!(
        rec.executives.iter().any(|e| e.name_hidden),
        "the free search hides last names"
    );
}

/// People at one company; the sandbox's hash puts some of them in each Apollo outcome.
fn staff(env: &Env, n: usize) -> Vec<AgentInput> {
    let first = [
        "Ana", "Ben", "Chloe", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun",
    ];
    let last = [
        "Park", "Quinn", "Rossi", "Silva", "Tanaka", "Ueda", "Vega", "Weiss", "Xu", "Young",
    ];
    (0..n)
        .map(|i| {
            let mut input = env.input("Initech Systems", Some("initech.com"));
            input.target_id = i as i64;
            input.contact_name = Some(format!("{} {}", first[i % 10], last[(i / 10) % 10]));
            input.contact_title = Some("Director of Operations".into());
            input
        })
        .collect()
}

/// Enrichment run for `n` of the staff at once (so the batcher shares bulk calls), with
/// each input and its record.
async fn staff_records(env: &Env, n: usize) -> Vec<(AgentInput, EnrichmentRecord)> {
    let agent = EnrichmentAgent::new(env.kit.clone());
    let inputs = staff(env, n);
    let results = futures::future::join_all(inputs.iter().map(|i| agent.run(i))).await;
    inputs
        .into_iter()
        .zip(results)
        .map(|(input, r)| (input, record::<EnrichmentRecord>(&r.expect("runs")).record))
        .collect()
}

#[tokio::test]
async fn moved_people_are_reported_not_adopted_and_misses_stay_unverified() {
    let env = Env::healthy().await;
    let (mut found, mut moved, mut unverified) = (0, 0, 0);
    for (input, rec) in staff_records(&env, 60).await {
        let c = rec
            .contact
            .expect("the input's person is always the contact");
        assert!(!c.name.is_empty());
        match rec.contact_outcome {
            ContactOutcome::Found => {
                found += 1;
                assert_eq!(c.provenance.source, SourceKind::Apollo);
            }
            ContactOutcome::Moved { to_company, .. } => {
                moved += 1;
                assert_ne!(to_company, "Initech Systems");
                assert_eq!(
                    c.provenance.source,
                    SourceKind::Input,
                    "a moved person's new record is not adopted"
                );
                assert_eq!(c.name, input.contact_name.clone().unwrap());
                assert_eq!(
                    c.title.as_ref().map(|t| t.value.as_str()),
                    Some("Director of Operations")
                );
                assert!(c.phone.is_none() && c.linkedin_url.is_none());
            }
            ContactOutcome::Unverified => {
                unverified += 1;
                assert_eq!(c.provenance.source, SourceKind::Input);
            }
            ContactOutcome::NoInputContact => panic!("there was an input contact"),
        }
    }
    assert!(
        found > 0 && moved > 0 && unverified > 0,
        "found {found}, moved {moved}, unverified {unverified}"
    );
    // Sixty people cost a handful of bulk calls, not sixty.
    let matches = env.endpoint_requests("apollo", "/api/v1/people/bulk_match");
    assert!(matches <= 12, "{matches} bulk calls for 60 people");
    assert_eq!(env.endpoint_requests("apollo", "/api/v1/people/match"), 0);
}

#[tokio::test]
async fn guessed_addresses_are_verified_and_a_bounce_is_never_upgraded() {
    let env = Env::healthy().await;
    let mut seen = std::collections::HashSet::new();
    for (_, rec) in staff_records(&env, 80).await {
        let Some(e) = rec.contact.and_then(|c| c.email) else {
            continue;
        };
        let words = e.provider_status.clone().unwrap_or_default();
        seen.insert(e.status);
        if words.contains("apollo:bounced") {
            assert_eq!(
                e.status,
                EmailStatus::Invalid,
                "a recorded bounce stays invalid: {words}"
            );
        }
        if words.starts_with("apollo:verified") {
            assert!(
                !words.contains("hunter"),
                "a verified address is not verified again: {words}"
            );
            assert_eq!(e.status, EmailStatus::Verified);
        }
        if words.contains("hunter:accept_all") && !words.contains("bounced") {
            assert_eq!(e.status, EmailStatus::CatchAll, "{words}");
        }
    }
    assert!(seen.contains(&EmailStatus::Verified), "{seen:?}");
}

#[tokio::test]
async fn a_repeat_account_costs_nothing_and_says_it_came_from_the_cache() {
    let env = Env::healthy().await;
    let agent = EnrichmentAgent::new(env.kit.clone());
    let input = ceo(&env, "Apple", "Timothy D. Cook", "apple.com");
    let first = env.run(&agent, &input).await;
    let before = (env.requests("apollo"), env.requests("hunter"));
    let mut again = input.clone();
    again.target_id = 99;
    let second = env.run(&agent, &again).await;
    assert_eq!(
        (env.requests("apollo"), env.requests("hunter")),
        before,
        "nothing bought twice"
    );
    assert_eq!(second.cost_nano_usd, Some(0));
    assert!(first.cost_nano_usd.unwrap() > 0);
    let c = record::<EnrichmentRecord>(&second).record.contact.unwrap();
    assert!(
        c.provenance.from_cache,
        "the contact says it came from the cache"
    );
    assert!(
        c.provenance.observed_at.is_some(),
        "with the date it was observed"
    );
    // Another team's scope buys its own.
    let mut other_team = input.clone();
    other_team.cache_scope = "team:2".into();
    env.run(&agent, &other_team).await;
    assert!(
        env.requests("apollo") > before.0,
        "one team never reads another's cache"
    );
    // A refresh buys again.
    let mut refresh = input;
    refresh.options.refresh = true;
    let n = env.requests("apollo");
    env.run(&agent, &refresh).await;
    assert!(env.requests("apollo") > n);
}

#[tokio::test]
async fn an_investor_relations_subdomain_is_noted_and_lookups_use_the_registrable_domain() {
    let env = Env::healthy().await;
    let mut input = ceo(&env, "Walmart", "C. Douglas McMillon", "stock.walmart.com");
    input.website = Some("https://www.stock.walmart.com".into());
    let r = env
        .run(&EnrichmentAgent::new(env.kit.clone()), &input)
        .await;
    let rec = record::<EnrichmentRecord>(&r).record;
    assert_eq!(rec.organization.domain.as_deref(), Some("walmart.com"));
    assert!(
        rec.organization
            .notes
            .iter()
            .any(|n| n.contains("stock.walmart.com") && n.contains("investor-relations")),
        "{:?}",
        rec.organization.notes
    );
    // Either way the contact is the input's CEO (found, or moved on and kept as given).
    assert_eq!(
        rec.contact.map(|c| c.name).as_deref(),
        Some("C. Douglas McMillon")
    );
}
