//! Serper (Google results): `POST {base}/search` with `X-API-KEY`, body `{"q", "num"}`,
//! reply `organic[{title, link, snippet, date?, position}]`. Billed per query.

use super::{SearchHit, WebSearch, billed_once, hit};
use crate::http::{Auth, RawResponse, Vendor};
use crate::{ProviderError, Usage};
use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;
use url::Url;

pub const SERPER_BASE_URL: &str = "https://google.serper.dev";

#[derive(Debug, Clone)]
pub struct SerperClient {
    vendor: Vendor,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Reply {
    organic: Option<Vec<Hit>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Hit {
    title: Option<String>,
    link: Option<String>,
    snippet: Option<String>,
    date: Option<String>,
    position: Option<u32>,
}

impl SerperClient {
    pub fn new(base_url: Url, key: SecretString, http: reqwest::Client) -> Self {
        let vendor = Vendor::new(
            "serper",
            base_url,
            Some(key),
            Auth::Header("X-API-KEY"),
            http,
        );
        SerperClient { vendor }
    }

    fn read(&self, raw: RawResponse) -> Result<Vec<SearchHit>, ProviderError> {
        let reply: Reply = self.vendor.parse(&raw)?;
        // No `organic` key means no results, not a malformed reply.
        let mut hits = reply.organic.unwrap_or_default();
        // Google's rank; hits without one keep their place after those with one.
        hits.sort_by_key(|h| h.position.unwrap_or(u32::MAX));
        Ok(hits
            .into_iter()
            .filter_map(|h| hit(h.link, h.title, h.snippet, h.date))
            .collect())
    }
}

#[async_trait::async_trait]
impl WebSearch for SerperClient {
    fn name(&self) -> &str {
        "serper"
    }

    async fn search(
        &self,
        query: &str,
        max_results: u32,
    ) -> Result<(Vec<SearchHit>, Usage), ProviderError> {
        let body = json!({"q": query, "num": max_results.clamp(1, 100)});
        let hits = self
            .vendor
            .call(
                Method::POST,
                "search",
                |b| b.json(&body),
                |raw| self.read(raw),
            )
            .await?;
        Ok(billed_once(hits))
    }
}
