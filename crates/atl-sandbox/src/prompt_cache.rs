//! Automatic prompt caching, as the OpenAI-compatible vendors report it: a request whose
//! prompt starts with a prefix the same key sent before gets that prefix counted as
//! cached input (`usage.prompt_tokens_details.cached_tokens`, and DeepSeek's
//! `prompt_cache_hit_tokens` / `prompt_cache_miss_tokens`).
//!
//! - DeepSeek caches every prefix automatically in units of 64 tokens (its context
//!   caching guide).
//! - OpenAI caches prompts of 1,024 tokens or more, in 128-token increments after the
//!   first 1,024 (its prompt-caching guide).
//! - Cerebras and OpenRouter report none (no cached-input price is listed for the models
//!   ATL routes there).
//!
//! The prefix is the messages in order (system first), then the tools and the response
//! format: a system prompt that stays the same from call to call is cached, anything
//! that changes per call ends the cached prefix where it starts. Counted as the sandbox
//! counts every token, four bytes to a token.

use crate::openai_wire::Dialect;
use std::collections::HashSet;
use std::sync::Mutex;

/// Prefixes kept before the cache starts over (a vendor evicts too; a long run only
/// needs the hot system prompts).
const CAPACITY: usize = 200_000;
const BYTES_PER_TOKEN: usize = 4;

#[derive(Default)]
pub(crate) struct PromptCache {
    seen: Mutex<HashSet<u64>>,
}

/// (block size in tokens, the least prompt that is cached at all) for a dialect that
/// caches.
fn rule(dialect: Dialect) -> Option<(usize, usize)> {
    match dialect {
        Dialect::DeepSeek => Some((64, 64)),
        Dialect::OpenAi => Some((128, 1_024)),
        Dialect::Cerebras | Dialect::OpenRouter => None,
    }
}

impl PromptCache {
    /// The cached tokens of `prompt` sent by `key` (at most `prompt_tokens`), and
    /// remember its prefixes for the next call.
    pub(crate) fn lookup(
        &self,
        dialect: Dialect,
        key: &str,
        prompt: &str,
        prompt_tokens: u64,
    ) -> u64 {
        let Some((block, minimum)) = rule(dialect) else {
            return 0;
        };
        let bytes = prompt.as_bytes();
        if bytes.len() < minimum * BYTES_PER_TOKEN {
            return 0;
        }
        let step = block * BYTES_PER_TOKEN;
        // One hash per block boundary, over the key, the model family and the prefix.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in key
            .as_bytes()
            .iter()
            .chain(format!("{dialect:?}").as_bytes())
        {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        let mut boundaries = Vec::with_capacity(bytes.len() / step);
        for (i, b) in bytes.iter().enumerate() {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
            if (i + 1) % step == 0 {
                boundaries.push(h);
            }
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let hits = boundaries.iter().take_while(|b| seen.contains(b)).count();
        if seen.len() + boundaries.len() > CAPACITY {
            seen.clear();
        }
        seen.extend(boundaries);
        let cached = (hits * block) as u64;
        // Below the minimum nothing is served from the cache.
        if cached < minimum as u64 {
            return 0;
        }
        cached.min(prompt_tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_prefix_is_cached_in_blocks_and_a_changed_head_is_not() {
        let c = PromptCache::default();
        let system = "s".repeat(64 * 4 * 5 + 10);
        let first = format!("{system}target one {}", "x".repeat(900));
        let second = format!("{system}target two {}", "y".repeat(900));
        assert_eq!(
            c.lookup(Dialect::DeepSeek, "k", &first, 600),
            0,
            "nothing seen yet"
        );
        assert_eq!(
            c.lookup(Dialect::DeepSeek, "k", &second, 600),
            5 * 64,
            "the five whole blocks of the shared system prompt"
        );
        assert_eq!(c.lookup(Dialect::DeepSeek, "other key", &second, 600), 0);
        assert_eq!(c.lookup(Dialect::Cerebras, "k", &second, 600), 0);
        // OpenAI: nothing under 1,024 tokens.
        assert_eq!(c.lookup(Dialect::OpenAi, "k", &first, 600), 0);
        assert_eq!(
            c.lookup(Dialect::OpenAi, "k", &first, 600),
            0,
            "too short to cache"
        );
        let long = "z".repeat(4 * 1_300);
        assert_eq!(c.lookup(Dialect::OpenAi, "k", &long, 1_300), 0);
        assert_eq!(c.lookup(Dialect::OpenAi, "k", &long, 1_300), 1_280);
    }
}
