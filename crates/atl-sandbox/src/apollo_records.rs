//! Apollo's records: a person resolved from match inputs (or a search listing) and an
//! organization, in the fields Apollo returns. See [`crate::people`] for who exists,
//! who has moved and how e-mails are made.

use crate::dates;
use crate::fortune;
use crate::people::{self, Known, Member, Outcome, Role};
use crate::state::AppState;
use crate::synth::{self, Rng, SYNTH_HOST};
use serde_json::{Value, json};

/// Declares [`MatchInputs`] from its parameter names, so that each field is read from
/// the parameter of the same name and a new input is named once.
macro_rules! match_inputs {
    ($($field:ident),+ $(,)?) => {
        /// The inputs of one person match (one `details[]` entry of a bulk match).
        #[derive(Debug, Clone, Default)]
        pub(crate) struct MatchInputs {
            $(pub $field: Option<String>,)+
        }

        impl MatchInputs {
            pub(crate) fn from(get: impl Fn(&str) -> Option<String>) -> MatchInputs {
                MatchInputs {
                    $($field: get(stringify!($field)),)+
                }
            }
        }
    };
}

match_inputs!(
    first_name,
    last_name,
    name,
    email,
    organization_name,
    domain,
    id,
    linkedin_url,
    title,
);

/// A matched person: the record and what it costs to reveal.
pub(crate) struct Matched {
    pub record: Value,
    pub id: String,
    pub has_mobile: bool,
}

fn title_case(word: &str) -> String {
    let mut cs = word.chars();
    cs.next().map_or_else(String::new, |f| {
        f.to_uppercase().collect::<String>() + cs.as_str()
    })
}

/// Who the inputs name: (first, last) as they should be shown, and the company's domain.
fn identify(q: &MatchInputs) -> Option<(String, String, String)> {
    let email_domain = q
        .email
        .as_deref()
        .and_then(|e| e.rsplit_once('@'))
        .map(|(_, d)| d.to_string());
    let domain = q.domain.clone().or(email_domain).or_else(|| {
        q.organization_name
            .as_deref()
            .map(|o| format!("{}.example", synth::slug(o)))
    })?;
    let registrable = people::registrable_domain(&domain);
    let (first, last) = match (&q.first_name, &q.last_name, &q.name) {
        (Some(f), Some(l), _) => (f.clone(), l.clone()),
        (_, _, Some(n)) => people::split_name(n),
        (Some(f), None, None) => (f.clone(), String::new()),
        _ => {
            let local = q.email.as_deref()?.split('@').next()?.to_ascii_lowercase();
            match local.split_once(['.', '_']) {
                Some((f, l)) if !f.is_empty() && !l.is_empty() => (title_case(f), title_case(l)),
                // A mailbox without a name in it: Apollo knows its owner; so does the sandbox.
                _ => {
                    let mut rng = Rng::new(synth::fnv1a(local.as_bytes()) ^ 0x3a);
                    (
                        rng.pick(synth::FIRST_NAMES).to_string(),
                        rng.pick(synth::LAST_NAMES).to_string(),
                    )
                }
            }
        }
    };
    Some((first, last, registrable))
}

/// The company name to show for a registrable domain.
pub(crate) fn company_name(registrable: &str, hint: Option<&str>) -> String {
    match fortune::lookup(registrable) {
        Some(c) => c.name.to_string(),
        None => hint.map_or_else(|| synth::name_from_domain(registrable), str::to_string),
    }
}

/// Resolve match inputs to a person, or `None` for Apollo's `null` (not enough to go
/// on, an unknown id, or a person the database does not have).
pub(crate) fn resolve(state: &AppState, q: &MatchInputs) -> Option<Matched> {
    let known = q.id.as_deref().and_then(|id| state.people().recall(id));
    let (first, last, registrable, org_hint, title) = match known {
        Some(k) => (k.first, k.last, k.registrable, k.organization_name, k.title),
        None => {
            let (first, last, registrable) = identify(q)?;
            (
                first,
                last,
                registrable,
                q.organization_name.clone(),
                q.title.clone(),
            )
        }
    };
    let local = people::local_part(&format!("{first} {last}"))?;
    let member = people::team(&registrable)
        .into_iter()
        .find(|m| m.local == local);
    let matched = person(
        &first,
        &last,
        &local,
        &registrable,
        org_hint.as_deref(),
        member.as_ref().map(|m| m.role.clone()),
        title.as_deref(),
        q.linkedin_url.as_deref(),
    )?;
    state.people().remember(
        &matched.id,
        &Known {
            first,
            last,
            registrable,
            organization_name: org_hint,
            title,
        },
    );
    Some(matched)
}

