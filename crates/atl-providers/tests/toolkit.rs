//! The toolkit's lookups as a deterministic enrichment waterfall calls them: Apollo bulk
//! match (charged on a hit), people search over several domains, organization bulk
//! enrich, the search providers' order by price and their failover, against wiremock
//! (wire shapes) and the sandbox (end to end).

mod common;

use atl_providers::apollo::{PeopleSearch, PersonMatch};
use atl_providers::config::ProvidersConfig;
use atl_providers::prices::APOLLO_CREDIT_USD;
use atl_providers::testing::chains;
use atl_providers::toolkit::{Toolkit, ToolkitOptions};
use atl_providers::{ErrorKind, Usage};
use common::{fixture, ok, responding};
use serde_json::json;
use std::collections::HashMap;
use wiremock::matchers::{body_json, body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A toolkit whose named providers have a key and point at `server`.
fn toolkit(providers: &[(&str, &MockServer)]) -> Toolkit {
    let mut env = HashMap::new();
    for (name, server) in providers {
        let upper = name.to_uppercase();
        env.insert(format!("{upper}_API_KEY"), format!("key-{name}"));
        env.insert(format!("{upper}_BASE_URL"), server.uri());
    }
    let config = ProvidersConfig::from_sources(&env, None, &chains()).unwrap();
    let mut options = ToolkitOptions::new(std::env::temp_dir());
    options.espeak_program = "no-such-espeak".into();
    Toolkit::from_config(config, options).unwrap()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-12)
}

