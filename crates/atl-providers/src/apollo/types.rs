//! Apollo's request filters and records, read leniently: every field may be missing or
//! `null`, numbers sometimes arrive as strings (`"1,200"`).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Match inputs; more of them make a better match. `None` fields are not sent. An Apollo
/// `id` alone reveals a person found by [`PeopleSearch`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PersonMatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// Bare domain: no scheme, `www.` or `@`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linkedin_url: Option<String>,
}

impl PersonMatch {
    /// The person a search returned, by their Apollo id.
    pub fn by_id(id: impl Into<String>) -> Self {
        PersonMatch {
            id: Some(id.into()),
            ..PersonMatch::default()
        }
    }
}

/// People search filters (`POST /api/v1/mixed_people/api_search`). Empty lists are not
/// sent. `page` is 1-based; `per_page` ≤ 100; `q_organization_domains_list` takes up to
/// 1,000 domains.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeopleSearch {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub person_titles: Vec<String>,
    /// Apollo's values: `owner`, `founder`, `c_suite`, `partner`, `vp`, `head`,
    /// `director`, `manager`, `senior`, `entry`, `intern`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub person_seniorities: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub q_organization_domains_list: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub organization_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_keywords: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_similar_titles: Option<bool>,
    pub page: u32,
    pub per_page: u32,
}

impl Default for PeopleSearch {
    fn default() -> Self {
        PeopleSearch {
            person_titles: Vec::new(),
            person_seniorities: Vec::new(),
            q_organization_domains_list: Vec::new(),
            organization_ids: Vec::new(),
            q_keywords: None,
            include_similar_titles: None,
            page: 1,
            per_page: 25,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PhoneNumber {
    pub raw_number: Option<String>,
    pub sanitized_number: Option<String>,
    /// `mobile`, `work_direct`, `work_hq`, `home`, `other`, …
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub status: Option<String>,
}

impl PhoneNumber {
    /// The sanitised number when Apollo gave one, else the raw one.
    pub fn number(&self) -> Option<&str> {
        self.sanitized_number
            .as_deref()
            .or(self.raw_number.as_deref())
            .map(str::trim)
            .filter(|n| !n.is_empty())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ApolloContact {
    #[serde(deserialize_with = "null_as_default")]
    pub phone_numbers: Vec<PhoneNumber>,
}

/// One job of a person's `employment_history`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Employment {
    pub organization_name: Option<String>,
    pub title: Option<String>,
    pub current: Option<bool>,
    /// `YYYY-MM-DD` as Apollo writes it.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ApolloPhone {
    pub number: Option<String>,
    pub sanitized_number: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ApolloOrganization {
    pub id: Option<String>,
    pub name: Option<String>,
    pub website_url: Option<String>,
    pub primary_domain: Option<String>,
    pub linkedin_url: Option<String>,
    pub industry: Option<String>,
    #[serde(deserialize_with = "lenient_u64")]
    pub estimated_num_employees: Option<u64>,
    #[serde(deserialize_with = "lenient_f64")]
    pub annual_revenue: Option<f64>,
    pub annual_revenue_printed: Option<String>,
    #[serde(deserialize_with = "lenient_u64")]
    pub founded_year: Option<u64>,
    pub short_description: Option<String>,
    pub primary_phone: Option<ApolloPhone>,
    #[serde(deserialize_with = "null_as_default")]
    pub keywords: Vec<String>,
    pub city: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ApolloPerson {
    pub id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Search results hide the last name (`"D***"`).
    pub last_name_obfuscated: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub headline: Option<String>,
    /// Apollo's seniority (`owner`, `founder`, `c_suite`, `vp`, …).
    pub seniority: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub departments: Vec<String>,
    pub email: Option<String>,
    /// Apollo's status (`verified`, `guessed`, `unavailable`, `bounced`, `extrapolated`).
    pub email_status: Option<String>,
    pub linkedin_url: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub organization_id: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub employment_history: Vec<Employment>,
    #[serde(deserialize_with = "null_as_default")]
    pub phone_numbers: Vec<PhoneNumber>,
    pub contact: Option<ApolloContact>,
    pub organization: Option<ApolloOrganization>,
    /// Search only: whether a match would reveal an e-mail / a direct phone.
    pub has_email: Option<bool>,
    /// `true`, `"Yes"` or `"Maybe: …"` depending on the endpoint.
    pub has_direct_phone: Option<Value>,
}

impl ApolloPerson {
    /// The e-mail when Apollo actually revealed one (not `null`, not the
    /// `email_not_unlocked@…` placeholder).
    pub fn usable_email(&self) -> Option<&str> {
        self.email
            .as_deref()
            .map(str::trim)
            .filter(|e| e.contains('@') && !e.starts_with("email_not_unlocked"))
    }

    /// Every phone number with its `type`, from `phone_numbers` and then
    /// `contact.phone_numbers`, each number once.
    pub fn phones(&self) -> Vec<&PhoneNumber> {
        let contact = self
            .contact
            .as_ref()
            .map(|c| c.phone_numbers.as_slice())
            .unwrap_or_default();
        let mut out: Vec<&PhoneNumber> = Vec::new();
        for p in self.phone_numbers.iter().chain(contact) {
            if p.number().is_some() && !out.iter().any(|q| q.number() == p.number()) {
                out.push(p);
            }
        }
        out
    }

    /// The first phone number.
    pub fn phone(&self) -> Option<&str> {
        self.phones().first().and_then(|p| p.number())
    }

    /// The organisation's primary domain, when the record carries its organisation.
    pub fn domain(&self) -> Option<&str> {
        self.organization
            .as_ref()
            .and_then(|o| o.primary_domain.as_deref())
    }
}

/// One page of people search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeoplePage {
    pub people: Vec<ApolloPerson>,
    pub page: u32,
    pub per_page: u32,
    pub total_entries: u64,
    pub total_pages: u32,
}

pub(super) fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Numbers that sometimes arrive as strings or floats.
fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    })
}

pub(super) fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn phones_come_from_both_lists_with_their_type_once_each() {
        let p: ApolloPerson = serde_json::from_value(json!({
            "phone_numbers": [{"raw_number": "(415) 555-0100", "sanitized_number": "+14155550100", "type": "mobile"}],
            "contact": {"phone_numbers": [
                {"sanitized_number": "+14155550100", "type": "mobile"},
                {"raw_number": "+1 415 555 0199", "type": "work_hq"},
                {"raw_number": "  "}
            ]},
            "employment_history": [{"organization_name": "Acme", "title": "VP of Sales", "current": true,
                                    "start_date": "2023-08-01", "end_date": null}],
            "organization": {"primary_domain": "acme.com"}
        }))
        .unwrap();
        let phones: Vec<(Option<&str>, Option<&str>)> = p
            .phones()
            .iter()
            .map(|p| (p.number(), p.kind.as_deref()))
            .collect();
        assert_eq!(
            phones,
            vec![
                (Some("+14155550100"), Some("mobile")),
                (Some("+1 415 555 0199"), Some("work_hq"))
            ]
        );
        assert_eq!(p.phone(), Some("+14155550100"));
        assert_eq!(p.employment_history[0].current, Some(true));
        assert_eq!(p.employment_history[0].end_date, None);
        assert_eq!(p.domain(), Some("acme.com"));
        let none: ApolloPerson =
            serde_json::from_value(json!({"phone_numbers": null, "contact": null})).unwrap();
        assert!(none.phones().is_empty() && none.phone().is_none());
    }
}
