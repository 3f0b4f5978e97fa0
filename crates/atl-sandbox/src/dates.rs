//! Calendar arithmetic without a date library: the sandbox's fixed "today" (so dated
//! content is the same on every run), civil dates from day numbers, and RFC 3339
//! timestamps of the wall clock for the rate-limit headers that need them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 2026-11-30 as days since 1970-01-01. Synthetic news and employment dates are spread
/// backwards from here, so a reply never changes with the day it is asked.
pub(crate) const TODAY: i64 = 20_787;

/// Days since 1970-01-01 → (year, month, day) (proleptic Gregorian; Hinnant's method).
pub(crate) fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `YYYY-MM-DD` for a day number.
pub(crate) fn ymd(days: i64) -> String {
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD`, `n` days before the sandbox's today.
pub(crate) fn days_ago(n: i64) -> String {
    ymd(TODAY - n)
}

/// `March 3, 2025`, the way search engines print an older result's date.
pub(crate) fn long_date(days: i64) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (y, m, d) = civil(days);
    format!("{} {d}, {y}", MONTHS[(m as usize + 11) % 12])
}

/// How old `n` days is, in Brave's and Serper's words (`3 days ago`, `2 weeks ago`),
/// falling back to the date itself past a month.
pub(crate) fn age_words(n: i64) -> String {
    match n {
        0 => "today".into(),
        1 => "1 day ago".into(),
        2..=13 => format!("{n} days ago"),
        14..=30 => format!("{} weeks ago", n / 7),
        _ => long_date(TODAY - n),
    }
}

/// The wall clock `after` from now as RFC 3339 (`2026-11-30T12:40:59Z`).
pub(crate) fn rfc3339_in(after: Duration) -> String {
    let t = SystemTime::now() + after;
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3_600,
        s % 3_600 / 60,
        s % 60
    )
}

/// Milliseconds since the epoch, `after` from now (OpenRouter's reset header).
pub(crate) fn epoch_ms_in(after: Duration) -> u128 {
    (SystemTime::now() + after)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(ymd(0), "1970-01-01");
        assert_eq!(ymd(TODAY), "2026-11-30");
        assert_eq!(ymd(19_782), "2024-02-29");
        assert_eq!(long_date(TODAY - 365), "November 30, 2025");
        assert_eq!(age_words(3), "3 days ago");
        assert_eq!(age_words(21), "3 weeks ago");
        assert!(rfc3339_in(Duration::ZERO).ends_with('Z'));
    }
}
