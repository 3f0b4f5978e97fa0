//! The enrichment agent's tools, executed by our code against the real clients, and the
//! evidence they leave behind.
//!
//! The model only *asks* for a lookup; this module runs it (governed and priced through
//! the toolkit), hands back a compact JSON summary, and records every fact a tool
//! returned ([`Evidence`]). The final answer is checked against that record: an e-mail,
//! phone or LinkedIn URL no tool returned cannot be reported as verified, or at all.

use crate::schemas;
use crate::spend::Spend;
use atl_providers::apollo::{ApolloOrganization, ApolloPerson, PeopleSearch, PersonMatch};
use atl_providers::hunter::EmailStatus;
use atl_providers::llm::{ToolCall, ToolSpec};
use atl_providers::toolkit::{Toolkit, bare_domain};
use atl_providers::{ErrorKind, ProviderError};
use serde_json::{Value, json};
use std::collections::HashMap;

pub(crate) const PEOPLE_MATCH: &str = "apollo_people_match";
pub(crate) const ORG_ENRICH: &str = "apollo_organization_enrich";
pub(crate) const PEOPLE_SEARCH: &str = "apollo_people_search";
pub(crate) const EMAIL_FINDER: &str = "hunter_email_finder";
pub(crate) const EMAIL_VERIFIER: &str = "hunter_email_verifier";

/// The tools the configured clients can serve (none for a client without a key, so the
/// model is never offered a tool that can only fail).
pub(crate) fn tool_specs(t: &Toolkit) -> Vec<ToolSpec> {
    let mut v = Vec::new();
    let spec = |name: &str, description: &str, parameters: Value| ToolSpec {
        name: name.into(),
        description: description.into(),
        parameters,
    };
    if t.apollo.is_some() {
        v.push(spec(
            PEOPLE_MATCH,
            "Apollo people match: one person's current title, seniority, work e-mail (with Apollo's status), phone and LinkedIn. Give as many of name, email, domain, linkedin_url as you know. Costs one credit on a hit.",
            schemas::tool_people_match(),
        ));
        v.push(spec(
            ORG_ENRICH,
            "Apollo organization enrich: industry, employee count, revenue and website for a company domain. Costs one credit on a hit.",
            schemas::tool_organization_enrich(),
        ));
        v.push(spec(
            PEOPLE_SEARCH,
            "Apollo people search at a company domain, filtered by Apollo seniorities and/or titles. Free; returns names, titles, seniorities and LinkedIn URLs, never e-mails.",
            schemas::tool_people_search(),
        ));
    }
    if t.hunter.is_some() {
        v.push(spec(
            EMAIL_FINDER,
            "Hunter e-mail finder: the most likely work e-mail of a person at a domain. Costs one credit when an address is found.",
            schemas::tool_email_finder(),
        ));
        v.push(spec(
            EMAIL_VERIFIER,
            "Hunter e-mail verifier: whether an address is deliverable (verified, likely, unverified, invalid, unknown).",
            schemas::tool_email_verifier(),
        ));
    }
    v
}

/// A person as some tool reported them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PersonFact {
    pub name: String,
    pub title: Option<String>,
    /// Apollo's own seniority.
    pub seniority: Option<String>,
    pub email: Option<String>,
    pub linkedin_url: Option<String>,
    pub phone: Option<String>,
    pub source: &'static str,
}

/// Everything the tools returned in this run.
#[derive(Debug, Default)]
pub(crate) struct Evidence {
    /// One entry per executed call: what was asked and what came back (for the answer
    /// prompt and for the result's `tool_log`).
    pub log: Vec<Value>,
    /// Lower-cased e-mail → the best status a tool gave it, and which tool.
    pub emails: HashMap<String, (EmailStatus, &'static str)>,
    /// E-mails a verifier checked.
    pub verified: Vec<String>,
    pub people: Vec<PersonFact>,
    pub organization: Option<ApolloOrganization>,
    pub apollo_match: bool,
    /// Pages Hunter saw an address on.
    pub urls: Vec<String>,
    /// Calls made, by `name + arguments`, with the summary returned (a repeat is answered
    /// from here without paying again).
    done: HashMap<String, (String, bool)>,
}

fn rank(s: EmailStatus) -> u8 {
    match s {
        EmailStatus::Verified => 4,
        EmailStatus::Likely => 3,
        EmailStatus::Unverified => 2,
        EmailStatus::Unknown => 1,
        EmailStatus::Invalid => 0,
    }
}

/// Apollo's `email_status` in our vocabulary. Guessed and extrapolated addresses are
/// pattern guesses: unverified.
pub(crate) fn apollo_email_status(s: Option<&str>) -> EmailStatus {
    match s.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("verified") => EmailStatus::Verified,
        Some("likely to engage" | "likely") => EmailStatus::Likely,
        Some("guessed" | "extrapolated" | "unverified") => EmailStatus::Unverified,
        Some("bounced" | "invalid") => EmailStatus::Invalid,
        _ => EmailStatus::Unknown,
    }
}

