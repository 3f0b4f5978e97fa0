//! The four agents against the in-process sandbox (127.0.0.1 only, no network): the typed
//! contract, provenance on every field, evidence-first contacts, the evidence cache, the
//! Apollo batcher, voice greetings and audio, and the failure kinds.

mod enrichment;
mod failures;
mod research;
mod voice;

use atl_agents::{AgentInput, AgentKit, AgentResult, CampaignOptions, Seller, SubAgent};
use atl_domain::SubAgentKind;
use atl_domain::records::{self, Stamped};
use atl_providers::toolkit::Toolkit;
use atl_sandbox::{Sandbox, SandboxConfig, SandboxStats};
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use url::Url;

/// A test's own data folder (audio files land here), removed when the test ends.
pub struct TestDir(pub PathBuf);

impl std::ops::Deref for TestDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn data_dir() -> TestDir {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "atl-agents-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    TestDir(dir)
}

/// A sandbox, a kit over it (in-memory cache, a short batching window) and a data dir.
pub struct Env {
    pub sandbox: Sandbox,
    pub kit: AgentKit,
    pub dir: TestDir,
    pub origin: Url,
}

impl Env {
    pub async fn new(config: SandboxConfig) -> Env {
        let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap(), config)
            .await
            .expect("sandbox starts");
        let origin = Url::parse(&sandbox.base_url()).unwrap();
        let dir = data_dir();
        let toolkit =
            Toolkit::sandbox(origin.clone(), &*dir, &atl_agents::routes::default_routes())
                .expect("toolkit");
        let kit = AgentKit::new(Arc::new(toolkit)).with_batch_window(Duration::from_millis(30));
        Env {
            sandbox,
            kit,
            dir,
            origin,
        }
    }

    /// An env over a sandbox whose default config `faults` changes (one fault on).
    pub async fn faulty(faults: impl FnOnce(&mut SandboxConfig)) -> Env {
        let mut config = SandboxConfig::default();
        faults(&mut config);
        Env::new(config).await
    }

    pub async fn healthy() -> Env {
        Env::new(SandboxConfig::default()).await
    }

    pub fn stats(&self) -> SandboxStats {
        self.sandbox.stats()
    }

    /// Web searches the sandbox answered, whichever engine served them.
    pub fn searches(&self) -> u64 {
        ["serper", "brave", "tavily"]
            .iter()
            .map(|p| self.requests(p))
            .sum()
    }

    /// Requests the sandbox saw for one provider.
    pub fn requests(&self, provider: &str) -> u64 {
        self.stats().provider(provider).requests
    }

    /// Requests the sandbox saw for one provider's endpoint (`/api/v1/people/match`).
    pub fn endpoint_requests(&self, provider: &str, path: &str) -> u64 {
        self.stats()
            .provider(provider)
            .endpoints
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn input(&self, company: &str, domain: Option<&str>) -> AgentInput {
        AgentInput {
            target_id: 11,
            company_name: company.into(),
            domain: domain.map(String::from),
            website: domain.map(|d| format!("https://www.{d}")),
            options: CampaignOptions {
                seller: seller(),
                ..CampaignOptions::default()
            },
            cache_scope: "team:1".into(),
            data_dir: self.dir.to_path_buf(),
            attempt: 1,
            ..AgentInput::default()
        }
    }

    pub async fn run(&self, agent: &dyn SubAgent, input: &AgentInput) -> AgentResult {
        agent
            .run(input)
            .await
            .unwrap_or_else(|e| panic!("{:?} failed: {e:?}", agent.kind()))
    }
}

/// A sandbox fault that strikes every `n`th request.
pub fn every(n: u64) -> atl_sandbox::Trigger {
    atl_sandbox::Trigger {
        every_nth: n,
        ..Default::default()
    }
}

pub fn seller() -> Seller {
    Seller {
        name: Some("Sam Seller".into()),
        company: Some("PipeCo".into()),
        pitch: Some("Pipeline analytics for mid-market revenue teams".into()),
    }
}

/// A result's record, read back exactly as every consumer reads it.
pub fn record<T: DeserializeOwned>(r: &AgentResult) -> Stamped<T> {
    records::decode::<T>(r.kind, &r.data).expect("the stored result reads as its record")
}

/// What every result must satisfy: synthetic, its own kind, cost = sum of its parts.
pub fn check_common(r: &AgentResult, kind: SubAgentKind) {
    assert_eq!(r.kind, kind);
    assert!(r.synthetic, "{kind}: sandbox results are synthetic");
    assert_eq!(r.data["synthetic"], true, "{kind}: the record says so too");
    assert!(
        (0.0..=1.0).contains(&r.confidence),
        "{kind}: {}",
        r.confidence
    );
    let total = r.cost_nano_usd.expect("every sandbox price is known");
    let parts: i64 = r.data["cost_breakdown"]
        .as_array()
        .expect("breakdown")
        .iter()
        .map(|p| p["cost_nano_usd"].as_i64().expect("known part"))
        .sum();
    assert_eq!(total, parts, "{kind}: cost is the sum of its parts");
    for s in &r.sources {
        assert!(s.starts_with("http://") || s.starts_with("https://"), "{s}");
    }
}

/// The prior results a later agent reads, as the engine gives them.
pub fn with_prior(mut input: AgentInput, results: &[&AgentResult]) -> AgentInput {
    for r in results {
        input.prior.insert(r.kind, r.data.clone());
    }
    input
}
