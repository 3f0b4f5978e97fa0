//! Buckets, tiers and overrides.

use super::*;
use Measure::*;

const HOUR: Duration = Duration::from_secs(3600);

/// (provider, tier, endpoint) in; the counters and rates it is admitted under out.
fn check(provider: &str, tier: Option<&str>, endpoint: &str, expected: &[(&str, Rate)]) {
    let l = Limits::for_tier(provider, tier).unwrap();
    let got = l.rates_for(endpoint);
    let want: Vec<(String, Rate)> = expected
        .iter()
        .map(|(b, r)| ((*b).to_owned(), *r))
        .collect();
    assert_eq!(got, want, "{provider} {tier:?} {endpoint}");
}

#[test]
fn endpoints_count_in_their_vendors_buckets() {
    let m = |n| Rate::per_minute(Requests, n);
    check(
        "apollo",
        None,
        "people_match",
        &[
            ("enrichment", m(50)),
            ("enrichment", Rate::per(Requests, 200, HOUR)),
            (
                "enrichment",
                Rate::per(Requests, 600, Duration::from_secs(86_400)),
            ),
        ],
    );
    // Bulk: the shared enrichment bucket and its own tenth of the minute.
    check(
        "apollo",
        Some("basic"),
        "people_bulk_match",
        &[("enrichment", m(1_000)), ("enrichment_bulk", m(100))],
    );
    // People search counts in "other APIs", not in enrichment.
    check(
        "apollo",
        Some("professional"),
        "people_search",
        &[("other", m(200)), ("other", Rate::per(Requests, 600, HOUR))],
    );
    check(
        "hunter",
        None,
        "email_verifier",
        &[
            ("verifier", Rate::per(Requests, 10, Duration::from_secs(1))),
            ("verifier", m(300)),
        ],
    );
    // Anthropic: requests, input and output tokens, every model in one bucket.
    check(
        "anthropic",
        None,
        "claude-sonnet-5-5",
        &[
            ("default", m(1_000)),
            ("default", Rate::per_minute(InputTokens, 80_000)),
            ("default", Rate::per_minute(OutputTokens, 16_000)),
        ],
    );
    // Cerebras counts each model apart.
    check(
        "cerebras",
        Some("paygo"),
        "gpt-oss-120b",
        &[
            ("default:gpt-oss-120b", m(1_000)),
            ("default:gpt-oss-120b", Rate::per_minute(Tokens, 1_000_000)),
        ],
    );
    check("deepseek", None, "deepseek-flash", &[]);
}

#[test]
fn tiers_default_low_and_unknown_ones_are_refused() {
    assert_eq!(Limits::for_provider("apollo").tier.as_deref(), Some("free"));
    assert_eq!(
        Limits::for_provider("cerebras").tier.as_deref(),
        Some("free")
    );
    assert_eq!(Limits::for_provider("deepseek").tier, None);
    let e = Limits::for_tier("apollo", Some("gold")).unwrap_err();
    assert!(e.contains("free, basic, organization, professional"), "{e}");
    assert!(Limits::for_tier("deepseek", Some("tier1")).is_err());
    assert!(Limits::for_tier("deepseek", Some("default")).is_ok());
}

#[test]
fn explicit_rpm_overrides_the_main_bucket_and_its_shares() {
    let l = Limits::for_tier("apollo", Some("basic"))
        .unwrap()
        .with_rpm(300);
    assert_eq!(l.per_minute(Requests), Some(300));
    let bulk = l.rates_for("people_bulk_match");
    assert!(bulk.contains(&("enrichment_bulk".into(), Rate::per_minute(Requests, 30))));
    // 0 switches the minute limit off; other windows stay.
    let l = Limits::for_provider("apollo").with_per_minute(Requests, Some(0));
    assert_eq!(l.per_minute(Requests), None);
    assert_eq!(l.rates_for("people_match").len(), 2, "hour and day remain");
    let l = Limits::default().with_rpm(7).with_tpm(900);
    assert_eq!(
        l.rates_for("anything"),
        vec![
            ("default".into(), Rate::per_minute(Requests, 7)),
            ("default".into(), Rate::per_minute(Tokens, 900))
        ]
    );
}

#[test]
fn key_fingerprints_name_keys_without_showing_them() {
    let a = key_fingerprint(Some("sk-live-aaaa"));
    let b = key_fingerprint(Some("sk-live-bbbb"));
    assert_ne!(a, b);
    assert_eq!(a, key_fingerprint(Some(" sk-live-aaaa ")));
    assert_eq!(a.len(), 16);
    assert!(!a.contains("aaaa"));
    assert_eq!(key_fingerprint(None), "keyless");
    assert_eq!(key_fingerprint(Some("  ")), "keyless");
}
