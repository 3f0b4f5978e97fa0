//! The columns of the one-row-per-target export, read by field from the typed records.
//!
//! Each enriched value a user sees has its source beside it: a `*_source` column for each
//! research claim and the contact ("website https://… 2026-11-30", "apollo 2026-12-01
//! (cached)", "model knowledge"), the URL and date on each news item, signal and
//! competitor line. Lists are one item per line inside the cell.

use crate::record::TargetRecord;
use atl_domain::Money;
use atl_domain::provenance::{Claim, Provenance};
use atl_domain::records::{ContactOutcome, Person};
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

type Cell = fn(&TargetRecord) -> Value;

fn s(v: Option<impl Into<String>>) -> Value {
    v.map(Into::into).map_or(Value::Null, Value::String)
}

fn claim(c: Option<&Claim>) -> Value {
    s(c.map(|c| c.value.clone()))
}

fn source(p: Option<&Provenance>) -> Value {
    s(p.map(Provenance::label))
}

fn contact(r: &TargetRecord) -> Option<&Person> {
    r.enrichment
        .as_ref()
        .and_then(|e| e.record.contact.as_ref())
}

fn research_claim(
    r: &TargetRecord,
    f: fn(&atl_domain::records::ResearchBrief) -> Option<&Claim>,
) -> Option<&Claim> {
    r.research.as_ref().and_then(|p| f(&p.record))
}

