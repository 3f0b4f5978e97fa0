//! The wait a response asks for, read from whichever rate-limit headers the vendor sends:
//! `retry-after-ms`, `Retry-After` (seconds or HTTP-date), OpenAI's Go durations,
//! Cerebras' float seconds, Anthropic's RFC 3339 instants, Brave's comma lists and
//! OpenRouter's epochs.

use reqwest::header::HeaderMap;
use std::time::Duration;
use time::OffsetDateTime;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    // HeaderMap lookups are case-insensitive; HTTP/2 lower-cases names anyway.
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The wait a response asks for, from whichever headers the vendor sends, in this order:
/// `retry-after-ms`, `Retry-After` (seconds or HTTP-date), then the vendor reset headers
/// (OpenAI durations, Cerebras float seconds, Anthropic RFC 3339 times, Brave/OpenRouter
/// `X-RateLimit-Reset`). Among reset headers, the windows whose `remaining` is 0 are the
/// ones that tripped, so the longest of those wins; if none says 0 the soonest reset is
/// taken (the short window is the usual culprit and the governor backs off anyway).
pub fn retry_after_from_headers(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, OffsetDateTime::now_utc())
}

/// [`retry_after_from_headers`] with an explicit clock, for tests.
pub fn retry_after_at(headers: &HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return secs_to_duration(ms / 1000.0);
    }
    if let Some(d) = header(headers, "retry-after").and_then(|v| parse_retry_after(v, now)) {
        return Some(d);
    }
    // (remaining header, reset header, how to read the reset)
    const PAIRS: &[(&str, &str, ResetFormat)] = &[
        (
            "x-ratelimit-remaining-requests",
            "x-ratelimit-reset-requests",
            ResetFormat::GoDuration,
        ),
        (
            "x-ratelimit-remaining-tokens",
            "x-ratelimit-reset-tokens",
            ResetFormat::GoDuration,
        ),
        (
            "x-ratelimit-remaining-requests-minute",
            "x-ratelimit-reset-requests-minute",
            ResetFormat::Seconds,
        ),
        (
            "x-ratelimit-remaining-tokens-minute",
            "x-ratelimit-reset-tokens-minute",
            ResetFormat::Seconds,
        ),
        (
            "x-ratelimit-remaining-requests-hour",
            "x-ratelimit-reset-requests-hour",
            ResetFormat::Seconds,
        ),
        (
            "x-ratelimit-remaining-tokens-hour",
            "x-ratelimit-reset-tokens-hour",
            ResetFormat::Seconds,
        ),
        (
            "x-ratelimit-remaining-requests-day",
            "x-ratelimit-reset-requests-day",
            ResetFormat::Seconds,
        ),
        (
            "x-ratelimit-remaining-tokens-day",
            "x-ratelimit-reset-tokens-day",
            ResetFormat::Seconds,
        ),
        (
            "anthropic-ratelimit-requests-remaining",
            "anthropic-ratelimit-requests-reset",
            ResetFormat::Rfc3339,
        ),
        (
            "anthropic-ratelimit-tokens-remaining",
            "anthropic-ratelimit-tokens-reset",
            ResetFormat::Rfc3339,
        ),
        (
            "anthropic-ratelimit-input-tokens-remaining",
            "anthropic-ratelimit-input-tokens-reset",
            ResetFormat::Rfc3339,
        ),
        (
            "anthropic-ratelimit-output-tokens-remaining",
            "anthropic-ratelimit-output-tokens-reset",
            ResetFormat::Rfc3339,
        ),
        (
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            ResetFormat::SecondsListOrEpoch,
        ),
    ];
    let mut exhausted: Vec<Duration> = Vec::new();
    let mut all: Vec<Duration> = Vec::new();
    for (remaining_name, reset_name, format) in PAIRS {
        let Some(reset) = header(headers, reset_name) else {
            continue;
        };
        let remaining = header(headers, remaining_name);
        if let ResetFormat::SecondsListOrEpoch = format {
            // Brave: one value per window, shortest window first; pair them up.
            let resets: Vec<Option<Duration>> = reset
                .split(',')
                .map(|r| parse_reset_number(r.trim(), now))
                .collect();
            let remains: Vec<&str> = remaining
                .map(|r| r.split(',').map(str::trim).collect())
                .unwrap_or_default();
            for (i, r) in resets.into_iter().enumerate() {
                let Some(r) = r else { continue };
                all.push(r);
                if remains.get(i).is_some_and(|v| is_zero(v)) {
                    exhausted.push(r);
                }
            }
            continue;
        }
        let parsed = match format {
            ResetFormat::GoDuration => parse_openai_duration(reset),
            ResetFormat::Seconds => parse_float_seconds(reset),
            ResetFormat::Rfc3339 => parse_rfc3339_delay(reset, now),
            ResetFormat::SecondsListOrEpoch => None,
        };
        let Some(d) = parsed else { continue };
        all.push(d);
        if remaining.is_some_and(is_zero) {
            exhausted.push(d);
        }
    }
    exhausted
        .into_iter()
        .max()
        .or_else(|| all.into_iter().min())
}

