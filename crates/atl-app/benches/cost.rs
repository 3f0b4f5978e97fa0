//! What a campaign costs and how fast it runs under the providers' real limits, on the
//! default routes against the sandbox priced with the price table.
//!
//! `cost [targets]`: a list with a contact and a domain on every row, run twice (the
//! second time the same accounts in a new campaign). Prints, per target: the dollars for
//! model tokens, searches and speech apart from the contact-data credits; the requests
//! each provider served; the quote's point estimate against the booked spend.
//!
//! `limits [targets] [workers] [first|tight]`: the same list against a sandbox that enforces each
//! provider's plan limits (the `TIERS` below), ATL held to the same tiers, with
//! `workers` worker processes (children of this binary) on PostgreSQL sharing the
//! limits through the database. Prints the wall time, the 429s the sandbox sent and the
//! bound those limits allow: for each provider's counter, Σ calls ÷ its limit × its
//! window; the largest.
//!
//! Run: `cargo bench -p atl-app --bench cost -- cost 1000` and
//! `cargo bench -p atl-app --bench cost -- limits 1000 3` (scripts/bench-cost.sh).

#[path = "../tests/support/mod.rs"]
mod support;

use atl_app::{Providers, SandboxSetup, rate_limiter_for};
use atl_domain::records::CostPart;
use atl_engine::EngineConfig;
use atl_sandbox::{SandboxConfig, SandboxStats};
use atl_store::Store;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use support::{contact_list, import_list};
use tokio_util::sync::CancellationToken;

const CONCURRENCY: usize = 64;

/// (provider, the sandbox's tier, ATL's name for the same plan). Free plans where 1,000
/// accounts fit in them; the first paid plan where the free one's daily or monthly
/// quota is smaller than the list (Apollo Free: 60 bulk calls a day; Hunter Free: 50
/// requests a month).
/// DeepSeek limits concurrency only (2,500 in flight), which ATL's own ceiling stays under.
const TIERS: &[(&str, &str, Option<&str>)] = &[
    ("apollo", "basic", Some("basic")),
    ("hunter", "starter", Some("default")),
    ("serper", "free", Some("default")),
    ("tavily", "free", Some("development")),
    ("brave", "free", Some("free")),
    ("cerebras", "free", Some("free")),
    ("anthropic", "tier1", Some("tier1")),
    ("openai", "tier1", Some("default")),
    ("deepseek", "default", None),
];

/// The counters those tiers enforce that a campaign's calls can reach, as
/// (provider, endpoints counted together, limit, window): the bound's inputs. Figures
/// from the tier tables (`atl-sandbox/src/tiers.rs`, `atl-providers/src/limits/tiers.rs`).
const COUNTERS: &[(&str, &[&str], u64, u64)] = &[
    ("apollo", &["/api/v1/people/bulk_match"], 100, 60),
    ("apollo", &["/api/v1/organizations/bulk_enrich"], 100, 60),
    ("apollo", &["/api/v1/mixed_people/api_search"], 200, 60),
    ("apollo", &["/api/v1/mixed_people/api_search"], 400, 3_600),
    ("hunter", &["/v2/email-finder"], 500, 60),
    ("hunter", &["/v2/email-verifier"], 300, 60),
    ("serper", &["*"], 50, 1),
    ("tavily", &["*"], 100, 60),
    ("brave", &["*"], 1, 1),
    ("cerebras", &["*"], 30, 60),
    ("cerebras", &["*"], 900, 3_600),
    ("anthropic", &["*"], 50, 60),
    ("openai", &["*"], 60, 60),
];

fn usd(nanos: i64) -> f64 {
    nanos as f64 / 1e9
}

async fn import(store: &Store, targets: usize, name: &str) -> i64 {
    let list = contact_list(targets, "Company", "Jo", "Smith").into_bytes();
    let outcome = import_list(store, "bench", list, |r| r.name = Some(name.into()));
    outcome.await.campaign_id
}

fn engine(dir: &Path) -> EngineConfig {
    EngineConfig {
        concurrency: CONCURRENCY,
        data_dir: dir.to_path_buf(),
        ..EngineConfig::default()
    }
}

/// Dollars of one campaign's results by what was bought, and its contact credits.
#[derive(Debug, Default)]
struct Spend {
    model_usd: f64,
    search_usd: f64,
    tts_usd: f64,
    contact_usd: f64,
    apollo_credits: f64,
    hunter_credits: f64,
    from_cache: u64,
    by_provider: BTreeMap<String, f64>,
    /// Per sub-agent: dollars, input tokens, output tokens.
    by_agent: BTreeMap<String, (f64, u64, u64)>,
}

