//! The executives of a whole list: the people worth calling across a campaign.
//!
//! Sources: each target's enrichment record, its contact and its executives (read by
//! field from the typed contract). Level: the person's seniority as the record gives it
//! (Apollo's value, else the title classifier's). By default only executives (owner,
//! founder, c_suite, partner, vp, head) are listed; a filter picks any levels. One person
//! appears once: deduplicated by e-mail, else LinkedIn URL, else name + account; the first
//! record seen keeps its fields and later ones fill its blanks. `per_account` keeps the
//! most senior per account.

use crate::AppError;
use crate::lookup::find_campaign;
use crate::record::{PersonFields, TargetRecord};
use atl_domain::normalise_company;
use atl_domain::records::Person;
use atl_domain::seniority::{APOLLO_SENIORITIES, Seniority};
use atl_store::{Store, TargetCursor};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

const PAGE: u32 = 500;

/// Which executives to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutivesQuery {
    /// `None`: the executive levels (owner … head).
    pub levels: Option<HashSet<Seniority>>,
    /// Keep at most this many (the most senior) per account.
    pub per_account: Option<usize>,
}

/// Comma-separated Apollo levels; empty or absent means the executive levels.
pub fn parse_levels(spec: Option<&str>) -> Result<Option<HashSet<Seniority>>, AppError> {
    let Some(spec) = spec.filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            Seniority::parse(s).ok_or_else(|| {
                AppError::InvalidInput(format!(
                    "unknown seniority `{s}` (use {})",
                    APOLLO_SENIORITIES.join(", ")
                ))
            })
        })
        .collect::<Result<HashSet<_>, _>>()
        .map(Some)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExecutiveView {
    /// The name as shown: a provider's hidden last name is said, never masked.
    pub name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub name_hidden: bool,
    pub title: Option<String>,
    /// Apollo's vocabulary.
    pub seniority: String,
    pub email: Option<String>,
    /// verified, catch_all, unverified_guess, invalid or unknown.
    pub email_status: Option<String>,
    pub phone: Option<String>,
    pub phone_type: Option<String>,
    pub linkedin_url: Option<String>,
    /// Where the record came from: input, apollo or hunter.
    pub source: String,
    pub observed_at: Option<String>,
    pub from_cache: bool,
    pub company: String,
    pub domain: Option<String>,
    /// The targets this person was found for.
    pub target_ids: Vec<i64>,
    /// `contact` (the list's own contact) or `executives` (found at the account).
    pub found_as: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExecutiveList {
    pub executives: Vec<ExecutiveView>,
    pub total: usize,
    /// Accounts with at least one listed executive.
    pub accounts: usize,
}

/// The identity two records of one person share.
fn person_key(email: Option<&str>, linkedin: Option<&str>, name: &str, account: &str) -> String {
    if let Some(e) = email {
        return format!("e:{}", e.to_lowercase());
    }
    if let Some(l) = linkedin {
        let l = l.to_lowercase();
        let l = l
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_start_matches("www.")
            .trim_end_matches('/');
        return format!("l:{l}");
    }
    format!("n:{}\u{1f}{account}", normalise_company(name))
}

fn view(p: &Person, level: Seniority, r: &TargetRecord, found_as: &str) -> ExecutiveView {
    let f = PersonFields::of(p);
    let text = |v: Option<&str>| v.map(str::to_string);
    ExecutiveView {
        name: p.display_name(),
        first_name: text(f.first_name),
        last_name: text(f.last_name),
        name_hidden: p.name_hidden,
        title: text(f.title),
        seniority: level.to_string(),
        email: text(f.email),
        email_status: text(f.email_status),
        phone: text(f.phone),
        phone_type: text(f.phone_type),
        linkedin_url: text(f.linkedin),
        source: p.provenance.source.as_str().to_string(),
        observed_at: p.provenance.observed_at.clone(),
        from_cache: p.provenance.from_cache,
        company: r.target.company_name.clone(),
        domain: r
            .enrichment
            .as_ref()
            .and_then(|e| e.record.organization.domain.clone())
            .or_else(|| r.target.domain.clone()),
        target_ids: vec![r.target.id],
        found_as: found_as.to_string(),
    }
}

struct Found {
    view: ExecutiveView,
    rank: Seniority,
    account: String,
    order: usize,
}

/// Executives across the campaign's enrichment results, most senior first per account.
pub async fn executives(
    store: &Store,
    team_id: Option<i64>,
    campaign_id: i64,
    q: &ExecutivesQuery,
) -> Result<ExecutiveList, AppError> {
    if q.per_account == Some(0) {
        return Err(AppError::InvalidInput(
            "per_account must be at least 1".into(),
        ));
    }
    find_campaign(store, team_id, campaign_id).await?;

    let mut found: Vec<Found> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut cursor: Option<TargetCursor> = None;
    loop {
        let page = store.targets_after(campaign_id, cursor, PAGE).await?;
        let full = page.len() == PAGE as usize;
        cursor = page.last().map(TargetCursor::after);
        let ids: Vec<i64> = page.iter().map(|t| t.id).collect();
        let mut results: HashMap<i64, Vec<atl_store::StoredResult>> = HashMap::new();
        for r in store.results_for_targets(&ids).await? {
            if r.kind == atl_domain::SubAgentKind::Enrichment {
                results.entry(r.target_id).or_default().push(r);
            }
        }
        for t in page {
            let res = results.remove(&t.id).unwrap_or_default();
            let r = TargetRecord::read(t, &res, &[]);
            let Some(e) = &r.enrichment else {
                continue;
            };
            let account = e
                .record
                .organization
                .domain
                .clone()
                .or_else(|| r.target.domain.clone())
                .unwrap_or_else(|| normalise_company(&r.target.company_name));
            let people = e
                .record
                .contact
                .iter()
                .map(|p| (p, "contact"))
                .chain(e.record.executives.iter().map(|p| (p, "executives")));
            for (person, found_as) in people {
                let Some(level) = person.seniority.as_ref().map(|s| s.value) else {
                    continue;
                };
                let wanted = match &q.levels {
                    Some(set) => set.contains(&level),
                    None => level.is_executive(),
                };
                if !wanted {
                    continue;
                }
                let v = view(person, level, &r, found_as);
                let key = person_key(
                    v.email.as_deref(),
                    v.linkedin_url.as_deref(),
                    &person.name,
                    &account,
                );
                if let Some(&i) = index.get(&key) {
                    // Same person again (the contact is often among the executives too):
                    // fill blanks, remember the target.
                    let f = &mut found[i];
                    if !f.view.target_ids.contains(&r.target.id) {
                        f.view.target_ids.push(r.target.id);
                    }
                    for (slot, value) in [
                        (&mut f.view.email, &v.email),
                        (&mut f.view.email_status, &v.email_status),
                        (&mut f.view.linkedin_url, &v.linkedin_url),
                        (&mut f.view.phone, &v.phone),
                        (&mut f.view.phone_type, &v.phone_type),
                        (&mut f.view.title, &v.title),
                    ] {
                        if slot.is_none() {
                            slot.clone_from(value);
                        }
                    }
                    if level < f.rank {
                        f.rank = level;
                        f.view.seniority = level.to_string();
                    }
                    continue;
                }
                index.insert(key, found.len());
                found.push(Found {
                    view: v,
                    rank: level,
                    account: account.clone(),
                    order: found.len(),
                });
            }
        }
        if !full {
            break;
        }
    }

    // Accounts in list order; within one, most senior first, then first found.
    let mut account_order: HashMap<String, usize> = HashMap::new();
    for f in &found {
        let n = account_order.len();
        account_order.entry(f.account.clone()).or_insert(n);
    }
    found.sort_by_key(|f| (account_order[&f.account], f.rank, f.order));
    let mut per_account: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::new();
    for f in &found {
        let n = per_account.entry(f.account.as_str()).or_default();
        if q.per_account.is_some_and(|cap| *n >= cap) {
            continue;
        }
        *n += 1;
        out.push(f.view.clone());
    }
    Ok(ExecutiveList {
        total: out.len(),
        accounts: per_account.len(),
        executives: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_identified_by_email_then_linkedin_then_name() {
        assert_eq!(
            person_key(Some("Ann@Acme.com"), Some("x"), "Ann", "acme"),
            person_key(Some("ann@acme.com"), None, "Someone", "other")
        );
        assert_eq!(
            person_key(None, Some("https://www.linkedin.com/in/ann/"), "Ann", "a"),
            person_key(None, Some("linkedin.com/in/ann"), "A. N.", "b")
        );
        assert_eq!(
            person_key(None, None, "Ann  Lee", "acme.com"),
            person_key(None, None, "ann lee", "acme.com")
        );
        assert_ne!(
            person_key(None, None, "Ann Lee", "acme.com"),
            person_key(None, None, "Ann Lee", "globex.com")
        );
    }

    #[test]
    fn seniority_filter_accepts_apollo_values_only() {
        let set = parse_levels(Some("c_suite, vp")).unwrap().unwrap();
        assert!(set.contains(&Seniority::CSuite) && set.contains(&Seniority::Vp));
        assert!(parse_levels(Some("boss")).is_err());
        assert!(parse_levels(None).unwrap().is_none());
    }
}
