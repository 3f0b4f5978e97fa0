//! Generate a JSON value that validates against a (practical subset of) JSON Schema.
//!
//! Supported: `type` (also as a list), `properties`/`required` (every property is
//! filled), `items`/`prefixItems`, `minItems`/`maxItems`, `enum`, `const`,
//! `anyOf`/`oneOf`/`allOf` (first usable branch), local `$ref` (`#/$defs/..`,
//! `#/definitions/..`), `minimum`/`maximum` (and exclusive), `minLength`/`maxLength`,
//! `format` (uri, date, date-time, email). Strings are chosen from the property name so
//! that `overview` reads like an overview, `linkedin_url` like a LinkedIn URL, and so on.

use crate::synth::{self, Rng, SYNTH_HOST, Subject};
use serde_json::{Map, Number, Value};

/// Deep schemas (or recursive `$ref`s) stop here with the simplest valid value.
const MAX_DEPTH: usize = 12;

pub struct Generator<'a> {
    root: &'a Value,
    subject: &'a Subject,
    rng: Rng,
}

impl<'a> Generator<'a> {
    pub fn new(root: &'a Value, subject: &'a Subject, seed: u64) -> Self {
        Generator {
            root,
            subject,
            rng: Rng::new(seed),
        }
    }

    pub fn generate(&mut self) -> Value {
        let root = self.root;
        self.value(root, &[], 0)
    }

