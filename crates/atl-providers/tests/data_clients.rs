//! Apollo, Tavily, Brave, Hunter and the TTS engines against wiremock servers speaking the
//! vendors' documented wire formats (fixtures under `tests/fixtures/`).

mod common;

use atl_providers::apollo::{ApolloClient, PeopleSearch, PersonMatch};
use atl_providers::http::build_http_client;
use atl_providers::hunter::{EmailSource, EmailStatus, HunterClient, HunterStatus};
use atl_providers::search::{BraveClient, SearchHit, TavilyClient, WebSearch};
use atl_providers::tts::{CartesiaTts, EspeakTts, SilentTts, TtsEngine};
use atl_providers::{ErrorKind, ProviderError};
use common::{
    KEY, assert_kind_says, assert_kind_status, assert_no_key, fixture, http, key, ok, respond,
    responding,
};
use serde_json::{Value, json};
use std::time::Duration;
use url::Url;
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn base(server: &MockServer) -> Url {
    Url::parse(&server.uri()).unwrap()
}

fn apollo_at(server: &MockServer) -> ApolloClient {
    ApolloClient::new(base(server), key(), http())
}

fn tavily_at(server: &MockServer) -> TavilyClient {
    TavilyClient::new(base(server), key(), http())
}

fn brave_at(server: &MockServer) -> BraveClient {
    BraveClient::new(base(server), key(), http())
}

fn hunter_at(server: &MockServer) -> HunterClient {
    HunterClient::new(base(server), key(), http())
}

fn cartesia_at(server: &MockServer) -> CartesiaTts {
    CartesiaTts::new(base(server), key(), http())
}

/// A file path in a folder of the test's own, removed when the test ends.
struct TmpFile {
    dir: std::path::PathBuf,
    file: std::path::PathBuf,
}

impl std::ops::Deref for TmpFile {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.file
    }
}

impl AsRef<std::path::Path> for TmpFile {
    fn as_ref(&self) -> &std::path::Path {
        &self.file
    }
}

impl Drop for TmpFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tmp(name: &str) -> TmpFile {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("atl-providers-tests-{}-{n}", std::process::id()));
    TmpFile {
        file: dir.join(name),
        dir,
    }
}

