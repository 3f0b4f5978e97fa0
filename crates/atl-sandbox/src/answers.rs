//! How language models get JSON answers wrong, applied to a schema-valid answer when a
//! knob asks for it (by default answers stay valid):
//!
//! * **schema misses** in JSON mode, one kind at a time: an undeclared key, a nullable
//!   field left out, an array one item past its `maxItems`, a number sent as a string
//!   with thousands separators (`"1,000"`), or the JSON inside a ```` ```json ```` fence
//!   with a sentence of prose before and after;
//! * **uncited** claims: every citation field (`source`, `source_url`, `url`, `sources`,
//!   `evidence_url`, …) emptied while the claims stay;
//! * **other people**: every field that holds a person's name names someone else,
//!   plausibly — models do name people no tool found.

use crate::state::{Extra, Extras};
use crate::synth::{self, Rng};
use serde_json::{Map, Value, json};

const CITATION_KEYS: &[&str] = &[
    "source",
    "sources",
    "source_url",
    "source_urls",
    "url",
    "urls",
    "evidence_url",
    "evidence_urls",
    "citation",
    "citations",
];

/// Parents under which a `name` is a person's.
const PERSON_CONTEXT: &[&str] = &[
    "contact",
    "person",
    "people",
    "executive",
    "leader",
    "ceo",
    "founder",
    "team",
    "member",
    "decision",
    "champion",
    "buyer",
    "stakeholder",
    "employee",
    "staff",
];

const PERSON_KEYS: &[&str] = &[
    "full_name",
    "contact_name",
    "person_name",
    "ceo",
    "ceo_name",
    "founder",
    "founder_name",
    "decision_maker",
    "champion",
];

/// The ways an answer can miss its schema, in the order they are applied (the mix picks
/// one of those that apply).
const SCHEMA_MISSES: [Extra; 5] = [
    Extra::UndeclaredKey,
    Extra::MissingNullable,
    Extra::TooManyItems,
    Extra::NumberAsString,
    Extra::Fenced,
];

/// The final text of a JSON answer: `value` (valid for `schema`) with whatever
/// `extras` ask for applied.
pub(crate) fn shape(mut value: Value, schema: Option<&Value>, extras: Extras, seed: u64) -> String {
    let mut rng = Rng::new(seed ^ 0xa115);
    if extras.has(Extra::Uncited) {
        uncite(&mut value);
    }
    if extras.has(Extra::OtherPerson) {
        rename_people(&mut value, &mut Vec::new(), &mut rng);
    }
    let root = schema.unwrap_or(&Value::Null);
    let mut kinds: Vec<Extra> = SCHEMA_MISSES
        .into_iter()
        .filter(|k| extras.has(*k))
        .collect();
    if extras.has(Extra::SchemaMix) {
        let possible: Vec<Extra> = SCHEMA_MISSES
            .into_iter()
            .filter(|k| applies(*k, &value, root))
            .collect();
        if !possible.is_empty() {
            kinds.push(*rng.pick(&possible));
        }
    }
    for k in &kinds {
        match k {
            Extra::UndeclaredKey => add_extra_key(&mut value, root),
            Extra::MissingNullable => drop_nullable(&mut value, root),
            Extra::TooManyItems => overfill(&mut value, root),
            Extra::NumberAsString => stringify_number(&mut value),
            _ => {}
        }
    }
    let text = value.to_string();
    if kinds.contains(&Extra::Fenced) {
        format!(
            "Here is the JSON you asked for, based on what I found:\n```json\n{text}\n```\nLet me know if you would like me to dig deeper into any of these points."
        )
    } else {
        text
    }
}

fn applies(kind: Extra, value: &Value, root: &Value) -> bool {
    match kind {
        Extra::UndeclaredKey => value.is_object(),
        Extra::MissingNullable => nullable_or_required(value, root, root).is_some(),
        Extra::TooManyItems => capped_array(value, root, root, String::new()).is_some(),
        Extra::NumberAsString => largest_number(value, String::new()).is_some(),
        _ => true,
    }
}

fn resolve<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..8 {
        match s
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(ptr) => match root.pointer(ptr) {
                Some(t) => s = t,
                None => return s,
            },
            None => return s,
        }
    }
    s
}

