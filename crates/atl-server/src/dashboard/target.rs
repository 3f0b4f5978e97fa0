//! `/targets/{id}`: everything found for one target, read as the typed contract
//! (`TargetRecord`: the four records, what is missing and why), each value beside where
//! it came from.

use askama::Template;
use atl_app::record::{Part, TargetRecord};
use atl_domain::SubAgentKind;
use atl_domain::provenance::Claim;
use atl_domain::records::{
    CallScript, EnrichmentRecord, IntelReport, Person, ResearchBrief, RunMeta,
};
use axum::http::StatusCode;

use super::format::{count, usd};
use super::page::{Layout, PageResult, Session, html};
use super::words::{
    SourceView, agent_label, contact_outcome, email_status_class, email_status_label, is_web_link,
    plain_reason, target_status_label,
};
use crate::ApiError;
use crate::auth::IdRoute;

pub(crate) struct Valued {
    pub text: String,
    pub source: SourceView,
}

fn valued(c: &Claim) -> Valued {
    Valued {
        text: c.value.clone(),
        source: SourceView::of(&c.provenance),
    }
}

fn sourced<T: std::fmt::Display>(v: &atl_domain::Sourced<T>) -> Valued {
    Valued {
        text: v.value.to_string(),
        source: SourceView::of(&v.provenance),
    }
}

pub(crate) struct LabelledClaim {
    pub label: &'static str,
    pub claim: Valued,
}

pub(crate) struct NewsView {
    pub title: String,
    pub url: Option<String>,
    pub date: Option<String>,
    pub summary: Option<String>,
    pub stale: bool,
    pub source: &'static str,
}

pub(crate) struct ResearchView {
    pub claims: Vec<LabelledClaim>,
    pub news: Vec<NewsView>,
    pub signals: Vec<NewsView>,
    pub site_read: bool,
    pub off_target: u32,
    pub warnings: Vec<String>,
}

fn claim_label(field: &str) -> &'static str {
    match field {
        "overview" => "What they do",
        "industry" => "Industry",
        "headquarters" => "Headquarters",
        "employee_range" => "Employees",
        "market_position" => "Market position",
        _ => "Other",
    }
}

fn research_view(b: &ResearchBrief, meta: &RunMeta) -> ResearchView {
    let link = |u: &str| is_web_link(u).then(|| u.to_string());
    ResearchView {
        claims: b
            .claims()
            .into_iter()
            .filter_map(|(field, c)| {
                c.map(|c| LabelledClaim {
                    label: claim_label(field),
                    claim: valued(c),
                })
            })
            .collect(),
        news: b
            .recent_news
            .iter()
            .map(|n| NewsView {
                title: n.title.clone(),
                url: link(&n.url),
                date: n.date.clone(),
                summary: n.summary.clone(),
                stale: n.stale,
                source: super::words::source_label(n.source),
            })
            .collect(),
        signals: b
            .signals
            .iter()
            .map(|s| NewsView {
                title: format!("{}: {}", s.kind.as_str(), s.text),
                url: link(&s.url),
                date: Some(s.date.clone()),
                summary: None,
                stale: s.stale,
                source: super::words::source_label(s.source),
            })
            .collect(),
        site_read: b.site_read,
        off_target: b.off_target_results,
        warnings: meta.warnings.clone(),
    }
}

pub(crate) struct CompetitorView {
    pub name: String,
    pub domain: Option<String>,
    pub why: Option<String>,
    pub source: SourceView,
}

pub(crate) struct IntelView {
    pub competitors: Vec<CompetitorView>,
    pub positioning: Option<Valued>,
    pub opportunities: Vec<Valued>,
    pub research_used: bool,
    pub warnings: Vec<String>,
}

