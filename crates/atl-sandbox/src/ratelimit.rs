//! Counting requests, tokens and in-flight slots per (provider, API key[, endpoint]) in
//! fixed windows, the way Apollo documents its limits and close enough to the others'
//! token buckets for a client to meet the same refusals.
//!
//! A window opens on the first request that finds none open and lasts its full length
//! (a minute, an hour, …), so a test that sends a handful of requests in a second never
//! straddles a boundary. Refused requests are not counted.

use crate::limits::{LimitKind, Rule};
use crate::provider::Provider;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A counter's identity. The API key and endpoint are kept as 64-bit hashes so a
/// lookup allocates nothing (a collision between two keys in one test run is not a
/// concern at 2^-64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct BucketKey {
    provider: Provider,
    key: u64,
    /// The endpoint for per-endpoint rules, 0 otherwise.
    scope: u64,
    kind: LimitKind,
}

#[derive(Debug, Clone, Copy)]
struct Counter {
    start: Instant,
    used: u64,
}

#[derive(Default)]
struct Table {
    /// Bumped by [`Limiter::reset`], so a slot taken before a config change cannot
    /// release a slot counted after it.
    generation: u64,
    buckets: HashMap<BucketKey, Counter>,
}

/// One limit's state as this request leaves it, for the provider's headers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Reading {
    pub kind: LimitKind,
    pub limit: u64,
    pub used: u64,
    /// Until the window closes (zero for concurrency).
    pub reset: Duration,
    pub enforced: bool,
}

impl Reading {
    pub(crate) fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }
}

/// What the limiter saw for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RateView {
    pub readings: Vec<Reading>,
    /// The limit that refused the request, if one did.
    pub hit: Option<LimitKind>,
}

impl RateView {
    pub(crate) fn get(&self, kind: LimitKind) -> Option<&Reading> {
        self.readings.iter().find(|r| r.kind == kind)
    }

    pub(crate) fn hit_reading(&self) -> Option<&Reading> {
        self.hit.and_then(|k| self.get(k))
    }

    /// Whole seconds until the refusing window reopens (at least 1).
    pub(crate) fn retry_after_secs(&self) -> u64 {
        self.hit_reading()
            .map_or(1, |r| r.reset.as_secs_f64().ceil().max(1.0) as u64)
    }
}

/// An in-flight slot; released when dropped.
pub(crate) struct Slot {
    table: Arc<Mutex<Table>>,
    key: BucketKey,
    generation: u64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut t = self
            .table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if t.generation == self.generation
            && let Some(c) = t.buckets.get_mut(&self.key)
        {
            c.used = c.used.saturating_sub(1);
        }
    }
}

/// How much one request weighs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Weight {
    pub tokens: u64,
    /// Monthly units (characters for speech, else 1).
    pub units: u64,
}

#[derive(Default)]
pub(crate) struct Limiter {
    table: Arc<Mutex<Table>>,
}

impl Limiter {
    /// Forget every count (a new config starts from zero).
    pub(crate) fn reset(&self) {
        let mut t = self
            .table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        t.generation += 1;
        t.buckets.clear();
    }

    /// Count the request against `rules`, or refuse it without counting.
    pub(crate) fn check(
        &self,
        provider: Provider,
        key: &str,
        endpoint: &str,
        rules: &[Rule],
        weight: Weight,
        now: Instant,
    ) -> (RateView, Option<Slot>) {
        if rules.is_empty() {
            return (RateView::default(), None);
        }
        let mut t = self
            .table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let generation = t.generation;
        let key = crate::synth::fnv1a(key.as_bytes());
        let scope = crate::synth::fnv1a(endpoint.as_bytes());
        let keys: Vec<BucketKey> = rules
            .iter()
            .map(|r| BucketKey {
                provider,
                key,
                scope: if r.per_endpoint { scope } else { 0 },
                kind: r.kind,
            })
            .collect();
        let cost = |kind: LimitKind| match kind {
            LimitKind::Tpm => weight.tokens,
            LimitKind::Monthly => weight.units.max(1),
            _ => 1,
        };
        let mut hit = None;
        for (rule, bk) in rules.iter().zip(&keys) {
            let c = t.buckets.entry(*bk).or_insert(Counter {
                start: now,
                used: 0,
            });
            if let Some(len) = rule.kind.window_secs()
                && now.duration_since(c.start) >= Duration::from_secs(len)
            {
                *c = Counter {
                    start: now,
                    used: 0,
                };
            }
            if hit.is_none() && rule.enforce && c.used + cost(rule.kind) > rule.limit {
                hit = Some(rule.kind);
            }
        }
        let mut slot = None;
        if hit.is_none() {
            for (rule, bk) in rules.iter().zip(&keys) {
                if let Some(c) = t.buckets.get_mut(bk) {
                    c.used += cost(rule.kind);
                }
                if rule.kind == LimitKind::Concurrency {
                    slot = Some(Slot {
                        table: Arc::clone(&self.table),
                        key: *bk,
                        generation,
                    });
                }
            }
        }
        let readings = rules
            .iter()
            .zip(&keys)
            .map(|(rule, bk)| {
                let c = t.buckets.get(bk).copied().unwrap_or(Counter {
                    start: now,
                    used: 0,
                });
                let reset = rule.kind.window_secs().map_or(Duration::ZERO, |len| {
                    (c.start + Duration::from_secs(len)).saturating_duration_since(now)
                });
                Reading {
                    kind: rule.kind,
                    limit: rule.limit,
                    used: c.used,
                    reset,
                    enforced: rule.enforce,
                }
            })
            .collect();
        (RateView { readings, hit }, slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: LimitKind, limit: u64) -> Rule {
        Rule {
            kind,
            limit,
            per_endpoint: false,
            enforce: true,
        }
    }

    #[test]
    fn windows_refuse_then_reopen_and_keys_are_apart() {
        let l = Limiter::default();
        let rules = [rule(LimitKind::Rpm, 2)];
        let t0 = Instant::now();
        let w = Weight::default();
        let hits: Vec<bool> = (0..3)
            .map(|_| {
                l.check(Provider::OpenAi, "a", "", &rules, w, t0)
                    .0
                    .hit
                    .is_some()
            })
            .collect();
        assert_eq!(hits, [false, false, true]);
        let (v, _) = l.check(Provider::OpenAi, "b", "", &rules, w, t0);
        assert!(v.hit.is_none(), "another key has its own window");
        let (v, _) = l.check(
            Provider::OpenAi,
            "a",
            "",
            &rules,
            w,
            t0 + Duration::from_secs(61),
        );
        assert!(v.hit.is_none() && v.readings[0].used == 1);
    }

    #[test]
    fn slots_are_released_on_drop_and_tokens_weigh() {
        let l = Limiter::default();
        let rules = [rule(LimitKind::Concurrency, 1), rule(LimitKind::Tpm, 100)];
        let now = Instant::now();
        let heavy = Weight {
            tokens: 60,
            units: 1,
        };
        let (v, slot) = l.check(Provider::DeepSeek, "k", "", &rules, heavy, now);
        assert!(v.hit.is_none() && slot.is_some());
        let (v, _) = l.check(Provider::DeepSeek, "k", "", &rules, heavy, now);
        assert_eq!(v.hit, Some(LimitKind::Concurrency));
        drop(slot);
        let (v, _) = l.check(Provider::DeepSeek, "k", "", &rules, heavy, now);
        assert_eq!(v.hit, Some(LimitKind::Tpm), "60 + 60 tokens > 100");
        assert_eq!(v.retry_after_secs(), 60);
    }
}