// ---------------------------------------------------------------------------------------
// Apollo
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn apollo_match_hit_and_miss() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/people/match"))
        .and(header("x-api-key", KEY))
        .and(body_partial_json(
            json!({"first_name": "Jane", "last_name": "Doe", "domain": "acme.com"}),
        ))
        .respond_with(ok("apollo_match_hit.json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = apollo_at(&server);
    let query = PersonMatch {
        first_name: Some("Jane".into()),
        last_name: Some("Doe".into()),
        domain: Some("acme.com".into()),
        ..PersonMatch::default()
    };
    let (person, usage) = client.match_person(&query).await.unwrap();
    let person = person.expect("a match");
    assert_eq!(person.name.as_deref(), Some("Jane Doe"));
    assert_eq!(person.title.as_deref(), Some("VP of Sales"));
    assert_eq!(person.seniority.as_deref(), Some("vp"));
    assert_eq!(person.usable_email(), Some("jane.doe@acme.com"));
    assert_eq!(person.email_status.as_deref(), Some("verified"));
    assert_eq!(person.phone(), Some("+14155550100"));
    assert_eq!(
        person.linkedin_url.as_deref(),
        Some("http://www.linkedin.com/in/janedoe")
    );
    let org = person.organization.expect("organization");
    assert_eq!(org.primary_domain.as_deref(), Some("acme.com"));
    assert_eq!(org.estimated_num_employees, Some(910));
    assert_eq!(org.annual_revenue, Some(100_000_000.0));
    assert_eq!(usage.lookups, 1);
    let sent: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert!(
        sent.get("email").is_none(),
        "None fields are not sent: {sent}"
    );

    let server = responding(
        "POST",
        "/api/v1/people/match",
        ResponseTemplate::new(200).set_body_json(json!({"person": null})),
    )
    .await;
    let client = apollo_at(&server);
    let (person, usage) = client.match_person(&query).await.unwrap();
    assert_eq!(person, None);
    assert_eq!(usage.lookups, 0, "a miss costs nothing");
}

#[tokio::test]
async fn apollo_bulk_match_lines_up_and_enforces_ten() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/people/bulk_match"))
        .and(body_partial_json(
            json!({"details": [{"name": "Tim Zheng"}, {"email": "nobody@acme.com"}]}),
        ))
        .respond_with(ok("apollo_bulk_match.json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = apollo_at(&server);
    let details = vec![
        PersonMatch {
            name: Some("Tim Zheng".into()),
            ..PersonMatch::default()
        },
        PersonMatch {
            email: Some("nobody@acme.com".into()),
            ..PersonMatch::default()
        },
    ];
    let (matches, usage) = client.bulk_match(&details).await.unwrap();
    assert_eq!(matches.len(), 2);
    let tim = matches[0].as_ref().expect("first matched");
    assert_eq!(tim.seniority.as_deref(), Some("founder"));
    assert_eq!(
        tim.organization.as_ref().unwrap().estimated_num_employees,
        Some(1200),
        "\"1,200\" is read leniently"
    );
    assert_eq!(matches[1], None);
    assert_eq!(usage.lookups, 1);

    let eleven = vec![PersonMatch::default(); 11];
    let err = client.bulk_match(&eleven).await.unwrap_err();
    assert!(err.kind == ErrorKind::BadRequest, "{err:?}");
}

#[tokio::test]
async fn apollo_org_enrich_and_search_pagination() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/organizations/enrich"))
        .and(query_param("domain", "acme.com"))
        .and(header("x-api-key", KEY))
        .respond_with(ok("apollo_org_enrich.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/organizations/enrich"))
        .and(query_param("domain", "unknown.example"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"organization": {}})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/mixed_people/api_search"))
        .and(body_partial_json(json!({
            "person_seniorities": ["c_suite", "vp"],
            "person_titles": ["VP of Sales"],
            "q_organization_domains_list": ["acme.com"],
            "page": 2, "per_page": 2
        })))
        .respond_with(ok("apollo_api_search.json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = apollo_at(&server);
    let (org, usage) = client
        .enrich_organization("https://www.acme.com/")
        .await
        .unwrap();
    let org = org.expect("known domain");
    assert_eq!(org.name.as_deref(), Some("Acme"));
    assert_eq!(org.keywords, vec!["rockets", "b2b"]);
    assert_eq!(org.founded_year, Some(2015));
    assert_eq!(usage.lookups, 1);
    let (org, usage) = client.enrich_organization("unknown.example").await.unwrap();
    assert_eq!((org, usage.lookups), (None, 0));

    let query = PeopleSearch {
        person_titles: vec!["VP of Sales".into()],
        person_seniorities: vec!["c_suite".into(), "vp".into()],
        q_organization_domains_list: vec!["acme.com".into()],
        page: 2,
        per_page: 2,
        ..PeopleSearch::default()
    };
    let (page, usage) = client.search_people(&query).await.unwrap();
    assert_eq!(page.people.len(), 2);
    assert_eq!(page.people[0].last_name_obfuscated.as_deref(), Some("D***"));
    assert_eq!(
        (
            page.page,
            page.per_page,
            page.total_entries,
            page.total_pages
        ),
        (2, 2, 5, 3)
    );
    assert_eq!(usage.lookups, 0, "api_search is free");

    // The other documented shape: a top-level total_entries.
    let server = responding(
        "POST",
        "/api/v1/mixed_people/api_search",
        ResponseTemplate::new(200).set_body_json(json!({"people": [], "total_entries": 51})),
    )
    .await;
    let client = apollo_at(&server);
    let (page, _) = client
        .search_people(&PeopleSearch::default())
        .await
        .unwrap();
    assert_eq!(
        (page.total_entries, page.total_pages, page.page),
        (51, 3, 1)
    );
}

#[tokio::test]
async fn apollo_errors() {
    let server = responding(
        "POST",
        "/api/v1/people/match",
        ResponseTemplate::new(429)
            .set_body_json(json!({"error": "The maximum number of api calls allowed for api/v1/people/match is 50 times per minute"}))
            .insert_header("x-minute-requests-left", "0")
            .insert_header("x-hourly-requests-left", "150"),
    )
    .await;
    respond(
        &server,
        "POST",
        "/api/v1/mixed_people/api_search",
        ResponseTemplate::new(403).set_body_json(json!({"error": "api/v1/mixed_people/api_search is not accessible with this api_key on a free plan"})),
    )
    .await;
    respond(
        &server,
        "GET",
        "/api/v1/organizations/enrich",
        ResponseTemplate::new(422).set_body_json(json!({"error": "Invalid domain"})),
    )
    .await;
    let client = apollo_at(&server);
    let err = client
        .match_person(&PersonMatch::default())
        .await
        .unwrap_err();
    assert!(
        err.kind == ErrorKind::RateLimited
            && err.retry_after.is_some()
            && err.retry_after.unwrap_or_default() <= Duration::from_secs(60)
            && err.message.contains("50 times per minute"),
        "{err:?}"
    );
    let err = client
        .search_people(&PeopleSearch::default())
        .await
        .unwrap_err();
    assert_kind_status(&err, ErrorKind::Auth, 403);
    assert_no_key(&err);
    let err = client.enrich_organization("acme.com").await.unwrap_err();
    assert_kind_status(&err, ErrorKind::BadRequest, 422);

    let server = responding(
        "POST",
        "/api/v1/people/match",
        ResponseTemplate::new(200).set_body_string("<html>oops</html>"),
    )
    .await;
    let err = apollo_at(&server)
        .match_person(&PersonMatch::default())
        .await
        .unwrap_err();
    assert!(err.kind == ErrorKind::InvalidResponse, "{err:?}");
}

// ---------------------------------------------------------------------------------------
// Web search
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn tavily_results_and_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/search"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_partial_json(
            json!({"query": "Acme Corp funding 2026", "max_results": 5}),
        ))
        .respond_with(ok("tavily_search.json"))
        .expect(1)
        .mount(&server)
        .await;
    let tavily = tavily_at(&server);
    let (hits, usage) = tavily.search("Acme Corp funding 2026", 5).await.unwrap();
    assert_eq!(
        hits[0],
        SearchHit {
            title: "Acme raises $40M".into(),
            url: "https://news.example.com/acme".into(),
            snippet: "Acme raised a $40M Series B.".into(),
            published_date: Some("2026-03-02".into()),
        }
    );
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].published_date, None);
    assert_eq!(usage.lookups, 1);

    for (status, check) in [
        (
            432u16,
            (|e: &ProviderError| e.kind == ErrorKind::Quota && e.message == "plan limit")
                as fn(&ProviderError) -> bool,
        ),
        (433, |e| e.kind == ErrorKind::Quota),
        (429, |e| e.kind == ErrorKind::RateLimited),
        (401, |e| (e.kind, e.status) == (ErrorKind::Auth, Some(401))),
        (400, |e| {
            (e.kind, e.status) == (ErrorKind::BadRequest, Some(400))
        }),
        (500, |e| {
            (e.kind, e.status) == (ErrorKind::Server, Some(500))
        }),
    ] {
        let server = MockServer::start().await;
        let body = json!({"detail": {"error": if status == 432 { "plan limit".to_string() } else { format!("error {status}") }}});
        respond(
            &server,
            "POST",
            "/search",
            ResponseTemplate::new(status).set_body_json(body),
        )
        .await;
        let err = tavily_at(&server).search("q", 5).await.unwrap_err();
        assert!(check(&err), "{status}: {err:?}");
        assert_no_key(&err);
    }
}