/// The branch of an `anyOf`/`oneOf` that describes `value`'s shape.
fn shape_of<'a>(root: &'a Value, s: &'a Value, value: &Value) -> &'a Value {
    let s = resolve(root, s);
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = s.get(key).and_then(Value::as_array) {
            let want = match value {
                Value::Object(_) => "object",
                Value::Array(_) => "array",
                _ => "",
            };
            if let Some(b) = branches
                .iter()
                .map(|b| resolve(root, b))
                .find(|b| b.get("type").and_then(Value::as_str) == Some(want))
            {
                return b;
            }
        }
    }
    s
}

fn is_nullable(root: &Value, s: &Value) -> bool {
    let s = resolve(root, s);
    let type_null = match s.get("type") {
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        Some(Value::String(t)) => t == "null",
        _ => false,
    };
    let branch_null = ["anyOf", "oneOf"].iter().any(|k| {
        s.get(*k).and_then(Value::as_array).is_some_and(|bs| {
            bs.iter()
                .any(|b| resolve(root, b).get("type") == Some(&json!("null")))
        })
    });
    type_null || branch_null || s.get("nullable") == Some(&Value::Bool(true))
}

/// (object pointer, key) of the first nullable property present; else of the first
/// required one at the top level.
fn nullable_or_required(value: &Value, s: &Value, root: &Value) -> Option<(String, String)> {
    fn walk(value: &Value, s: &Value, root: &Value, ptr: &str) -> Option<(String, String)> {
        let s = shape_of(root, s, value);
        match value {
            Value::Object(map) => {
                let props = s.get("properties").and_then(Value::as_object)?;
                for (k, sub) in props {
                    if map.contains_key(k) && is_nullable(root, sub) {
                        return Some((ptr.to_string(), k.clone()));
                    }
                }
                for (k, sub) in props {
                    if let Some(child) = map.get(k)
                        && let Some(hit) = walk(child, sub, root, &format!("{ptr}/{}", escape(k)))
                    {
                        return Some(hit);
                    }
                }
                None
            }
            Value::Array(items) => {
                let item_schema = s.get("items")?;
                items
                    .iter()
                    .enumerate()
                    .find_map(|(i, v)| walk(v, item_schema, root, &format!("{ptr}/{i}")))
            }
            _ => None,
        }
    }
    walk(value, s, root, "").or_else(|| {
        let required = resolve(root, s).get("required").and_then(Value::as_array)?;
        let key = required
            .iter()
            .filter_map(Value::as_str)
            .find(|k| value.get(*k).is_some())?;
        Some((String::new(), key.to_string()))
    })
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn drop_nullable(value: &mut Value, root: &Value) {
    if let Some((ptr, key)) = nullable_or_required(value, root, root)
        && let Some(Value::Object(map)) = value.pointer_mut(&ptr)
    {
        map.remove(&key);
    }
}

fn add_extra_key(value: &mut Value, root: &Value) {
    let declared = resolve(root, root)
        .get("properties")
        .and_then(Value::as_object);
    if let Value::Object(map) = value {
        let key = ["notes", "analysis_notes", "extra_context", "x_notes"]
            .into_iter()
            .find(|k| !map.contains_key(*k) && declared.is_none_or(|d| !d.contains_key(*k)))
            .unwrap_or("x_sandbox_extra");
        map.insert(
            key.to_string(),
            json!("[synthetic] An aside the schema did not ask for."),
        );
    }
}

/// (array pointer, maxItems) of the first array whose schema caps its length.
fn capped_array(value: &Value, s: &Value, root: &Value, ptr: String) -> Option<(String, usize)> {
    let s = shape_of(root, s, value);
    match value {
        Value::Array(items) => {
            if let Some(max) = s.get("maxItems").and_then(Value::as_u64) {
                return Some((ptr, max as usize));
            }
            let item_schema = s.get("items")?;
            items
                .iter()
                .enumerate()
                .find_map(|(i, v)| capped_array(v, item_schema, root, format!("{ptr}/{i}")))
        }
        Value::Object(map) => {
            let props = s.get("properties").and_then(Value::as_object)?;
            props.iter().find_map(|(k, sub)| {
                capped_array(map.get(k)?, sub, root, format!("{ptr}/{}", escape(k)))
            })
        }
        _ => None,
    }
}

fn overfill(value: &mut Value, root: &Value) {
    let Some((ptr, max)) = capped_array(value, root, root, String::new()) else {
        return;
    };
    if let Some(Value::Array(items)) = value.pointer_mut(&ptr) {
        let template = items.last().cloned().unwrap_or(Value::Null);
        while items.len() <= max {
            items.push(template.clone());
        }
    }
}

/// Pointer of the number with the largest magnitude.
fn largest_number(value: &Value, ptr: String) -> Option<(String, f64)> {
    match value {
        Value::Number(n) => n.as_f64().map(|x| (ptr, x.abs())),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| largest_number(v, format!("{ptr}/{i}")))
            .max_by(|a, b| a.1.total_cmp(&b.1)),
        Value::Object(map) => map
            .iter()
            .filter_map(|(k, v)| largest_number(v, format!("{ptr}/{}", escape(k))))
            .max_by(|a, b| a.1.total_cmp(&b.1)),
        _ => None,
    }
}

