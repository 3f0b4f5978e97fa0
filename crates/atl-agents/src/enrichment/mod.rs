//! Enrichment: the contact, the account's executives and its organization, as a
//! deterministic waterfall over tool evidence — cheapest first, stop on the first good
//! answer, no model deciding who the contact is.
//!
//! 1. **The input's person** through Apollo's people match (batched ten to a call across
//!    jobs, cached across campaigns). Found at this company → the contact is that record,
//!    every field from it. Found at another company → the contact is the input's person as
//!    given, unverified, reported as "moved to X"; nothing of the other record is adopted.
//!    Not found → the input's person as given, unverified. No input contact → no contact:
//!    the executives are listed instead.
//! 2. **The e-mail**: Apollo's verified address stands. An address that is only a guess
//!    (Apollo's, or the input's) is checked by Hunter's verifier — unless it was verified
//!    within the freshness window — and a recorded bounce is never upgraded by a
//!    catch-all answer. With no address at all, Hunter's finder is asked (charged only
//!    when it finds one).
//! 3. **Executives** from Apollo's free people search (ten domains to a call): owners,
//!    founders, C-suite, partners, VPs and heads, best first, names the provider hides
//!    marked as hidden.
//! 4. **The organization** from the people match; Apollo's organization enrich (one
//!    credit) only when the match gave none and the campaign asked for firmographics.

mod email;
mod lookups;
mod person;

use crate::agent::{AgentError, AgentInput, CostEstimate, QuoteKind};
use crate::confidence::{self, EnrichmentEvidence};
use crate::declare::sub_agent;
use crate::estimate::{self, Quote};
use crate::spend::{Outcome, Run, Spend};
use atl_domain::provenance::{Provenance, SourceKind};
use atl_domain::records::{ContactOutcome, EmailStatus, EnrichmentRecord, Organization, Person};
use atl_domain::{SubAgentKind, normalise_company};
use atl_providers::toolkit::endpoint;
use lookups::Lookups;

#[derive(Debug, Clone)]
pub struct EnrichmentOptions {
    /// Executives listed at most.
    pub max_executives: usize,
    /// Check guessed addresses with Hunter's verifier.
    pub verify_email: bool,
    /// Ask Hunter's finder when no address is known.
    pub find_email: bool,
}

impl Default for EnrichmentOptions {
    fn default() -> Self {
        EnrichmentOptions {
            max_executives: 8,
            verify_email: true,
            find_email: true,
        }
    }
}

sub_agent!(EnrichmentAgent, EnrichmentOptions, SubAgentKind::Enrichment);

