//! How numbers, money and times read on a page.

use time::OffsetDateTime;

/// `1234567` → `1,234,567`.
/// `s` percent-encoded for a URL, keeping ASCII letters, digits and the bytes of `keep`.
pub(crate) fn percent_encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn count(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// USD as a salesperson reads it: `$12.34`, small sums with the digits that matter
/// (`$0.0042`), thousands grouped (`$1,234.50`).
pub(crate) fn usd(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    if a > 0.0 && a < 0.01 {
        return format!("{sign}${a:.4}");
    }
    let cents = (a * 100.0).round() as i128;
    format!("{sign}${}.{:02}", count(cents / 100), cents % 100)
}

/// Nano-dollars as [`usd`].
pub(crate) fn nano_usd(n: i64) -> String {
    usd(atl_store::nano_to_usd(n))
}

/// A quantity of units (tokens, searches, credits): whole numbers grouped, fractions
/// with one decimal.
pub(crate) fn units(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        count(v.round() as i128)
    } else {
        format!("{v:.1}")
    }
}

/// `2026-11-30 14:03 UTC`.
pub(crate) fn when(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// An RFC 3339 text as [`when`], or as given when it does not parse.
pub(crate) fn when_text(s: &str) -> String {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(when)
        .unwrap_or_else(|_| s.to_string())
}

/// The date part of an observed-at text (`2026-11-30T10:00:00Z` → `2026-11-30`).
pub(crate) fn day(s: &str) -> String {
    s.get(..10).unwrap_or(s).to_string()
}

/// A duration in words: `45 s`, `12 min`, `3 h 5 min`.
pub(crate) fn duration_ms(ms: u64) -> String {
    let s = ms / 1000;
    if ms < 1000 {
        format!("{ms} ms")
    } else if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    }
}

/// Share in percent with one decimal, for a `<progress>` value.
pub(crate) fn percent(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_spreadsheet() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(-1000), "-1,000");
        assert_eq!(usd(1234.5), "$1,234.50");
        assert_eq!(usd(0.0), "$0.00");
        assert_eq!(usd(0.0042), "$0.0042");
        assert_eq!(usd(-2.0), "-$2.00");
        assert_eq!(units(1200.0), "1,200");
        assert_eq!(units(2.5), "2.5");
        assert_eq!(duration_ms(450), "450 ms");
        assert_eq!(duration_ms(45_000), "45 s");
        assert_eq!(duration_ms(3_900_000), "1 h 5 min");
        assert_eq!(percent(1, 3), 33.3);
        assert_eq!(percent(1, 0), 0.0);
        assert_eq!(day("2026-11-30T10:00:00Z"), "2026-11-30");
        assert_eq!(when_text("2026-11-30T10:05:00Z"), "2026-11-30 10:05 UTC");
    }
}