#[tokio::test]
async fn bulk_match_is_aligned_and_charged_on_a_hit() {
    let server = MockServer::start().await;
    // A person found by search is revealed by id; the reply's credits win over a count.
    Mock::given(method("POST"))
        .and(path("/api/v1/people/bulk_match"))
        .and(header("x-api-key", "key-apollo"))
        .and(body_json(json!({"details": [{"id": "p1"}, {"name": "Nobody Here"}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "success", "credits_consumed": 9,
            "matches": [{"id": "p1", "name": "Jane Doe", "email": "jane@acme.com",
                         "phone_numbers": [{"sanitized_number": "+14155550100", "type": "mobile"}]}, null]
        })))
        .expect(1)
        .mount(&server)
        .await;
    // Without credits_consumed: one credit per hit; a short reply is padded with misses.
    Mock::given(method("POST"))
        .and(path("/api/v1/people/bulk_match"))
        .and(body_partial_json(json!({"details": [{"id": "p2"}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "success", "matches": [{"id": "p2", "name": "Raj K"}]
        })))
        .mount(&server)
        .await;
    let t = toolkit(&[("apollo", &server)]);
    let m = t
        .apollo_bulk_match(&[
            PersonMatch::by_id("p1"),
            PersonMatch {
                name: Some("Nobody Here".into()),
                ..PersonMatch::default()
            },
        ])
        .await
        .unwrap();
    assert_eq!(m.value.len(), 2);
    let jane = m.value[0].as_ref().unwrap();
    assert_eq!(jane.phones()[0].kind.as_deref(), Some("mobile"));
    assert_eq!(m.value[1], None);
    assert_eq!((m.usage.lookups, m.usage.misses), (9, 1));
    assert!(
        close(m.cost_usd, 9.0 * APOLLO_CREDIT_USD),
        "{:?}",
        m.cost_usd
    );
    assert_eq!(
        (m.provider.as_str(), m.model.as_str()),
        ("apollo", "people_bulk_match")
    );

    let ids = [PersonMatch::by_id("p2"), PersonMatch::by_id("p3")];
    let m = t.apollo_bulk_match(&ids).await.unwrap();
    assert_eq!(m.value.len(), 2);
    assert!(m.value[0].is_some() && m.value[1].is_none());
    assert_eq!((m.usage.lookups, m.usage.misses), (1, 1));
    assert!(close(m.cost_usd, APOLLO_CREDIT_USD), "a miss costs nothing");

    // Eleven is refused before any request.
    let eleven = vec![PersonMatch::by_id("x"); 11];
    let e = t.apollo_bulk_match(&eleven).await.unwrap_err();
    assert_eq!((e.kind, e.status), (ErrorKind::BadRequest, Some(400)));
}

#[tokio::test]
async fn people_search_over_several_domains_is_free_and_reads_both_totals() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/mixed_people/api_search"))
        .and(body_json(json!({
            "person_seniorities": ["c_suite", "vp"],
            "q_organization_domains_list": ["acme.com", "globex.example"],
            "page": 1, "per_page": 50
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "total_entries": 120,
            "people": [{"id": "p1", "first_name": "Jane", "last_name_obfuscated": "D***",
                        "has_email": true, "title": "VP of Sales",
                        "organization": {"name": "Acme", "primary_domain": "acme.com"},
                        "employment_history": [{"organization_name": "Acme", "title": "VP of Sales",
                                                "current": true, "start_date": "2023-08-01", "end_date": null},
                                               {"organization_name": "Initech", "title": "Director",
                                                "current": false, "start_date": "2019-01-01",
                                                "end_date": "2023-07-31"}],
                        "contact": {"phone_numbers": [{"raw_number": "+1 415 555 0100", "type": "work_direct"}]}}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let t = toolkit(&[("apollo", &server)]);
    let query = PeopleSearch {
        person_seniorities: vec!["c_suite".into(), "vp".into()],
        q_organization_domains_list: vec!["acme.com".into(), "globex.example".into()],
        per_page: 50,
        ..PeopleSearch::default()
    };
    let m = t.apollo_people_search(&query).await.unwrap();
    assert_eq!((m.value.total_entries, m.value.total_pages), (120, 3));
    let p = &m.value.people[0];
    assert_eq!(p.last_name_obfuscated.as_deref(), Some("D***"));
    assert_eq!(p.has_email, Some(true));
    assert_eq!(p.domain(), Some("acme.com"));
    let history: Vec<(Option<&str>, Option<bool>, Option<&str>)> = p
        .employment_history
        .iter()
        .map(|e| {
            (
                e.organization_name.as_deref(),
                e.current,
                e.end_date.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            (Some("Acme"), Some(true), None),
            (Some("Initech"), Some(false), Some("2023-07-31"))
        ]
    );
    assert_eq!(p.phones()[0].kind.as_deref(), Some("work_direct"));
    assert_eq!(m.cost_usd, Some(0.0), "free, and known to be free");
}

#[tokio::test]
async fn organization_bulk_enrich_charges_per_organization_returned() {
    let server = MockServer::start().await;
    let acme = fixture("apollo_org_enrich.json")["organization"].clone();
    Mock::given(method("POST"))
        .and(path("/api/v1/organizations/bulk_enrich"))
        .and(query_param("domains[]", "acme.com"))
        .and(query_param("domains[]", "unknown.example"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "success", "total_requested_domains": 2, "unique_enriched_records": 1,
            "missing_records": 1, "organizations": [acme, null]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let t = toolkit(&[("apollo", &server)]);
    let m = t
        .apollo_bulk_organizations(&["https://www.acme.com/".into(), "unknown.example".into()])
        .await
        .unwrap();
    assert_eq!(m.value.len(), 1);
    assert_eq!(m.value[0].primary_domain.as_deref(), Some("acme.com"));
    assert_eq!((m.usage.lookups, m.usage.misses), (1, 1));
    assert!(close(m.cost_usd, APOLLO_CREDIT_USD));
    let eleven: Vec<String> = (0..11).map(|i| format!("d{i}.example")).collect();
    let e = t.apollo_bulk_organizations(&eleven).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequest);
}

async fn serper_reply(server: &MockServer, status: u16) {
    let body = json!({"searchParameters": {"q": "acme"}, "organic": [
        {"title": "Second", "link": "https://b.example/", "snippet": "b", "position": 2},
        {"title": "Acme raises $40M", "link": "https://news.example/acme", "snippet": "Series B",
         "date": "Mar 3, 2026", "position": 1},
        {"title": "no link", "position": 3}
    ]});
    Mock::given(method("POST"))
        .and(path("/search"))
        .and(header("X-API-KEY", "key-serper"))
        .and(body_json(json!({"q": "acme funding", "num": 5})))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(server)
        .await;
}

/// Serper answering `serper_status`, Brave answering with `brave`, and a toolkit over
/// both: (Serper, Brave, toolkit).
async fn two_searches(
    serper_status: u16,
    brave: ResponseTemplate,
) -> (MockServer, MockServer, Toolkit) {
    let serper = MockServer::start().await;
    serper_reply(&serper, serper_status).await;
    let brave = responding("GET", "/res/v1/web/search", brave).await;
    let t = toolkit(&[("brave", &brave), ("serper", &serper)]);
    (serper, brave, t)
}

#[tokio::test]
async fn serper_is_preferred_by_price_and_read_in_rank_order() {
    let (_serper, brave, t) = two_searches(200, ok("brave_search.json")).await;
    let order: Vec<&str> = t.searches.iter().map(|s| s.name()).collect();
    assert_eq!(order, ["serper", "brave"]);
    let m = t.web_search("acme funding", 5).await.unwrap();
    assert_eq!(m.provider, "serper");
    let urls: Vec<&str> = m.value.iter().map(|h| h.url.as_str()).collect();
    assert_eq!(urls, ["https://news.example/acme", "https://b.example/"]);
    assert_eq!(m.value[0].published_date.as_deref(), Some("Mar 3, 2026"));
    assert_eq!(m.usage.lookups, 1);
    assert!(close(m.cost_usd, 0.001), "$1 per 1,000: {:?}", m.cost_usd);
    assert_eq!(brave.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_failing_search_provider_hands_over_to_the_next() {
    let (serper, _brave, t) = two_searches(503, ok("brave_search.json")).await;
    let m = t.web_search("acme funding", 5).await.unwrap();
    assert_eq!(m.provider, "brave");
    assert!(!m.value.is_empty());
    assert!(
        close(m.cost_usd, 0.005),
        "only the search that answered is billed"
    );
    assert_eq!(
        serper.received_requests().await.unwrap().len(),
        1,
        "one attempt"
    );

    // A persistent 429 on both: one call each, the last provider's wait comes back.
    let brave_429 = ResponseTemplate::new(429).set_body_json(fixture("brave_429.json"));
    let (serper, brave, t) = two_searches(429, brave_429).await;
    let e = t.web_search("acme funding", 5).await.unwrap_err();
    assert_eq!(
        (e.kind, e.provider.as_str()),
        (ErrorKind::RateLimited, "brave")
    );
    assert_eq!(serper.received_requests().await.unwrap().len(), 1);
    assert_eq!(brave.received_requests().await.unwrap().len(), 1);

    // A bad request is the request's fault: no other provider is asked.
    let (_serper, brave, t) = two_searches(400, ok("brave_search.json")).await;
    let e = t.web_search("acme funding", 5).await.unwrap_err();
    assert_eq!(
        (e.kind, e.provider.as_str()),
        (ErrorKind::BadRequest, "serper")
    );
    assert_eq!(brave.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn the_sandbox_serves_the_waterfall() {
    let sandbox = atl_sandbox::Sandbox::start(
        "127.0.0.1:0".parse().unwrap(),
        atl_sandbox::SandboxConfig::default(),
    )
    .await
    .unwrap();
    let origin = url::Url::parse(&sandbox.base_url()).unwrap();
    let t = Toolkit::sandbox(origin, std::env::temp_dir(), &chains()).unwrap();
    let query = PeopleSearch {
        person_seniorities: vec!["vp".into()],
        q_organization_domains_list: vec!["acme.example".into(), "globex.example".into()],
        per_page: 3,
        ..PeopleSearch::default()
    };
    let page = t.apollo_people_search(&query).await.unwrap();
    assert!(!page.value.people.is_empty());
    assert!(page.value.total_entries >= page.value.people.len() as u64);
    let ids: Vec<PersonMatch> = page
        .value
        .people
        .iter()
        .filter_map(|p| p.id.clone())
        .map(PersonMatch::by_id)
        .collect();
    let m = t.apollo_bulk_match(&ids).await.unwrap();
    assert_eq!(m.value.len(), ids.len(), "aligned with the input");
    let hits = m.value.iter().filter(|p| p.is_some()).count() as u64;
    assert_eq!(m.usage.lookups + m.usage.misses, ids.len() as u64);
    assert_eq!(m.usage.lookups, hits);
    let search = t.web_search("acme funding", 3).await.unwrap();
    assert!(!search.value.is_empty());
    assert!(["serper", "brave", "tavily"].contains(&search.provider.as_str()));
    let v = t.hunter_verify("jane.doe@acme.example").await.unwrap();
    assert!(v.usage.lookups <= 1);
    assert_eq!(
        v.usage,
        Usage {
            lookups: v.usage.lookups,
            ..Usage::default()
        }
    );
    sandbox.shutdown().await;
}
