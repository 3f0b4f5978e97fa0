//! Apollo's person records in ATL's typed contract: one record → one [`Person`], every
//! field with the record's provenance, nothing mixed in from another person.

use super::email;
use atl_domain::domain_name;
use atl_domain::person_name::split_name;
use atl_domain::provenance::{Provenance, SourceKind, Sourced};
use atl_domain::records::{Email, EmailStatus, Person, Phone, PhoneKind};
use atl_domain::seniority::{self, Seniority};
use atl_providers::apollo::ApolloPerson;

/// The name a record gives, and whether the provider hid part of it.
fn record_name(p: &ApolloPerson) -> Option<(String, bool)> {
    if let Some(n) = p.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        let hidden = n.contains('*');
        let shown = if hidden {
            n.split_whitespace()
                .filter(|w| !w.contains('*'))
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            n.to_string()
        };
        return Some((shown, hidden)).filter(|(s, _)| !s.is_empty());
    }
    let first = p
        .first_name
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty());
    let last = p
        .last_name
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains('*'));
    let hidden = last.is_none() && p.last_name_obfuscated.is_some()
        || p.last_name.as_deref().is_some_and(|l| l.contains('*'));
    let name = [first, last]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Some((name, hidden)).filter(|(n, _)| !n.is_empty())
}

/// The first phone number of a record, with its type, from `phone_numbers` or
/// `contact.phone_numbers`.
fn phone(p: &ApolloPerson, provenance: &Provenance) -> Option<Phone> {
    let contact = p
        .contact
        .as_ref()
        .map(|c| c.phone_numbers.as_slice())
        .unwrap_or_default();
    p.phone_numbers.iter().chain(contact).find_map(|n| {
        let number = n
            .sanitized_number
            .as_deref()
            .or(n.raw_number.as_deref())
            .map(str::trim)
            .filter(|s| !s.is_empty())?;
        Some(Phone {
            number: number.to_string(),
            kind: PhoneKind::from_provider(n.kind.as_deref()),
            provenance: provenance.clone(),
        })
    })
}

/// An Apollo record as a person, observed at `observed_at` (from the cache when
/// `from_cache`). `industry` helps read titles whose rank depends on the sector.
pub(crate) fn from_apollo(
    p: &ApolloPerson,
    observed_at: &str,
    from_cache: bool,
    industry: Option<&str>,
) -> Option<Person> {
    let (name, name_hidden) = record_name(p)?;
    let provenance = Provenance::new(SourceKind::Apollo)
        .observed(observed_at)
        .cached(from_cache);
    let title = p
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| Sourced::new(t.to_string(), provenance.clone()));
    let seniority = seniority::normalise(
        p.seniority.as_deref(),
        title.as_ref().map(|t| t.value.as_str()),
        industry,
    )
    .map(|s: Seniority| Sourced::new(s, provenance.clone()));
    let email = p.usable_email().map(|address| {
        let raw = p.email_status.as_deref();
        Email {
            address: address.to_ascii_lowercase(),
            status: email::from_apollo(raw),
            provider_status: raw.map(|r| format!("apollo:{r}")),
            score: None,
            provenance: provenance.clone(),
        }
    });
    let linkedin_url = p
        .linkedin_url
        .as_deref()
        .map(str::trim)
        .filter(|u| u.starts_with("http"))
        .map(|u| Sourced::new(u.to_string(), provenance.clone()));
    let (first, last) = if name_hidden {
        (p.first_name.clone().or_else(|| Some(name.clone())), None)
    } else {
        split_name(&name)
    };
    Some(Person {
        name,
        first_name: first,
        last_name: last,
        name_hidden,
        title,
        seniority,
        email,
        phone: phone(p, &provenance),
        linkedin_url,
        provenance,
    })
}

/// Where a record says the person works now, when that is not the account: the person
/// has moved on.
pub(crate) fn moved_to(
    p: &ApolloPerson,
    own_domain: Option<&str>,
    company: &str,
) -> Option<(String, Option<String>)> {
    let org = p.organization.as_ref()?;
    let their_domain = org
        .primary_domain
        .as_deref()
        .or(org.website_url.as_deref())
        .and_then(domain_name::registrable_domain);
    let same_domain = matches!((own_domain, their_domain.as_deref()), (Some(a), Some(b)) if a == b);
    let same_name = org.name.as_deref().is_some_and(|n| {
        let a = atl_domain::normalise_company(n);
        let b = atl_domain::normalise_company(company);
        !a.is_empty() && (a == b || a.starts_with(&b) || b.starts_with(&a))
    });
    if same_domain || same_name || (their_domain.is_none() && org.name.is_none()) {
        return None;
    }
    Some((
        org.name
            .clone()
            .unwrap_or_else(|| their_domain.clone().unwrap_or_default()),
        their_domain,
    ))
}

