//! A small JSON Schema validator for model output: the subset our output schemas use.
//!
//! Supported: `type` (one name or a list, so `["string", "null"]` is nullable), OpenAPI's
//! `nullable: true`, `enum`, `const`, `properties`, `required`, `additionalProperties`
//! (`false` or a schema), `items`, `minItems`, `maxItems`, `minLength`, `maxLength`,
//! `minimum`, `maximum`, `anyOf`/`oneOf` (both read as "any branch fits"), and boolean
//! schemas. Anything else (`$ref`, `pattern`, `format`, …) is accepted without a check:
//! the validator is here to catch a model's mistakes, not to be a full implementation.

use serde_json::{Map, Value};
use std::fmt;

/// Stop collecting after this many: the first few are what a model needs to hear.
const MAX_VIOLATIONS: usize = 20;

/// One way the instance does not fit, with a JSONPath-like location (`$.contact.email`,
/// `$.executives[2]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every violation of `schema` by `instance` (at most [`MAX_VIOLATIONS`]); empty when it
/// fits.
pub fn validate(schema: &Value, instance: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    check(schema, instance, &mut String::from("$"), &mut out);
    out
}

/// The first `n` violations as one line, for error messages and model feedback.
pub fn describe(violations: &[Violation], n: usize) -> String {
    let mut s = violations
        .iter()
        .take(n)
        .map(Violation::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    if violations.len() > n {
        s.push_str(&format!(" (and {} more)", violations.len() - n));
    }
    s
}

/// The schema's bounds `min_key` and `max_key` (read by `read`) that `x` breaks: (the
/// minimum it is below, the maximum it is above).
fn broken_bounds<T: PartialOrd>(
    s: &Map<String, Value>,
    (min_key, max_key): (&str, &str),
    x: T,
    read: fn(&Value) -> Option<T>,
) -> (Option<T>, Option<T>) {
    let min = s.get(min_key).and_then(read).filter(|min| x < *min);
    let max = s.get(max_key).and_then(read).filter(|max| x > *max);
    (min, max)
}

fn push(out: &mut Vec<Violation>, path: &str, message: String) {
    if out.len() < MAX_VIOLATIONS {
        out.push(Violation {
            path: path.to_owned(),
            message,
        });
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(v: &Value, ty: &str) -> bool {
    match (ty, v) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("string", Value::String(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_))
        | ("number", Value::Number(_)) => true,
        // 3.0 is an integer in JSON Schema; models sometimes write it so.
        ("integer", Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

fn check(schema: &Value, v: &Value, path: &mut String, out: &mut Vec<Violation>) {
    if out.len() >= MAX_VIOLATIONS {
        return;
    }
    let s = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => return push(out, path, "no value is allowed here".into()),
        Value::Object(s) => s,
        _ => return, // not a schema: nothing to check against
    };

    if v.is_null() && s.get("nullable").and_then(Value::as_bool) == Some(true) {
        return;
    }
    if let Some(t) = s.get("type") {
        let allowed: Vec<&str> = match t {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !allowed.is_empty() && !allowed.iter().any(|ty| has_type(v, ty)) {
            let want = allowed.join(" or ");
            return push(out, path, format!("expected {want}, got {}", type_name(v)));
        }
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        let list = options
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        push(out, path, format!("{v} is not one of [{list}]"));
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        push(out, path, format!("expected {c}, got {v}"));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = s.get(key).and_then(Value::as_array)
            && !branches.is_empty()
            && !branches.iter().any(|b| validate_at(b, v, path).is_empty())
        {
            push(out, path, format!("fits none of the {key} alternatives"));
        }
    }

    match v {
        Value::Object(obj) => check_object(s, obj, path, out),
        Value::Array(items) => check_array(s, items, path, out),
        Value::String(text) => {
            let n = text.chars().count() as u64;
            let (min, max) = broken_bounds(s, ("minLength", "maxLength"), n, Value::as_u64);
            if let Some(min) = min {
                push(out, path, format!("shorter than {min} characters"));
            }
            if let Some(max) = max {
                push(out, path, format!("longer than {max} characters"));
            }
        }
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            let (min, max) = broken_bounds(s, ("minimum", "maximum"), x, Value::as_f64);
            if let Some(min) = min {
                push(out, path, format!("{n} is below the minimum {min}"));
            }
            if let Some(max) = max {
                push(out, path, format!("{n} is above the maximum {max}"));
            }
        }
        _ => {}
    }
}

/// Validate a sub-instance from a given path (for `anyOf` branches).
fn validate_at(schema: &Value, v: &Value, path: &str) -> Vec<Violation> {
    let mut out = Vec::new();
    check(schema, v, &mut path.to_owned(), &mut out);
    out
}

fn check_object(
    s: &Map<String, Value>,
    obj: &Map<String, Value>,
    path: &mut String,
    out: &mut Vec<Violation>,
) {
    if let Some(required) = s.get("required").and_then(Value::as_array) {
        for name in required.iter().filter_map(Value::as_str) {
            if !obj.contains_key(name) {
                push(out, path, format!("missing required property {name:?}"));
            }
        }
    }
    let props = s.get("properties").and_then(Value::as_object);
    let additional = s.get("additionalProperties");
    for (name, value) in obj {
        let len = path.len();
        path.push('.');
        path.push_str(name);
        match (props.and_then(|p| p.get(name)), additional) {
            (Some(sub), _) => check(sub, value, path, out),
            (None, Some(Value::Bool(false))) => {
                push(out, path, "property not allowed by the schema".into())
            }
            (None, Some(sub @ Value::Object(_))) => check(sub, value, path, out),
            _ => {}
        }
        path.truncate(len);
    }
}

fn check_array(
    s: &Map<String, Value>,
    items: &[Value],
    path: &mut String,
    out: &mut Vec<Violation>,
) {
    let n = items.len() as u64;
    let (min, max) = broken_bounds(s, ("minItems", "maxItems"), n, Value::as_u64);
    if let Some(min) = min {
        push(out, path, format!("has {n} items, at least {min} required"));
    }
    if let Some(max) = max {
        push(out, path, format!("has {n} items, at most {max} allowed"));
    }
    if let Some(item_schema) = s.get("items") {
        for (i, item) in items.iter().enumerate() {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            check(item_schema, item, path, out);
            path.truncate(len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contact_schema() -> Value {
        json!({
            "type": "object",
            "required": ["name", "seniority", "emails"],
            "additionalProperties": false,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "seniority": {"type": "string", "enum": ["c_suite", "vp", "director"]},
                "phone": {"type": ["string", "null"]},
                "age": {"type": "integer", "minimum": 18},
                "score": {"type": "number", "maximum": 1},
                "verified": {"type": "boolean"},
                "emails": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}},
                "org": {"type": "object", "nullable": true, "required": ["domain"],
                        "properties": {"domain": {"type": "string"}}}
            }
        })
    }

    fn paths(v: &[Violation]) -> Vec<&str> {
        v.iter().map(|x| x.path.as_str()).collect()
    }

    #[test]
    fn a_fitting_instance_has_no_violations() {
        let ok = json!({"name": "Jane", "seniority": "vp", "phone": null, "age": 40, "score": 0.5,
                        "verified": true, "emails": ["j@acme.com"], "org": null});
        assert_eq!(validate(&contact_schema(), &ok), vec![]);
        let ok = json!({"name": "Jane", "seniority": "vp", "emails": ["a", "b"], "age": 30.0,
                        "org": {"domain": "acme.com"}});
        assert_eq!(validate(&contact_schema(), &ok), vec![]);
    }

    #[test]
    fn each_keyword_reports_its_violation_with_a_path() {
        let bad = json!({"seniority": "ceo", "phone": 5, "age": 17.5, "score": 2, "verified": "yes",
                         "emails": [], "org": {"x": 1}, "extra": true});
        let v = validate(&contact_schema(), &bad);
        let p = paths(&v);
        assert!(
            v.iter()
                .any(|x| x.path == "$" && x.message.contains("\"name\"")),
            "{v:?}"
        );
        assert!(p.contains(&"$.seniority"), "enum: {v:?}");
        assert!(v.iter().any(|x| x.path == "$.phone" && x.message == "expected string or null, got integer"));
        assert!(p.contains(&"$.age"), "integer: {v:?}");
        assert!(
            v.iter()
                .any(|x| x.path == "$.score" && x.message.contains("maximum"))
        );
        assert!(p.contains(&"$.verified"));
        assert!(
            v.iter()
                .any(|x| x.path == "$.emails" && x.message.contains("at least 1"))
        );
        assert!(
            v.iter()
                .any(|x| x.path == "$.org" && x.message.contains("\"domain\""))
        );
        assert!(
            v.iter()
                .any(|x| x.path == "$.extra" && x.message.contains("not allowed"))
        );
    }

    #[test]
    fn arrays_check_items_and_max() {
        let s = json!({"type": "array", "maxItems": 2, "items": {"type": "object", "required": ["url"]}});
        let v = validate(&s, &json!([{"url": "a"}, {}, {"url": 1}]));
        assert_eq!(paths(&v), vec!["$", "$[1]"]);
        assert!(v[0].message.contains("at most 2"));
    }

    #[test]
    fn wrong_top_level_type_and_any_of() {
        assert_eq!(
            validate(&json!({"type": "object"}), &json!([1]))[0].message,
            "expected object, got array"
        );
        let s = json!({"anyOf": [{"type": "string"}, {"type": "null"}]});
        assert!(validate(&s, &json!(null)).is_empty());
        assert!(validate(&s, &json!("x")).is_empty());
        assert_eq!(validate(&s, &json!(3)).len(), 1);
        assert!(validate(&json!(true), &json!(3)).is_empty());
        assert_eq!(validate(&json!(false), &json!(3)).len(), 1);
        assert!(
            validate(&json!({"const": "a"}), &json!("b"))[0]
                .message
                .contains("expected")
        );
    }

    #[test]
    fn violations_are_bounded_and_described() {
        let s = json!({"type": "array", "items": {"type": "string"}});
        let v = validate(&s, &json!((0..100).collect::<Vec<_>>()));
        assert_eq!(v.len(), MAX_VIOLATIONS);
        let d = describe(&v, 2);
        assert!(
            d.starts_with("$[0]: expected string, got integer; $[1]:"),
            "{d}"
        );
        assert!(d.ends_with("(and 18 more)"), "{d}");
    }
}
