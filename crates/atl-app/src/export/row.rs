//! The columns of the one-row-per-target export, read by field from the typed records.
//!
//! Each enriched value a user sees has its source beside it: a `*_source` column for each
//! research claim and the contact ("website https://… 2026-11-30", "apollo 2026-12-01
//! (cached)", "model knowledge"), the URL and date on each news item, signal and
//! competitor line. Lists are one item per line inside the cell.

use crate::record::{Missing, Part, PersonFields, TargetRecord};
use atl_domain::provenance::{Claim, Provenance, Sourced};
use atl_domain::records::{
    CallScript, ContactOutcome, EnrichmentRecord, IntelReport, Person, ResearchBrief,
};
use atl_domain::{Money, SubAgentKind};
use serde_json::{Value, json};

/// The input columns, in order (CSV header names and JSONL keys).
pub const INPUT_COLUMNS: [&str; 8] = [
    "row_number",
    "company",
    "contact",
    "email",
    "title",
    "linkedin",
    "website",
    "domain",
];

/// How a column reads its cell: from the target, or from one sub-agent's record (null when
/// that sub-agent has no result).
pub(crate) enum Cell {
    Target(fn(&TargetRecord) -> Value),
    Research(fn(&ResearchBrief) -> Value),
    Intel(fn(&IntelReport) -> Value),
    Enrichment(fn(&EnrichmentRecord) -> Value),
    Voice(fn(&CallScript) -> Value),
    /// A field of the enrichment's contact; null without a contact.
    Contact(fn(PersonFields<'_>) -> Option<&str>),
    /// A sub-agent's confidence in its result.
    Confidence(SubAgentKind),
}

impl Cell {
    pub(crate) fn value(&self, r: &TargetRecord) -> Value {
        fn of<T>(part: &Option<Part<T>>, f: fn(&T) -> Value) -> Value {
            part.as_ref().map_or(Value::Null, |p| f(&p.record))
        }
        match self {
            Cell::Target(f) => f(r),
            Cell::Research(f) => of(&r.research, *f),
            Cell::Intel(f) => of(&r.intel, *f),
            Cell::Enrichment(f) => of(&r.enrichment, *f),
            Cell::Voice(f) => of(&r.voice, *f),
            Cell::Contact(f) => {
                let contact = r
                    .enrichment
                    .as_ref()
                    .and_then(|e| e.record.contact.as_ref());
                s(contact.map(PersonFields::of).and_then(f))
            }
            Cell::Confidence(kind) => r.confidence(*kind).map_or(Value::Null, |c| json!(c)),
        }
    }
}

fn s(v: Option<impl Into<String>>) -> Value {
    v.map(Into::into).map_or(Value::Null, Value::String)
}

fn source(p: Option<&Provenance>) -> Value {
    s(p.map(Provenance::label))
}

fn claim(c: &Option<Claim>) -> Value {
    s(c.as_ref().map(|c| c.value.clone()))
}

fn claim_source(c: &Option<Claim>) -> Value {
    source(c.as_ref().map(|c| &c.provenance))
}

fn number<T: serde::Serialize>(v: &Option<Sourced<T>>) -> Value {
    v.as_ref().map_or(Value::Null, |v| json!(v.value))
}

/// One item per line; null when there are none.
fn lines(items: impl Iterator<Item = String>) -> Value {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        Value::Null
    } else {
        json!(items)
    }
}

/// A dated item with its source: "2026-11-02 Raised a Series B (old) — https://…".
fn dated_line(date: &str, text: &str, stale: bool, url: &str) -> String {
    let old = if stale { " (old)" } else { "" };
    format!("{date} {text}{old} — {url}")
}

fn person_line(p: &Person) -> String {
    let mut details: Vec<String> = Vec::new();
    if let Some(t) = &p.title {
        details.push(t.value.clone());
    }
    if let Some(s) = &p.seniority {
        details.push(s.value.as_str().to_string());
    }
    if let Some(e) = &p.email {
        details.push(format!("{} ({})", e.address, e.status.as_str()));
    }
    let mut line = p.display_name();
    if !details.is_empty() {
        line.push_str(&format!(" — {}", details.join(", ")));
    }
    line.push_str(&format!(" [{}]", p.provenance.label()));
    line
}

/// The enriched columns: name and how to read it from a record.
pub(crate) const ENRICHED: &[(&str, Cell)] = &[
    (
        "status",
        Cell::Target(|r| json!(r.target.enrichment_status.as_str())),
    ),
    (
        "missing",
        Cell::Target(|r| lines(r.missing.iter().map(Missing::to_string))),
    ),
    (
        "warnings",
        Cell::Target(|r| lines(r.warnings().into_iter())),
    ),
    (
        "synthetic",
        Cell::Target(|r| r.synthetic.map_or(Value::Null, Value::Bool)),
    ),
    ("overview", Cell::Research(|b| claim(&b.overview))),
    (
        "overview_source",
        Cell::Research(|b| claim_source(&b.overview)),
    ),
    ("industry", Cell::Research(|b| claim(&b.industry))),
    (
        "industry_source",
        Cell::Research(|b| claim_source(&b.industry)),
    ),
    ("headquarters", Cell::Research(|b| claim(&b.headquarters))),
    (
        "headquarters_source",
        Cell::Research(|b| claim_source(&b.headquarters)),
    ),
    (
        "employee_range",
        Cell::Research(|b| claim(&b.employee_range)),
    ),
    (
        "employee_range_source",
        Cell::Research(|b| claim_source(&b.employee_range)),
    ),
    (
        "market_position",
        Cell::Research(|b| claim(&b.market_position)),
    ),
    (
        "market_position_source",
        Cell::Research(|b| claim_source(&b.market_position)),
    ),
    (
        "recent_news",
        Cell::Research(|b| {
            lines(b.recent_news.iter().map(|n| {
                let date = n.date.as_deref().unwrap_or("undated");
                dated_line(date, &n.title, n.stale, &n.url)
            }))
        }),
    ),
    (
        "signals",
        Cell::Research(|b| {
            lines(b.signals.iter().map(|g| {
                let text = format!("{}: {}", g.kind.as_str(), g.text);
                dated_line(&g.date, &text, g.stale, &g.url)
            }))
        }),
    ),
    (
        "competitors",
        Cell::Intel(|i| {
            lines(i.competitors.iter().map(|c| {
                let domain = c
                    .domain
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                format!("{}{domain} [{}]", c.name, c.provenance.label())
            }))
        }),
    ),
    ("positioning", Cell::Intel(|i| claim(&i.positioning))),
    (
        "positioning_source",
        Cell::Intel(|i| claim_source(&i.positioning)),
    ),
    (
        "differentiation_opportunities",
        Cell::Intel(|i| {
            let items = i.differentiation_opportunities.iter();
            lines(items.map(|c| format!("{} [{}]", c.value, c.provenance.label())))
        }),
    ),
    (
        "contact_outcome",
        Cell::Enrichment(|e| match &e.contact_outcome {
            ContactOutcome::Moved { to_company, .. } => json!(format!("moved to {to_company}")),
            other => json!(other.as_str()),
        }),
    ),
    (
        "contact_name",
        Cell::Enrichment(|e| s(e.contact.as_ref().map(Person::display_name))),
    ),
    ("contact_first_name", Cell::Contact(|p| p.first_name)),
    ("contact_last_name", Cell::Contact(|p| p.last_name)),
    ("contact_title", Cell::Contact(|p| p.title)),
    ("contact_seniority", Cell::Contact(|p| p.seniority)),
    ("contact_email", Cell::Contact(|p| p.email)),
    ("contact_email_status", Cell::Contact(|p| p.email_status)),
    (
        "contact_email_provider_status",
        Cell::Contact(|p| p.email_provider_status),
    ),
    ("contact_phone", Cell::Contact(|p| p.phone)),
    ("contact_phone_type", Cell::Contact(|p| p.phone_type)),
    ("contact_linkedin", Cell::Contact(|p| p.linkedin)),
    (
        "contact_source",
        Cell::Enrichment(|e| source(e.contact.as_ref().map(|p| &p.provenance))),
    ),
    (
        "executives",
        Cell::Enrichment(|e| lines(e.executives.iter().map(person_line))),
    ),
    (
        "org_industry",
        Cell::Enrichment(|e| s(e.organization.industry.as_ref().map(|v| v.value.clone()))),
    ),
    (
        "org_employees",
        Cell::Enrichment(|e| number(&e.organization.employees)),
    ),
    (
        "org_revenue",
        Cell::Enrichment(|e| number(&e.organization.revenue)),
    ),
    (
        "org_source",
        Cell::Enrichment(|e| {
            let o = &e.organization;
            let industry = o.industry.as_ref().map(|v| &v.provenance);
            source(industry.or(o.employees.as_ref().map(|v| &v.provenance)))
        }),
    ),
    (
        "domain_notes",
        Cell::Enrichment(|e| lines(e.organization.notes.iter().cloned())),
    ),
    ("script", Cell::Voice(|v| json!(v.text))),
    ("script_greets", Cell::Voice(|v| s(v.greeting_name.clone()))),
    ("script_generic", Cell::Voice(|v| json!(v.generic))),
    (
        "script_reason_source",
        Cell::Voice(|v| s(v.reason_source.clone())),
    ),
    (
        "objections",
        Cell::Voice(|v| {
            lines(
                v.objections
                    .iter()
                    .map(|o| format!("{} → {}", o.objection, o.response)),
            )
        }),
    ),
    (
        "audio_path",
        Cell::Voice(|v| s(v.audio.as_ref().map(|a| a.path.clone()))),
    ),
    (
        "research_confidence",
        Cell::Confidence(SubAgentKind::Research),
    ),
    ("intel_confidence", Cell::Confidence(SubAgentKind::Intel)),
    (
        "enrichment_confidence",
        Cell::Confidence(SubAgentKind::Enrichment),
    ),
    ("voice_confidence", Cell::Confidence(SubAgentKind::Voice)),
    (
        "cost_usd",
        Cell::Target(|r| json!(Money::from_nanos(r.target.cost_nano_usd).usd())),
    ),
];

/// The enriched column names, in order.
pub fn enriched_columns() -> impl Iterator<Item = &'static str> {
    ENRICHED.iter().map(|(n, _)| *n)
}