impl EnrichmentAgent {
    /// Step 2: settle the contact's e-mail.
    async fn settle_email(
        &self,
        look: Lookups<'_>,
        contact: &mut Person,
        domain: Option<&str>,
    ) -> Result<(), AgentError> {
        let spend = look.spend;
        let held = contact.email.as_ref().map(|e| e.status);
        match held {
            Some(status) if self.options.verify_email && email::needs_verification(status) => {
                let address = contact
                    .email
                    .as_ref()
                    .map(|e| e.address.clone())
                    .unwrap_or_default();
                if let Some(v) =
                    degrade(look.verify(&address).await, spend, "e-mail not verified")?.flatten()
                    && let Some(e) = contact.email.as_mut()
                {
                    e.status = email::combine(e.status, v.status);
                    e.provider_status = Some(match &e.provider_status {
                        Some(before) => format!("{before}; {}", v.provider_status),
                        None => v.provider_status.clone(),
                    });
                    e.score = v.score.or(e.score);
                    if e.status != status {
                        e.provenance = Provenance::new(SourceKind::Hunter)
                            .observed(v.observed_at.clone())
                            .cached(v.from_cache);
                    }
                }
            }
            Some(EmailStatus::Invalid) => {
                spend.warn("the contact's address is recorded as bounced: not verified again");
            }
            None if self.options.find_email => {
                if let (Some(d), Some(first), Some(last)) = (
                    domain,
                    contact.first_name.clone(),
                    contact.last_name.clone(),
                ) && !contact.name_hidden
                {
                    let first = first
                        .split_whitespace()
                        .last()
                        .unwrap_or(&first)
                        .to_string();
                    contact.email = degrade(
                        look.find(d, &first, &last).await,
                        spend,
                        "no address looked up",
                    )?
                    .flatten();
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// A later step of the waterfall that cannot succeed (a plan exhausted, a key refused)
/// does not throw away what earlier steps bought: the record completes without that
/// step, saying why. A failure that may pass (a rate limit, an outage) still fails the
/// run, which comes back later and reads the earlier steps from the evidence cache.
fn degrade<T>(
    r: Result<T, AgentError>,
    spend: &Spend,
    what: &str,
) -> Result<Option<T>, AgentError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind == atl_domain::FailureKind::Final => {
            spend.warn(format!("{what}: {}", e.message));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Executives best first (by seniority, then as the provider listed them), without the
/// contact, without duplicates.
fn rank_executives(mut people: Vec<Person>, contact: Option<&Person>, max: usize) -> Vec<Person> {
    let key = |p: &Person| normalise_company(&p.name);
    let contact_key = contact.map(key);
    let mut seen = std::collections::HashSet::new();
    people.retain(|p| Some(key(p)) != contact_key && seen.insert(key(p)));
    people.sort_by_key(|p| p.seniority.as_ref().map(|s| s.value));
    people.truncate(max);
    people
}

impl EnrichmentAgent {
    fn quote(&self, input: &AgentInput) -> CostEstimate {
        let t = &self.kit.toolkit;
        let credits = |provider, endpoint, units| {
            estimate::lookups(t, QuoteKind::ContactCredits, provider, endpoint, units)
        };
        let mut q = Quote::default();
        let has_contact = input.contact().is_some();
        let has_email = input
            .contact_email
            .as_deref()
            .is_some_and(|e| e.contains('@'));
        if t.apollo.is_some() && has_contact {
            // One credit on a hit; about nine in ten listed people are found. A person
            // matched within the freshness window costs nothing.
            let expected = if input.cached.person { 0.0 } else { 0.9 };
            q = q.add(credits(
                "apollo",
                endpoint::PEOPLE_MATCH,
                (0.0, expected, 1.0),
            ));
        }
        if t.apollo.is_some() && input.options.firmographics {
            q = q.add(credits(
                "apollo",
                endpoint::ORGANIZATION_ENRICH,
                (0.0, 0.1, 1.0),
            ));
        }
        if t.hunter.is_some() && has_contact && !input.cached.person {
            // Hunter only where Apollo gives no verified address: it finds about one
            // listed person in eight not at all, and about a quarter of those it finds
            // have a guessed address or none. With an address in the file, that address
            // is verified in those cases (0.12 + 0.88 × 0.26 ≈ 0.35); without one, a
            // guess is verified (0.88 × 0.17 ≈ 0.15) and a finder looks for the rest
            // (0.12 + 0.88 × 0.09 ≈ 0.2).
            let verify = if has_email { 0.35 } else { 0.15 };
            q = q.add(credits(
                "hunter",
                endpoint::EMAIL_VERIFIER,
                (0.0, verify, 1.0),
            ));
            if !has_email {
                q = q.add(credits("hunter", endpoint::EMAIL_FINDER, (0.0, 0.2, 1.0)));
            }
        }
        q.into_estimate()
    }

    async fn work(&self, input: &AgentInput, spend: &Spend) -> Run<EnrichmentRecord> {
        let t = &self.kit.toolkit;
        let look = Lookups {
            kit: &self.kit,
            input,
            spend,
        };
        let company = input.company();
        let domain = input.registrable_domain();
        if company.is_empty() && domain.is_none() {
            return Err(spend.final_error("enrichment needs a company name or domain"));
        }
        if t.apollo.is_none() && t.hunter.is_none() {
            spend.warn(
                "no Apollo or Hunter key: the contact and executives come from the file only",
            );
        }
        let industry_hint = input
            .context_lines()
            .into_iter()
            .find(|l| {
                l.to_ascii_lowercase().starts_with("industry")
                    || l.to_ascii_lowercase().starts_with("sector")
            })
            .and_then(|l| l.split_once(':').map(|(_, v)| v.trim().to_string()));

        let mut organization = Organization {
            name: Some(company.clone()).filter(|c| !c.is_empty()),
            domain: domain.clone(),
            website: input.website.clone(),
            ..Organization::default()
        };
        organization.notes.extend(input.domain_note());

        // Step 1: the input's person.
        let mut outcome = ContactOutcome::NoInputContact;
        let mut contact: Option<Person> = None;
        let mut found_by_tool = false;
        if let Some(name) = input.contact() {
            let as_given = || {
                person::from_input(
                    name,
                    input.contact_title.as_deref(),
                    input.contact_email.as_deref(),
                    input.linkedin_url.as_deref(),
                    industry_hint.as_deref(),
                )
            };
            match look.match_person(name, domain.as_deref()).await? {
                Some(m) if m.person.is_some() => {
                    let mut p = m.person.unwrap_or_else(as_given);
                    // The file's own address for the same person, when Apollo had none.
                    if p.email.is_none() {
                        p.email = as_given().email;
                    }
                    if p.linkedin_url.is_none() {
                        p.linkedin_url = as_given().linkedin_url;
                    }
                    if let Some(org) = m.organization {
                        merge_organization(&mut organization, org);
                    }
                    found_by_tool = true;
                    outcome = ContactOutcome::Found;
                    contact = Some(p);
                }
                Some(m) if m.moved.is_some() => {
                    let (to_company, to_domain) = m.moved.unwrap_or_default();
                    spend.warn(format!(
                        "{name} moved to {to_company}: the contact is kept as the file gave it, unverified"
                    ));
                    outcome = ContactOutcome::Moved {
                        to_company,
                        to_domain,
                        provenance: Provenance::new(SourceKind::Apollo)
                            .observed(m.observed_at.clone())
                            .cached(m.from_cache),
                    };
                    contact = Some(as_given());
                }
                _ => {
                    outcome = ContactOutcome::Unverified;
                    contact = Some(as_given());
                }
            }
        }
        if let Some(c) = contact.as_mut() {
            self.settle_email(look, c, domain.as_deref()).await?;
        }

        // Step 3: executives.
        let mut executives = Vec::new();
        if let Some(d) = &domain {
            executives = degrade(look.executives(d).await, spend, "executives not looked up")?
                .unwrap_or_default();
        } else {
            spend.warn("no domain known: executives not looked up");
        }
        let executives = rank_executives(executives, contact.as_ref(), self.options.max_executives);

        // Step 4: the organization, when the match did not describe it.
        if organization.industry.is_none()
            && input.options.firmographics
            && let Some(d) = &domain
            && let Some(org) = degrade(
                look.organization(d).await,
                spend,
                "organization not looked up",
            )?
            .flatten()
        {
            merge_organization(&mut organization, org);
        }

        let record = EnrichmentRecord {
            contact_outcome: outcome,
            sources: sources(contact.as_ref(), &executives, &organization),
            contact,
            executives,
            organization,
        };
        let c = record.contact.as_ref();
        let evidence = EnrichmentEvidence {
            email_status: c.and_then(|c| c.email.as_ref()).map(|e| e.status),
            found_by_tool,
            linkedin_from_tool: c
                .and_then(|c| c.linkedin_url.as_ref())
                .is_some_and(|l| l.provenance.source != SourceKind::Input),
            title_from_tool: c
                .and_then(|c| c.title.as_ref())
                .is_some_and(|l| l.provenance.source != SourceKind::Input),
            organization_from_tool: record.organization.industry.is_some(),
        };
        let sources = record.sources.clone();
        let confidence = confidence::enrichment(&evidence);
        let main = ("waterfall".into(), "none".into());
        Ok(Outcome::new(record, sources, confidence, main))
    }
}

/// Fill the organization's blanks from a tool's record (the input's name and domain stay).
fn merge_organization(into: &mut Organization, from: Organization) {
    if into.name.is_none() {
        into.name = from.name;
    }
    if into.domain.is_none() {
        into.domain = from.domain;
    }
    if into.website.is_none() {
        into.website = from.website;
    }
    into.industry = into.industry.take().or(from.industry);
    into.employees = into.employees.take().or(from.employees);
    into.revenue = into.revenue.take().or(from.revenue);
}

/// Addresses of what the record rests on: LinkedIn profiles and the company's website.
fn sources(contact: Option<&Person>, executives: &[Person], org: &Organization) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let urls = contact
        .into_iter()
        .chain(executives)
        .filter_map(|p| p.linkedin_url.as_ref())
        .filter(|l| l.provenance.source != SourceKind::Input)
        .map(|l| l.value.clone())
        .chain(
            org.website
                .iter()
                .filter(|w| w.starts_with("http"))
                .cloned(),
        );
    for u in urls {
        if !out.contains(&u) {
            out.push(u);
        }
    }
    out
}