fn lines(items: Vec<String>) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        json!(items)
    }
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
    ("status", |r| json!(r.target.enrichment_status.as_str())),
    ("missing", |r| {
        lines(
            r.missing
                .iter()
                .map(|m| format!("{}: {}", m.sub_agent, m.reason))
                .collect(),
        )
    }),
    ("warnings", |r| lines(r.warnings())),
    ("synthetic", |r| {
        r.synthetic.map_or(Value::Null, Value::Bool)
    }),
    ("overview", |r| {
        claim(research_claim(r, |b| b.overview.as_ref()))
    }),
    ("overview_source", |r| {
        source(research_claim(r, |b| b.overview.as_ref()).map(|c| &c.provenance))
    }),
    ("industry", |r| {
        claim(research_claim(r, |b| b.industry.as_ref()))
    }),
    ("industry_source", |r| {
        source(research_claim(r, |b| b.industry.as_ref()).map(|c| &c.provenance))
    }),
    ("headquarters", |r| {
        claim(research_claim(r, |b| b.headquarters.as_ref()))
    }),
    ("headquarters_source", |r| {
        source(research_claim(r, |b| b.headquarters.as_ref()).map(|c| &c.provenance))
    }),
    ("employee_range", |r| {
        claim(research_claim(r, |b| b.employee_range.as_ref()))
    }),
    ("employee_range_source", |r| {
        source(research_claim(r, |b| b.employee_range.as_ref()).map(|c| &c.provenance))
    }),
    ("market_position", |r| {
        claim(research_claim(r, |b| b.market_position.as_ref()))
    }),
    ("market_position_source", |r| {
        source(research_claim(r, |b| b.market_position.as_ref()).map(|c| &c.provenance))
    }),
    ("recent_news", |r| {
        lines(
            r.research
                .iter()
                .flat_map(|p| &p.record.recent_news)
                .map(|n| {
                    format!(
                        "{} {}{} — {}",
                        n.date.as_deref().unwrap_or("undated"),
                        n.title,
                        if n.stale { " (old)" } else { "" },
                        n.url
                    )
                })
                .collect(),
        )
    }),
    ("signals", |r| {
        lines(
            r.research
                .iter()
                .flat_map(|p| &p.record.signals)
                .map(|g| {
                    format!(
                        "{} {}: {}{} — {}",
                        g.date,
                        g.kind.as_str(),
                        g.text,
                        if g.stale { " (old)" } else { "" },
                        g.url
                    )
                })
                .collect(),
        )
    }),
    ("competitors", |r| {
        lines(
            r.intel
                .iter()
                .flat_map(|p| &p.record.competitors)
                .map(|c| {
                    let domain = c
                        .domain
                        .as_deref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default();
                    format!("{}{domain} [{}]", c.name, c.provenance.label())
                })
                .collect(),
        )
    }),
    ("positioning", |r| {
        claim(r.intel.as_ref().and_then(|p| p.record.positioning.as_ref()))
    }),
    ("positioning_source", |r| {
        source(
            r.intel
                .as_ref()
                .and_then(|p| p.record.positioning.as_ref())
                .map(|c| &c.provenance),
        )
    }),
    ("differentiation_opportunities", |r| {
        lines(
            r.intel
                .iter()
                .flat_map(|p| &p.record.differentiation_opportunities)
                .map(|c| format!("{} [{}]", c.value, c.provenance.label()))
                .collect(),
        )
    }),
    ("contact_outcome", |r| {
        s(r.enrichment
            .as_ref()
            .map(|e| match &e.record.contact_outcome {
                ContactOutcome::Moved { to_company, .. } => format!("moved to {to_company}"),
                other => other.as_str().to_string(),
            }))
    }),
    ("contact_name", |r| s(contact(r).map(Person::display_name))),
    ("contact_first_name", |r| {
        s(contact(r).and_then(|p| p.first_name.clone()))
    }),
    ("contact_last_name", |r| {
        s(contact(r).and_then(|p| p.last_name.clone()))
    }),
    ("contact_title", |r| {
        s(contact(r)
            .and_then(|p| p.title.as_ref())
            .map(|t| t.value.clone()))
    }),
    ("contact_seniority", |r| {
        s(contact(r)
            .and_then(|p| p.seniority.as_ref())
            .map(|t| t.value.as_str()))
    }),
    ("contact_email", |r| {
        s(contact(r)
            .and_then(|p| p.email.as_ref())
            .map(|e| e.address.clone()))
    }),
    ("contact_email_status", |r| {
        s(contact(r)
            .and_then(|p| p.email.as_ref())
            .map(|e| e.status.as_str()))
    }),
    ("contact_email_provider_status", |r| {
        s(contact(r)
            .and_then(|p| p.email.as_ref())
            .and_then(|e| e.provider_status.clone()))
    }),
    ("contact_phone", |r| {
        s(contact(r)
            .and_then(|p| p.phone.as_ref())
            .map(|p| p.number.clone()))
    }),
    ("contact_phone_type", |r| {
        s(contact(r)
            .and_then(|p| p.phone.as_ref())
            .map(|p| p.kind.as_str()))
    }),
    ("contact_linkedin", |r| {
        s(contact(r)
            .and_then(|p| p.linkedin_url.as_ref())
            .map(|l| l.value.clone()))
    }),
    ("contact_source", |r| {
        source(contact(r).map(|p| &p.provenance))
    }),
    ("executives", |r| {
        lines(
            r.enrichment
                .iter()
                .flat_map(|p| &p.record.executives)
                .map(person_line)
                .collect(),
        )
    }),
    ("org_industry", |r| {
        s(r.enrichment
            .as_ref()
            .and_then(|e| e.record.organization.industry.as_ref())
            .map(|v| v.value.clone()))
    }),
    ("org_employees", |r| {
        r.enrichment
            .as_ref()
            .and_then(|e| e.record.organization.employees.as_ref())
            .map_or(Value::Null, |v| json!(v.value))
    }),
    ("org_revenue", |r| {
        r.enrichment
            .as_ref()
            .and_then(|e| e.record.organization.revenue.as_ref())
            .map_or(Value::Null, |v| json!(v.value))
    }),
    ("org_source", |r| {
        let o = r.enrichment.as_ref().map(|e| &e.record.organization);
        source(o.and_then(|o| {
            o.industry
                .as_ref()
                .map(|v| &v.provenance)
                .or(o.employees.as_ref().map(|v| &v.provenance))
        }))
    }),
    ("domain_notes", |r| {
        lines(
            r.enrichment
                .iter()
                .flat_map(|e| e.record.organization.notes.clone())
                .collect(),
        )
    }),
    ("script", |r| {
        s(r.voice.as_ref().map(|v| v.record.text.clone()))
    }),
    ("script_greets", |r| {
        s(r.voice
            .as_ref()
            .and_then(|v| v.record.greeting_name.clone()))
    }),
    ("script_generic", |r| {
        r.voice
            .as_ref()
            .map_or(Value::Null, |v| json!(v.record.generic))
    }),
    ("script_reason_source", |r| {
        s(r.voice
            .as_ref()
            .and_then(|v| v.record.reason_source.clone()))
    }),
    ("objections", |r| {
        lines(
            r.voice
                .iter()
                .flat_map(|v| &v.record.objections)
                .map(|o| format!("{} → {}", o.objection, o.response))
                .collect(),
        )
    }),
    ("audio_path", |r| {
        s(r.voice
            .as_ref()
            .and_then(|v| v.record.audio.as_ref())
            .map(|a| a.path.clone()))
    }),
    ("research_confidence", |r| {
        r.research
            .as_ref()
            .and_then(|p| p.confidence)
            .map_or(Value::Null, |c| json!(c))
    }),
    ("intel_confidence", |r| {
        r.intel
            .as_ref()
            .and_then(|p| p.confidence)
            .map_or(Value::Null, |c| json!(c))
    }),
    ("enrichment_confidence", |r| {
        r.enrichment
            .as_ref()
            .and_then(|p| p.confidence)
            .map_or(Value::Null, |c| json!(c))
    }),
    ("voice_confidence", |r| {
        r.voice
            .as_ref()
            .and_then(|p| p.confidence)
            .map_or(Value::Null, |c| json!(c))
    }),
    ("cost_usd", |r| {
        json!(Money::from_nanos(r.target.cost_nano_usd).usd())
    }),
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
