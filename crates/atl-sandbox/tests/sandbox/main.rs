//! End-to-end tests over real HTTP against a sandbox on 127.0.0.1, one module per
//! route family; the helpers every module shares are here.

// Tests build configs field by field: it reads better than one nested literal.
#![allow(clippy::field_reassign_with_default)]

use atl_sandbox::{Family, FamilyConfig, Faults, Latency, Sandbox, SandboxConfig, Trigger};
use reqwest::{Client, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A test against a sandbox with the default config: `$body` runs with the sandbox
/// `$sb` and a client `$c` for it, and the sandbox is shut down once the body has passed.
/// Tests that need another config or shut down on their own terms call [`start`].
macro_rules! sandbox_test {
    ($name:ident, |$sb:ident, $c:ident| $body:block) => {
        #[tokio::test]
        async fn $name() -> TestResult {
            let ($sb, $c) = start(SandboxConfig::default()).await?;
            $body
            $sb.shutdown().await;
            Ok(())
        }
    };
}

mod apollo;
mod chat;
mod email;
mod faults;
mod limits;
mod outage;
mod reserved;
mod search;
mod sites;
mod speech;

/// reqwest (rustls-no-provider) refuses to build a client without a crypto provider.
pub fn client(timeout: Duration) -> Result<Client, reqwest::Error> {
    // Err only means another test installed it first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder().timeout(timeout).build()
}

pub async fn start(config: SandboxConfig) -> Result<(Sandbox, Api), Box<dyn std::error::Error>> {
    let addr: SocketAddr = "127.0.0.1:0".parse()?;
    let sb = Sandbox::start(addr, config).await?;
    let api = Api {
        http: client(Duration::from_secs(10))?,
        base: sb.base_url(),
    };
    Ok((sb, api))
}

/// A client bound to one sandbox: requests name a path, and the usual replies come back
/// decoded. It derefs to the plain client for requests built by hand.
pub struct Api {
    http: Client,
    base: String,
}

impl std::ops::Deref for Api {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.http
    }
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POST with the language-model vendors' key headers: status, headers and body text.
    pub async fn post_text(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<(StatusCode, HeaderMap, String), reqwest::Error> {
        let r = self
            .post_with(
                path,
                &[("x-api-key", "test"), ("anthropic-version", "2023-06-01")],
                body,
            )
            .await?;
        let status = r.status();
        let headers = r.headers().clone();
        Ok((status, headers, r.text().await?))
    }

    /// [`Api::post_text`], the body parsed as JSON.
    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<(StatusCode, Value), Box<dyn std::error::Error>> {
        let (status, _, text) = self.post_text(path, body).await?;
        Ok((status, serde_json::from_str(&text)?))
    }

    /// POST a JSON body with exactly these headers.
    pub async fn post_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut req = self.http.post(self.url(path)).json(body);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.send().await
    }

    pub async fn get_text(&self, path: &str) -> Result<(StatusCode, String), reqwest::Error> {
        let r = self.http.get(self.url(path)).send().await?;
        let status = r.status();
        Ok((status, r.text().await?))
    }

    pub async fn get_json(
        &self,
        path: &str,
    ) -> Result<(StatusCode, Value), Box<dyn std::error::Error>> {
        let (status, text) = self.get_text(path).await?;
        Ok((status, serde_json::from_str(&text)?))
    }
}