fn intel_view(r: &IntelReport, meta: &RunMeta) -> IntelView {
    IntelView {
        competitors: r
            .competitors
            .iter()
            .map(|c| CompetitorView {
                name: c.name.clone(),
                domain: c.domain.clone(),
                why: c.why.clone(),
                source: SourceView::of(&c.provenance),
            })
            .collect(),
        positioning: r.positioning.as_ref().map(valued),
        opportunities: r.differentiation_opportunities.iter().map(valued).collect(),
        research_used: r.research_used,
        warnings: meta.warnings.clone(),
    }
}

pub(crate) struct EmailView {
    pub address: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub source: SourceView,
}

pub(crate) struct PersonView {
    pub name: String,
    pub title: Option<Valued>,
    pub seniority: Option<Valued>,
    pub email: Option<EmailView>,
    pub phone: Option<Valued>,
    pub linkedin: Option<(Option<String>, SourceView)>,
    pub source: SourceView,
}

pub(crate) fn person_view(p: &Person) -> PersonView {
    PersonView {
        name: p.display_name(),
        title: p.title.as_ref().map(valued),
        seniority: p.seniority.as_ref().map(sourced),
        email: p.email.as_ref().map(|e| EmailView {
            address: e.address.clone(),
            status: e.status.as_str(),
            status_label: email_status_label(e.status),
            status_class: email_status_class(e.status),
            source: SourceView::of(&e.provenance),
        }),
        phone: p.phone.as_ref().map(|ph| Valued {
            text: format!("{} ({})", ph.number, ph.kind.as_str().replace('_', " ")),
            source: SourceView::of(&ph.provenance),
        }),
        linkedin: p.linkedin_url.as_ref().map(|l| {
            (
                is_web_link(&l.value).then(|| l.value.clone()),
                SourceView::of(&l.provenance),
            )
        }),
        source: SourceView::of(&p.provenance),
    }
}

pub(crate) struct EnrichmentView {
    pub outcome: String,
    pub contact: Option<PersonView>,
    pub executives: Vec<PersonView>,
    pub org_name: Option<String>,
    pub domain: Option<String>,
    pub website: Option<String>,
    pub industry: Option<Valued>,
    pub employees: Option<Valued>,
    pub revenue: Option<Valued>,
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
}

fn money_claim(v: &atl_domain::Sourced<f64>) -> Valued {
    Valued {
        text: usd(v.value),
        source: SourceView::of(&v.provenance),
    }
}

fn enrichment_view(r: &EnrichmentRecord, meta: &RunMeta) -> EnrichmentView {
    let o = &r.organization;
    EnrichmentView {
        outcome: contact_outcome(&r.contact_outcome),
        contact: r.contact.as_ref().map(person_view),
        executives: r.executives.iter().map(person_view).collect(),
        org_name: o.name.clone(),
        domain: o.domain.clone(),
        website: o.website.clone().filter(|w| is_web_link(w)),
        industry: o.industry.as_ref().map(valued),
        employees: o.employees.as_ref().map(|e| Valued {
            text: count(i128::from(e.value)),
            source: SourceView::of(&e.provenance),
        }),
        revenue: o.revenue.as_ref().map(money_claim),
        notes: o.notes.clone(),
        warnings: meta.warnings.clone(),
    }
}

pub(crate) struct ScriptView {
    pub opener: String,
    pub reason: String,
    pub reason_source: Option<String>,
    pub questions: Vec<String>,
    pub objections: Vec<(String, String)>,
    pub close: String,
    pub generic: bool,
    pub audio_seconds: Option<String>,
    pub warnings: Vec<String>,
}

fn script_view(s: &CallScript, meta: &RunMeta) -> ScriptView {
    ScriptView {
        opener: s.opener.clone(),
        reason: s.reason.clone(),
        reason_source: s.reason_source.clone().filter(|u| is_web_link(u)),
        questions: s.questions.clone(),
        objections: s
            .objections
            .iter()
            .map(|o| (o.objection.clone(), o.response.clone()))
            .collect(),
        close: s.close.clone(),
        generic: s.generic,
        audio_seconds: s.audio.as_ref().map(|a| format!("{:.0} s", a.seconds)),
        warnings: meta.warnings.clone(),
    }
}

