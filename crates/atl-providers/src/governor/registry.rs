//! The process-wide set of governors, one per (provider, model), created on first use
//! with the provider's configured limits.

use super::{Governor, GovernorSnapshot};
use crate::config::ProvidersConfig;
use crate::limits::Limits;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub struct Governors {
    limits: HashMap<String, Limits>,
    /// provider → model → governor. Two levels so a lookup by `&str` allocates nothing.
    map: Mutex<HashMap<String, HashMap<String, Arc<Governor>>>>,
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
        Governors {
            limits,
            map: Mutex::default(),
        }
    }

    /// Set a provider's limits; governors created afterwards use them.
    pub fn set_limits(&mut self, provider: &str, limits: Limits) {
        self.limits.insert(provider.to_owned(), limits);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<String, Arc<Governor>>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The governor of `provider`/`model`, created on first use.
    pub fn get(&self, provider: &str, model: &str) -> Arc<Governor> {
        let mut map = self.lock();
        if let Some(g) = map.get(provider).and_then(|m| m.get(model)) {
            return Arc::clone(g);
        }
        let limits = self
            .limits
            .get(provider)
            .cloned()
            .unwrap_or_else(|| Limits::for_provider(provider));
        let g = Arc::new(Governor::new(provider, model, limits));
        map.entry(provider.to_owned())
            .or_default()
            .insert(model.to_owned(), Arc::clone(&g));
        g
    }

    /// The governor if it exists (a route never called has a closed breaker).
    pub fn peek(&self, provider: &str, model: &str) -> Option<Arc<Governor>> {
        self.lock()
            .get(provider)
            .and_then(|m| m.get(model))
            .cloned()
    }

    /// Snapshots of every governor, sorted by provider then model.
    pub fn snapshot(&self) -> Vec<GovernorSnapshot> {
        let govs: Vec<Arc<Governor>> = self
            .lock()
            .values()
            .flat_map(|m| m.values().cloned())
            .collect();
        let mut out: Vec<GovernorSnapshot> = govs.iter().map(|g| g.snapshot()).collect();
        out.sort_by(|a, b| (&a.provider, &a.model).cmp(&(&b.provider, &b.model)));
        out
    }
}