/// The input's own person, unverified: what the file says, marked `input`.
pub(crate) fn from_input(
    name: &str,
    title: Option<&str>,
    address: Option<&str>,
    linkedin: Option<&str>,
    industry: Option<&str>,
) -> Person {
    let provenance = Provenance::input();
    let title = title
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| Sourced::new(t.to_string(), provenance.clone()));
    let seniority = title
        .as_ref()
        .and_then(|t| seniority::classify(&t.value, industry))
        .map(|s| Sourced::new(s, provenance.clone()));
    let (first, last) = split_name(name);
    Person {
        name: name.trim().to_string(),
        first_name: first,
        last_name: last,
        name_hidden: false,
        title,
        seniority,
        email: address
            .map(str::trim)
            .filter(|a| a.contains('@'))
            .map(|a| Email {
                address: a.to_ascii_lowercase(),
                status: EmailStatus::Unknown,
                provider_status: None,
                score: None,
                provenance: provenance.clone(),
            }),
        phone: None,
        linkedin_url: linkedin
            .map(str::trim)
            .filter(|u| u.starts_with("http"))
            .map(|u| Sourced::new(u.to_string(), provenance.clone())),
        provenance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atl_providers::apollo::{ApolloOrganization, PhoneNumber};

    fn apollo(name: &str, org: &str, domain: &str) -> ApolloPerson {
        ApolloPerson {
            name: Some(name.into()),
            title: Some("VP of Sales".into()),
            seniority: Some("vp".into()),
            email: Some("Jane.Doe@acme.example".into()),
            email_status: Some("guessed".into()),
            linkedin_url: Some("https://www.linkedin.com/in/synthetic-jane".into()),
            phone_numbers: vec![PhoneNumber {
                sanitized_number: Some("+14155550100".into()),
                kind: Some("mobile".into()),
                ..PhoneNumber::default()
            }],
            organization: Some(ApolloOrganization {
                name: Some(org.into()),
                primary_domain: Some(domain.into()),
                ..ApolloOrganization::default()
            }),
            ..ApolloPerson::default()
        }
    }

    #[test]
    fn one_record_gives_every_field_with_its_provenance() {
        let p = from_apollo(
            &apollo("Jane Doe", "Acme", "acme.com"),
            "2026-12-01T00:00:00Z",
            false,
            None,
        )
        .unwrap();
        assert_eq!(p.name, "Jane Doe");
        assert_eq!(p.last_name.as_deref(), Some("Doe"));
        assert_eq!(p.seniority.as_ref().map(|s| s.value), Some(Seniority::Vp));
        let e = p.email.as_ref().unwrap();
        assert_eq!(
            (e.address.as_str(), e.status),
            ("jane.doe@acme.example", EmailStatus::UnverifiedGuess)
        );
        assert_eq!(e.provider_status.as_deref(), Some("apollo:guessed"));
        let ph = p.phone.as_ref().unwrap();
        assert_eq!(
            (ph.number.as_str(), ph.kind),
            ("+14155550100", PhoneKind::Mobile)
        );
        assert_eq!(p.provenance.source, SourceKind::Apollo);
    }

    #[test]
    fn hidden_names_are_never_shown_masked_and_moves_are_seen() {
        let mut r = apollo("Sofia Va***e", "Acme", "acme.com");
        r.first_name = Some("Sofia".into());
        let p = from_apollo(&r, "t", false, None).unwrap();
        assert_eq!(p.name, "Sofia");
        assert!(p.name_hidden);
        assert!(!p.display_name().contains('*'));
        assert_eq!(
            moved_to(
                &apollo("Jane Doe", "Acme", "acme.com"),
                Some("acme.com"),
                "Acme Inc"
            ),
            None
        );
        assert_eq!(
            moved_to(
                &apollo("Jane Doe", "Globex", "globex.com"),
                Some("acme.com"),
                "Acme Inc"
            ),
            Some(("Globex".into(), Some("globex.com".into())))
        );
    }
}