#[derive(Clone, Copy)]
enum ResetFormat {
    GoDuration,
    Seconds,
    Rfc3339,
    SecondsListOrEpoch,
}

fn is_zero(v: &str) -> bool {
    v.parse::<f64>().is_ok_and(|n| n <= 0.0)
}

fn secs_to_duration(secs: f64) -> Option<Duration> {
    if !secs.is_finite() {
        return None;
    }
    Duration::try_from_secs_f64(secs.max(0.0)).ok()
}

/// `Retry-After`: delta-seconds (integers; fractions tolerated) or an HTTP-date.
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Some(d) = parse_float_seconds(value) {
        return Some(d);
    }
    let at = parse_http_date(value)?;
    Some(delay_until(at, now))
}

/// Seconds as a float (`11.382867097854614`, Cerebras) or integer.
pub fn parse_float_seconds(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    secs_to_duration(secs)
}

/// OpenAI's Go-style durations: `20ms`, `1s`, `6m0s`, `1h2m3s`, `0.5s`.
pub fn parse_openai_duration(value: &str) -> Option<Duration> {
    let mut rest = value.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        if num_end == 0 {
            return None;
        }
        let number: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_end..];
    }
    secs_to_duration(total)
}

/// An RFC 3339 instant (Anthropic's resets) as a delay from `now` (zero if past).
pub fn parse_rfc3339_delay(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let at =
        OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339).ok()?;
    Some(delay_until(at, now))
}

/// IMF-fixdate, the only HTTP-date form servers may send: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(value.trim(), &format)
        .ok()
        .map(|t| t.assume_utc())
}

fn delay_until(at: OffsetDateTime, now: OffsetDateTime) -> Duration {
    let delta = at - now;
    if delta.is_negative() {
        Duration::ZERO
    } else {
        delta.unsigned_abs()
    }
}

