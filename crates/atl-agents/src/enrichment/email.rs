//! E-mail statuses a sequencer can act on, from each provider's own words, and the rule
//! for combining two verdicts on one address.
//!
//! | provider says | status |
//! |---|---|
//! | Apollo `verified` | verified |
//! | Apollo `guessed`, `extrapolated`, `unverified` | unverified_guess (a pattern, never confirmed) |
//! | Apollo `bounced`, `invalid` | invalid (a recorded bounce) |
//! | Hunter `valid` | verified |
//! | Hunter `accept_all` | catch_all (the server accepts every address: it cannot be confirmed) |
//! | Hunter `invalid` | invalid |
//! | Hunter `webmail`, `disposable`, `unknown` | unknown |
//! | Hunter finder with no verification | unverified_guess |
//!
//! Combining: a verifier's later word replaces an earlier guess, but **a recorded bounce
//! is never upgraded by a catch-all answer** (a catch-all server accepts the address at
//! the SMTP step and bounces it later; the bounce is the better evidence). Only a
//! verifier's `valid` — a mailbox confirmed — overrides a bounce.

use atl_domain::records::EmailStatus;
use atl_providers::hunter::HunterStatus;

/// Apollo's `email_status` in our words.
pub(crate) fn from_apollo(s: Option<&str>) -> EmailStatus {
    match s.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("verified") => EmailStatus::Verified,
        Some("guessed" | "extrapolated" | "unverified" | "likely to engage" | "likely") => {
            EmailStatus::UnverifiedGuess
        }
        Some("bounced" | "invalid") => EmailStatus::Invalid,
        _ => EmailStatus::Unknown,
    }
}

/// Hunter's verifier `status` in our words.
pub(crate) fn from_hunter(s: HunterStatus) -> EmailStatus {
    match s {
        HunterStatus::Valid => EmailStatus::Verified,
        HunterStatus::AcceptAll => EmailStatus::CatchAll,
        HunterStatus::Invalid => EmailStatus::Invalid,
        HunterStatus::Webmail | HunterStatus::Disposable | HunterStatus::Unknown => {
            EmailStatus::Unknown
        }
    }
}

/// The status after a verifier answered `checked` about an address we held as `held`.
pub(crate) fn combine(held: EmailStatus, checked: EmailStatus) -> EmailStatus {
    match (held, checked) {
        (EmailStatus::Invalid, EmailStatus::Verified) => EmailStatus::Verified,
        (EmailStatus::Invalid, _) => EmailStatus::Invalid,
        (_, EmailStatus::Unknown) => held,
        (_, c) => c,
    }
}

/// Whether an address with this status is worth a verifier's credit.
pub(crate) fn needs_verification(s: EmailStatus) -> bool {
    matches!(s, EmailStatus::UnverifiedGuess | EmailStatus::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use EmailStatus::*;

    #[test]
    fn statuses_map_and_combine() {
        for (apollo, want) in [
            (Some("verified"), Verified),
            (Some("guessed"), UnverifiedGuess),
            (Some("extrapolated"), UnverifiedGuess),
            (Some("bounced"), Invalid),
            (Some("unavailable"), Unknown),
            (None, Unknown),
        ] {
            assert_eq!(from_apollo(apollo), want, "{apollo:?}");
        }
        for (hunter, want) in [
            (HunterStatus::Valid, Verified),
            (HunterStatus::AcceptAll, CatchAll),
            (HunterStatus::Invalid, Invalid),
            (HunterStatus::Webmail, Unknown),
            (HunterStatus::Disposable, Unknown),
            (HunterStatus::Unknown, Unknown),
        ] {
            assert_eq!(from_hunter(hunter), want, "{hunter:?}");
        }
        // A catch-all answer never upgrades a recorded bounce.
        assert_eq!(combine(Invalid, CatchAll), Invalid);
        assert_eq!(combine(Invalid, Unknown), Invalid);
        assert_eq!(combine(Invalid, Verified), Verified);
        assert_eq!(combine(UnverifiedGuess, CatchAll), CatchAll);
        assert_eq!(combine(UnverifiedGuess, Unknown), UnverifiedGuess);
        assert_eq!(combine(Verified, Invalid), Invalid);
        assert!(needs_verification(UnverifiedGuess) && !needs_verification(Verified));
        assert!(!needs_verification(Invalid) && !needs_verification(CatchAll));
    }
}
