//! The four agents against the in-process sandbox (127.0.0.1 only, no network): result
//! shapes of DESIGN.md, synthetic marks, exact cost sums, evidence-based confidence,
//! audio files, and the failure modes (429s, malformed replies, schema mismatches, no
//! configuration).

use atl_agents::routes::default_routes;
use atl_agents::seniority::{APOLLO_SENIORITIES, EMAIL_STATUSES};
use atl_agents::{
    AgentInput, AgentResult, EnrichmentAgent, FailureKind, IntelAgent, ResearchAgent, Seller,
    SubAgent, VoiceAgent,
};
use atl_domain::SubAgentKind;
use atl_providers::config::ProvidersConfig;
use atl_providers::toolkit::{Toolkit, ToolkitOptions};
use atl_providers::tts::SilentTts;
use atl_sandbox::{FamilyConfig, Faults, Sandbox, SandboxConfig, Trigger};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use url::Url;

/// A test's own data folder (audio files land here), removed when the test ends.
struct TestDir(PathBuf);

impl std::ops::Deref for TestDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl From<&TestDir> for PathBuf {
    fn from(dir: &TestDir) -> PathBuf {
        dir.0.clone()
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn data_dir() -> TestDir {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "atl-agents-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    TestDir(dir)
}

async fn sandbox(config: SandboxConfig) -> (Sandbox, Url) {
    let sb = Sandbox::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("sandbox starts");
    let origin = Url::parse(&sb.base_url()).unwrap();
    (sb, origin)
}

async fn healthy() -> (Sandbox, Arc<Toolkit>, TestDir) {
    let (sb, origin) = sandbox(SandboxConfig::default()).await;
    let dir = data_dir();
    let t = Toolkit::sandbox(origin, &dir, &default_routes()).expect("toolkit");
    (sb, Arc::new(t), dir)
}

fn seller() -> Seller {
    Seller {
        name: Some("Sam Seller".into()),
        company: Some("PipeCo".into()),
        pitch: Some("Pipeline analytics for mid-market revenue teams".into()),
    }
}

/// A target with a contact and a domain.
fn with_contact(dir: &std::path::Path) -> AgentInput {
    AgentInput {
        target_id: 11,
        company_name: "Acme Analytics".into(),
        contact_name: Some("Ada Lovelace".into()),
        contact_email: Some("ada@acme-analytics.com".into()),
        contact_title: Some("VP of Sales".into()),
        linkedin_url: None,
        website: Some("https://www.acme-analytics.com".into()),
        domain: Some("acme-analytics.com".into()),
        seller: seller(),
        data_dir: dir.to_path_buf(),
        ..AgentInput::default()
    }
}

/// A company and nothing else.
fn company_only(dir: &std::path::Path) -> AgentInput {
    AgentInput {
        target_id: 12,
        company_name: "Globex Logistics".into(),
        seller: seller(),
        data_dir: dir.to_path_buf(),
        ..AgentInput::default()
    }
}

/// What every result must satisfy.
fn check_common(r: &AgentResult, kind: SubAgentKind, version: &str) {
    assert_eq!(r.kind, kind);
    assert!(r.synthetic, "{kind}: sandbox results are synthetic");
    assert_eq!(
        r.data["synthetic"],
        Value::Bool(true),
        "{kind}: data says so too"
    );
    assert_eq!(r.data["prompt_version"], version);
    assert!(
        (0.0..=1.0).contains(&r.confidence),
        "{kind}: {}",
        r.confidence
    );
    assert!(!r.provider.is_empty() && !r.model.is_empty());
    assert!(
        r.tokens_in > 0 && r.tokens_out > 0,
        "{kind}: tokens counted"
    );
    let total = r.cost_nano_usd.expect("every sandbox price is known");
    assert!(total > 0, "{kind}: cost > 0");
    let parts: i64 = r.data["cost_breakdown"]
        .as_array()
        .expect("breakdown")
        .iter()
        .map(|p| p["cost_nano_usd"].as_i64().expect("known part"))
        .sum();
    assert_eq!(total, parts, "{kind}: cost is the sum of its parts");
    assert!(r.latency_ms >= 0);
    for s in &r.sources {
        assert!(s.starts_with("http://") || s.starts_with("https://"), "{s}");
    }
}

fn str_or_null(v: &Value) -> bool {
    v.is_string() || v.is_null()
}

async fn research(t: &Arc<Toolkit>, input: &AgentInput) -> AgentResult {
    ResearchAgent::new(Arc::clone(t))
        .run(input)
        .await
        .expect("research runs")
}

async fn enrichment(t: &Arc<Toolkit>, input: &AgentInput) -> AgentResult {
    EnrichmentAgent::new(Arc::clone(t))
        .run(input)
        .await
        .expect("enrichment runs")
}

#[tokio::test]
async fn research_briefs_rest_on_read_sources() {
    let (sb, t, dir) = healthy().await;
    for input in [with_contact(&dir), company_only(&dir)] {
        let r = research(&t, &input).await;
        check_common(&r, SubAgentKind::Research, "research/1");
        let d = &r.data;
        for k in [
            "overview",
            "industry",
            "headquarters",
            "employee_range",
            "market_position",
        ] {
            assert!(str_or_null(&d[k]), "{k}: {}", d[k]);
        }
        for k in ["hiring", "funding", "launches"] {
            assert!(str_or_null(&d["signals"][k]), "signals.{k}");
        }
        assert!(!r.sources.is_empty(), "research has sources");
        assert_eq!(d["sources"], serde_json::json!(r.sources));
        for n in d["recent_news"].as_array().expect("news list") {
            let url = n["url"].as_str().expect("news url");
            assert!(
                r.sources.iter().any(|s| s == url),
                "news url {url} is a source"
            );
            assert!(n["title"].is_string() && n["summary"].is_string() && str_or_null(&n["date"]));
        }
        // Two searches (priced) and, with a site, one free fetch.
        let parts = d["cost_breakdown"].as_array().cloned().unwrap_or_default();
        let search = |p: &&Value| {
            ["serper", "brave", "tavily"].contains(&p["provider"].as_str().unwrap_or(""))
        };
        assert_eq!(parts.iter().filter(search).count(), 2);
        let fetched = parts.iter().any(|p| p["provider"] == "fetch");
        assert_eq!(fetched, input.site().is_some());
        assert_eq!(d["site_read"], Value::Bool(fetched));
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn intel_uses_research_when_present() {
    let (sb, t, dir) = healthy().await;
    let mut input = with_contact(&dir);
    let brief = research(&t, &input).await;
    let alone = IntelAgent::new(Arc::clone(&t))
        .run(&input)
        .await
        .expect("intel runs");
    input
        .prior
        .insert(SubAgentKind::Research, brief.data.clone());
    let informed = IntelAgent::new(Arc::clone(&t))
        .run(&input)
        .await
        .expect("intel runs");
    for r in [&alone, &informed] {
        check_common(r, SubAgentKind::Intel, "intel/1");
        let d = &r.data;
        for c in d["competitors"].as_array().expect("competitors") {
            assert!(c["name"].is_string() && str_or_null(&c["domain"]) && str_or_null(&c["why"]));
            if let Some(dom) = c["domain"].as_str() {
                assert!(
                    !dom.contains("://") && dom.contains('.'),
                    "bare domain {dom}"
                );
                assert_ne!(dom, "acme-analytics.com");
            }
        }
        assert!(str_or_null(&d["positioning"]));
        assert!(d["differentiation_opportunities"].is_array());
        assert!(!r.sources.is_empty());
    }
    assert_eq!(informed.data["research_used"], Value::Bool(true));
    assert_eq!(alone.data["research_used"], Value::Bool(false));
    assert!(
        informed.confidence > alone.confidence,
        "research is evidence"
    );
    sb.shutdown().await;
}

fn check_person(p: &Value) {
    for k in ["name", "title", "email", "phone", "linkedin_url", "source"] {
        assert!(str_or_null(&p[k]), "{k}: {}", p[k]);
    }
    if let Some(s) = p["seniority"].as_str() {
        assert!(APOLLO_SENIORITIES.contains(&s), "seniority {s}");
    } else {
        assert!(p["seniority"].is_null());
    }
    let status = p["email_status"].as_str().expect("email_status");
    assert!(EMAIL_STATUSES.contains(&status), "{status}");
}

#[tokio::test]
async fn enrichment_reports_checked_contacts_and_executives() {
    let (sb, t, dir) = healthy().await;
    for input in [with_contact(&dir), company_only(&dir)] {
        let r = enrichment(&t, &input).await;
        check_common(&r, SubAgentKind::Enrichment, "enrichment/1");
        let d = &r.data;
        if input.contact_name.is_some() {
            check_person(&d["contact"]);
            assert_eq!(d["contact"]["name"], "Ada Lovelace");
        } else if !d["contact"].is_null() {
            check_person(&d["contact"]);
        }
        let execs = d["executives"].as_array().expect("executives");
        let mut names = std::collections::HashSet::new();
        for e in execs {
            check_person(e);
            let s = e["seniority"]
                .as_str()
                .expect("executives have a seniority");
            assert!(
                ["owner", "founder", "c_suite", "partner", "vp", "head"].contains(&s),
                "{s} is not an executive level"
            );
            assert!(
                names.insert(e["name"].as_str().unwrap_or("").to_lowercase()),
                "dedup"
            );
        }
        let org = &d["organization"];
        for k in ["domain", "website", "industry"] {
            assert!(str_or_null(&org[k]), "organization.{k}");
        }
        assert!(org["employees"].is_null() || org["employees"].is_u64());
        assert!(org["revenue"].is_null() || org["revenue"].is_number());
        // Every e-mail reported as verified or likely was returned by a tool.
        let log = d["tool_log"].to_string().to_lowercase();
        for p in std::iter::once(&d["contact"]).chain(execs.iter()) {
            if let (Some(email), Some(status)) = (p["email"].as_str(), p["email_status"].as_str())
                && (status == "verified" || status == "likely")
            {
                assert!(
                    log.contains(email),
                    "{email} is {status} without a tool saying so"
                );
            }
        }
        if input.domain.is_some() {
            // The executive sweep ran and found people; the organization came from Apollo.
            assert!(!execs.is_empty(), "{d:#}");
            assert_eq!(org["source"], "apollo_organization_enrich");
        }
        // Paid lookups were made and priced.
        let parts = d["cost_breakdown"].as_array().cloned().unwrap_or_default();
        assert!(parts.iter().any(|p| p["provider"] == "apollo"));
    }
    sb.shutdown().await;
}

/// What the engine does once a result has committed under its lease: move the files the
/// run wrote under its own names into place.
fn committed(r: AgentResult) -> AgentResult {
    for a in &r.artefacts {
        assert_ne!(
            a.temp_path, a.final_path,
            "a run writes under a name of its own"
        );
        std::fs::rename(&a.temp_path, &a.final_path).expect("the run wrote its artefact");
    }
    r
}

fn wav_seconds(path: &str) -> f64 {
    let reader = hound::WavReader::open(path).expect("a readable WAV");
    let spec = reader.spec();
    f64::from(reader.duration()) / f64::from(spec.sample_rate)
}

#[tokio::test]
async fn voice_writes_a_script_and_its_audio() {
    let (sb, t, dir) = healthy().await;
    let mut input = with_contact(&dir);
    // Another target id, so the two runs do not write the same file.
    let mut first = input.clone();
    first.target_id = 21;
    let generic = VoiceAgent::new(Arc::clone(&t))
        .run(&first)
        .await
        .map(committed)
        .expect("voice runs");
    let brief = research(&t, &input).await;
    let enriched = enrichment(&t, &input).await;
    input
        .prior
        .insert(SubAgentKind::Research, brief.data.clone());
    input
        .prior
        .insert(SubAgentKind::Enrichment, enriched.data.clone());
    let grounded = VoiceAgent::new(Arc::clone(&t))
        .run(&input)
        .await
        .map(committed)
        .expect("voice runs");
    for (r, id) in [(&generic, 21), (&grounded, 11)] {
        check_common(r, SubAgentKind::Voice, "voice/1");
        let d = &r.data;
        let script = &d["script"];
        for k in ["opener", "reason", "close"] {
            assert!(
                script[k].as_str().is_some_and(|s| !s.is_empty()),
                "script.{k}"
            );
        }
        assert_eq!(script["questions"].as_array().map(Vec::len), Some(2));
        for o in script["objections"].as_array().expect("objections") {
            assert!(o["objection"].is_string() && o["response"].is_string());
        }
        assert!(
            script["opener"].as_str().unwrap_or("").contains("Ada"),
            "greets by name"
        );
        let text = d["text"].as_str().expect("text");
        assert!(text.contains(script["close"].as_str().unwrap_or("?")));
        let path = d["audio_path"].as_str().expect("audio path");
        assert!(path.ends_with(&format!("audio/target-{id}.wav")), "{path}");
        let secs = wav_seconds(path);
        assert!(secs > 0.0);
        assert!((secs - d["audio_seconds"].as_f64().unwrap_or(0.0)).abs() < 0.05);
        assert_eq!(d["tts_provider"], "cartesia");
    }
    assert_eq!(generic.data["research_used"], Value::Bool(false));
    assert!(generic.data["script"]["reason_source"].is_null());
    if let Some(src) = grounded.data["script"]["reason_source"].as_str() {
        assert!(
            brief.sources.iter().any(|s| s == src),
            "cites a research source"
        );
    }
    assert!(
        grounded.confidence > generic.confidence,
        "research raises confidence"
    );

    // Local engines: silent always, espeak-ng when installed. Both are free and known.
    let mut local = Toolkit::sandbox(Url::parse(&sb.base_url()).unwrap(), &dir, &default_routes())
        .expect("toolkit");
    local.tts = Arc::new(SilentTts);
    let mut company = company_only(&dir);
    company.target_id = 13;
    let r = VoiceAgent::new(Arc::new(local))
        .run(&company)
        .await
        .map(committed)
        .expect("voice runs");
    assert_eq!(r.data["tts_provider"], "silent");
    assert!(wav_seconds(r.data["audio_path"].as_str().unwrap_or("")) > 0.0);
    assert!(r.data["script"]["opener"].is_string());
    sb.shutdown().await;
}

#[tokio::test]
async fn estimates_are_positive_ranges() {
    let (sb, t, dir) = healthy().await;
    let input = with_contact(&dir);
    let agents: Vec<Box<dyn SubAgent>> = vec![
        Box::new(ResearchAgent::new(Arc::clone(&t))),
        Box::new(IntelAgent::new(Arc::clone(&t))),
        Box::new(EnrichmentAgent::new(Arc::clone(&t))),
        Box::new(VoiceAgent::new(Arc::clone(&t))),
    ];
    for a in agents {
        let e = a.estimate(&input);
        assert!(e.low_nano_usd > 0, "{}: {e:?}", a.kind());
        assert!(e.high_nano_usd > e.low_nano_usd, "{}: {e:?}", a.kind());
        // A real run of research costs something inside a sane multiple of the quote.
        if a.kind() == SubAgentKind::Research {
            let r = a.run(&input).await.expect("runs");
            let cost = r.cost_nano_usd.unwrap_or(0);
            assert!(cost <= e.high_nano_usd * 3, "cost {cost} vs {e:?}");
        }
    }
    sb.shutdown().await;
}

/// A sandbox config whose chat family misbehaves on every request.
fn chat_faults(faults: Faults) -> SandboxConfig {
    SandboxConfig {
        chat: FamilyConfig {
            faults,
            ..FamilyConfig::default()
        },
        ..SandboxConfig::default()
    }
}

/// The sandbox toolkit. Providers make one attempt per route (the governor only
/// admits), so fault tests are short by themselves.
fn few_retries(origin: &Url, dir: &std::path::Path) -> Toolkit {
    let config = ProvidersConfig::sandbox(origin.clone(), &default_routes());
    Toolkit::from_config(config, ToolkitOptions::sandbox(origin, dir)).expect("toolkit")
}

#[tokio::test]
async fn rate_limits_everywhere_give_a_retryable_error_with_the_money_spent() {
    let (sb, origin) = sandbox(chat_faults(Faults {
        rate_limit: Trigger::every(1),
        retry_after_secs: 1,
        ..Faults::default()
    }))
    .await;
    let dir = data_dir();
    let t = Arc::new(few_retries(&origin, &dir));
    let started = std::time::Instant::now();
    let err = ResearchAgent::new(t)
        .run(&with_contact(&dir))
        .await
        .expect_err("every chat is a 429");
    assert!(err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("rate limited"), "{err}");
    // The searches before the failed chat were paid for and are still counted.
    assert!(err.spent_nano_usd() > 0, "{err:?}");
    // Three routes (deepseek, openrouter, cerebras), one call each: a persistent 429
    // costs one request per route per run, and nobody sleeps through its Retry-After.
    let chat = sb.stats().family(atl_sandbox::Family::Chat);
    assert_eq!(chat.requests, 3, "{chat:?}");
    assert_eq!(chat.faults, 3);
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    sb.shutdown().await;
}

#[tokio::test]
async fn malformed_replies_are_retried_then_retryable() {
    let (sb, origin) = sandbox(chat_faults(Faults {
        malformed: Trigger::every(1),
        ..Faults::default()
    }))
    .await;
    let dir = data_dir();
    let t = Arc::new(few_retries(&origin, &dir));
    let err = VoiceAgent::new(t)
        .run(&company_only(&dir))
        .await
        .expect_err("every chat body is cut in half");
    // A truncated 2xx is a transport-level fault: every route tried once, and the job
    // may be tried again later.
    assert!(err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("unexpected response"), "{err}");
    sb.shutdown().await;
}

#[tokio::test]
async fn replies_that_never_fit_the_schema_are_final() {
    // Without `json_schema_everywhere`, DeepSeek is asked in JSON-object mode, which the
    // sandbox answers with a generic object that does not fit the research schema. An
    // invalid reply moves on to the next route, so every route here is a DeepSeek one.
    let (sb, origin) = sandbox(SandboxConfig::default()).await;
    let dir = data_dir();
    let mut options = ToolkitOptions::sandbox(&origin, &dir);
    options.json_schema_everywhere = false;
    let mut config = ProvidersConfig::sandbox(origin.clone(), &default_routes());
    config.routes.insert(
        "research".into(),
        vec![
            atl_providers::route::Route::new("deepseek", "deepseek-flash"),
            atl_providers::route::Route::new("deepseek", "deepseek-v4-flash"),
        ],
    );
    let t = Toolkit::from_config(config, options).expect("toolkit");
    let err = ResearchAgent::new(Arc::new(t))
        .run(&with_contact(&dir))
        .await
        .expect_err("schema never met");
    assert_eq!(err.kind, FailureKind::Final, "{err:?}");
    assert!(err.message.contains("schema"), "{}", err.message);
    assert!(
        err.message.contains("deepseek:deepseek-v4-flash"),
        "{}",
        err.message
    );
    // Two searches and both LLM attempts were paid.
    assert!(err.spent_nano_usd > 0);
    sb.shutdown().await;
}

#[tokio::test]
async fn unconfigured_routes_fail_final_naming_the_key() {
    let config = ProvidersConfig::from_sources(&Default::default(), None, &default_routes())
        .expect("config");
    let dir = data_dir();
    let mut options = ToolkitOptions::new(&dir);
    options.espeak_program = "no-such-espeak".into();
    let t = Arc::new(Toolkit::from_config(config, options).expect("toolkit"));
    // Company-only: no site to fetch, no search configured, so nothing leaves the machine.
    let input = company_only(&dir);
    for (agent, key) in [
        (
            Box::new(ResearchAgent::new(Arc::clone(&t))) as Box<dyn SubAgent>,
            "DEEPSEEK_API_KEY",
        ),
        (
            Box::new(EnrichmentAgent::new(Arc::clone(&t))),
            "ANTHROPIC_API_KEY",
        ),
        (
            Box::new(VoiceAgent::new(Arc::clone(&t))),
            "CEREBRAS_API_KEY",
        ),
    ] {
        let err = agent.run(&input).await.expect_err("nothing configured");
        assert!(!err.is_retryable(), "{err:?}");
        assert!(err.to_string().contains(key), "{}: {err}", agent.kind());
        assert_eq!(err.spent_nano_usd(), 0);
        let e = agent.estimate(&input);
        assert_eq!(e.low_nano_usd, 0, "no route, nothing to quote");
    }
}

#[tokio::test]
async fn tool_errors_go_back_to_the_model_and_quota_stops_the_run() {
    // Apollo answers 500 to everything: each tool call fails softly (the model and the
    // sweeps carry on) and the run still produces a result, with less evidence.
    let (sb, origin) = sandbox(SandboxConfig {
        apollo: FamilyConfig {
            faults: Faults {
                server_error: Trigger::every(1),
                ..Faults::default()
            },
            ..FamilyConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let dir = data_dir();
    let t = Arc::new(few_retries(&origin, &dir));
    let r = EnrichmentAgent::new(Arc::clone(&t))
        .run(&with_contact(&dir))
        .await
        .expect("tool failures do not fail the run");
    let log = r.data["tool_log"].as_array().cloned().unwrap_or_default();
    assert!(
        !log.is_empty()
            && log
                .iter()
                .filter(|l| l["tool"].as_str().is_some_and(|n| n.starts_with("apollo")))
                .all(|l| l["ok"] == false)
    );
    assert!(r.data["executives"].as_array().is_some_and(Vec::is_empty));
    assert!(r.data["organization"]["source"].is_null());
    sb.shutdown().await;

    // Hunter out of quota (its 429): final, and the Apollo credits already used count.
    let (sb, origin) = sandbox(SandboxConfig {
        hunter: FamilyConfig {
            faults: Faults {
                quota_exhausted: Trigger::every(1),
                ..Faults::default()
            },
            ..FamilyConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let t = Arc::new(few_retries(&origin, &dir));
    let err = EnrichmentAgent::new(t)
        .run(&with_contact(&dir))
        .await
        .expect_err("no Hunter quota");
    assert!(!err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("quota"), "{err}");
    assert!(err.spent_nano_usd() > 0, "{err:?}");
    sb.shutdown().await;
}

#[tokio::test]
async fn espeak_speaks_when_installed() {
    let installed = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("espeak-ng").is_file()));
    if !installed {
        eprintln!("espeak-ng not installed; skipped");
        return;
    }
    let (sb, origin) = sandbox(SandboxConfig::default()).await;
    let dir = data_dir();
    let mut t = Toolkit::sandbox(origin, &dir, &default_routes()).expect("toolkit");
    t.tts = Arc::new(atl_providers::tts::EspeakTts::new());
    let r = VoiceAgent::new(Arc::new(t))
        .run(&with_contact(&dir))
        .await
        .map(committed)
        .expect("voice runs");
    assert_eq!(r.data["tts_provider"], "espeak");
    assert!(wav_seconds(r.data["audio_path"].as_str().unwrap_or("")) > 1.0);
    // espeak-ng is free and known to be: the cost is still exactly known.
    assert!(r.cost_nano_usd.is_some());
    sb.shutdown().await;
}
