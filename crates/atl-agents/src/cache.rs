//! Evidence bought once: the cross-campaign cache of what tools returned, so a repeat
//! account in a new list costs nothing and says it came from the cache.
//!
//! Keys are what identifies the evidence in the world, never a campaign: company
//! evidence by registrable domain (or normalised name when no domain is known), person
//! lookups by e-mail or name + domain, verifications by e-mail. Every entry keeps the
//! time it was observed; a reader asks for entries younger than the kind's freshness
//! window ([`Freshness`]). Entries are scoped (a team), so one team never reads what
//! another team's keys paid for.
//!
//! The trait is implemented over the store by the composition root (the database is
//! shared by every worker); [`MemoryCache`] serves tests and runs without a store.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use time::OffsetDateTime;

/// What a cached entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheKind {
    /// The company's evidence pack: its site page and the planned web searches.
    CompanyPack,
    /// An Apollo people match (hit or miss) for one person.
    PersonMatch,
    /// Apollo's executives at one domain.
    Executives,
    /// Apollo's organization record for one domain.
    Organization,
    /// A Hunter verification of one address.
    EmailVerification,
    /// A Hunter finder answer for one person at one domain.
    EmailFinder,
}

impl CacheKind {
    pub const ALL: [CacheKind; 6] = [
        CacheKind::CompanyPack,
        CacheKind::PersonMatch,
        CacheKind::Executives,
        CacheKind::Organization,
        CacheKind::EmailVerification,
        CacheKind::EmailFinder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CacheKind::CompanyPack => "company_pack",
            CacheKind::PersonMatch => "person_match",
            CacheKind::Executives => "executives",
            CacheKind::Organization => "organization",
            CacheKind::EmailVerification => "email_verification",
            CacheKind::EmailFinder => "email_finder",
        }
    }
}

/// How long each kind of evidence stays fresh.
#[derive(Debug, Clone, PartialEq)]
pub struct Freshness {
    pub default: Duration,
    pub per_kind: HashMap<&'static str, Duration>,
}

/// Thirty days: contact data decays by a fifth or more a year, so a month is the longest
/// a list should lean on an earlier lookup without checking again.
pub const DEFAULT_FRESHNESS: Duration = Duration::from_secs(30 * 24 * 3600);

impl Default for Freshness {
    fn default() -> Self {
        Freshness {
            default: DEFAULT_FRESHNESS,
            per_kind: HashMap::new(),
        }
    }
}

impl Freshness {
    pub fn window(&self, kind: CacheKind) -> Duration {
        self.per_kind
            .get(kind.as_str())
            .copied()
            .unwrap_or(self.default)
    }

    /// The oldest observation still fresh for `kind` at `now`.
    pub fn oldest_fresh(&self, kind: CacheKind, now: OffsetDateTime) -> OffsetDateTime {
        let w = time::Duration::try_from(self.window(kind)).unwrap_or(time::Duration::MAX);
        now.checked_sub(w).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// One cached entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Cached {
    pub value: Value,
    pub observed_at: OffsetDateTime,
}

/// Where one entry lives: the scope it belongs to (a team), its kind and its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSlot<'a> {
    pub scope: &'a str,
    pub kind: CacheKind,
    pub key: &'a str,
}

impl<'a> CacheSlot<'a> {
    pub fn new(scope: &'a str, kind: CacheKind, key: &'a str) -> Self {
        CacheSlot { scope, kind, key }
    }

    fn owned(self) -> (String, CacheKind, String) {
        (self.scope.to_string(), self.kind, self.key.to_string())
    }
}

/// Where evidence is kept between runs. Errors are the implementation's to log: a cache
/// that cannot answer is a miss, never a failed run.
#[async_trait::async_trait]
pub trait EvidenceCache: Send + Sync {
    /// The entry in `slot` observed at or after `not_before`.
    async fn get(&self, slot: CacheSlot<'_>, not_before: OffsetDateTime) -> Option<Cached>;
    /// Store (or replace) the entry in `slot`.
    async fn put(&self, slot: CacheSlot<'_>, entry: &Cached);
}

/// A process-local cache: tests, and runs without a store.
#[derive(Debug, Default)]
pub struct MemoryCache {
    entries: Mutex<HashMap<(String, CacheKind, String), Cached>>,
}

impl MemoryCache {
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |m| m.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait::async_trait]
impl EvidenceCache for MemoryCache {
    async fn get(&self, slot: CacheSlot<'_>, not_before: OffsetDateTime) -> Option<Cached> {
        let m = self.entries.lock().ok()?;
        m.get(&slot.owned())
            .filter(|c| c.observed_at >= not_before)
            .cloned()
    }

    async fn put(&self, slot: CacheSlot<'_>, entry: &Cached) {
        if let Ok(mut m) = self.entries.lock() {
            m.insert(slot.owned(), entry.clone());
        }
    }
}

/// A cache that keeps nothing (every lookup is bought).
#[derive(Debug, Default)]
pub struct NoCache;

#[async_trait::async_trait]
impl EvidenceCache for NoCache {
    async fn get(&self, _: CacheSlot<'_>, _: OffsetDateTime) -> Option<Cached> {
        None
    }
    async fn put(&self, _: CacheSlot<'_>, _: &Cached) {}
}

/// The key of a person: their e-mail when known, else name + domain, normalised.
pub fn person_key(email: Option<&str>, name: Option<&str>, domain: Option<&str>) -> Option<String> {
    if let Some(e) = email.map(str::trim).filter(|e| e.contains('@')) {
        return Some(format!("e:{}", e.to_lowercase()));
    }
    let name = name
        .map(atl_domain::normalise_company)
        .filter(|n| !n.is_empty())?;
    Some(format!(
        "n:{name}@{}",
        domain.unwrap_or_default().to_lowercase()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn entries_are_scoped_and_expire() {
        let c = MemoryCache::default();
        let now = OffsetDateTime::now_utc();
        let f = Freshness::default();
        let entry = Cached {
            value: json!({"a": 1}),
            observed_at: now - time::Duration::days(10),
        };
        let team_1 = CacheSlot::new("team-1", CacheKind::CompanyPack, "acme.com");
        let team_2 = CacheSlot {
            scope: "team-2",
            ..team_1
        };
        c.put(team_1, &entry).await;
        let fresh = f.oldest_fresh(CacheKind::CompanyPack, now);
        assert_eq!(c.get(team_1, fresh).await, Some(entry.clone()));
        assert_eq!(c.get(team_2, fresh).await, None);
        let strict = now - time::Duration::days(5);
        assert_eq!(c.get(team_1, strict).await, None);
        assert_eq!(
            person_key(Some(" Jo@Acme.com"), Some("Jo"), None).as_deref(),
            Some("e:jo@acme.com")
        );
        assert_eq!(
            person_key(None, Some("Jo  Smith"), Some("Acme.com")).as_deref(),
            Some("n:jo smith@acme.com")
        );
        assert_eq!(person_key(None, None, Some("acme.com")), None);
    }
}