async fn spend_of(store: &Store, campaign: i64) -> Spend {
    let mut s = Spend::default();
    let mut offset = 0;
    loop {
        let batch = store
            .list_targets(campaign, None, 1000, offset)
            .await
            .expect("targets");
        if batch.is_empty() {
            break;
        }
        offset += batch.len() as u64;
        for t in batch {
            for r in store.results_for_target(t.id).await.expect("results") {
                let parts: Vec<CostPart> =
                    serde_json::from_value(r.data["cost_breakdown"].clone()).unwrap_or_default();
                for p in parts {
                    let cost = p.cost.map_or(0.0, |m| m.usd());
                    *s.by_provider.entry(p.provider.clone()).or_default() += cost;
                    let a = s.by_agent.entry(r.kind.to_string()).or_default();
                    a.0 += cost;
                    a.1 += p.tokens_in;
                    a.2 += p.tokens_out;
                    s.from_cache += u64::from(p.from_cache);
                    match p.provider.as_str() {
                        "apollo" => {
                            s.contact_usd += cost;
                            s.apollo_credits += p.lookups as f64;
                        }
                        "hunter" => {
                            s.contact_usd += cost;
                            s.hunter_credits += cost / atl_providers::prices::HUNTER_CREDIT_USD;
                        }
                        "serper" | "brave" | "tavily" => s.search_usd += cost,
                        "cartesia" | "espeak" => s.tts_usd += cost,
                        _ => s.model_usd += cost,
                    }
                }
            }
        }
    }
    s
}

fn requests(after: &SandboxStats, before: &SandboxStats) -> BTreeMap<String, (u64, u64)> {
    after
        .providers
        .iter()
        .map(|(name, a)| {
            let b = before.providers.get(name);
            let n = a.requests - b.map_or(0, |b| b.requests);
            let refused = a.rate_limited - b.map_or(0, |b| b.rate_limited);
            (name.clone(), (n, refused))
        })
        .filter(|(_, (n, _))| *n > 0)
        .collect()
}

/// One campaign on `providers`: quote, run, spend, requests.
async fn campaign(
    store: &Store,
    providers: &Providers,
    dir: &Path,
    targets: usize,
    label: &str,
) -> f64 {
    let id = import(store, targets, label).await;
    let quote = atl_app::estimate_campaign(store, providers, None, id)
        .await
        .expect("quote");
    let sandbox = providers.sandbox().expect("embedded");
    let before = sandbox.stats();
    let started = Instant::now();
    atl_app::coordinator(store, providers, engine(dir))
        .run_campaign(id, CancellationToken::new())
        .await
        .expect("run");
    let wall = started.elapsed();
    let after = sandbox.stats();
    let progress = store.campaign_progress(id).await.expect("progress");
    let s = spend_of(store, id).await;
    let n = targets as f64;
    let total = usd(progress.cost_nano_usd);
    let dollars = s.model_usd + s.search_usd + s.tts_usd;
    println!(
        "{label}: {targets} targets in {:.1} s, {} completed, {} partial, {} failed",
        wall.as_secs_f64(),
        progress.targets.completed,
        progress.targets.partial,
        progress.targets.failed
    );
    println!(
        "  per 1,000: model ${:.3} + search ${:.3} + TTS ${:.3} = ${:.3}; contact data ${:.2} \
         ({:.3} credits per target: Apollo {:.3}, Hunter {:.3}); failed runs ${:.4}; {} parts from cache",
        s.model_usd / n * 1e3,
        s.search_usd / n * 1e3,
        s.tts_usd / n * 1e3,
        dollars / n * 1e3,
        s.contact_usd / n * 1e3,
        (s.apollo_credits + s.hunter_credits) / n,
        s.apollo_credits / n,
        s.hunter_credits / n,
        usd(progress.failed_spend_nano_usd),
        s.from_cache,
    );
    let mut quoted: BTreeMap<String, f64> = BTreeMap::new();
    for line in &quote.items {
        *quoted.entry(line.provider.clone()).or_default() += line.expected_usd;
    }
    let side: Vec<String> = quoted
        .keys()
        .chain(s.by_provider.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|p| {
            format!(
                "{p} {:.4}/{:.4}",
                quoted.get(p).copied().unwrap_or(0.0),
                s.by_provider.get(p).copied().unwrap_or(0.0)
            )
        })
        .collect();
    println!("  quoted / booked by provider (USD): {}", side.join(", "));
    let agents: Vec<String> = s
        .by_agent
        .iter()
        .map(|(k, (u, i, o))| {
            let q = quote.by_agent.get(k).map_or(0.0, |q| q.expected_usd);
            format!(
                "{k} {q:.4}/{u:.4} (tokens in {:.0}, out {:.0} per target)",
                *i as f64 / n,
                *o as f64 / n
            )
        })
        .collect();
    println!(
        "  quoted / booked by sub-agent (USD): {}",
        agents.join(", ")
    );
    let per: Vec<String> = requests(&after, &before)
        .iter()
        .map(|(p, (r, _))| format!("{p} {:.3}", *r as f64 / n))
        .collect();
    println!("  requests per target: {}", per.join(", "));
    if let Some(a) = after.providers.get("apollo") {
        let b = before.providers.get("apollo");
        let ends: Vec<String> = a
            .endpoints
            .iter()
            .map(|(e, n)| {
                let was = b.and_then(|b| b.endpoints.get(e)).copied().unwrap_or(0);
                format!("{e} {}", n - was)
            })
            .filter(|x| !x.ends_with(" 0"))
            .collect();
        println!("  apollo by endpoint: {}", ends.join(", "));
    }
    println!(
        "  quote: expected ${:.3} (low {:.3}, high {:.3}), contact credits {:.1}; booked ${:.3}: \
         expected / booked = {:.3}",
        quote.expected_usd,
        quote.low_usd,
        quote.high_usd,
        quote.contact_credits_expected,
        total,
        if total > 0.0 {
            quote.expected_usd / total
        } else {
            f64::NAN
        },
    );
    total
}