pub(crate) struct CostRow {
    pub agent: &'static str,
    pub provider: String,
    pub cost: String,
    pub latency: String,
    pub confidence: String,
    pub cached_calls: usize,
}

pub(crate) struct Problem {
    pub agent: &'static str,
    pub message: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "target.html")]
struct TargetPage {
    layout: Layout,
    id: i64,
    campaign_id: i64,
    company: String,
    row_number: i64,
    status: &'static str,
    status_label: &'static str,
    input_contact: Option<String>,
    input_domain: Option<String>,
    synthetic: bool,
    problems: Vec<Problem>,
    research: Option<ResearchView>,
    intel: Option<IntelView>,
    enrichment: Option<EnrichmentView>,
    script: Option<ScriptView>,
    costs: Vec<CostRow>,
    total_cost: String,
}

/// A sub-agent's part of the record as its view, when it has one.
fn part_view<T, V>(part: &Option<Part<T>>, view: fn(&T, &RunMeta) -> V) -> Option<V> {
    part.as_ref().map(|p| view(&p.record, &p.meta))
}

fn cost_row<T>(kind: SubAgentKind, p: &Part<T>) -> CostRow {
    CostRow {
        agent: agent_label(kind),
        provider: match (&p.provider, &p.model) {
            (Some(pr), Some(m)) => format!("{pr} · {m}"),
            (Some(pr), None) => pr.clone(),
            (None, Some(m)) => m.clone(),
            (None, None) => "—".into(),
        },
        cost: p.cost_usd.map_or_else(|| "unknown".into(), usd),
        latency: p.latency_ms.map_or_else(
            || "—".into(),
            |ms| super::format::duration_ms(ms.max(0) as u64),
        ),
        confidence: p
            .confidence
            .map_or_else(|| "—".into(), |c| format!("{:.0}%", c * 100.0)),
        cached_calls: p
            .meta
            .cost_breakdown
            .iter()
            .filter(|c| c.from_cache)
            .count(),
    }
}

pub(crate) async fn page(IdRoute(state, session, id): IdRoute<Session>) -> PageResult {
    let store = &state.ctx.store;
    let target = store
        .get_target_for_team(Some(session.team.0), id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("target {id} not found")))?;
    let results = store.results_for_target(id).await?;
    let failures = store.failed_jobs_for_targets(&[id]).await?;
    let record = TargetRecord::read(target, &results, &failures);
    let t = &record.target;
    let mut costs = Vec::new();
    if let Some(p) = &record.research {
        costs.push(cost_row(SubAgentKind::Research, p));
    }
    if let Some(p) = &record.intel {
        costs.push(cost_row(SubAgentKind::Intel, p));
    }
    if let Some(p) = &record.enrichment {
        costs.push(cost_row(SubAgentKind::Enrichment, p));
    }
    if let Some(p) = &record.voice {
        costs.push(cost_row(SubAgentKind::Voice, p));
    }
    let page = TargetPage {
        layout: Layout::new(t.company_name.clone(), "campaigns", session),
        id,
        campaign_id: t.campaign_id,
        company: t.company_name.clone(),
        row_number: t.row_number,
        status: t.enrichment_status.as_str(),
        status_label: target_status_label(t.enrichment_status),
        input_contact: t.contact_name.clone(),
        input_domain: t.domain.clone(),
        synthetic: record.synthetic.unwrap_or(false),
        problems: record
            .missing
            .iter()
            .map(|m| Problem {
                agent: agent_label(m.sub_agent),
                message: plain_reason(&m.reason),
                detail: m.reason.clone(),
            })
            .collect(),
        research: part_view(&record.research, research_view),
        intel: part_view(&record.intel, intel_view),
        enrichment: part_view(&record.enrichment, enrichment_view),
        script: part_view(&record.voice, script_view),
        costs,
        total_cost: super::format::nano_usd(t.cost_nano_usd),
    };
    Ok(html(StatusCode::OK, &page))
}
