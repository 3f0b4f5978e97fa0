//! A deterministic repair pass over a model's JSON against the schema it was asked to
//! fit, run before the reply is judged invalid. Each change is one a model commonly gets
//! wrong and the schema makes unambiguous:
//!
//! - keys the schema forbids (`additionalProperties: false`) are dropped;
//! - missing properties whose schema accepts `null` are added as `null`;
//! - arrays longer than `maxItems` are cut to it;
//! - numbers written as strings become numbers (`"1,000"` → 1000, `"12"` → 12,
//!   `"3.5"` → 3.5) where the schema wants a number, and numbers become strings where it
//!   wants a string;
//! - an enum value that matches exactly one option but for case and surrounding space
//!   becomes that option.
//!
//! Nothing else is touched (no value is invented, no branch of an `anyOf` guessed), and
//! every change is reported so the caller can log it.

use serde_json::{Map, Number, Value};
use std::fmt;

/// One change the repair pass made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// Where, as a JSONPath-like location (`$.contacts[0].employees`).
    pub path: String,
    pub change: String,
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.change)
    }
}

/// Repair `value` in place against `schema`; returns what was changed.
pub fn repair(schema: &Value, value: &mut Value) -> Vec<Repair> {
    let mut out = Vec::new();
    walk(schema, value, &mut String::from("$"), &mut out);
    out
}

fn types(s: &Map<String, Value>) -> Vec<&str> {
    match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn accepts_null(schema: &Value) -> bool {
    match schema {
        Value::Bool(b) => *b,
        Value::Object(s) => {
            s.get("nullable").and_then(Value::as_bool) == Some(true)
                || types(s).contains(&"null")
                || s.get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|e| e.contains(&Value::Null))
        }
        _ => false,
    }
}

fn note(out: &mut Vec<Repair>, path: &str, change: String) {
    out.push(Repair {
        path: path.to_owned(),
        change,
    });
}

fn walk(schema: &Value, v: &mut Value, path: &mut String, out: &mut Vec<Repair>) {
    let Value::Object(s) = schema else { return };
    let ts = types(s);
    coerce_scalar(&ts, v, path, out);
    fold_enum(s, v, path, out);
    match v {
        Value::Object(obj) => walk_object(s, obj, path, out),
        Value::Array(items) => {
            if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
                && items.len() as u64 > max
            {
                note(
                    out,
                    path,
                    format!("cut from {} items to the {max} allowed", items.len()),
                );
                items.truncate(max as usize);
            }
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(item_schema, item, path, out);
                    path.truncate(len);
                }
            }
        }
        _ => {}
    }
}

fn walk_object(
    s: &Map<String, Value>,
    obj: &mut Map<String, Value>,
    path: &mut String,
    out: &mut Vec<Repair>,
) {
    let props = s.get("properties").and_then(Value::as_object);
    if s.get("additionalProperties") == Some(&Value::Bool(false)) {
        let unknown: Vec<String> = obj
            .keys()
            .filter(|k| !props.is_some_and(|p| p.contains_key(*k)))
            .cloned()
            .collect();
        for k in unknown {
            obj.remove(&k);
            note(
                out,
                path,
                format!("dropped {k:?}, which the schema does not allow"),
            );
        }
    }
    let Some(props) = props else { return };
    for (name, sub) in props {
        let len = path.len();
        path.push('.');
        path.push_str(name);
        match obj.get_mut(name) {
            Some(value) => walk(sub, value, path, out),
            None if accepts_null(sub) => {
                obj.insert(name.clone(), Value::Null);
                note(out, path, "added as null".into());
            }
            None => {}
        }
        path.truncate(len);
    }
}

/// A number where the schema wants a string, or a numeric string where it wants a
/// number; only when the value's own type is not accepted.
fn coerce_scalar(ts: &[&str], v: &mut Value, path: &str, out: &mut Vec<Repair>) {
    let wants = |t: &str| ts.contains(&t);
    let replacement = match &*v {
        Value::String(text) if !wants("string") && (wants("number") || wants("integer")) => {
            parse_number(text, wants("number"))
        }
        Value::Number(n) if !wants("number") && !wants("integer") && wants("string") => {
            Some(Value::String(n.to_string()))
        }
        _ => None,
    };
    if let Some(new) = replacement {
        note(out, path, format!("{v} → {new}"));
        *v = new;
    }
}

/// `"1,000"` → 1000, `" 12 "` → 12, `"3.5"` → 3.5 (only when `fractions` are allowed).
fn parse_number(text: &str, fractions: bool) -> Option<Value> {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',').collect();
    if cleaned.is_empty() {
        return None;
    }
    if let Ok(i) = cleaned.parse::<i64>() {
        return Some(Value::Number(i.into()));
    }
    if let Ok(u) = cleaned.parse::<u64>() {
        return Some(Value::Number(u.into()));
    }
    let f = cleaned.parse::<f64>().ok().filter(|f| f.is_finite())?;
    if fractions || f.fract() == 0.0 {
        Number::from_f64(f).map(Value::Number)
    } else {
        None
    }
}

