//! API keys (`atl_api_keys`): each key belongs to one team and sees only its data.
//!
//! A key is `atl_` + 48 hex digits (192 random bits from the OS). Only its SHA-256 and a
//! short prefix (for people to tell keys apart in a listing) are stored; the plaintext is
//! returned once, by [`Store::create_api_key`], and cannot be recovered.
//!
//! Authentication hashes the presented key and looks the hash up through the unique index.
//! A constant-time comparison is not needed: the database compares hashes, not keys, and
//! learning how many leading bytes of a *hash* matched tells an attacker nothing useful
//! (steering a guess's hash towards a stored one needs a SHA-256 pre-image). A slow
//! password hash (bcrypt, argon2) is not needed either: the keys are random with 192 bits
//! of entropy, so there is no dictionary to brute-force.

use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;
use time::OffsetDateTime;

use crate::db::{DbTime, now, with_pool};
use crate::{Store, StoreError};

/// Every key starts with this, so a leaked one is recognisable (and greppable) as ours.
pub const API_KEY_PREFIX: &str = "atl_";
/// How many characters of the key (prefix included) are stored in the clear.
const SHOWN_PREFIX_LEN: usize = 12;
const RANDOM_BYTES: usize = 24;

/// A key just created: `plaintext` is shown once and never stored.
#[derive(Debug, Clone)]
pub struct CreatedApiKey {
    pub id: i64,
    pub team_id: i64,
    pub team: String,
    pub plaintext: String,
    pub prefix: String,
}

/// A stored key as listings show it (no secret in it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiKeyInfo {
    pub id: i64,
    pub team_id: i64,
    pub prefix: String,
    pub label: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// Who a valid key speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyOwner {
    pub key_id: i64,
    pub team_id: i64,
}

/// SHA-256 of a key, lower-case hex: what `atl_api_keys.key_hash` holds.
pub fn hash_api_key(key: &str) -> String {
    hex(digest(&SHA256, key.as_bytes()).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn new_plaintext() -> Result<String, StoreError> {
    let mut bytes = [0u8; RANDOM_BYTES];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| StoreError::Database("the OS random number generator failed".into()))?;
    Ok(format!("{API_KEY_PREFIX}{}", hex(&bytes)))
}

type KeyRow = (
    i64,
    i64,
    String,
    Option<String>,
    OffsetDateTime,
    Option<OffsetDateTime>,
);

impl Store {
    /// Creates a key for the team called `team` (created if new). The returned plaintext
    /// is the only copy: the store keeps its hash.
    pub async fn create_api_key(
        &self,
        team: &str,
        label: Option<&str>,
    ) -> Result<CreatedApiKey, StoreError> {
        let team_id = self.team_id(team).await?;
        let plaintext = new_plaintext()?;
        let prefix: String = plaintext.chars().take(SHOWN_PREFIX_LEN).collect();
        let hash = hash_api_key(&plaintext);
        let label = label.map(str::trim).filter(|l| !l.is_empty());
        let id: i64 = with_pool!(&self.db, |pool| {
            sqlx::query_scalar(
                "INSERT INTO atl_api_keys (team_id, key_hash, key_prefix, label, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(team_id)
            .bind(&hash)
            .bind(&prefix)
            .bind(label)
            .bind(DbTime(now()))
            .fetch_one(pool)
            .await?
        });
        Ok(CreatedApiKey {
            id,
            team_id,
            team: team.trim().to_string(),
            plaintext,
            prefix,
        })
    }

    /// The team a presented key belongs to; `None` for an unknown or revoked key.
    pub async fn authenticate_api_key(&self, key: &str) -> Result<Option<KeyOwner>, StoreError> {
        let key = key.trim();
        // Cheap refusals first: no database round trip for something that cannot be a key.
        if !key.starts_with(API_KEY_PREFIX) || key.len() > 128 {
            return Ok(None);
        }
        let hash = hash_api_key(key);
        let row: Option<(i64, i64)> = with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT id, team_id FROM atl_api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
            )
            .bind(&hash)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(key_id, team_id)| KeyOwner { key_id, team_id }))
    }

    /// Revokes the key with this id or this shown prefix; `Some(team)` restricts to that
    /// team's keys. Returns how many keys were revoked (0 if none matched or all already
    /// were).
    pub async fn revoke_api_key(
        &self,
        team_id: Option<i64>,
        id_or_prefix: &str,
    ) -> Result<u64, StoreError> {
        let id_or_prefix = id_or_prefix.trim();
        let id: Option<i64> = id_or_prefix.parse().ok();
        let n = with_pool!(&self.db, |pool| {
            sqlx::query(
                "UPDATE atl_api_keys SET revoked_at = $1 \
                 WHERE revoked_at IS NULL AND (id = $2 OR key_prefix = $3) \
                 AND ($4 IS NULL OR team_id = $4)",
            )
            .bind(DbTime(now()))
            .bind(id)
            .bind(id_or_prefix)
            .bind(team_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n)
    }

    /// How many keys are not revoked (the server refuses non-loopback addresses at 0).
    pub async fn count_active_api_keys(&self) -> Result<u64, StoreError> {
        let n: i64 = with_pool!(&self.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM atl_api_keys WHERE revoked_at IS NULL")
                .fetch_one(pool)
                .await?
        });
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Keys, newest first; `Some(team)` restricts to that team's.
    pub async fn list_api_keys(&self, team_id: Option<i64>) -> Result<Vec<ApiKeyInfo>, StoreError> {
        let rows: Vec<KeyRow> = with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT id, team_id, key_prefix, label, created_at, revoked_at FROM atl_api_keys \
                 WHERE ($1 IS NULL OR team_id = $1) ORDER BY id DESC",
            )
            .bind(team_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, team_id, prefix, label, created_at, revoked_at)| ApiKeyInfo {
                    id,
                    team_id,
                    prefix,
                    label,
                    created_at,
                    revoked_at,
                },
            )
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_sha256_hex() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        assert_eq!(
            hash_api_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn keys_are_random_and_well_formed() {
        let a = new_plaintext().unwrap();
        let b = new_plaintext().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(API_KEY_PREFIX));
        assert_eq!(a.len(), API_KEY_PREFIX.len() + 2 * RANDOM_BYTES);
    }
}
