//! The waterfall's lookups, each cached across campaigns and metered: a people match
//! (batched ten to a call), the executives at a domain (batched ten domains to a call),
//! an organization, a Hunter verification of an address, a Hunter finder answer.
//!
//! What is cached is the evidence in ATL's own terms (a [`Person`], a verdict, an
//! [`Organization`]), with the time it was observed, so a repeat account costs nothing
//! and its fields say `from_cache` with the original observation date.

use super::email;
use super::person::{from_apollo, moved_to};
use crate::agent::{AgentError, AgentInput};
use crate::cache::{CacheKind, person_key};
use crate::kit::{AgentKit, rfc3339};
use crate::spend::Spend;
use atl_domain::provenance::{Provenance, SourceKind, Sourced};
use atl_domain::records::{Email, EmailStatus, Organization, Person};
use atl_domain::seniority::Seniority;
use atl_providers::apollo::{ApolloOrganization, PersonMatch};
use atl_providers::toolkit::endpoint;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What a people match found about the input's person.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct MatchOutcome {
    /// The person at this company, when found there.
    pub person: Option<Person>,
    /// Found, but working elsewhere now: (company, domain).
    pub moved: Option<(String, Option<String>)>,
    /// The organization as the match described it.
    pub organization: Option<Organization>,
    pub observed_at: String,
    #[serde(skip)]
    pub from_cache: bool,
}

/// A verifier's verdict on one address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Verdict {
    pub status: EmailStatus,
    pub provider_status: String,
    pub score: Option<u8>,
    pub observed_at: String,
    #[serde(skip)]
    pub from_cache: bool,
}

pub(crate) fn organization_from_apollo(
    o: &ApolloOrganization,
    observed_at: &str,
    from_cache: bool,
) -> Organization {
    let p = Provenance::new(SourceKind::Apollo)
        .observed(observed_at)
        .cached(from_cache);
    Organization {
        name: o.name.clone(),
        domain: o
            .primary_domain
            .as_deref()
            .and_then(atl_domain::domain_name::registrable_domain),
        website: o.website_url.clone(),
        industry: o.industry.clone().map(|v| Sourced::new(v, p.clone())),
        employees: o
            .estimated_num_employees
            .map(|v| Sourced::new(v, p.clone())),
        revenue: o.annual_revenue.map(|v| Sourced::new(v, p.clone())),
        notes: Vec::new(),
    }
}

/// Mark each of the provenances present as served from the cache.
fn set_cached<'a>(provenances: impl IntoIterator<Item = Option<&'a mut Provenance>>) {
    for p in provenances.into_iter().flatten() {
        p.from_cache = true;
    }
}

fn mark_cached(p: &mut Person) {
    p.provenance.from_cache = true;
    set_cached([
        p.title.as_mut().map(|t| &mut t.provenance),
        p.seniority.as_mut().map(|t| &mut t.provenance),
        p.linkedin_url.as_mut().map(|t| &mut t.provenance),
        p.email.as_mut().map(|t| &mut t.provenance),
        p.phone.as_mut().map(|t| &mut t.provenance),
    ]);
}

/// What serving `kind` from the cache is listed as in the cost breakdown: the provider
/// and endpoint that sold it.
fn sold_by(kind: CacheKind) -> (&'static str, &'static str) {
    match kind {
        CacheKind::PersonMatch => ("apollo", endpoint::PEOPLE_MATCH),
        CacheKind::Executives => ("apollo", endpoint::PEOPLE_SEARCH),
        CacheKind::Organization => ("apollo", endpoint::ORGANIZATION_ENRICH),
        CacheKind::EmailVerification => ("hunter", endpoint::EMAIL_VERIFIER),
        CacheKind::EmailFinder => ("hunter", endpoint::EMAIL_FINDER),
        // The evidence pack is research's, listed the way its own cache lookup lists it.
        CacheKind::CompanyPack => ("evidence", "company_pack"),
    }
}

/// The lookups of one run: the kit they go through, the input they are for and the run's
/// spend record they are booked to.
#[derive(Clone, Copy)]
pub(crate) struct Lookups<'a> {
    pub kit: &'a AgentKit,
    pub input: &'a AgentInput,
    pub spend: &'a Spend,
}

