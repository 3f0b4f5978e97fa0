//! The process-wide set of governors, one per (provider, endpoint), created on first use
//! with the provider's configured limits, all drawing rate slots from one
//! [`RateLimiter`]. Breakers and concurrency are per (provider, endpoint): health is an
//! endpoint's. Rate counters are per (provider, key, bucket): two endpoints of one key
//! that share a bucket count together, two keys of one vendor apart.

use super::limiter::{LocalRateLimiter, RateLimiter};
use super::sites::SiteGovernors;
use super::{Governor, GovernorSnapshot, rate_slots};
use crate::catalogue::FETCH_PROVIDER;
use crate::config::ProvidersConfig;
use crate::limits::{Limits, key_fingerprint};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Map = HashMap<String, HashMap<String, Arc<Governor>>>;

#[derive(Debug)]
pub struct Governors {
    limits: HashMap<String, Limits>,
    /// Provider → fingerprint of its key: rate counters are per key.
    keys: HashMap<String, String>,
    limiter: Arc<dyn RateLimiter>,
    /// provider → endpoint → governor. Two levels so a lookup by `&str` allocates nothing.
    map: Mutex<Map>,
    /// The guarded fetcher's governors, one per site.
    sites: SiteGovernors,
}

/// How many sites keep fetch state before idle ones are dropped.
const SITE_CAPACITY: usize = 1024;

impl Default for Governors {
    fn default() -> Self {
        Governors {
            limits: HashMap::new(),
            keys: HashMap::new(),
            limiter: Arc::new(LocalRateLimiter::new()),
            map: Mutex::default(),
            sites: SiteGovernors::new(Limits::for_provider(FETCH_PROVIDER), SITE_CAPACITY),
        }
    }
}

impl Governors {
    /// Governors whose limits come from `Limits::for_provider` (tests, tools).
    pub fn new() -> Self {
        Self::default()
    }

    /// Governors with each configured provider's limits.
    pub fn from_config(config: &ProvidersConfig) -> Self {
        let limits = config
            .providers
            .iter()
            .map(|(name, p)| (name.clone(), p.limits.clone()))
            .collect();
        let keys = config
            .providers
            .iter()
            .map(|(name, p)| {
                let key = p.api_key.as_ref().map(|k| k.expose());
                (name.clone(), key_fingerprint(key))
            })
            .collect();
        Governors {
            limits,
            keys,
            ..Governors::default()
        }
    }

    /// Draw rate slots from `limiter` (shared with other processes, say) instead of the
    /// in-process one.
    pub fn with_rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = limiter;
        self
    }

    /// The fetcher's governor of `site` (a registrable domain, see
    /// [`super::site_of`]): breakers and concurrency per site.
    pub fn site(&self, site: &str) -> Arc<Governor> {
        self.sites.get(site)
    }

    /// The per-site governors themselves.
    pub fn sites(&self) -> &SiteGovernors {
        &self.sites
    }

    /// Set a provider's limits; governors created afterwards use them.
    pub fn set_limits(&mut self, provider: &str, limits: Limits) {
        self.limits.insert(provider.to_owned(), limits);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The governor of `provider`/`endpoint`, created on first use.
    pub fn get(&self, provider: &str, endpoint: &str) -> Arc<Governor> {
        let mut map = self.lock();
        if let Some(g) = map.get(provider).and_then(|m| m.get(endpoint)) {
            return Arc::clone(g);
        }
        let limits = self
            .limits
            .get(provider)
            .cloned()
            .unwrap_or_else(|| Limits::for_provider(provider));
        let key = self.keys.get(provider).map_or("keyless", String::as_str);
        let rates = rate_slots(provider, key, endpoint, &limits.rates_for(endpoint));
        let g = Arc::new(Governor::with_limiter(
            provider.to_owned(),
            endpoint.to_owned(),
            limits,
            rates,
            Arc::clone(&self.limiter),
        ));
        map.entry(provider.to_owned())
            .or_default()
            .insert(endpoint.to_owned(), Arc::clone(&g));
        g
    }

    /// The governor if it exists (a route never called has a closed breaker).
    pub fn peek(&self, provider: &str, endpoint: &str) -> Option<Arc<Governor>> {
        self.lock()
            .get(provider)
            .and_then(|m| m.get(endpoint))
            .cloned()
    }

    /// Snapshots of every governor, sorted by provider then endpoint; the fetcher's sites
    /// as one `fetch`/`page` total.
    pub fn snapshot(&self) -> Vec<GovernorSnapshot> {
        let govs: Vec<Arc<Governor>> = self
            .lock()
            .values()
            .flat_map(|m| m.values().cloned())
            .collect();
        let mut out: Vec<GovernorSnapshot> = govs.iter().map(|g| g.snapshot()).collect();
        let fetched = self.sites.snapshot();
        if fetched.calls > 0 {
            out.push(fetched);
        }
        out.sort_by(|a, b| (&a.provider, &a.model).cmp(&(&b.provider, &b.model)));
        out
    }
}
