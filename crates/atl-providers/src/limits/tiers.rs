//! The documented rate limits of each vendor's plans ("tiers"), by bucket. `tier = "…"`
//! in a provider's `atl.toml` section picks one; the first tier listed for a vendor is
//! its default (the low end, so an account on a better plan raises it, never the
//! reverse). Explicit `rpm`/`tpm` still override the main bucket.
//!
//! The table itself is `tiers.toml`, figures as captured in late 2026, each with the
//! vendor page or plan it comes from.

use super::{Measure, Rate};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use Measure::{InputTokens, OutputTokens, Requests, Tokens};

/// A tier's rates by bucket: [(bucket, rates)].
pub(crate) type BucketTable = &'static [(String, Vec<Rate>)];

/// One tier of one provider.
struct TierRow {
    provider: String,
    tier: String,
    buckets: Vec<(String, Vec<Rate>)>,
}

/// The table: each vendor's tiers, its default first (the file's header describes the
/// format).
const TIERS_TOML: &str = include_str!("tiers.toml");

/// A tier as `tiers.toml` writes it: its name, and every other key is a bucket.
#[derive(serde::Deserialize)]
struct TierEntry {
    tier: String,
    #[serde(flatten)]
    buckets: BTreeMap<String, Vec<String>>,
}

/// `"UNITS MEASURE per WINDOW"`, e.g. `"1_000 requests per minute"`.
fn rate(text: &str) -> Result<Rate, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let [units, measure, "per", window] = words[..] else {
        return Err(format!("{text:?} is not \"UNITS MEASURE per WINDOW\""));
    };
    let units = units
        .replace('_', "")
        .parse()
        .map_err(|_| format!("{text:?}: {units:?} is not a count"))?;
    let measure = match measure {
        "requests" => Requests,
        "tokens" => Tokens,
        "input_tokens" => InputTokens,
        "output_tokens" => OutputTokens,
        _ => return Err(format!("{text:?}: unknown measure {measure:?}")),
    };
    let seconds = match window {
        "second" => 1,
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        _ => return Err(format!("{text:?}: unknown window {window:?}")),
    };
    Ok(Rate::per(measure, units, Duration::from_secs(seconds)))
}

/// A tier table in the format of `tiers.toml`.
fn parse(text: &str) -> Result<Vec<TierRow>, String> {
    let vendors: BTreeMap<String, Vec<TierEntry>> =
        toml::from_str(text).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for (provider, tiers) in vendors {
        for entry in tiers {
            let buckets = entry
                .buckets
                .into_iter()
                .map(|(bucket, rates)| {
                    let rates = rates.iter().map(|r| rate(r)).collect::<Result<_, _>>();
                    rates
                        .map(|rates| (bucket, rates))
                        .map_err(|e| format!("{provider} {}: {e}", entry.tier))
                })
                .collect::<Result<_, _>>()?;
            rows.push(TierRow {
                provider: provider.clone(),
                tier: entry.tier,
                buckets,
            });
        }
    }
    Ok(rows)
}

/// Every tier of `tiers.toml`, read once.
fn tiers() -> &'static [TierRow] {
    static TIERS: LazyLock<Vec<TierRow>> = LazyLock::new(|| {
        // Built into the binary and read by the tests below: it cannot fail here.
        parse(TIERS_TOML).unwrap_or_else(|e| panic!("tiers.toml: {e}"))
    });
    &TIERS
}

/// The rates of `provider`'s `tier` (`None` for the vendor's default tier), by bucket;
/// `Err` lists the tiers there are when `tier` is not one of them.
pub(crate) fn rates(
    provider: &str,
    tier: Option<&str>,
) -> Result<Option<(&'static str, BucketTable)>, String> {
    let mut rows = tiers()
        .iter()
        .filter(|row| row.provider == provider)
        .peekable();
    if rows.peek().is_none() {
        return match tier {
            None | Some("default") => Ok(None),
            Some(t) => Err(format!(
                "{provider} has no documented tiers (asked for {t:?})"
            )),
        };
    }
    let rows: Vec<&'static TierRow> = rows.collect();
    let found = |row: &&'static TierRow| (row.tier.as_str(), row.buckets.as_slice());
    match tier {
        None => Ok(rows.first().map(found)),
        Some(want) => rows
            .iter()
            .find(|row| row.tier == want)
            .map(|row| Some(found(row)))
            .ok_or_else(|| {
                let known: Vec<&str> = rows.iter().map(|row| row.tier.as_str()).collect();
                format!(
                    "unknown tier {want:?} for {provider}; known: {}",
                    known.join(", ")
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_with_each_vendors_default_first() {
        let rows = parse(TIERS_TOML).unwrap();
        assert_eq!(rows.len(), 18);
        let (tier, buckets) = rates("apollo", None).unwrap().unwrap();
        assert_eq!(tier, "free");
        let enrichment = &buckets.iter().find(|(b, _)| b == "enrichment").unwrap().1;
        assert_eq!(
            enrichment,
            &[
                Rate::per_minute(Requests, 50),
                Rate::per(Requests, 200, Duration::from_secs(3600)),
                Rate::per(Requests, 600, Duration::from_secs(86_400)),
            ]
        );
        assert_eq!(
            rates("openrouter", Some("paid")).unwrap().unwrap().1[0].1,
            []
        );
        assert_eq!(rates("deepseek", None), Ok(None));
    }

    #[test]
    fn malformed_rates_are_refused() {
        assert_eq!(
            rate("1_000 input_tokens per second"),
            Ok(Rate::per(InputTokens, 1000, Duration::from_secs(1)))
        );
        for bad in [
            "50 requests a minute",
            "many requests per minute",
            "50 calls per minute",
            "50 requests per week",
        ] {
            assert!(rate(bad).is_err(), "{bad}");
        }
        assert!(parse("[[p]]\ntier = \"t\"\nb = [\"5 requests per fortnight\"]").is_err());
    }
}