#[tokio::test]
async fn brave_results_no_web_and_rate_limit() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/res/v1/web/search"))
        .and(header("x-subscription-token", KEY))
        .and(query_param("q", "acme corp vp sales"))
        .and(query_param("count", "3"))
        .respond_with(ok("brave_search.json"))
        .expect(1)
        .mount(&server)
        .await;
    let brave = brave_at(&server);
    let (hits, usage) = brave.search("acme corp vp sales", 3).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].snippet, "Jane leads sales at Acme…");
    assert_eq!(hits[0].published_date.as_deref(), Some("2 weeks ago"));
    assert_eq!(usage.lookups, 1);

    let server = responding(
        "GET",
        "/res/v1/web/search",
        ResponseTemplate::new(200)
            .set_body_json(json!({"type": "search", "query": {"original": "zzz"}})),
    )
    .await;
    let (hits, _) = brave_at(&server).search("zzz", 5).await.unwrap();
    assert!(hits.is_empty());

    let server = responding(
        "GET",
        "/res/v1/web/search",
        ResponseTemplate::new(429)
            .set_body_json(fixture("brave_429.json"))
            .insert_header("X-RateLimit-Limit", "1, 15000")
            .insert_header("X-RateLimit-Remaining", "0, 14000")
            .insert_header("X-RateLimit-Reset", "1, 1419704"),
    )
    .await;
    let err = brave_at(&server).search("q", 5).await.unwrap_err();
    assert!(
        err.kind == ErrorKind::RateLimited
            && err.retry_after.is_some()
            && err.retry_after.unwrap_or_default() == Duration::from_secs(1)
            && err.message == "Request rate limit exceeded for plan",
        "{err:?}"
    );
    assert_no_key(&err);
}

