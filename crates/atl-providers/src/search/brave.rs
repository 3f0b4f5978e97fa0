//! Brave Search: `GET {base}/res/v1/web/search` with `X-Subscription-Token`; billed per
//! request.

use super::strip_tags;
use super::{SearchHit, WebSearch, billed_once, hit};
use crate::http::{Auth, RawResponse, Vendor};
use crate::{ProviderError, Usage};
use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

pub const BRAVE_BASE_URL: &str = "https://api.search.brave.com";

#[derive(Debug, Clone)]
pub struct BraveClient {
    vendor: Vendor,
}

impl BraveClient {
    pub fn new(base_url: Url, key: SecretString, http: reqwest::Client) -> Self {
        let auth = Auth::Header("X-Subscription-Token");
        BraveClient {
            vendor: Vendor::new("brave", base_url, Some(key), auth, http),
        }
    }
}

#[async_trait::async_trait]
impl WebSearch for BraveClient {
    fn name(&self) -> &str {
        "brave"
    }

    async fn search(
        &self,
        query: &str,
        max_results: u32,
    ) -> Result<(Vec<SearchHit>, Usage), ProviderError> {
        let count = max_results.clamp(1, 20).to_string();
        let build = |b: reqwest::RequestBuilder| {
            b.query(&[("q", query), ("count", count.as_str())])
                .header("Accept", "application/json")
        };
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Reply {
            web: Option<Web>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Web {
            results: Vec<Hit>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Hit {
            title: Option<String>,
            url: Option<String>,
            description: Option<String>,
            age: Option<String>,
            page_age: Option<String>,
        }
        let read = |raw: RawResponse| -> Result<Vec<SearchHit>, ProviderError> {
            let reply: Reply = self.vendor.parse(&raw)?;
            // No `web` key means no web results, not a malformed reply.
            Ok(reply
                .web
                .map(|w| w.results)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|h| {
                    let title = h.title.as_deref().map(strip_tags);
                    let snippet = h.description.as_deref().map(strip_tags);
                    hit(h.url, title, snippet, h.page_age.or(h.age))
                })
                .collect())
        };
        let hits = self
            .vendor
            .call(Method::GET, "res/v1/web/search", build, read)
            .await?;
        // Brave bills per request.
        Ok(billed_once(hits))
    }
}
