//! The enrichment sub-agent's output: the contact, the account's executives and its
//! organization, every field from evidence.
//!
//! The rule: a person's name, title, seniority, e-mail, phone and LinkedIn come from one
//! evidenced person record (a tool's match of the input's person, or the input itself),
//! never mixed across people, and never from a model. A tool's match at another company
//! is reported as [`ContactOutcome::Moved`], not adopted.

use crate::provenance::{Provenance, Sourced};
use crate::seniority::Seniority;
use serde::{Deserialize, Serialize};

/// What a sequencer can do with an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    /// A verifier (or Apollo's own verification) confirmed it is deliverable.
    Verified,
    /// The domain accepts every address: deliverability cannot be known (≈40% bounce).
    CatchAll,
    /// A pattern guess never confirmed by a verifier.
    UnverifiedGuess,
    /// Bounced or undeliverable.
    Invalid,
    Unknown,
}

impl EmailStatus {
    pub const ALL: [EmailStatus; 5] = [
        EmailStatus::Verified,
        EmailStatus::CatchAll,
        EmailStatus::UnverifiedGuess,
        EmailStatus::Invalid,
        EmailStatus::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Verified => "verified",
            EmailStatus::CatchAll => "catch_all",
            EmailStatus::UnverifiedGuess => "unverified_guess",
            EmailStatus::Invalid => "invalid",
            EmailStatus::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<EmailStatus> {
        EmailStatus::ALL
            .into_iter()
            .find(|e| e.as_str() == s.trim())
    }

    /// Whether a sequencer may send to it without further checks.
    pub fn is_sendable(self) -> bool {
        self == EmailStatus::Verified
    }
}

/// An e-mail address with its status, the provider's own verdict and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Email {
    pub address: String,
    pub status: EmailStatus,
    /// The provider's own words (`apollo:guessed`, `hunter:accept_all`).
    #[serde(default)]
    pub provider_status: Option<String>,
    /// The provider's confidence score (0–100), when it gives one.
    #[serde(default)]
    pub score: Option<u8>,
    #[serde(flatten)]
    pub provenance: Provenance,
}

/// What kind of line a phone number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    Mobile,
    WorkDirect,
    WorkHq,
    Other,
}

impl PhoneKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneKind::Mobile => "mobile",
            PhoneKind::WorkDirect => "work_direct",
            PhoneKind::WorkHq => "work_hq",
            PhoneKind::Other => "other",
        }
    }

    /// A provider's type word (`mobile`, `work_direct`, `work_hq`, `direct`, `hq` …).
    pub fn from_provider(s: Option<&str>) -> PhoneKind {
        match s.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            Some("mobile" | "cell" | "personal") => PhoneKind::Mobile,
            Some("work_direct" | "direct" | "direct_dial") => PhoneKind::WorkDirect,
            Some("work_hq" | "hq" | "headquarters" | "corporate") => PhoneKind::WorkHq,
            _ => PhoneKind::Other,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phone {
    /// E.164 when the provider gives it (`+14155550100`), else as given.
    pub number: String,
    pub kind: PhoneKind,
    #[serde(flatten)]
    pub provenance: Provenance,
}

/// A person as one evidenced record describes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// The full name as the record gives it. When the provider hides part of it
    /// (`name_hidden`), this is only the visible part, never a masked string.
    pub name: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// The provider hid the last name (a free people search does): show
    /// "Sofia (last name hidden by Apollo)", never "Sofia Va***e".
    #[serde(default)]
    pub name_hidden: bool,
    #[serde(default)]
    pub title: Option<Sourced<String>>,
    #[serde(default)]
    pub seniority: Option<Sourced<Seniority>>,
    #[serde(default)]
    pub email: Option<Email>,
    #[serde(default)]
    pub phone: Option<Phone>,
    #[serde(default)]
    pub linkedin_url: Option<Sourced<String>>,
    /// The record the person came from.
    #[serde(flatten)]
    pub provenance: Provenance,
}

impl Person {
    /// How the name reads on a page or in a cell.
    pub fn display_name(&self) -> String {
        if self.name_hidden {
            format!("{} (last name hidden by provider)", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// What became of the input's contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ContactOutcome {
    /// A tool found the input's person at this company; the contact is that record.
    Found,
    /// No tool found them: the contact is the input's person as given, unverified.
    Unverified,
    /// A tool found the input's person working elsewhere now; the contact is the input's
    /// person as given, unverified, with where they went.
    Moved {
        to_company: String,
        #[serde(default)]
        to_domain: Option<String>,
        #[serde(flatten)]
        provenance: Provenance,
    },
    /// The input named no contact; none is invented (see the executives).
    NoInputContact,
}

impl ContactOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            ContactOutcome::Found => "found",
            ContactOutcome::Unverified => "unverified",
            ContactOutcome::Moved { .. } => "moved",
            ContactOutcome::NoInputContact => "no_input_contact",
        }
    }
}

/// Firmographics of the account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    #[serde(default)]
    pub name: Option<String>,
    /// The registrable domain every lookup used (`walmart.com` for `stock.walmart.com`).
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub industry: Option<Sourced<String>>,
    #[serde(default)]
    pub employees: Option<Sourced<u64>>,
    #[serde(default)]
    pub revenue: Option<Sourced<f64>>,
    /// Things a user should know about the domain (an investor-relations sub-domain was
    /// given, the e-mail domain differs …).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The enrichment record of one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrichmentRecord {
    #[serde(default)]
    pub contact: Option<Person>,
    pub contact_outcome: ContactOutcome,
    /// The account's executives (owner, founder, c_suite, partner, vp, head), best first.
    #[serde(default)]
    pub executives: Vec<Person>,
    #[serde(default)]
    pub organization: Organization,
    #[serde(default)]
    pub sources: Vec<String>,
}
