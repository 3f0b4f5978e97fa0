//! Output schemas, used twice: sent as the request's `json_schema` (so the provider
//! constrains or at least sees the shape) and checked on the reply by the structured
//! output helper.
//!
//! They follow OpenAI's strict subset: every object lists all its properties as
//! required and forbids others; optional values are nullable instead. Fields that must
//! cite a source take an `enum` of the URLs actually fetched for this run, so a
//! constrained model cannot even write another one (and the agent still re-checks).

use crate::seniority::{APOLLO_SENIORITIES, EMAIL_STATUSES};
use serde_json::{Value, json};

fn nullable_string() -> Value {
    json!({"type": ["string", "null"]})
}

/// A URL that must be one of `urls` (or, when `nullable`, null). With no URL to cite the
/// field can only be null (or any string when not nullable: the agent drops it later).
fn cited_url(urls: &[String], nullable: bool) -> Value {
    match (urls.is_empty(), nullable) {
        (true, true) => json!({"type": "null"}),
        (true, false) => json!({"type": "string"}),
        (false, true) => {
            let mut options: Vec<Value> = urls.iter().map(|u| json!(u)).collect();
            options.push(Value::Null);
            json!({"type": ["string", "null"], "enum": options})
        }
        (false, false) => json!({"type": "string", "enum": urls}),
    }
}

/// A list of sources. Deliberately *not* an enum of `urls`: the agent filters the list
/// against what it read anyway, and an enum inside an array trips generators that
/// de-duplicate array items by suffixing them (the sandbox's, at the time of writing).
/// The description still tells the model where the URLs must come from.
fn source_list(urls: &[String]) -> Value {
    json!({
        "type": "array",
        "items": {"type": "string"},
        "maxItems": urls.len().max(1),
        "description": "URLs of the material given that you used, copied exactly",
    })
}

fn object(properties: Value) -> Value {
    let required: Vec<String> = properties
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// Research brief; `urls` are the search results and pages given to the model.
pub fn research(urls: &[String]) -> Value {
    let news_item = object(json!({
        "title": {"type": "string"},
        "date": nullable_string(),
        "url": cited_url(urls, false),
        "summary": {"type": "string"},
    }));
    let news = if urls.is_empty() {
        json!({"type": "array", "items": news_item, "maxItems": 0})
    } else {
        json!({"type": "array", "items": news_item, "maxItems": 5})
    };
    object(json!({
        "overview": nullable_string(),
        "industry": nullable_string(),
        "headquarters": nullable_string(),
        "employee_range": nullable_string(),
        "recent_news": news,
        "market_position": nullable_string(),
        "signals": object(json!({
            "hiring": nullable_string(),
            "funding": nullable_string(),
            "launches": nullable_string(),
        })),
        "sources": source_list(urls),
    }))
}

pub fn intel(urls: &[String]) -> Value {
    object(json!({
        "competitors": {
            "type": "array",
            "maxItems": 6,
            "items": object(json!({
                "name": {"type": "string", "minLength": 1},
                "domain": nullable_string(),
                "why": {"type": "string"},
            })),
        },
        "positioning": nullable_string(),
        "differentiation_opportunities": {
            "type": "array", "maxItems": 5, "items": {"type": "string", "minLength": 1}
        },
        "sources": source_list(urls),
    }))
}

fn person() -> Value {
    object(json!({
        "name": nullable_string(),
        "title": nullable_string(),
        "seniority": {"type": ["string", "null"], "enum": seniority_options()},
        "email": nullable_string(),
        "email_status": {"type": "string", "enum": EMAIL_STATUSES},
        "phone": nullable_string(),
        "linkedin_url": nullable_string(),
        "source": nullable_string(),
    }))
}

fn seniority_options() -> Vec<Value> {
    let mut v: Vec<Value> = APOLLO_SENIORITIES.iter().map(|s| json!(s)).collect();
    v.push(Value::Null);
    v
}

pub fn enrichment() -> Value {
    object(json!({
        "contact": {"anyOf": [person(), {"type": "null"}]},
        "executives": {"type": "array", "maxItems": 15, "items": person()},
        "organization": object(json!({
            "domain": nullable_string(),
            "website": nullable_string(),
            "industry": nullable_string(),
            "employees": {"type": ["integer", "null"], "minimum": 0},
            "revenue": {"type": ["number", "null"], "minimum": 0},
        })),
    }))
}

/// Voice script; `urls` are the research sources the reason may cite.
pub fn voice(urls: &[String]) -> Value {
    object(json!({
        "opener": {"type": "string", "minLength": 1},
        "reason": {"type": "string", "minLength": 1},
        "reason_source": cited_url(urls, true),
        "questions": {"type": "array", "minItems": 2, "maxItems": 2,
                      "items": {"type": "string", "minLength": 1}},
        "objections": {"type": "array", "minItems": 1, "maxItems": 3,
                       "items": object(json!({
                           "objection": {"type": "string", "minLength": 1},
                           "response": {"type": "string", "minLength": 1},
                       }))},
        "close": {"type": "string", "minLength": 1},
    }))
}

// ---- enrichment tools (parameters are JSON Schema objects) ----

pub fn tool_people_match() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Full name"},
            "email": {"type": "string"},
            "domain": {"type": "string", "description": "Company domain, e.g. acme.com"},
            "linkedin_url": {"type": "string"},
        },
        "additionalProperties": false,
    })
}

pub fn tool_organization_enrich() -> Value {
    json!({
        "type": "object",
        "properties": {"domain": {"type": "string"}},
        "required": ["domain"],
        "additionalProperties": false,
    })
}

pub fn tool_people_search() -> Value {
    json!({
        "type": "object",
        "properties": {
            "domain": {"type": "string"},
            "seniorities": {"type": "array", "items": {"type": "string", "enum": APOLLO_SENIORITIES}},
            "titles": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["domain"],
        "additionalProperties": false,
    })
}

pub fn tool_email_finder() -> Value {
    json!({
        "type": "object",
        "properties": {
            "domain": {"type": "string"},
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
        },
        "required": ["domain", "first_name", "last_name"],
        "additionalProperties": false,
    })
}

pub fn tool_email_verifier() -> Value {
    json!({
        "type": "object",
        "properties": {"email": {"type": "string"}},
        "required": ["email"],
        "additionalProperties": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use atl_providers::schema_check::validate;

    #[test]
    fn cited_urls_are_enforced_by_the_schema() {
        let urls = vec!["https://a.example/".to_string()];
        let s = research(&urls);
        let ok = json!({"overview": null, "industry": null, "headquarters": null,
            "employee_range": null, "market_position": null,
            "signals": {"hiring": null, "funding": null, "launches": null},
            "recent_news": [{"title": "t", "date": null, "url": "https://a.example/", "summary": "s"}],
            "sources": ["https://a.example/"]});
        assert!(validate(&s, &ok).is_empty(), "{:?}", validate(&s, &ok));
        let mut bad = ok.clone();
        bad["recent_news"][0]["url"] = json!("https://made-up.example/");
        assert!(!validate(&s, &bad).is_empty());
        // No URL fetched: no news can be cited at all.
        let none = research(&[]);
        assert!(!validate(&none, &ok).is_empty());
    }

    #[test]
    fn voice_wants_exactly_two_questions() {
        let s = voice(&[]);
        let mut v = json!({"opener": "Hi", "reason": "r", "reason_source": null,
            "questions": ["a", "b"], "objections": [{"objection": "o", "response": "r"}], "close": "c"});
        assert!(validate(&s, &v).is_empty());
        v["questions"] = json!(["a"]);
        assert!(!validate(&s, &v).is_empty());
    }
}
