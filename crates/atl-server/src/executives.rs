//! `GET /campaigns/{id}/executives`: the people worth calling across the whole list.
//!
//! Sources: each target's enrichment result, its `contact` and its `executives`. Level:
//! Apollo's `seniority` when it is one of Apollo's values, else the title classifier of
//! `atl_agents::seniority` (provider-apis.md §10, pitfalls included). By default only
//! executives (owner, founder, c_suite, partner, vp, head) are listed; `?seniority=` picks
//! any levels. One person appears once: deduplicated by e-mail, else LinkedIn URL, else
//! name + company. `?per_account=N` keeps the N most senior per account (company).

use std::collections::{HashMap, HashSet};

use atl_agents::seniority::{Seniority, normalise};
use atl_domain::{SubAgentKind, normalise_company};
use atl_store::TargetCursor;
use axum::Extension;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::campaigns::campaign_of;
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::{ApiState, Team};

const PAGE: u32 = 500;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExecutivesQuery {
    /// Keep at most this many (the most senior) per account.
    pub per_account: Option<usize>,
    /// Comma-separated Apollo levels (owner, founder, c_suite, partner, vp, head, director,
    /// manager, senior, entry, intern); default: the executive levels owner…head.
    pub seniority: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ExecutiveView {
    pub name: String,
    pub title: Option<String>,
    /// Apollo's vocabulary.
    pub seniority: String,
    pub email: Option<String>,
    pub email_status: Option<String>,
    pub phone: Option<String>,
    pub linkedin_url: Option<String>,
    pub company: String,
    pub domain: Option<String>,
    /// The targets this person was found for.
    pub target_ids: Vec<i64>,
    /// `contact` (the list's own contact) or `executives` (found at the account).
    pub found_as: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExecutiveList {
    pub executives: Vec<ExecutiveView>,
    pub total: usize,
    /// Accounts with at least one listed executive.
    pub accounts: usize,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
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

fn parse_levels(spec: Option<&str>) -> Result<Option<HashSet<Seniority>>, ApiError> {
    let Some(spec) = spec.filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            Seniority::parse(s).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "unknown seniority `{s}` (use {})",
                    atl_agents::seniority::APOLLO_SENIORITIES.join(", ")
                ))
            })
        })
        .collect::<Result<HashSet<_>, _>>()
        .map(Some)
}

struct Found {
    view: ExecutiveView,
    rank: Seniority,
    account: String,
    order: usize,
}

/// Executives across the campaign's enrichment results, most senior first per account.
#[utoipa::path(get, path = "/campaigns/{id}/executives", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id"), ExecutivesQuery),
    responses((status = 200, body = ExecutiveList), (status = 400, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn executives(
    State(state): State<ApiState>,
    Extension(team): Extension<Team>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ExecutivesQuery>,
) -> Result<axum::Json<ExecutiveList>, ApiError> {
    let levels = parse_levels(q.seniority.as_deref())?;
    if q.per_account == Some(0) {
        return Err(ApiError::bad_request("per_account must be at least 1"));
    }
    let store = &state.ctx.store;
    campaign_of(store, team, id).await?;

    let mut found: Vec<Found> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut cursor: Option<TargetCursor> = None;
    loop {
        let page = store.targets_after(id, cursor, PAGE).await?;
        let ids: Vec<i64> = page.iter().map(|t| t.id).collect();
        let results = store.results_for_targets(&ids).await?;
        let enrichment: HashMap<i64, &Value> = results
            .iter()
            .filter(|r| r.kind == SubAgentKind::Enrichment)
            .map(|r| (r.target_id, &r.data))
            .collect();
        for t in &page {
            let Some(data) = enrichment.get(&t.id) else {
                continue;
            };
            let industry = text(&data["organization"], "industry");
            let account = t
                .domain
                .clone()
                .unwrap_or_else(|| normalise_company(&t.company_name));
            let people = std::iter::once((&data["contact"], "contact")).chain(
                data["executives"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| (p, "executives")),
            );
            for (person, found_as) in people {
                let Some(name) = text(person, "name") else {
                    continue;
                };
                let title = text(person, "title");
                let Some(level) = normalise(
                    person.get("seniority").and_then(Value::as_str),
                    title.as_deref(),
                    industry.as_deref(),
                ) else {
                    continue;
                };
                let wanted = match &levels {
                    Some(set) => set.contains(&level),
                    None => level.is_executive(),
                };
                if !wanted {
                    continue;
                }
                let email = text(person, "email");
                let linkedin = text(person, "linkedin_url");
                let key = person_key(email.as_deref(), linkedin.as_deref(), &name, &account);
                if let Some(&i) = index.get(&key) {
                    // Same person again (the contact is often among the executives too):
                    // fill blanks, remember the target.
                    let f = &mut found[i];
                    if !f.view.target_ids.contains(&t.id) {
                        f.view.target_ids.push(t.id);
                    }
                    for (slot, value) in [
                        (&mut f.view.email, &email),
                        (&mut f.view.linkedin_url, &linkedin),
                        (&mut f.view.phone, &text(person, "phone")),
                        (&mut f.view.email_status, &text(person, "email_status")),
                        (&mut f.view.title, &title),
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
                    view: ExecutiveView {
                        name,
                        title,
                        seniority: level.to_string(),
                        email,
                        email_status: text(person, "email_status"),
                        phone: text(person, "phone"),
                        linkedin_url: linkedin,
                        company: t.company_name.clone(),
                        domain: t.domain.clone(),
                        target_ids: vec![t.id],
                        found_as: found_as.to_string(),
                    },
                    rank: level,
                    account: account.clone(),
                    order: found.len(),
                });
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => cursor = Some(TargetCursor::after(last)),
            _ => break,
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
    Ok(axum::Json(ExecutiveList {
        total: out.len(),
        accounts: per_account.len(),
        executives: out,
    }))
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
