//! Governors of the SSRF-guarded fetcher, one per site (the registrable domain of the
//! URL's host), so that dead or slow sites open their own breakers and fill their own
//! concurrency slots without switching off website research for everyone else.
//!
//! The set is bounded: past `capacity` sites, idle ones (no call in flight) are dropped,
//! least recently used first; what their counters had counted is kept in one total so
//! the exported counters never go down. The snapshot is one aggregate, not one series a
//! site.

use super::metrics::HistogramSnapshot;
use super::{BreakerState, Governor, GovernorSnapshot, LocalRateLimiter};
use crate::catalogue::{FETCH_PROVIDER, endpoint};
use crate::limits::Limits;
use crate::usage::add_counters;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

/// The registrable domain of `host` (`www.acme.co.uk` → `acme.co.uk`), from the public
/// suffix list; `None` for IP addresses, single labels (`localhost`) and hosts that are
/// a public suffix themselves.
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if host.is_empty() || host.parse::<IpAddr>().is_ok() {
        return None;
    }
    psl::domain_str(&host).map(str::to_owned)
}

/// The site a URL's fetch is governed as: its registrable domain, else its host (an IP,
/// `localhost`), else the text itself (it will be refused by the guard anyway).
pub fn site_of(url: &str) -> String {
    let host = url::Url::parse(url.trim())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    match host {
        Some(h) => registrable_domain(&h).unwrap_or(h),
        None => url.trim().chars().take(100).collect(),
    }
}

#[derive(Debug)]
struct Entry {
    governor: Arc<Governor>,
    used: Instant,
}

#[derive(Debug, Default)]
struct Sites {
    map: HashMap<String, Entry>,
    /// What dropped sites' governors had counted.
    retired: Option<GovernorSnapshot>,
}

#[derive(Debug)]
pub struct SiteGovernors {
    limits: Limits,
    capacity: usize,
    sites: Mutex<Sites>,
}

impl SiteGovernors {
    pub fn new(limits: Limits, capacity: usize) -> Self {
        SiteGovernors {
            limits,
            capacity: capacity.max(1),
            sites: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sites> {
        // Plain bookkeeping; consistent after any panic.
        self.sites.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The governor of `site`, created on first use.
    pub fn get(&self, site: &str) -> Arc<Governor> {
        let mut sites = self.lock();
        let now = Instant::now();
        if let Some(e) = sites.map.get_mut(site) {
            e.used = now;
            return Arc::clone(&e.governor);
        }
        if sites.map.len() >= self.capacity {
            evict_idle(&mut sites, self.capacity * 3 / 4);
        }
        let governor = Arc::new(Governor::with_limiter(
            FETCH_PROVIDER.to_owned(),
            site.to_owned(),
            self.limits.clone(),
            Vec::new(),
            Arc::new(LocalRateLimiter::new()),
        ));
        sites.map.insert(
            site.to_owned(),
            Entry {
                governor: Arc::clone(&governor),
                used: now,
            },
        );
        governor
    }

    /// How many sites have state now.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every site's counters added up (dropped sites included), as `fetch`/`page`.
    pub fn snapshot(&self) -> GovernorSnapshot {
        let sites = self.lock();
        let mut total = sites.retired.clone().unwrap_or_else(|| empty(&self.limits));
        for e in sites.map.values() {
            add(&mut total, &e.governor.snapshot());
        }
        total
    }
}

/// Drop idle sites, least recently used first, until at most `keep` remain (sites with
/// a call in flight are never dropped).
fn evict_idle(sites: &mut Sites, keep: usize) {
    let mut idle: Vec<(Instant, String)> = sites
        .map
        .iter()
        .filter(|(_, e)| Arc::strong_count(&e.governor) == 1)
        .map(|(k, e)| (e.used, k.clone()))
        .collect();
    idle.sort();
    let excess = sites.map.len().saturating_sub(keep);
    for (_, site) in idle.into_iter().take(excess) {
        if let Some(e) = sites.map.remove(&site) {
            let snap = e.governor.snapshot();
            match &mut sites.retired {
                Some(total) => add(total, &snap),
                None => {
                    let mut total = snap;
                    total.in_flight = 0;
                    sites.retired = Some(total);
                }
            }
        }
    }
}

fn empty(limits: &Limits) -> GovernorSnapshot {
    GovernorSnapshot {
        provider: FETCH_PROVIDER.into(),
        model: endpoint::PAGE.into(),
        calls: 0,
        attempts: 0,
        successes: 0,
        failures: 0,
        rate_limited: 0,
        throttled: 0,
        timeouts: 0,
        circuit_rejections: 0,
        latency: HistogramSnapshot {
            bounds: super::PROVIDER_LATENCY_BOUNDS,
            counts: vec![0; super::PROVIDER_LATENCY_BOUNDS.len() + 1],
            sum: Default::default(),
        },
        in_flight: 0,
        effective_concurrency: limits.max_concurrency,
        max_concurrency: limits.max_concurrency,
        // Per-site breakers are not one state; each site's is its own.
        breaker: BreakerState::Closed { failures: 0 },
    }
}

fn add(total: &mut GovernorSnapshot, s: &GovernorSnapshot) {
    total.provider = FETCH_PROVIDER.into();
    total.model = endpoint::PAGE.into();
    add_counters!(
        total,
        s,
        [
            calls,
            attempts,
            successes,
            failures,
            rate_limited,
            throttled,
            timeouts,
            circuit_rejections,
            in_flight
        ]
    );
    for (t, c) in total.latency.counts.iter_mut().zip(&s.latency.counts) {
        *t += c;
    }
    total.latency.sum += s.latency.sum;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains() {
        for (host, domain) in [
            ("www.acme.com", Some("acme.com")),
            ("shop.acme.co.uk", Some("acme.co.uk")),
            ("ACME.COM.", Some("acme.com")),
            ("a.b.c.example", Some("c.example")),
            ("acme.github.io", Some("acme.github.io")),
            ("co.uk", None),
            ("localhost", None),
            ("127.0.0.1", None),
            ("[::1]", None),
            ("", None),
        ] {
            assert_eq!(registrable_domain(host).as_deref(), domain, "{host:?}");
        }
        for (url, site) in [
            ("https://www.acme.com/about", "acme.com"),
            ("http://blog.acme.com:8080/x", "acme.com"),
            ("http://127.0.0.2:9/", "127.0.0.2"),
            ("http://localhost/", "localhost"),
        ] {
            assert_eq!(site_of(url), site, "{url}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn idle_sites_are_dropped_but_their_counts_kept() {
        let sites = SiteGovernors::new(Limits::default(), 8);
        let busy = sites.get("busy.example");
        for i in 0..40 {
            let g = sites.get(&format!("site{i}.example"));
            g.call(0, || async { Ok::<_, crate::ProviderError>(()) })
                .await
                .unwrap();
            tokio::time::advance(std::time::Duration::from_millis(1)).await;
        }
        assert!(sites.len() <= 8, "{}", sites.len());
        // A site in use (its governor held) is never dropped.
        assert!(Arc::ptr_eq(&busy, &sites.get("busy.example")));
        let s = sites.snapshot();
        assert_eq!((s.calls, s.successes), (40, 40), "nothing forgotten");
        assert_eq!((s.provider.as_str(), s.model.as_str()), ("fetch", "page"));
    }
}