    fn resolve(&self, schema: &'a Value) -> &'a Value {
        let mut s = schema;
        // Follow at most a few hops so a `$ref` cycle cannot loop.
        for _ in 0..8 {
            let Some(r) = s.get("$ref").and_then(Value::as_str) else {
                return s;
            };
            let Some(pointer) = r.strip_prefix('#') else {
                return s;
            };
            match self.root.pointer(pointer) {
                Some(target) => s = target,
                None => return s,
            }
        }
        s
    }

    fn value(&mut self, schema: &'a Value, path: &[&str], depth: usize) -> Value {
        let schema = self.resolve(schema);
        if let Some(c) = schema.get("const") {
            return c.clone();
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.is_empty()
        {
            let usable: Vec<&Value> = options.iter().filter(|v| !v.is_null()).collect();
            if usable.is_empty() {
                return Value::Null;
            }
            return (*self.rng.pick(&usable)).clone();
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array)
                && let Some(branch) = branches
                    .iter()
                    .find(|b| self.resolve(b).get("type").and_then(Value::as_str) != Some("null"))
                    .or_else(|| branches.first())
            {
                return self.value(branch, path, depth + 1);
            }
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array)
            && schema.get("type").is_none()
            && schema.get("properties").is_none()
        {
            return self.all_of(all, path, depth);
        }
        match type_of(schema) {
            "object" => self.object(schema, path, depth),
            "array" => self.array(schema, path, depth),
            "integer" => self.number(schema, path, true),
            "number" => self.number(schema, path, false),
            "boolean" => Value::Bool(
                path.last().is_some_and(|p| p.contains("synthetic")) || self.rng.below(2) == 0,
            ),
            "null" => Value::Null,
            _ => Value::String(self.string(schema, path)),
        }
    }

    /// Merge the object branches of `allOf` (the common "base + extension" pattern).
    fn all_of(&mut self, all: &'a [Value], path: &[&str], depth: usize) -> Value {
        let mut merged = Map::new();
        let mut first_non_object = None;
        for branch in all {
            match self.value(branch, path, depth + 1) {
                Value::Object(m) => merged.extend(m),
                other => {
                    first_non_object.get_or_insert(other);
                }
            }
        }
        if merged.is_empty() {
            first_non_object.unwrap_or(Value::Null)
        } else {
            Value::Object(merged)
        }
    }

    fn object(&mut self, schema: &'a Value, path: &[&str], depth: usize) -> Value {
        let mut out = Map::new();
        if depth >= MAX_DEPTH {
            return Value::Object(out);
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            let mut child: Vec<&str> = Vec::with_capacity(path.len() + 1);
            child.extend_from_slice(path);
            for (name, sub) in props {
                child.push(name.as_str());
                let v = self.value(sub, &child, depth + 1);
                child.pop();
                out.insert(name.clone(), v);
            }
        }
        Value::Object(out)
    }

    fn array(&mut self, schema: &'a Value, path: &[&str], depth: usize) -> Value {
        let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let max = schema
            .get("maxItems")
            .and_then(Value::as_u64)
            .unwrap_or(u64::MAX);
        let prefix = schema.get("prefixItems").and_then(Value::as_array);
        let want = 2 + self.rng.below(2);
        let n = if depth >= MAX_DEPTH {
            min
        } else {
            want.max(min).min(max).min(min.max(8))
        };
        let items = schema.get("items").filter(|i| i.is_object());
        // Items drawn from a fixed list (`enum`, e.g. "cite one of these URLs") must stay
        // verbatim: pick distinct members in a seeded rotation instead of decorating
        // generated text to make it unique.
        if prefix.is_none()
            && let Some(choices) = items
                .and_then(|i| i.get("enum"))
                .and_then(Value::as_array)
                .filter(|c| !c.is_empty())
        {
            let start = self.rng.below(choices.len() as u64) as usize;
            let take = (n as usize).min(choices.len()).max(min as usize);
            return Value::Array(
                (0..take)
                    .map(|i| choices[(start + i) % choices.len()].clone())
                    .collect(),
            );
        }
        let mut out = Vec::with_capacity(n as usize);
        for i in 0..n as usize {
            let item_schema = prefix.and_then(|p| p.get(i)).or(items);
            let v = match item_schema {
                Some(s) => self.value(s, path, depth + 1),
                None => Value::String(self.text_for(path)),
            };
            out.push(v);
        }
        // Arrays of strings must not repeat (`uniqueItems`, and repeated sources look broken).
        for (i, v) in out.iter_mut().enumerate().skip(1) {
            if let Value::String(s) = v
                && !s.starts_with("https://")
                && !s.contains('@')
                && is_free_text(schema.get("items"))
            {
                s.push_str(&format!(" ({})", i + 1));
            } else if let Value::String(s) = v
                && s.starts_with(SYNTH_HOST)
                && schema.get("items").is_none_or(|i| i.get("const").is_none())
            {
                s.push_str(&format!("-{}", i + 1));
            }
        }
        Value::Array(out)
    }

    fn number(&mut self, schema: &Value, path: &[&str], integer: bool) -> Value {
        let name = path.last().copied().unwrap_or("").to_ascii_lowercase();
        let unit_like = [
            "confidence",
            "score",
            "probability",
            "likelihood",
            "relevance",
            "weight",
        ]
        .iter()
        .any(|k| name.contains(k));
        let (dlo, dhi): (f64, f64) = if unit_like && !integer {
            (0.5, 0.95)
        } else if unit_like {
            (60.0, 95.0)
        } else if name.contains("employee") || name.contains("headcount") {
            (50.0, 5000.0)
        } else if name.contains("revenue") || name.contains("funding") {
            (1_000_000.0, 90_000_000.0)
        } else if name.contains("year") {
            (1995.0, 2020.0)
        } else {
            (1.0, 100.0)
        };
        let mut lo = schema
            .get("minimum")
            .and_then(Value::as_f64)
            .unwrap_or(f64::MIN);
        let mut hi = schema
            .get("maximum")
            .and_then(Value::as_f64)
            .unwrap_or(f64::MAX);
        if let Some(x) = schema.get("exclusiveMinimum").and_then(Value::as_f64) {
            lo = lo.max(x + if integer { 1.0 } else { 1e-6 });
        }
        if let Some(x) = schema.get("exclusiveMaximum").and_then(Value::as_f64) {
            hi = hi.min(x - if integer { 1.0 } else { 1e-6 });
        }
        // Prefer the name-based default range, clamped into whatever the schema allows.
        let (a, b) = (dlo.max(lo).min(hi), dhi.min(hi).max(lo));
        let (a, b) = if a <= b {
            (a, b)
        } else {
            (lo.max(-1e9), hi.min(1e9))
        };
        let x = a + (b - a) * self.rng.unit();
        if integer {
            let v = x.round().clamp(a.ceil(), b.floor().max(a.ceil()));
            Value::Number(Number::from(v as i64))
        } else {
            let v = ((x * 100.0).round() / 100.0).clamp(a, b);
            Number::from_f64(v).map_or(Value::Null, Value::Number)
        }
    }

    fn string(&mut self, schema: &Value, path: &[&str]) -> String {
        let s = match schema.get("format").and_then(Value::as_str) {
            Some("uri" | "url" | "iri" | "uri-reference") => self.url_for(path),
            Some("date") => synth::date(&mut self.rng),
            Some("date-time") => format!(
                "{}T{:02}:00:00Z",
                synth::date(&mut self.rng),
                self.rng.range(8, 18)
            ),
            Some("email" | "idn-email") => self.subject.email.clone(),
            _ => self.text_for(path),
        };
        let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .map(|m| m as usize);
        fit_length(s, min, max)
    }

    fn url_for(&mut self, path: &[&str]) -> String {
        let name = path.last().copied().unwrap_or("link").to_ascii_lowercase();
        let s = self.subject;
        if name.contains("linkedin") {
            synth::linkedin_for(&s.first_name, &s.last_name, self.rng.next_u64())
        } else if name.contains("website") || name == "homepage" {
            format!("{SYNTH_HOST}/sites/{}/", s.domain)
        } else {
            format!(
                "{SYNTH_HOST}/{}/{}/{:x}",
                synth::slug(&s.company),
                synth::slug(&name),
                self.rng.below(0xffff)
            )
        }
    }

    /// Text chosen by the property name (and its parents, so `competitors[].name` is a
    /// company while `executives[].name` is a person).
    fn text_for(&mut self, path: &[&str]) -> String {
        let name = path.last().copied().unwrap_or("").to_ascii_lowercase();
        let parents = path[..path.len().saturating_sub(1)]
            .join("/")
            .to_ascii_lowercase();
        let s = self.subject;
        let company = s.company.as_str();
        let has = |k: &str| name.contains(k);
        let in_org = ["competitor", "compan", "organization", "account", "org"]
            .iter()
            .any(|k| parents.contains(k));
        let in_news = parents.contains("news") || parents.contains("article");

        if has("url") || has("link") || has("website") || has("source") || has("homepage") {
            return self.url_for(path);
        }
        if has("email_status") || has("verification") {
            return "verified".into();
        }
        if has("email") {
            return s.email.clone();
        }
        if has("phone") {
            return synth::phone(&mut self.rng).0;
        }
        if has("domain") {
            return if in_org && parents.contains("competitor") {
                format!(
                    "{}.example",
                    synth::slug(&synth::company_name(&mut self.rng))
                )
            } else {
                s.domain.clone()
            };
        }
        if has("date") || name == "published" || has("_at") {
            return synth::date(&mut self.rng);
        }
        if has("seniority") {
            return "vp".into();
        }
        if has("industry") || has("sector") {
            return s.industry.into();
        }
        if has("headquarter") || has("location") || has("city") || has("address") || name == "hq" {
            return format!("{}, {}, {} (synthetic)", s.city.0, s.city.1, s.city.2);
        }
        if has("employee") || has("headcount") || has("size") {
            return (*self.rng.pick(synth::EMPLOYEE_RANGES)).into();
        }
        if has("revenue") {
            return format!("${}M (synthetic estimate)", self.rng.range(5, 90));
        }
        if name == "first_name" {
            return s.first_name.clone();
        }
        if name == "last_name" {
            return s.last_name.clone();
        }
        if has("company") || has("organization") || has("account") {
            return company.into();
        }
        if has("name") {
            return if parents.contains("competitor") {
                synth::company_name(&mut self.rng)
            } else if in_org && !parents.contains("contact") {
                company.into()
            } else if parents.contains("executive") || parents.contains("people") {
                format!(
                    "{} {}",
                    self.rng.pick(synth::FIRST_NAMES),
                    self.rng.pick(synth::LAST_NAMES)
                )
            } else {
                s.full_name()
            };
        }
        if has("title") || has("headline") {
            return if in_news {
                format!("[synthetic] {company} {}", self.rng.pick(NEWS))
            } else {
                (*self.rng.pick(&[
                    "VP of Sales",
                    "Chief Revenue Officer",
                    "Head of Growth",
                    "Director of Sales",
                ]))
                .into()
            };
        }
        if has("provider") {
            return "sandbox".into();
        }
        if has("question") {
            return format!("How does {company} handle {} today?", self.rng.pick(TOPICS));
        }
        if has("objection") {
            return format!("We already have a vendor for {}.", self.rng.pick(TOPICS));
        }
        if has("response") || has("answer") || has("reply") {
            return format!(
                "Understood. Many teams like {company}'s keep their vendor and add us for {}.",
                self.rng.pick(TOPICS)
            );
        }
        if has("opener") || has("greeting") {
            return format!(
                "Hi {}, this is a synthetic sandbox call about {company}.",
                s.first_name
            );
        }
        if has("close") || has("cta") || has("next_step") {
            return "Would a 20-minute call next Tuesday work? (synthetic)".into();
        }
        if name == "why"
            || has("reason")
            || has("differentiat")
            || has("positioning")
            || has("market_position")
        {
            return format!(
                "[synthetic] {company} competes on {} against fictional rivals; sandbox text, not analysis.",
                self.rng.pick(TOPICS)
            );
        }
        if has("signal") || has("hiring") || has("funding") || has("launch") {
            return format!("[synthetic] {company} {}", self.rng.pick(NEWS));
        }
        if has("overview") || has("summary") || has("description") || has("about") {
            return format!(
                "[synthetic] {company} is a fictional {} company invented by the ATL sandbox, headquartered in {}. It sells {} software to mid-market teams.",
                s.industry,
                s.city.0,
                self.rng.pick(TOPICS)
            );
        }
        let label = if name.is_empty() {
            "note".to_string()
        } else {
            name.replace('_', " ")
        };
        format!(
            "[synthetic] {label} for {company}: {}.",
            self.rng.pick(PHRASES)
        )
    }
}

const NEWS: &[&str] = &[
    "announces a synthetic Series B round",
    "opens a second office (synthetic)",
    "launches a new analytics product (synthetic)",
    "is hiring 20 account executives (synthetic)",
    "partners with a fictional cloud provider",
];

const TOPICS: &[&str] = &[
    "pipeline forecasting",
    "data enrichment",
    "outbound prospecting",
    "revenue analytics",
];

const PHRASES: &[&str] = &[
    "generated deterministically for testing",
    "placeholder content with no real-world meaning",
    "sandbox output, not research",
];

fn type_of(schema: &Value) -> &str {
    match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .or_else(|| ts.first().and_then(Value::as_str))
            .unwrap_or("string"),
        _ if schema.get("properties").is_some() => "object",
        _ if schema.get("items").is_some() => "array",
        _ => "string",
    }
}