pub(crate) fn input_values(r: &TargetRecord) -> Vec<Value> {
    let t = &r.target;
    let opt = |s: &Option<String>| s.as_ref().map_or(Value::Null, |s| json!(s));
    vec![
        json!(t.row_number),
        json!(t.company_name),
        opt(&t.contact_name),
        opt(&t.contact_email),
        opt(&t.contact_title),
        opt(&t.linkedin_url),
        opt(&t.website),
        opt(&t.domain),
    ]
}

/// The JSONL object of a target: the input, its extra columns, its status and what is
/// missing, and each sub-agent's full record with every field's provenance.
pub(crate) fn json_row(r: &TargetRecord) -> Value {
    let mut obj = serde_json::Map::new();
    for (k, v) in INPUT_COLUMNS.iter().zip(input_values(r)) {
        obj.insert((*k).to_string(), v);
    }
    obj.insert("extra".into(), r.target.extra.clone());
    obj.insert("status".into(), json!(r.target.enrichment_status.as_str()));
    obj.insert("missing".into(), json!(r.missing));
    obj.insert("warnings".into(), json!(r.warnings()));
    obj.insert("synthetic".into(), json!(r.synthetic));
    obj.insert(
        "cost_usd".into(),
        json!(Money::from_nanos(r.target.cost_nano_usd).usd()),
    );
    for (k, v) in [
        ("research", serde_json::to_value(&r.research)),
        ("intel", serde_json::to_value(&r.intel)),
        ("enrichment", serde_json::to_value(&r.enrichment)),
        ("voice", serde_json::to_value(&r.voice)),
    ] {
        obj.insert(k.into(), v.unwrap_or(Value::Null));
    }
    Value::Object(obj)
}