/// `X-RateLimit-Reset` means seconds-until-reset for Brave and an epoch timestamp (ms or
/// s, undocumented) for OpenRouter. Values too large to be a delay are read as epochs.
fn parse_reset_number(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let n: f64 = value.parse().ok()?;
    let now_secs = now.unix_timestamp() as f64;
    if n > 1e12 {
        secs_to_duration(n / 1000.0 - now_secs)
    } else if n > 1e9 {
        secs_to_duration(n - now_secs)
    } else {
        secs_to_duration(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::test_headers as headers;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-24 12:00:00 UTC);

    fn ms(n: u64) -> Option<Duration> {
        Some(Duration::from_millis(n))
    }

    /// One value in, one parsed wait out.
    fn check(parse: fn(&str) -> Option<Duration>, cases: &[(&str, Option<Duration>)]) {
        for (input, expected) in cases {
            assert_eq!(parse(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn openai_durations() {
        check(
            parse_openai_duration,
            &[
                ("6m0s", ms(360_000)),
                ("1s", ms(1_000)),
                ("20ms", ms(20)),
                ("1h2m3s", ms(3_723_000)),
                ("0.5s", ms(500)),
                ("", None),
                ("soon", None),
                ("5x", None),
                ("m", None),
            ],
        );
    }

    #[test]
    fn retry_after_values() {
        check(
            |v| parse_retry_after(v, NOW),
            &[
                ("7", ms(7_000)),
                ("Tue, 24 Nov 2026 12:00:30 GMT", ms(30_000)),
                // A date in the past means "now", not a negative wait.
                ("Tue, 24 Nov 2026 11:00:00 GMT", ms(0)),
                ("later", None),
                ("-3", ms(0)),
            ],
        );
        check(parse_float_seconds, &[("11.5", ms(11_500)), ("NaN", None)]);
        check(
            |v| parse_rfc3339_delay(v, NOW),
            &[("2026-11-24T12:00:59Z", ms(59_000)), ("not a date", None)],
        );
    }

    /// Response headers (name, value) in, the wait they ask for out.
    type HeaderCase<'a> = (&'a [(&'a str, &'a str)], Option<Duration>);

    fn check_headers(cases: &[HeaderCase<'_>]) {
        for (pairs, expected) in cases {
            assert_eq!(retry_after_at(&headers(pairs), NOW), *expected, "{pairs:?}");
        }
    }

    #[test]
    fn reset_headers_of_every_vendor() {
        let epoch_ms = ((NOW.unix_timestamp() + 9) * 1000).to_string();
        check_headers(&[
            (&[], None),
            // Retry-After wins over reset headers; -ms wins over both.
            (
                &[("retry-after", "3"), ("x-ratelimit-reset-requests", "6m0s")],
                ms(3_000),
            ),
            (&[("retry-after-ms", "1500")], ms(1_500)),
            // OpenAI: the exhausted window, not the longest one.
            (
                &[
                    ("x-ratelimit-remaining-requests", "0"),
                    ("x-ratelimit-reset-requests", "1s"),
                    ("x-ratelimit-remaining-tokens", "1000"),
                    ("x-ratelimit-reset-tokens", "6m0s"),
                ],
                ms(1_000),
            ),
            // Nothing says 0: the soonest reset.
            (
                &[
                    ("x-ratelimit-reset-requests", "20ms"),
                    ("x-ratelimit-reset-tokens", "6m0s"),
                ],
                ms(20),
            ),
            // Cerebras: float seconds with -day/-minute suffixes.
            (
                &[
                    ("x-ratelimit-remaining-requests-day", "14370"),
                    ("x-ratelimit-reset-requests-day", "33011.382867097855"),
                    ("x-ratelimit-remaining-tokens-minute", "0"),
                    ("x-ratelimit-reset-tokens-minute", "11.5"),
                ],
                ms(11_500),
            ),
            // Anthropic: RFC 3339 instants.
            (
                &[
                    ("anthropic-ratelimit-requests-remaining", "10"),
                    ("anthropic-ratelimit-requests-reset", "2026-11-24T12:00:05Z"),
                    ("anthropic-ratelimit-input-tokens-remaining", "0"),
                    (
                        "anthropic-ratelimit-input-tokens-reset",
                        "2026-11-24T12:00:40Z",
                    ),
                ],
                ms(40_000),
            ),
            // Brave: one value per window, shortest first.
            (
                &[
                    ("X-RateLimit-Remaining", "0, 14000"),
                    ("X-RateLimit-Reset", "1, 1419704"),
                ],
                ms(1_000),
            ),
            (
                &[
                    ("X-RateLimit-Remaining", "5, 0"),
                    ("X-RateLimit-Reset", "1, 1419704"),
                ],
                ms(1_419_704_000),
            ),
            // OpenRouter: an epoch in milliseconds.
            (
                &[
                    ("X-RateLimit-Remaining", "0"),
                    ("X-RateLimit-Reset", epoch_ms.as_str()),
                ],
                ms(9_000),
            ),
        ]);
    }
}