// ---------------------------------------------------------------------------------------
// Hunter
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn hunter_finder_hit_and_miss() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/email-finder"))
        .and(query_param("domain", "acme.com"))
        .and(query_param("first_name", "Jane"))
        .and(query_param("last_name", "Doe"))
        .and(query_param("api_key", KEY))
        .respond_with(ok("hunter_finder_hit.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/email-finder"))
        .and(query_param("last_name", "Nobody"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"email": null, "score": null}, "meta": {}})),
        )
        .mount(&server)
        .await;
    let hunter = hunter_at(&server);
    let (found, usage) = hunter.find_email("acme.com", "Jane", "Doe").await.unwrap();
    let found = found.expect("found");
    assert_eq!(found.email, "jane.doe@acme.com");
    assert_eq!(found.score, Some(94));
    assert_eq!(found.accept_all, Some(false));
    assert_eq!(found.status(), Some(HunterStatus::Valid));
    let check = found.verification.as_ref().unwrap();
    assert_eq!(check.date.as_deref(), Some("2026-10-02"));
    assert_eq!(
        found.sources,
        vec![EmailSource {
            uri: Some("https://acme.com/team".into()),
            extracted_on: Some("2026-05-01".into()),
            last_seen_on: Some("2026-10-01".into()),
        }]
    );
    assert_eq!((usage.lookups, usage.misses), (1, 0));
    let (found, usage) = hunter
        .find_email("acme.com", "Jane", "Nobody")
        .await
        .unwrap();
    assert_eq!(
        (found, usage.lookups, usage.misses),
        (None, 0, 1),
        "no credit on a miss"
    );
}

#[tokio::test]
async fn hunter_verifier_statuses_and_pending() {
    let server = MockServer::start().await;
    let mut accept_all = fixture("hunter_verifier_valid.json");
    accept_all["data"]["status"] = json!("accept_all");
    accept_all["data"]["accept_all"] = json!(true);
    accept_all["data"]["result"] = json!("risky");
    let mut unknown = fixture("hunter_verifier_valid.json");
    unknown["data"]["status"] = json!("unknown");
    let mut webmail = fixture("hunter_verifier_valid.json");
    webmail["data"]["status"] = json!("webmail");
    // Only the deprecated `result`: it decides.
    let old = json!({"data": {"result": "undeliverable", "score": 10}});
    for (email, body) in [
        ("valid@acme.com", fixture("hunter_verifier_valid.json")),
        ("all@acme.com", accept_all),
        ("unknown@acme.com", unknown),
        ("web@gmail.example", webmail),
        ("old@acme.com", old),
    ] {
        Mock::given(method("GET"))
            .and(path("/v2/email-verifier"))
            .and(query_param("email", email))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v2/email-verifier"))
        .and(query_param("email", "slow@acme.com"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"data": null})))
        .mount(&server)
        .await;
    let hunter = hunter_at(&server);
    // Hunter's own word, score, accept_all and result come back as sent; only billed
    // statuses use a verification.
    for (email, status, score, accept_all, result, billed) in [
        (
            "valid@acme.com",
            HunterStatus::Valid,
            Some(97),
            Some(false),
            Some("deliverable"),
            1,
        ),
        (
            "all@acme.com",
            HunterStatus::AcceptAll,
            Some(97),
            Some(true),
            Some("risky"),
            1,
        ),
        (
            "unknown@acme.com",
            HunterStatus::Unknown,
            Some(97),
            Some(false),
            Some("deliverable"),
            0,
        ),
        (
            "web@gmail.example",
            HunterStatus::Webmail,
            Some(97),
            Some(false),
            Some("deliverable"),
            0,
        ),
        (
            "old@acme.com",
            HunterStatus::Invalid,
            Some(10),
            None,
            Some("undeliverable"),
            1,
        ),
    ] {
        let (v, usage) = hunter.verify_email(email).await.unwrap();
        assert_eq!(
            (
                v.status,
                v.score,
                v.accept_all,
                v.result.as_deref(),
                usage.lookups
            ),
            (status, score, accept_all, result, billed),
            "{email}"
        );
    }
    // 202: still verifying: retryable, not a health problem, come back shortly.
    let err = hunter.verify_email("slow@acme.com").await.unwrap_err();
    assert_eq!((err.kind, err.status), (ErrorKind::Pending, Some(202)));
    assert!(err.is_retryable() && !err.counts_against_health() && !err.is_rate_limit());
    assert_eq!(err.retry_after, Some(Duration::from_secs(3)));
    assert_eq!(
        EmailStatus::from(HunterStatus::AcceptAll),
        EmailStatus::Likely
    );
    assert_eq!(EmailStatus::from_hunter("webmail").as_str(), "unverified");
    assert_eq!(
        EmailStatus::from_hunter("disposable"),
        EmailStatus::Unverified
    );
    assert_eq!(EmailStatus::from_hunter("invalid").as_str(), "invalid");
}