pub(crate) fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

pub(crate) fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

impl Evidence {
    /// Record an e-mail. A verifier's word replaces earlier ones (it is the check);
    /// otherwise the better status is kept.
    fn email(
        &mut self,
        email: &str,
        status: EmailStatus,
        source: &'static str,
        from_verifier: bool,
    ) {
        let key = email.trim().to_ascii_lowercase();
        if !key.contains('@') {
            return;
        }
        if from_verifier {
            self.verified.push(key.clone());
            self.emails.insert(key, (status, source));
            return;
        }
        if self.verified.contains(&key) {
            return;
        }
        let e = self.emails.entry(key).or_insert((status, source));
        if rank(status) > rank(e.0) {
            *e = (status, source);
        }
    }

    fn person(&mut self, p: &ApolloPerson, source: &'static str) -> Value {
        let name = p
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| {
                let last = p
                    .last_name
                    .clone()
                    .or_else(|| p.last_name_obfuscated.clone());
                [p.first_name.clone(), last]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            });
        let email = p.usable_email().map(str::to_string);
        let status = apollo_email_status(p.email_status.as_deref());
        if let Some(e) = &email {
            self.email(e, status, source, false);
        }
        let fact = PersonFact {
            name: name.trim().to_string(),
            title: p.title.clone(),
            seniority: p.seniority.clone(),
            email: email.clone(),
            linkedin_url: p.linkedin_url.clone(),
            phone: p.phone().map(str::to_string),
            source,
        };
        if !fact.name.is_empty() {
            self.people.push(fact);
        }
        json!({
            "name": name,
            "title": p.title,
            "seniority": p.seniority,
            "email": email,
            "email_status": email.as_ref().map(|_| status.as_str()),
            "phone": p.phone(),
            "linkedin_url": p.linkedin_url,
            "organization": p.organization.as_ref().map(|o| json!({"name": o.name, "domain": o.primary_domain})),
        })
    }

    fn org(&mut self, o: &ApolloOrganization) -> Value {
        self.organization = Some(o.clone());
        org_json(o)
    }

    pub(crate) fn seen_phone(&self, phone: &str) -> bool {
        let d = digits(phone);
        !d.is_empty()
            && self
                .people
                .iter()
                .filter_map(|p| p.phone.as_deref())
                .any(|p| digits(p) == d)
    }

    pub(crate) fn seen_linkedin(&self, url: &str) -> bool {
        let key = url.trim().trim_end_matches('/').to_ascii_lowercase();
        self.people
            .iter()
            .filter_map(|p| p.linkedin_url.as_deref())
            .any(|u| u.trim().trim_end_matches('/').to_ascii_lowercase() == key)
    }

    pub(crate) fn person_named(&self, name: &str) -> Option<&PersonFact> {
        let key = name_key(name);
        if key.is_empty() {
            return None;
        }
        // Search results hide last names ("Jordan D***"): match on the visible prefix.
        self.people.iter().find(|p| {
            let pk = name_key(&p.name);
            pk == key
                || pk
                    .strip_suffix('*')
                    .map(|_| pk.trim_end_matches('*'))
                    .is_some_and(|prefix| !prefix.is_empty() && key.starts_with(prefix))
        })
    }

    pub(crate) fn called(&self, tool: &str) -> bool {
        self.log.iter().any(|l| l["tool"] == tool)
    }
}