async fn cost(targets: usize) {
    let dir = std::env::temp_dir().join(format!("atl-bench-cost-{}", std::process::id()));
    let providers = Providers::embedded_sandbox(&dir, SandboxConfig::default())
        .await
        .expect("sandbox");
    let test_store = match std::env::var("ATL_BENCH_BACKEND").as_deref() {
        Ok("postgres") => atl_testkit::postgres_store().await.expect("postgres"),
        _ => atl_testkit::sqlite_store().await,
    };
    let store = test_store.store();
    let first = campaign(&store, &providers, &dir, targets, "first campaign").await;
    let second = campaign(&store, &providers, &dir, targets, "same accounts again").await;
    println!(
        "second / first = {:.4} (${:.4} / ${:.4})",
        second / first,
        second,
        first
    );
    test_store.cleanup().await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn sandbox_limits() -> SandboxConfig {
    let mut cfg = SandboxConfig::default();
    let mut limits = serde_json::Map::new();
    for (provider, tier, _) in TIERS {
        limits.insert((*provider).into(), serde_json::json!({"tier": tier}));
    }
    cfg.limits = serde_json::from_value(serde_json::Value::Object(limits)).expect("limits");
    cfg
}

/// `tight`: web search only on Tavily's development key (100 a minute), so the limit
/// binds for the whole run and the workers must share it.
fn setup(store: &Store, plan: &str) -> SandboxSetup {
    let without = if plan == "tight" {
        vec!["serper".to_string(), "brave".to_string()]
    } else {
        Vec::new()
    };
    SandboxSetup {
        without,
        tiers: TIERS
            .iter()
            .filter_map(|(p, _, atl)| Some(((*p).to_string(), (*atl)?.to_string())))
            .collect(),
        rate_limiter: Some(rate_limiter_for(store)),
    }
}

/// The bound the limits allow: for each counter, Σ calls ÷ limit × window.
fn bound(stats: &SandboxStats) -> (f64, String) {
    let mut best = (0.0, String::from("none"));
    for (provider, endpoints, limit, window) in COUNTERS {
        let Some(p) = stats.providers.get(*provider) else {
            continue;
        };
        let calls: u64 = if endpoints == &["*"] {
            p.requests
        } else {
            p.endpoints
                .iter()
                .filter(|(e, _)| endpoints.iter().any(|x| e.ends_with(x)))
                .map(|(_, n)| n)
                .sum()
        };
        // The measure, Σ calls ÷ limit: a per-minute (or shorter) limit is a
        // rate; a longer window binds only once the calls exceed what it holds.
        if *window > 60 && calls <= *limit {
            continue;
        }
        let secs = calls as f64 / *limit as f64 * *window as f64;
        if secs > best.0 {
            best = (
                secs,
                format!("{provider} {endpoints:?}: {calls} calls at {limit}/{window}s"),
            );
        }
    }
    best
}

async fn limits(targets: usize, workers: usize, plan: &str) {
    let dir = std::env::temp_dir().join(format!("atl-bench-limits-{}", std::process::id()));
    let test_store =
        if workers > 1 || std::env::var("ATL_BENCH_BACKEND").as_deref() == Ok("postgres") {
            atl_testkit::postgres_store()
                .await
                .expect("several workers need PostgreSQL")
        } else {
            atl_testkit::sqlite_store().await
        };
    let store = test_store.store();
    let sandbox =
        atl_sandbox::Sandbox::start("127.0.0.1:0".parse().expect("addr"), sandbox_limits())
            .await
            .expect("sandbox");
    let id = import(&store, targets, "limits").await;
    let started = Instant::now();
    if workers <= 1 && !store.shares_rate_windows() {
        let url = url::Url::parse(&sandbox.base_url()).expect("url");
        let providers =
            Providers::running_sandbox(url, &dir, &setup(&store, plan)).expect("providers");
        atl_app::coordinator(&store, &providers, engine(&dir))
            .run_campaign(id, CancellationToken::new())
            .await
            .expect("run");
    } else {
        let exe = std::env::current_exe().expect("exe");
        let children: Vec<_> = (0..workers)
            .map(|_| {
                std::process::Command::new(&exe)
                    .args([
                        "worker",
                        &sandbox.base_url(),
                        test_store.url(),
                        &id.to_string(),
                        plan,
                    ])
                    .arg(dir.join(format!("w{}", fastrand::u32(..))))
                    .spawn()
                    .expect("spawn worker")
            })
            .collect();
        for mut c in children {
            let status = c.wait().expect("worker");
            assert!(status.success(), "a worker failed: {status}");
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let stats = sandbox.stats();
    let progress = store.campaign_progress(id).await.expect("progress");
    let (ideal, which) = bound(&stats);
    let refused: u64 = stats.providers.values().map(|p| p.rate_limited).sum();
    let calls: Vec<String> = stats
        .providers
        .iter()
        .map(|(p, s)| {
            if s.rate_limited > 0 {
                format!("{p} {} ({} refused)", s.requests, s.rate_limited)
            } else {
                format!("{p} {}", s.requests)
            }
        })
        .collect();
    println!(
        "{plan} plan, {} worker(s), {}: {targets} targets, wall {wall:.1} s, bound {ideal:.1} s ({which}), \
         ratio {:.3}; {refused} refused by the sandbox (429); {} completed, {} partial, {} failed; calls: {}",
        workers.max(1),
        store.backend().as_str(),
        wall / ideal,
        progress.targets.completed,
        progress.targets.partial,
        progress.targets.failed,
        calls.join(", ")
    );
    sandbox.shutdown().await;
    test_store.cleanup().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A child worker process: run the campaign on the sandbox at `origin` until it is done.
async fn worker(origin: &str, db: &str, campaign: i64, plan: &str, dir: PathBuf) {
    let store = Store::connect(db).await.expect("store");
    let url = url::Url::parse(origin).expect("url");
    let providers = Providers::running_sandbox(url, &dir, &setup(&store, plan)).expect("providers");
    atl_app::coordinator(&store, &providers, engine(&dir))
        .run_campaign(campaign, CancellationToken::new())
        .await
        .expect("run");
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        match arg(0) {
            Some("worker") => {
                worker(
                    arg(1).expect("origin"),
                    arg(2).expect("db"),
                    arg(3).and_then(|a| a.parse().ok()).expect("campaign"),
                    arg(4).expect("plan"),
                    PathBuf::from(arg(5).expect("dir")),
                )
                .await
            }
            Some("limits") => {
                let targets = arg(1).and_then(|a| a.parse().ok()).unwrap_or(1_000);
                let workers = arg(2).and_then(|a| a.parse().ok()).unwrap_or(1);
                limits(targets, workers, arg(3).unwrap_or("first")).await
            }
            _ => cost(arg(1).and_then(|a| a.parse().ok()).unwrap_or(1_000)).await,
        }
    });
}