/// `1234567` → `"1,234,567"`, `1234.5` → `"1,234.5"`.
fn with_separators(n: &serde_json::Number) -> String {
    let text = n.to_string();
    let (sign, rest) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

fn stringify_number(value: &mut Value) {
    if let Some((ptr, _)) = largest_number(value, String::new())
        && let Some(slot) = value.pointer_mut(&ptr)
        && let Value::Number(n) = slot
    {
        *slot = Value::String(with_separators(n));
    }
}

fn uncite(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if CITATION_KEYS.contains(&k.to_ascii_lowercase().as_str()) {
                    *v = if v.is_array() { json!([]) } else { Value::Null };
                } else {
                    uncite(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(uncite),
        _ => {}
    }
}

fn rename_people(value: &mut Value, path: &mut Vec<String>, rng: &mut Rng) {
    match value {
        Value::Object(map) => rename_in(map, path, rng),
        Value::Array(items) => {
            for v in items {
                rename_people(v, path, rng);
            }
        }
        _ => {}
    }
}

fn rename_in(map: &mut Map<String, Value>, path: &mut Vec<String>, rng: &mut Rng) {
    let in_person = path.iter().any(|p| {
        PERSON_CONTEXT
            .iter()
            .any(|c| p.to_ascii_lowercase().contains(c))
    });
    for (k, v) in map.iter_mut() {
        let key = k.to_ascii_lowercase();
        if let Value::String(s) = v {
            let person_field = PERSON_KEYS.contains(&key.as_str()) || (in_person && key == "name");
            if person_field && !s.trim().is_empty() {
                *s = someone_else(s, rng);
            } else if in_person && key == "first_name" {
                *s = different(s, synth::FIRST_NAMES, rng);
            } else if in_person && key == "last_name" {
                *s = different(s, synth::LAST_NAMES, rng);
            }
            continue;
        }
        path.push(key);
        rename_people(v, path, rng);
        path.pop();
    }
}

fn different(current: &str, pool: &[&'static str], rng: &mut Rng) -> String {
    let mut pick: &str = rng.pick::<&str>(pool);
    for _ in 0..8 {
        if !pick.eq_ignore_ascii_case(current) {
            break;
        }
        pick = *rng.pick(pool);
    }
    pick.to_string()
}

/// A plausible full name that is not `current`.
fn someone_else(current: &str, rng: &mut Rng) -> String {
    let mut words = current.split_whitespace();
    let first = words.next().unwrap_or("");
    let last = words.last().unwrap_or("");
    format!(
        "{} {}",
        different(first, synth::FIRST_NAMES, rng),
        different(last, synth::LAST_NAMES, rng)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_pointers() {
        let n = |v: Value| match v {
            Value::Number(n) => with_separators(&n),
            _ => String::new(),
        };
        assert_eq!(n(json!(1000)), "1,000");
        assert_eq!(n(json!(1234567)), "1,234,567");
        assert_eq!(n(json!(-98765.5)), "-98,765.5");
        assert_eq!(n(json!(999)), "999");
        let mut v = json!({"a/b": {"n": 5}, "m": 20000});
        stringify_number(&mut v);
        assert_eq!(v["m"], "20,000");
        assert_eq!(escape("a/b"), "a~1b");
    }
}