pub(crate) fn org_json(o: &ApolloOrganization) -> Value {
    json!({
        "name": o.name,
        "domain": o.primary_domain,
        "website": o.website_url,
        "industry": o.industry,
        "employees": o.estimated_num_employees,
        "revenue": o.annual_revenue,
        "city": o.city,
        "country": o.country,
    })
}

/// Why a tool call did not produce a result.
pub(crate) enum ToolFailure {
    /// Tell the model (a `tool_result` with `is_error`), and go on.
    Soft(String),
    /// Stop the run: retrying cannot help and going on would only report less (a bad
    /// key, no quota left).
    Abort(ProviderError),
}

fn soft_or_abort(e: ProviderError) -> ToolFailure {
    match e.kind {
        ErrorKind::Auth | ErrorKind::Quota => ToolFailure::Abort(e),
        _ => ToolFailure::Soft(e.to_string()),
    }
}

fn arg(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

fn list(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Run one tool call. Returns the JSON text for the model.
pub(crate) async fn execute(
    t: &Toolkit,
    call: &ToolCall,
    company: &str,
    evidence: &mut Evidence,
    spend: &Spend,
) -> Result<String, ToolFailure> {
    let key = format!("{}{}", call.name, call.arguments);
    if let Some((text, ok)) = evidence.done.get(&key) {
        return if *ok {
            Ok(text.clone())
        } else {
            Err(ToolFailure::Soft(text.clone()))
        };
    }
    let outcome = run_tool(t, &call.name, &call.arguments, company, evidence, spend).await;
    let (summary, ok) = match &outcome {
        Ok(v) => (v.clone(), true),
        Err(ToolFailure::Soft(m)) => (json!({"error": m}), false),
        Err(ToolFailure::Abort(e)) => (json!({"error": e.to_string()}), false),
    };
    evidence.log.push(json!({
        "tool": call.name, "arguments": call.arguments, "ok": ok, "result": summary,
    }));
    match outcome {
        Ok(v) => {
            let text = v.to_string();
            evidence.done.insert(key, (text.clone(), true));
            Ok(text)
        }
        Err(ToolFailure::Soft(m)) => {
            evidence.done.insert(key, (m.clone(), false));
            Err(ToolFailure::Soft(m))
        }
        Err(abort) => Err(abort),
    }
}

async fn run_tool(
    t: &Toolkit,
    name: &str,
    args: &Value,
    company: &str,
    evidence: &mut Evidence,
    spend: &Spend,
) -> Result<Value, ToolFailure> {
    let missing = |what: &str| ToolFailure::Soft(format!("{name}: missing argument {what}"));
    match name {
        PEOPLE_MATCH => {
            let query = PersonMatch {
                name: arg(args, "name"),
                email: arg(args, "email"),
                domain: arg(args, "domain").map(|d| bare_domain(&d)),
                linkedin_url: arg(args, "linkedin_url"),
                organization_name: Some(company.to_string()).filter(|c| !c.is_empty()),
                ..PersonMatch::default()
            };
            if query.name.is_none() && query.email.is_none() && query.linkedin_url.is_none() {
                return Err(missing("name, email or linkedin_url"));
            }
            let m = t.apollo_match(&query).await.map_err(soft_or_abort)?;
            spend.record(&m);
            Ok(match &m.value {
                Some(p) => {
                    evidence.apollo_match = true;
                    json!({"person": evidence.person(p, PEOPLE_MATCH)})
                }
                None => json!({"person": null, "note": "Apollo knows nobody matching"}),
            })
        }
        ORG_ENRICH => {
            let domain = arg(args, "domain")
                .map(|d| bare_domain(&d))
                .ok_or_else(|| missing("domain"))?;
            let m = t
                .apollo_organization(&domain)
                .await
                .map_err(soft_or_abort)?;
            spend.record(&m);
            Ok(match &m.value {
                Some(o) => json!({"organization": evidence.org(o)}),
                None => json!({"organization": null, "note": "unknown domain"}),
            })
        }
        PEOPLE_SEARCH => {
            let domain = arg(args, "domain")
                .map(|d| bare_domain(&d))
                .ok_or_else(|| missing("domain"))?;
            let query = PeopleSearch {
                q_organization_domains_list: vec![domain],
                person_seniorities: list(args, "seniorities"),
                person_titles: list(args, "titles"),
                per_page: 10,
                ..PeopleSearch::default()
            };
            let m = t
                .apollo_people_search(&query)
                .await
                .map_err(soft_or_abort)?;
            spend.record(&m);
            let people: Vec<Value> = m
                .value
                .people
                .iter()
                .map(|p| evidence.person(p, PEOPLE_SEARCH))
                .collect();
            Ok(json!({"people": people, "total": m.value.total_entries}))
        }
        EMAIL_FINDER => {
            let domain = arg(args, "domain")
                .map(|d| bare_domain(&d))
                .ok_or_else(|| missing("domain"))?;
            let first = arg(args, "first_name").ok_or_else(|| missing("first_name"))?;
            let last = arg(args, "last_name").ok_or_else(|| missing("last_name"))?;
            let m = t
                .hunter_find(&domain, &first, &last)
                .await
                .map_err(soft_or_abort)?;
            spend.record(&m);
            Ok(match &m.value {
                Some(f) => {
                    // The finder's own check when it ran one; a found address is
                    // otherwise only a pattern guess.
                    let status = f
                        .status()
                        .map_or(EmailStatus::Unverified, EmailStatus::from);
                    evidence.email(&f.email, status, EMAIL_FINDER, false);
                    let uris = f.sources.iter().filter_map(|s| s.uri.clone());
                    evidence.urls.extend(uris.take(3));
                    let name = format!("{first} {last}");
                    evidence.people.push(PersonFact {
                        name,
                        title: f.position.clone(),
                        seniority: None,
                        email: Some(f.email.clone()),
                        linkedin_url: f.linkedin_url.clone(),
                        phone: f.phone_number.clone(),
                        source: EMAIL_FINDER,
                    });
                    json!({"email": f.email, "email_status": status.as_str(), "score": f.score,
                           "position": f.position, "linkedin_url": f.linkedin_url, "phone": f.phone_number})
                }
                None => json!({"email": null, "note": "no address found"}),
            })
        }
        EMAIL_VERIFIER => {
            let email = arg(args, "email")
                .filter(|e| e.contains('@'))
                .ok_or_else(|| missing("email"))?;
            let m = t.hunter_verify(&email).await.map_err(soft_or_abort)?;
            spend.record(&m);
            let status = EmailStatus::from(m.value.status);
            evidence.email(&email, status, EMAIL_VERIFIER, true);
            Ok(json!({"email": email, "email_status": status.as_str(),
                      "hunter_status": m.value.status.as_str(), "score": m.value.score}))
        }
        other => Err(ToolFailure::Soft(format!("unknown tool {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_word_beats_other_tools() {
        let mut e = Evidence::default();
        e.email("A@x.com", EmailStatus::Verified, PEOPLE_MATCH, false);
        e.email("a@x.com", EmailStatus::Invalid, EMAIL_VERIFIER, true);
        e.email("a@x.com", EmailStatus::Verified, EMAIL_FINDER, false);
        assert_eq!(e.emails["a@x.com"].0, EmailStatus::Invalid);
        e.email("b@x.com", EmailStatus::Unknown, EMAIL_FINDER, false);
        e.email("b@x.com", EmailStatus::Likely, PEOPLE_MATCH, false);
        assert_eq!(e.emails["b@x.com"].0, EmailStatus::Likely);
    }

    #[test]
    fn obfuscated_names_match_on_prefix() {
        let mut e = Evidence::default();
        e.people.push(PersonFact {
            name: "Jordan D***".into(),
            title: None,
            seniority: Some("vp".into()),
            email: None,
            linkedin_url: None,
            phone: Some("+1 (415) 555-0101".into()),
            source: PEOPLE_SEARCH,
        });
        assert!(e.person_named("Jordan  Doe").is_some());
        assert!(e.person_named("Morgan Doe").is_none());
        assert!(e.seen_phone("14155550101"));
        assert!(!e.seen_phone("999"));
    }

    #[test]
    fn apollo_statuses() {
        assert_eq!(apollo_email_status(Some("verified")), EmailStatus::Verified);
        assert_eq!(
            apollo_email_status(Some("guessed")),
            EmailStatus::Unverified
        );
        assert_eq!(apollo_email_status(Some("bounced")), EmailStatus::Invalid);
        assert_eq!(apollo_email_status(None), EmailStatus::Unknown);
    }
}