/// A tiny JSON Schema checker: type, required, properties, items, enum, bounds.
pub fn validate(schema: &Value, v: &Value, path: &str) -> Result<(), String> {
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        return Err(format!("{path}: {v} not in enum"));
    }
    let ty = schema.get("type").and_then(Value::as_str).unwrap_or("any");
    let ok = match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        _ => true,
    };
    if !ok {
        return Err(format!("{path}: expected {ty}, got {v}"));
    }
    // A numeric keyword of the schema, e.g. `minimum` or `maxItems`.
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    if let Some(x) = v.as_f64() {
        if bound("minimum").is_some_and(|m| x < m) {
            return Err(format!("{path}: {x} below minimum"));
        }
        if bound("maximum").is_some_and(|m| x > m) {
            return Err(format!("{path}: {x} above maximum"));
        }
    }
    if let Some(obj) = v.as_object() {
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = r.as_str().unwrap_or_default();
            if !obj.contains_key(key) {
                return Err(format!("{path}: missing required {key}"));
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, sub) in props {
                if let Some(child) = obj.get(k) {
                    validate(sub, child, &format!("{path}.{k}"))?;
                }
            }
            if schema.get("additionalProperties") == Some(&Value::Bool(false))
                && let Some(extra) = obj.keys().find(|k| !props.contains_key(*k))
            {
                return Err(format!("{path}: unexpected property {extra}"));
            }
        }
    }
    if let Some(items) = v.as_array() {
        let len = items.len() as f64;
        if bound("minItems").is_some_and(|m| len < m) {
            return Err(format!("{path}: too few items"));
        }
        if bound("maxItems").is_some_and(|m| len > m) {
            return Err(format!("{path}: too many items"));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                validate(item_schema, item, &format!("{path}[{i}]"))?;
            }
        }
    }
    Ok(())
}

pub fn research_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["overview", "industry", "headquarters", "employee_range", "recent_news", "market_position", "signals", "sources", "confidence"],
        "properties": {
            "overview": {"type": "string"},
            "industry": {"type": "string"},
            "headquarters": {"type": "string"},
            "employee_range": {"type": "string", "enum": ["1-10", "11-50", "51-200", "201-1000", "1000+"]},
            "recent_news": {"type": "array", "minItems": 1, "maxItems": 5, "items": {
                "type": "object", "additionalProperties": false, "required": ["title", "date", "url", "summary"],
                "properties": {"title": {"type": "string"}, "date": {"type": "string", "format": "date"},
                               "url": {"type": "string", "format": "uri"}, "summary": {"type": "string"}}}},
            "market_position": {"type": "string"},
            "signals": {"type": "object", "required": ["hiring", "funding"], "properties": {
                "hiring": {"type": "boolean"}, "funding": {"type": "string"}}},
            "sources": {"type": "array", "minItems": 2, "items": {"type": "string", "format": "uri"}},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "employees": {"type": "integer", "minimum": 1, "maximum": 100000}
        }
    })
}

pub fn chat_body(user: &str) -> Value {
    json!({"model": "deepseek-flash", "messages": [
        {"role": "system", "content": "You are a research agent."},
        {"role": "user", "content": user}]})
}

pub fn faults(f: Faults) -> FamilyConfig {
    FamilyConfig {
        latency: Latency::None,
        faults: f,
        ..FamilyConfig::default()
    }
}

/// [`faults`] with the switches `set` turns on over the default faults.
pub fn faults_with(set: impl FnOnce(&mut Faults)) -> FamilyConfig {
    let mut f = Faults::default();
    set(&mut f);
    faults(f)
}

/// Tavily's news results about Walmart, a company with years of press.
pub async fn walmart_news(c: &Api, max_results: u64) -> Result<Value, Box<dyn std::error::Error>> {
    let body = json!({"query": "Walmart walmart.com", "topic": "news", "max_results": max_results});
    let (_, v) = c.post_json("/search", &body).await?;
    Ok(v)
}

/// Cartesia's `POST /tts/bytes` with the version header it requires.
pub async fn speak(c: &Api, text: &str) -> Result<reqwest::Response, reqwest::Error> {
    c.post_with(
        "/tts/bytes",
        &[("Cartesia-Version", "2026-03-01")],
        &tts_body(text),
    )
    .await
}

pub fn tts_body(text: &str) -> Value {
    json!({"model_id": "sonic-3.5", "transcript": text, "voice": {"mode": "id", "id": "v"},
           "output_format": {"container": "wav", "encoding": "pcm_s16le", "sample_rate": 24000}})
}