fn fold_enum(s: &Map<String, Value>, v: &mut Value, path: &str, out: &mut Vec<Repair>) {
    let (Some(options), Value::String(text)) = (s.get("enum").and_then(Value::as_array), &*v)
    else {
        return;
    };
    if options.contains(v) {
        return;
    }
    let wanted = text.trim().to_lowercase();
    let mut matches = options
        .iter()
        .filter(|o| o.as_str().is_some_and(|o| o.to_lowercase() == wanted));
    if let (Some(only), None) = (matches.next(), matches.next()) {
        note(out, path, format!("{v} → {only}"));
        *v = only.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema_check::validate;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["name", "employees", "seniority", "phone", "emails"],
            "properties": {
                "name": {"type": "string"},
                "employees": {"type": "integer"},
                "revenue": {"type": "number"},
                "zip": {"type": "string"},
                "seniority": {"type": "string", "enum": ["c_suite", "vp", "director"]},
                "phone": {"type": ["string", "null"]},
                "note": {"type": "string"},
                "emails": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
                "people": {"type": "array", "items": {
                    "type": "object", "additionalProperties": false,
                    "properties": {"age": {"type": "integer"}}
                }}
            }
        })
    }

    /// A reply in, the repaired reply and the places changed out.
    fn check(input: Value, expected: Value, changed: &[&str]) {
        let mut v = input.clone();
        let repairs = repair(&schema(), &mut v);
        assert_eq!(v, expected, "from {input}");
        let paths: Vec<&str> = repairs.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, changed, "from {input}: {repairs:?}");
    }

    #[test]
    fn each_repair() {
        let ok = json!({"name": "Acme", "employees": 910, "seniority": "vp", "phone": null, "emails": []});
        check(ok.clone(), ok.clone(), &[]);
        // Unknown keys dropped, at the top and inside items.
        let mut with_extra = ok.clone();
        with_extra["confidence"] = json!(0.9);
        with_extra["people"] = json!([{"age": 40, "why": "x"}]);
        let mut want = ok.clone();
        want["people"] = json!([{"age": 40}]);
        check(with_extra, want, &["$", "$.people[0]"]);
        // A missing nullable field is added as null; a missing non-nullable one is left.
        let mut no_phone = ok.clone();
        no_phone.as_object_mut().unwrap().remove("phone");
        check(no_phone, ok.clone(), &["$.phone"]);
        // Numbers written as strings, and the reverse.
        let mut strings = ok.clone();
        strings["employees"] = json!("1,000");
        strings["revenue"] = json!("3.5");
        strings["zip"] = json!(94107);
        let mut want = ok.clone();
        want["employees"] = json!(1000);
        want["revenue"] = json!(3.5);
        want["zip"] = json!("94107");
        check(strings, want, &["$.employees", "$.revenue", "$.zip"]);
        // Not a number, or a fraction for an integer: left for the validator to report.
        let mut bad = ok.clone();
        bad["employees"] = json!("about 900");
        check(bad.clone(), bad, &[]);
        let mut frac = ok.clone();
        frac["employees"] = json!("12.5");
        check(frac.clone(), frac, &[]);
        // Enums by case, when one option matches.
        let mut shout = ok.clone();
        shout["seniority"] = json!(" VP ");
        check(shout, ok.clone(), &["$.seniority"]);
        // Arrays cut to maxItems.
        let mut many = ok.clone();
        many["emails"] = json!(["a", "b", "c"]);
        let mut want = ok.clone();
        want["emails"] = json!(["a", "b"]);
        check(many, want, &["$.emails"]);
    }

    #[test]
    fn repaired_replies_validate_and_repairs_describe_themselves() {
        let mut v = json!({"name": "Acme", "employees": "12", "seniority": "Director",
                           "emails": ["a", "b", "c"], "extra": 1});
        assert!(!validate(&schema(), &v).is_empty());
        let repairs = repair(&schema(), &mut v);
        assert_eq!(validate(&schema(), &v), vec![]);
        let shown: Vec<String> = repairs.iter().map(Repair::to_string).collect();
        assert!(
            shown.contains(&"$.employees: \"12\" → 12".to_string()),
            "{shown:?}"
        );
        assert!(shown.contains(&"$.seniority: \"Director\" → \"director\"".to_string()));
        // Ambiguous case-folds are not guessed.
        let s = json!({"type": "string", "enum": ["VP", "vp"]});
        let mut v = json!("Vp");
        assert!(repair(&s, &mut v).is_empty());
    }
}