impl Lookups<'_> {
    /// The fresh cached answer under (`kind`, `key`), marked as served from the cache by
    /// `mark` and listed at no cost; else the answer `buy` pays for, kept for later runs. No
    /// key: nothing to look up or keep, the answer is bought.
    async fn recall_or_buy<T: Serialize + DeserializeOwned>(
        &self,
        (kind, key): (CacheKind, Option<&str>),
        mark: impl FnOnce(&mut T),
        buy: impl Future<Output = Result<T, AgentError>>,
    ) -> Result<T, AgentError> {
        let Lookups { kit, input, spend } = *self;
        if let Some(k) = key
            && let Some((mut v, _)) = kit.recall::<T>(input, kind, k).await
        {
            mark(&mut v);
            let (provider, endpoint) = sold_by(kind);
            spend.cached(provider, endpoint);
            return Ok(v);
        }
        let v = buy.await?;
        if let Some(k) = key {
            kit.remember(input, kind, k, &v, kit.now()).await;
        }
        Ok(v)
    }

    /// Apollo's people match for the input's person (cached; batched).
    pub(crate) async fn match_person(
        &self,
        name: &str,
        domain: Option<&str>,
    ) -> Result<Option<MatchOutcome>, AgentError> {
        let Lookups { kit, input, spend } = *self;
        if kit.toolkit.apollo.is_none() {
            return Ok(None);
        }
        let key = person_key(input.contact_email.as_deref(), Some(name), domain);
        let mark = |m: &mut MatchOutcome| {
            m.from_cache = true;
            if let Some(p) = m.person.as_mut() {
                mark_cached(p);
            }
        };
        let buy = async {
            let company = input.company();
            let query = PersonMatch {
                name: Some(name.to_string()),
                email: input.contact_email.clone().filter(|e| e.contains('@')),
                domain: domain.map(str::to_string),
                organization_name: Some(company.clone()).filter(|c| !c.is_empty()),
                linkedin_url: input.linkedin_url.clone().filter(|u| u.starts_with("http")),
                ..PersonMatch::default()
            };
            let share = kit.apollo.person(query).await.map_err(|e| spend.fail(e))?;
            spend.record_usage(&share.provider, &share.model, &share.usage, share.cost_usd);
            let observed = rfc3339(kit.now());
            Ok(match &share.value {
                None => MatchOutcome {
                    observed_at: observed,
                    ..MatchOutcome::default()
                },
                Some(p) => match moved_to(p, domain, &company) {
                    Some(to) => MatchOutcome {
                        moved: Some(to),
                        observed_at: observed,
                        ..MatchOutcome::default()
                    },
                    None => MatchOutcome {
                        person: from_apollo(
                            p,
                            &observed,
                            false,
                            p.organization.as_ref().and_then(|o| o.industry.as_deref()),
                        ),
                        organization: p
                            .organization
                            .as_ref()
                            .map(|o| organization_from_apollo(o, &observed, false)),
                        observed_at: observed,
                        ..MatchOutcome::default()
                    },
                },
            })
        };
        let at = (CacheKind::PersonMatch, key.as_deref());
        self.recall_or_buy(at, mark, buy).await.map(Some)
    }

    /// Apollo's executives at `domain` from its free search (cached; batched by domain).
    pub(crate) async fn executives(&self, domain: &str) -> Result<Vec<Person>, AgentError> {
        let Lookups { kit, spend, .. } = *self;
        if kit.toolkit.apollo.is_none() {
            return Ok(Vec::new());
        }
        let mark = |people: &mut Vec<Person>| people.iter_mut().for_each(mark_cached);
        let buy = async {
            let seniorities: Vec<String> = Seniority::ALL
                .iter()
                .filter(|s| s.is_executive())
                .map(|s| s.as_str().to_string())
                .collect();
            let share = kit
                .apollo
                .executives(domain.to_string(), seniorities)
                .await
                .map_err(|e| spend.fail(e))?;
            spend.record_usage(&share.provider, &share.model, &share.usage, share.cost_usd);
            let observed = rfc3339(kit.now());
            Ok(share
                .value
                .iter()
                .filter_map(|p| from_apollo(p, &observed, false, None))
                .filter(|p| p.seniority.as_ref().is_some_and(|s| s.value.is_executive()))
                .collect())
        };
        let at = (CacheKind::Executives, Some(domain));
        self.recall_or_buy(at, mark, buy).await
    }

    /// Apollo's organization record for `domain` (one credit; cached).
    pub(crate) async fn organization(
        &self,
        domain: &str,
    ) -> Result<Option<Organization>, AgentError> {
        let Lookups { kit, spend, .. } = *self;
        if kit.toolkit.apollo.is_none() {
            return Ok(None);
        }
        let mark = |org: &mut Option<Organization>| {
            if let Some(o) = org.as_mut() {
                set_cached([
                    o.industry.as_mut().map(|x| &mut x.provenance),
                    o.employees.as_mut().map(|x| &mut x.provenance),
                    o.revenue.as_mut().map(|x| &mut x.provenance),
                ]);
            }
        };
        let buy = async {
            let m = spend.paid(kit.toolkit.apollo_organization(domain).await)?;
            let observed = rfc3339(kit.now());
            Ok(m.value
                .as_ref()
                .map(|o| organization_from_apollo(o, &observed, false)))
        };
        let at = (CacheKind::Organization, Some(domain));
        self.recall_or_buy(at, mark, buy).await
    }

    /// Hunter's verdict on `address` (cached: an address verified within the freshness
    /// window is not verified again).
    pub(crate) async fn verify(&self, address: &str) -> Result<Option<Verdict>, AgentError> {
        let Lookups { kit, spend, .. } = *self;
        if kit.toolkit.hunter.is_none() {
            return Ok(None);
        }
        let key = address.trim().to_ascii_lowercase();
        let buy = async {
            let m = spend.paid(kit.toolkit.hunter_verify(&key).await)?;
            Ok(Verdict {
                status: email::from_hunter(m.value.status),
                provider_status: format!("hunter:{}", m.value.status.as_str()),
                score: m.value.score.and_then(|s| u8::try_from(s.min(100)).ok()),
                observed_at: rfc3339(kit.now()),
                from_cache: false,
            })
        };
        let at = (CacheKind::EmailVerification, Some(key.as_str()));
        let mark = |v: &mut Verdict| v.from_cache = true;
        self.recall_or_buy(at, mark, buy).await.map(Some)
    }

    /// Hunter's finder for a person at `domain` (one credit when an address is found; cached).
    pub(crate) async fn find(
        &self,
        domain: &str,
        first: &str,
        last: &str,
    ) -> Result<Option<Email>, AgentError> {
        let Lookups { kit, spend, .. } = *self;
        if kit.toolkit.hunter.is_none() {
            return Ok(None);
        }
        let key = format!(
            "{}|{}|{}",
            first.to_lowercase(),
            last.to_lowercase(),
            domain
        );
        let mark = |found: &mut Option<Email>| {
            if let Some(e) = found.as_mut() {
                e.provenance.from_cache = true;
            }
        };
        let buy = async {
            let m = spend.paid(kit.toolkit.hunter_find(domain, first, last).await)?;
            let observed = rfc3339(kit.now());
            Ok(m.value.as_ref().map(|f| {
                let (status, word) = match f.status() {
                    Some(s) => (email::from_hunter(s), format!("hunter:{}", s.as_str())),
                    // A found address Hunter did not check is its pattern guess.
                    None => (EmailStatus::UnverifiedGuess, "hunter:pattern".to_string()),
                };
                Email {
                    address: f.email.to_ascii_lowercase(),
                    status: if status == EmailStatus::Unknown {
                        EmailStatus::UnverifiedGuess
                    } else {
                        status
                    },
                    provider_status: Some(word),
                    score: f.score.and_then(|s| u8::try_from(s.min(100)).ok()),
                    provenance: Provenance::new(SourceKind::Hunter)
                        .observed(observed.clone())
                        .with_url_opt(f.sources.iter().find_map(|x| x.uri.clone())),
                }
            }))
        };
        let at = (CacheKind::EmailFinder, Some(key.as_str()));
        self.recall_or_buy(at, mark, buy).await
    }
}
