//! The contacts export: one row per person (the contact and every executive) in the
//! shape a CRM import wants — the name split, title, seniority, e-mail and its status,
//! phone and its type, LinkedIn, and where the record came from.

use crate::record::{PersonFields, TargetRecord};
use atl_domain::records::{ContactOutcome, Person};
use serde_json::{Value, json};

pub const CONTACT_COLUMNS: [&str; 20] = [
    "company",
    "domain",
    "role",
    "full_name",
    "first_name",
    "last_name",
    "name_note",
    "title",
    "seniority",
    "email",
    "email_status",
    "email_provider_status",
    "phone",
    "phone_type",
    "linkedin",
    "source",
    "observed_at",
    "from_cache",
    "contact_note",
    "synthetic",
];

fn s(v: Option<impl Into<String>>) -> Value {
    v.map(Into::into).map_or(Value::Null, Value::String)
}

fn person_row(r: &TargetRecord, p: &Person, role: &str, note: Option<String>) -> Vec<Value> {
    let domain = r
        .enrichment
        .as_ref()
        .and_then(|e| e.record.organization.domain.clone())
        .or_else(|| r.target.domain.clone());
    let f = PersonFields::of(p);
    vec![
        json!(r.target.company_name),
        s(domain),
        json!(role),
        json!(p.name),
        s(f.first_name),
        s(f.last_name),
        s(p.name_hidden.then_some("last name hidden by the provider")),
        s(f.title),
        s(f.seniority),
        s(f.email),
        s(f.email_status),
        s(f.email_provider_status),
        s(f.phone),
        s(f.phone_type),
        s(f.linkedin),
        json!(p.provenance.source.as_str()),
        s(p.provenance.observed_at.clone()),
        json!(p.provenance.from_cache),
        s(note),
        r.synthetic.map_or(Value::Null, Value::Bool),
    ]
}

/// The rows of one target: its contact first, then its executives.
pub(crate) fn contact_rows(r: &TargetRecord) -> Vec<Vec<Value>> {
    let Some(e) = &r.enrichment else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    if let Some(c) = &e.record.contact {
        let note = match &e.record.contact_outcome {
            ContactOutcome::Found => None,
            ContactOutcome::Unverified => {
                Some("not found by any tool: as the file gave it".to_string())
            }
            ContactOutcome::Moved { to_company, .. } => Some(format!("moved to {to_company}")),
            ContactOutcome::NoInputContact => None,
        };
        rows.push(person_row(r, c, "contact", note));
    }
    for x in &e.record.executives {
        rows.push(person_row(r, x, "executive", None));
    }
    rows
}