/// A team member as Apollo has them (the same record a match by name returns).
pub(crate) fn member_record(registrable: &str, m: &Member) -> Option<Matched> {
    person(
        &m.first,
        &m.last,
        &m.local,
        registrable,
        None,
        Some(m.role.clone()),
        None,
        None,
    )
}

#[allow(clippy::too_many_arguments)]
fn person(
    first: &str,
    last: &str,
    local: &str,
    registrable: &str,
    org_hint: Option<&str>,
    team_role: Option<Role>,
    title: Option<&str>,
    linkedin: Option<&str>,
) -> Option<Matched> {
    let outcome = people::outcome(local, registrable);
    if outcome == Outcome::Miss {
        return None;
    }
    let id = people::person_id(local, registrable);
    let seed = synth::fnv1a(id.as_bytes());
    let mut rng = Rng::new(seed);
    let role = team_role
        .or_else(|| title.map(Role::for_title))
        .unwrap_or_else(|| people::staff_role(local, registrable));
    let asked = company_name(registrable, org_hint);
    let (current_domain, current_name) = if outcome == Outcome::Moved {
        let name = synth::company_name(&mut rng);
        (format!("{}.example", synth::slug(&name)), name)
    } else {
        (registrable.to_string(), asked.clone())
    };
    let candidate = format!("{local}@{}", people::mail_domain(&current_domain));
    let email_status = people::email_status(&candidate);
    let email = match email_status {
        "unavailable" if rng.below(2) == 0 => Value::Null,
        "unavailable" => json!(format!(
            "email_not_unlocked@{}",
            people::mail_domain(&current_domain)
        )),
        _ => json!(candidate),
    };
    let phones = phones(&mut rng);
    let has_mobile = phones.iter().any(|p| p["type"] == "mobile");
    let (city, state, country) = match fortune::lookup(&current_domain) {
        Some(c) => (c.city.to_string(), c.state.to_string(), "United States"),
        None => {
            let c = rng.pick(synth::CITIES);
            (c.0.to_string(), c.1.to_string(), c.2)
        }
    };
    let org = org_record(&current_domain, Some(&current_name));
    let name = format!("{first} {last}").trim().to_string();
    let started = 90 + rng.below(2_500) as i64;
    let history = if outcome == Outcome::Moved {
        let left = 30 + rng.below(500) as i64;
        let joined = left - rng.below(left.min(60) as u64) as i64;
        json!([
            {"organization_name": current_name, "title": role.title, "current": true,
             "start_date": dates::days_ago(joined), "end_date": null},
            {"organization_name": asked, "title": role.title, "current": false,
             "start_date": dates::days_ago(left + started), "end_date": dates::days_ago(left)}
        ])
    } else {
        json!([{"organization_name": asked, "title": role.title, "current": true,
                "start_date": dates::days_ago(started), "end_date": null}])
    };
    let mut record = json!({
        "id": id, "first_name": first, "last_name": last, "name": name,
        "title": role.title, "headline": format!("{} @ {current_name} (synthetic)", role.title),
        "seniority": role.seniority, "departments": role.departments,
        "email": email, "email_status": email_status,
        "linkedin_url": linkedin.map_or_else(|| synth::linkedin_for(first, last, seed), str::to_string),
        "twitter_url": null, "github_url": null, "photo_url": null,
        "city": city, "state": state, "country": country,
        "organization_id": org["id"], "organization": org,
        "employment_history": history,
        "synthetic": true
    });
    if !phones.is_empty() {
        record["phone_numbers"] = json!(phones);
        if rng.below(10) < 4 {
            record["contact"] = json!({"phone_numbers": phones});
        }
    }
    Some(Matched {
        record,
        id,
        has_mobile,
    })
}