fn is_free_text(items: Option<&Value>) -> bool {
    items.is_none_or(|i| {
        i.get("enum").is_none() && i.get("const").is_none() && i.get("format").is_none()
    })
}

fn fit_length(mut s: String, min: usize, max: Option<usize>) -> String {
    while s.chars().count() < min {
        s.push_str(" (synthetic)");
    }
    if let Some(max) = max
        && s.chars().count() > max
    {
        s = s.chars().take(max).collect();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn gen_for(schema: &Value) -> Value {
        let subject = Subject::from_text("Company: Acme\nDomain: acme.com", 1);
        Generator::new(schema, &subject, 9).generate()
    }

    #[test]
    fn array_items_from_an_enum_stay_verbatim_and_distinct() {
        let urls = [
            "https://sandbox.atl.invalid/acme/a",
            "https://sandbox.atl.invalid/acme/b",
            "https://sandbox.atl.invalid/acme/c",
        ];
        let schema =
            json!({"type": "array", "minItems": 2, "items": {"type": "string", "enum": urls}});
        let v = gen_for(&schema);
        let got: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert!(got.len() >= 2, "{got:?}");
        for u in &got {
            assert!(urls.contains(u), "{u} is not one of the allowed URLs");
        }
        let unique: std::collections::HashSet<&str> = got.iter().copied().collect();
        assert_eq!(unique.len(), got.len(), "{got:?}");
    }

    #[test]
    fn fills_research_like_schema() {
        let schema = json!({
            "type": "object",
            "properties": {
                "overview": {"type": "string"},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "recent_news": {"type": "array", "minItems": 1, "items": {"type": "object",
                    "properties": {"title": {"type": "string"}, "url": {"type": "string", "format": "uri"},
                                   "date": {"type": "string", "format": "date"}}}},
                "sources": {"type": "array", "items": {"type": "string"}},
                "level": {"type": "string", "enum": ["a", "b"]},
                "maybe": {"type": ["integer", "null"], "minimum": 3, "maximum": 3}
            },
            "required": ["overview"]
        });
        let v = gen_for(&schema);
        assert!(
            v["overview"]
                .as_str()
                .is_some_and(|s| s.starts_with("[synthetic] Acme"))
        );
        let c = v["confidence"].as_f64().unwrap_or(-1.0);
        assert!((0.0..=1.0).contains(&c));
        assert!(v["recent_news"].as_array().is_some_and(|a| !a.is_empty()));
        assert!(
            v["recent_news"][0]["url"]
                .as_str()
                .is_some_and(|u| u.starts_with(SYNTH_HOST))
        );
        let sources = v["sources"].as_array().cloned().unwrap_or_default();
        assert!(sources.len() >= 2 && sources[0] != sources[1]);
        assert!(["a", "b"].contains(&v["level"].as_str().unwrap_or("")));
        assert_eq!(v["maybe"], json!(3));
    }

    #[test]
    fn follows_refs_and_bounds() {
        let schema = json!({
            "$defs": {"exec": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 5}}}},
            "type": "object",
            "properties": {"executives": {"type": "array", "items": {"$ref": "#/$defs/exec"}, "minItems": 4, "maxItems": 4}}
        });
        let v = gen_for(&schema);
        let execs = v["executives"].as_array().cloned().unwrap_or_default();
        assert_eq!(execs.len(), 4);
        assert!(
            execs[0]["name"]
                .as_str()
                .is_some_and(|n| n.chars().count() <= 5)
        );
    }

    #[test]
    fn recursive_ref_terminates() {
        let schema = json!({"$defs": {"node": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
                            "$ref": "#/$defs/node"});
        let _ = gen_for(&schema);
    }
}
