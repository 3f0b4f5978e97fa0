//! Output schemas, used twice: sent as the request's `json_schema` (so the provider
//! constrains or at least sees the shape) and checked on the reply by the structured
//! output helper, which repairs trivial misses first.
//!
//! They follow OpenAI's strict subset: every object lists all its properties as
//! required and forbids others; optional values are nullable instead. Fields that cite a
//! source take an `enum` of the URLs in this run's evidence pack (or null, which means
//! "from my own knowledge"), so a constrained model cannot even write another one — and
//! the agent still re-checks every URL against the pack.

use atl_domain::records::SignalKind;
use serde_json::{Value, json};

/// A reply's string field, trimmed, when it says something.
pub(crate) fn text_of(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

fn nullable_string() -> Value {
    json!({"type": ["string", "null"]})
}

/// A URL that must be one of `urls` or null.
fn cited_url(urls: &[String]) -> Value {
    if urls.is_empty() {
        return json!({"type": "null"});
    }
    let mut options: Vec<Value> = urls.iter().map(|u| json!(u)).collect();
    options.push(Value::Null);
    json!({"type": ["string", "null"], "enum": options})
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

/// A claim: its text and the URL it rests on (null: the model's own knowledge).
fn claim(urls: &[String]) -> Value {
    object(json!({
        "text": nullable_string(),
        "source_url": cited_url(urls),
    }))
}

fn list(items: Value, max: usize) -> Value {
    json!({"type": "array", "items": items, "maxItems": max})
}

/// Research brief; `urls` are the pack's URLs.
pub fn research(urls: &[String]) -> Value {
    let news_item = object(json!({
        "title": {"type": "string"},
        "date": nullable_string(),
        "url": cited_url(urls),
        "summary": {"type": "string"},
    }));
    let kinds: Vec<&str> = SignalKind::ALL.iter().map(|k| k.as_str()).collect();
    let signal = object(json!({
        "kind": {"type": "string", "enum": kinds},
        "text": {"type": "string"},
        "date": nullable_string(),
        "url": cited_url(urls),
    }));
    let max_news = if urls.is_empty() { 0 } else { 5 };
    object(json!({
        "overview": claim(urls),
        "industry": claim(urls),
        "headquarters": claim(urls),
        "employee_range": claim(urls),
        "market_position": claim(urls),
        "recent_news": list(news_item, max_news),
        "signals": list(signal, max_news),
    }))
}

/// Competitive analysis; `urls` are the pack's URLs.
pub fn intel(urls: &[String]) -> Value {
    object(json!({
        "competitors": list(object(json!({
            "name": {"type": "string", "minLength": 1},
            "domain": nullable_string(),
            "why": {"type": "string"},
            "source_url": cited_url(urls),
        })), 6),
        "positioning": claim(urls),
        "differentiation_opportunities": list(claim(urls), 5),
    }))
}

/// Voice script; `urls` are the fresh, sourced reasons the call may give.
pub fn voice(urls: &[String]) -> Value {
    object(json!({
        "opener": {"type": "string", "minLength": 1},
        "reason": {"type": "string", "minLength": 1},
        "reason_source": cited_url(urls),
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

#[cfg(test)]
mod tests {
    use super::*;
    use atl_providers::schema_check::validate;

    fn empty_claim() -> Value {
        json!({"text": null, "source_url": null})
    }

    #[test]
    fn cited_urls_are_enforced_by_the_schema() {
        let urls = vec!["https://a.example/".to_string()];
        let s = research(&urls);
        let ok = json!({"overview": {"text": "o", "source_url": "https://a.example/"},
            "industry": empty_claim(), "headquarters": empty_claim(),
            "employee_range": empty_claim(), "market_position": empty_claim(),
            "recent_news": [{"title": "t", "date": null, "url": "https://a.example/", "summary": "s"}],
            "signals": [{"kind": "funding", "text": "raised", "date": "2026-01-02", "url": null}]});
        assert!(validate(&s, &ok).is_empty(), "{:?}", validate(&s, &ok));
        let mut bad = ok.clone();
        bad["recent_news"][0]["url"] = json!("https://made-up.example/");
        assert!(!validate(&s, &bad).is_empty());
        let mut bad = ok.clone();
        bad["overview"]["source_url"] = json!("https://made-up.example/");
        assert!(!validate(&s, &bad).is_empty());
        // Nothing read: no claim can cite anything, no news can be listed.
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

    #[test]
    fn intel_competitors_cite_the_pack_or_nothing() {
        let urls = vec!["https://a.example/".to_string()];
        let v = json!({"competitors": [{"name": "Rival", "domain": "rival.com", "why": "w",
                                          "source_url": null}],
                       "positioning": empty_claim(), "differentiation_opportunities": []});
        assert!(validate(&intel(&urls), &v).is_empty());
    }
}