/// 85 % of people have one or two numbers in the reserved 555-01xx range.
fn phones(rng: &mut Rng) -> Vec<Value> {
    if rng.below(100) >= 85 {
        return Vec::new();
    }
    let n = 1 + rng.below(2);
    (0..n)
        .map(|_| {
            let kind = match rng.below(20) {
                0..=8 => "mobile",
                9..=13 => "work_direct",
                14..=17 => "work_hq",
                _ => "other",
            };
            let line = rng.range(0, 99);
            let status = if rng.below(10) == 0 {
                "no_status"
            } else {
                "valid_number"
            };
            json!({"raw_number": format!("(555) 555-01{line:02}"),
                   "sanitized_number": format!("+155555501{line:02}"),
                   "type": kind, "status": status})
        })
        .collect()
}

/// Whether Apollo has the organization at all: always for the Fortune 1000, never for a
/// reserved test domain, else 95 % by hash.
pub(crate) fn org_known(registrable: &str) -> bool {
    if fortune::lookup(registrable).is_some() {
        return true;
    }
    let tld = registrable.rsplit('.').next().unwrap_or("");
    if ["invalid", "test", "localhost"].contains(&tld) {
        return false;
    }
    !(synth::mix(synth::fnv1a(registrable.as_bytes()) ^ 0x0e).is_multiple_of(20))
}

pub(crate) fn org_record(registrable: &str, name_hint: Option<&str>) -> Value {
    let seed = synth::fnv1a(registrable.as_bytes());
    let mut rng = Rng::new(seed);
    let name = company_name(registrable, name_hint);
    let city = *rng.pick(synth::CITIES);
    let (industry, employees, revenue, city, state) = match fortune::lookup(registrable) {
        Some(c) => (
            c.sector.to_ascii_lowercase(),
            c.employees as i64,
            (c.revenue_musd * 1e6).round() as i64,
            c.city,
            c.state,
        ),
        None => (
            rng.pick(synth::INDUSTRIES).to_string(),
            rng.range(20, 5000),
            rng.range(2, 250) * 1_000_000,
            city.0,
            city.1,
        ),
    };
    let (_, sanitized) = synth::phone(&mut rng);
    json!({
        "id": synth::object_id(seed),
        "name": name,
        "website_url": format!("{SYNTH_HOST}/sites/{registrable}/"),
        "primary_domain": registrable,
        "linkedin_url": format!("https://www.linkedin.com/company/synthetic-{}", synth::slug(&name)),
        "industry": industry,
        "keywords": ["synthetic", "sandbox", "b2b software"],
        "estimated_num_employees": employees,
        "annual_revenue": revenue,
        "annual_revenue_printed": format!("{}M", revenue / 1_000_000),
        "founded_year": rng.range(1995, 2021),
        "total_funding": rng.range(0, 80) * 1_000_000,
        "latest_funding_stage": rng.pick(&["Seed", "Series A", "Series B", "Series C"]),
        "technology_names": ["Salesforce", "HubSpot", "AWS"],
        "primary_phone": {"number": sanitized},
        "city": city, "state": state, "country": "United States",
        "short_description": format!("[synthetic] {name}: a company profile generated by the ATL sandbox."),
        "synthetic": true
    })
}

/// `Mockford` → `Mo***d`, as Apollo's api_search shows last names.
pub(crate) fn obfuscate(last: &str) -> String {
    let chars: Vec<char> = last.chars().collect();
    match chars.len() {
        0..=2 => "***".into(),
        n => format!("{}{}***{}", chars[0], chars[1], chars[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obfuscates_like_apollo() {
        assert_eq!(["Mockford", "Li"].map(obfuscate), ["Mo***d", "***"]);
    }

    #[test]
    fn a_moved_person_keeps_the_old_job_in_history() {
        let moved = (0..400)
            .map(|i| format!("Person{i} Example"))
            .find_map(|n| {
                let local = people::local_part(&n)?;
                (people::outcome(&local, "acme.com") == Outcome::Moved).then_some((n, local))
            });
        let (name, local) = moved.expect("a moved person among 400");
        let (first, last) = people::split_name(&name);
        let m = person(&first, &last, &local, "acme.com", None, None, None, None)
            .expect("a moved person is found");
        let r = &m.record;
        assert_ne!(r["organization"]["primary_domain"], "acme.com");
        let old = &r["employment_history"][1];
        assert_eq!(old["organization_name"], "Acme");
        assert_eq!(old["current"], false);
        assert!(old["end_date"].is_string());
        assert_eq!(r["employment_history"][0]["current"], true);
    }
}
