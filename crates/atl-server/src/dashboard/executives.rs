//! `/campaigns/{id}/executives`: the people worth calling across the whole list
//! (`atl_app::executives`: deduplicated, most senior first per account), filtered by
//! seniority, a page at a time, with the contacts export beside them.

use askama::Template;
use atl_app::{ExecutivesQuery, executives};
use atl_domain::records::EmailStatus;
use atl_domain::seniority::Seniority;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use std::collections::HashSet;

use super::format::count;
use super::page::{Layout, PageResult, Session, html};
use super::words::{email_status_class, email_status_label};
use crate::ApiError;
use crate::auth::IdRoute;
use crate::campaigns::campaign_of;

const PER_PAGE: usize = 100;

pub(crate) struct LevelOption {
    pub value: &'static str,
    pub label: String,
    pub checked: bool,
}

pub(crate) struct ExecRow {
    pub name: String,
    pub title: String,
    pub seniority: String,
    pub company: String,
    pub target_id: Option<i64>,
    pub email: Option<String>,
    pub email_label: &'static str,
    pub email_class: &'static str,
    pub phone: String,
    pub linkedin: Option<String>,
    pub source: String,
    pub found_as: &'static str,
}

#[derive(Template)]
#[template(path = "executives.html")]
struct ExecutivesPage {
    layout: Layout,
    id: i64,
    name: String,
    levels: Vec<LevelOption>,
    rows: Vec<ExecRow>,
    total: String,
    accounts: String,
    prev: Option<String>,
    next: Option<String>,
}

fn seniority_label(s: Seniority) -> String {
    let t = s.to_string().replace('_', " ");
    match t.as_str() {
        "c suite" => "C-suite".into(),
        "vp" => "VP".into(),
        _ => {
            let mut c = t.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        }
    }
}

/// `seniority=a&seniority=b&page=2`, read by hand: a repeated key is what a form of
/// checkboxes sends, which the one-value query extractor cannot hold.
fn parse_query(raw: Option<&str>) -> (Vec<String>, usize) {
    let mut levels = Vec::new();
    let mut page = 1;
    for pair in raw.unwrap_or("").split('&') {
        match pair.split_once('=') {
            Some(("seniority", v)) if !v.is_empty() => levels.push(v.to_string()),
            Some(("page", v)) => page = v.parse().unwrap_or(1).max(1),
            _ => {}
        }
    }
    (levels, page)
}

pub(crate) async fn page(
    IdRoute(state, session, id): IdRoute<Session>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let store = &state.ctx.store;
    let campaign = campaign_of(store, session.team, id).await?;
    let (chosen, page) = parse_query(raw.as_deref());
    let levels = atl_app::parse_levels(Some(&chosen.join(",")))?;
    let list = executives(
        store,
        Some(session.team.0),
        id,
        &ExecutivesQuery {
            levels: levels.clone(),
            per_account: None,
        },
    )
    .await?;
    let shown: HashSet<Seniority> = levels.unwrap_or_else(|| {
        Seniority::ALL
            .iter()
            .copied()
            .filter(|s| s.is_executive())
            .collect()
    });
    let offset = (page - 1) * PER_PAGE;
    let rows = list
        .executives
        .iter()
        .skip(offset)
        .take(PER_PAGE)
        .map(|e| {
            let status = e.email_status.as_deref().and_then(EmailStatus::parse);
            ExecRow {
                name: e.name.clone(),
                title: e.title.clone().unwrap_or_default(),
                seniority: Seniority::parse(&e.seniority)
                    .map_or_else(|| e.seniority.clone(), seniority_label),
                company: e.company.clone(),
                target_id: e.target_ids.first().copied(),
                email: e.email.clone(),
                email_label: status.map_or("", email_status_label),
                email_class: status.map_or("", email_status_class),
                phone: e.phone.clone().unwrap_or_default(),
                linkedin: e
                    .linkedin_url
                    .clone()
                    .filter(|u| super::words::is_web_link(u)),
                source: e.source.clone(),
                found_as: if e.found_as == "contact" {
                    "your contact"
                } else {
                    "found at the account"
                },
            }
        })
        .collect();
    let link = |p: usize| {
        let mut url = format!("/campaigns/{id}/executives?page={p}");
        for l in &chosen {
            url.push_str("&seniority=");
            url.push_str(l);
        }
        url
    };
    if chosen.iter().any(|c| c.len() > 40) {
        return Err(ApiError::bad_request("unknown seniority").into());
    }
    Ok(html(
        StatusCode::OK,
        &ExecutivesPage {
            layout: Layout::new(
                format!("Executives: {}", campaign.name),
                "campaigns",
                session,
            ),
            id,
            name: campaign.name,
            levels: Seniority::ALL
                .iter()
                .map(|s| LevelOption {
                    value: s.as_str(),
                    label: seniority_label(*s),
                    checked: shown.contains(s),
                })
                .collect(),
            rows,
            total: count(list.total as i128),
            accounts: count(list.accounts as i128),
            prev: (page > 1).then(|| link(page - 1)),
            next: (offset + PER_PAGE < list.total).then(|| link(page + 1)),
        },
    ))
}