#[tokio::test]
async fn hunter_reversed_statuses_and_no_key_in_errors() {
    let server = MockServer::start().await;
    let body = |m: &str| json!({"errors": [{"id": "x", "code": 0, "details": m}]});
    respond(
        &server,
        "GET",
        "/v2/email-finder",
        ResponseTemplate::new(403).set_body_json(body("You have reached the rate limit")),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v2/email-verifier"))
        .and(query_param("email", "quota@acme.com"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(body("You have used all your monthly requests")),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/email-verifier"))
        .and(query_param("email", "echo@acme.com"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(body(&format!("No user found for the API key {KEY}"))),
        )
        .mount(&server)
        .await;
    let hunter = hunter_at(&server);
    let err = hunter
        .find_email("acme.com", "Jane", "Doe")
        .await
        .unwrap_err();
    assert_kind_says(&err, ErrorKind::RateLimited, "rate limit");
    let err = hunter.verify_email("quota@acme.com").await.unwrap_err();
    assert!(err.kind == ErrorKind::Quota, "{err:?}");
    assert!(!err.is_retryable());
    let err = hunter.verify_email("echo@acme.com").await.unwrap_err();
    assert_kind_status(&err, ErrorKind::Auth, 401);
    assert_no_key(&err);

    // Transport errors carry no URL (the key is in its query string).
    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("hunter_finder_hit.json"))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&slow)
        .await;
    let hunter = HunterClient::new(
        base(&slow),
        key(),
        build_http_client(Duration::from_millis(200)),
    );
    let err = hunter
        .find_email("acme.com", "Jane", "Doe")
        .await
        .unwrap_err();
    assert!(err.kind == ErrorKind::Timeout, "{err:?}");
    assert_no_key(&err);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    let err = HunterClient::new(dead, key(), http())
        .verify_email("a@b.c")
        .await
        .unwrap_err();
    assert!(err.kind == ErrorKind::Connection, "{err:?}");
    assert_no_key(&err);
    assert!(!format!("{hunter:?}").contains(KEY));
}

// ---------------------------------------------------------------------------------------
// TTS
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn cartesia_writes_the_wav_and_reads_its_length() {
    let server = MockServer::start().await;
    // A WAV as streamed: header sizes not final.
    let mut wav = SilentTts::render(&"x".repeat(50)).unwrap();
    wav[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    let data_at = wav.windows(4).position(|w| w == b"data").unwrap();
    wav[data_at + 4..data_at + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    Mock::given(method("POST"))
        .and(path("/tts/bytes"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("cartesia-version", "2026-03-01"))
        .and(body_partial_json(json!({
            "model_id": "sonic-3.5",
            "transcript": "Hi Jane, this is a quick note.",
            "voice": {"mode": "id", "id": "voice-1"},
            "output_format": {"container": "wav", "encoding": "pcm_s16le", "sample_rate": 22050}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_raw(wav.clone(), "audio/wav"))
        .expect(1)
        .mount(&server)
        .await;
    let tts = cartesia_at(&server).with_voice("voice-1");
    let out = tmp("cartesia/hello.wav");
    let text = "Hi Jane, this is a quick note.";
    let (info, usage) = tts.synthesize(text, &out).await.unwrap();
    assert!((info.seconds - 3.5).abs() < 0.01, "{info:?}");
    assert_eq!(info.bytes, wav.len() as u64);
    assert_eq!(usage.tts_characters, text.chars().count() as u64);
    let reader = hound::WavReader::open(&out).unwrap();
    assert_eq!(reader.spec().sample_rate, 22_050);
    assert_eq!(tts.name(), "cartesia");

    // Errors: missing version → 400 in the mock's words; non-WAV body → InvalidResponse.
    let server = responding(
        "POST",
        "/tts/bytes",
        ResponseTemplate::new(400).set_body_json(json!({"title": "Invalid version", "message": "Cartesia-Version header is required", "error_code": "invalid_version"})),
    )
    .await;
    let err = cartesia_at(&server)
        .synthesize("hi", &out)
        .await
        .unwrap_err();
    assert_kind_says(&err, ErrorKind::BadRequest, "Cartesia-Version");
    assert_no_key(&err);
    let server = responding(
        "POST",
        "/tts/bytes",
        ResponseTemplate::new(200).set_body_raw(b"ID3garbage".to_vec(), "audio/mpeg"),
    )
    .await;
    let err = cartesia_at(&server)
        .synthesize("hi", &out)
        .await
        .unwrap_err();
    assert!(err.kind == ErrorKind::InvalidResponse, "{err:?}");
    let server = responding(
        "POST",
        "/tts/bytes",
        ResponseTemplate::new(429).insert_header("retry-after", "4"),
    )
    .await;
    let err = cartesia_at(&server)
        .synthesize("hi", &out)
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(4)));
}

#[tokio::test]
async fn silent_tts_is_deterministic() {
    let out = tmp("silent/a.wav");
    let (a, usage) = SilentTts
        .synthesize("twenty characters!!!", &out)
        .await
        .unwrap();
    let (b, _) = SilentTts
        .synthesize("twenty characters!!!", &out)
        .await
        .unwrap();
    assert_eq!(a, b);
    assert!((a.seconds - 1.4).abs() < 0.001, "{a:?}");
    assert_eq!(usage.tts_characters, 20);
    let err = SilentTts.synthesize("   ", &out).await.unwrap_err();
    assert!(err.kind == ErrorKind::BadRequest);
}

#[tokio::test]
async fn espeak_missing_binary_is_not_configured() {
    let err = EspeakTts::new()
        .with_program("espeak-ng-definitely-not-installed")
        .synthesize("hello", &tmp("espeak/missing.wav"))
        .await
        .unwrap_err();
    assert_kind_says(&err, ErrorKind::NotConfigured, "not installed");
}

#[tokio::test]
async fn espeak_speaks_into_a_wav() {
    let available = std::process::Command::new("espeak-ng")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        eprintln!(
            "\n*** SKIPPED espeak_speaks_into_a_wav: espeak-ng is not on PATH (apt-get install -y espeak-ng) ***\n"
        );
        return;
    }
    let out = tmp("espeak/hello.wav");
    // Text that looks like an option must still be spoken, not parsed: it is on stdin.
    let text = "--help Hi Jane, this is Sam from Acme. Do you have a minute?";
    let (info, usage) = EspeakTts::new().synthesize(text, &out).await.unwrap();
    assert!(info.seconds > 1.0 && info.seconds < 20.0, "{info:?}");
    assert_eq!(info.bytes, std::fs::metadata(&out).unwrap().len());
    assert_eq!(usage.tts_characters, text.chars().count() as u64);
    let reader = hound::WavReader::open(&out).unwrap();
    assert_eq!(reader.spec().bits_per_sample, 16);
    assert_eq!(reader.spec().channels, 1);
}
