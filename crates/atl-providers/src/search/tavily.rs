//! Tavily: `POST {base}/search` with a bearer key; basic depth costs one credit.

use super::{SearchHit, WebSearch, billed_once, hit};
use crate::http::{self, Auth, RawResponse, Vendor};
use crate::{ProviderError, Usage};
use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;
use url::Url;

pub const TAVILY_BASE_URL: &str = "https://api.tavily.com";

#[derive(Debug, Clone)]
pub struct TavilyClient {
    vendor: Vendor,
}

impl TavilyClient {
    pub fn new(base_url: Url, key: SecretString, http: reqwest::Client) -> Self {
        let vendor = Vendor::new("tavily", base_url, Some(key), Auth::Bearer, http)
            .classify_with(tavily_classify);
        TavilyClient { vendor }
    }
}

#[async_trait::async_trait]
impl WebSearch for TavilyClient {
    fn name(&self) -> &str {
        "tavily"
    }

    async fn search(
        &self,
        query: &str,
        max_results: u32,
    ) -> Result<(Vec<SearchHit>, Usage), ProviderError> {
        let body = json!({
            "query": query,
            "search_depth": "basic",
            "max_results": max_results.min(20),
            "include_answer": false,
        });
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Reply {
            results: Vec<Hit>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Hit {
            title: Option<String>,
            url: Option<String>,
            content: Option<String>,
            published_date: Option<String>,
        }
        let read = |raw: RawResponse| -> Result<Vec<SearchHit>, ProviderError> {
            let reply: Reply = self.vendor.parse(&raw)?;
            Ok(reply
                .results
                .into_iter()
                .filter_map(|h| hit(h.url, h.title, h.content, h.published_date))
                .collect())
        };
        let hits = self
            .vendor
            .call(Method::POST, "search", |b| b.json(&body), read)
            .await?;
        // basic depth costs one credit per search, hits or not.
        Ok(billed_once(hits))
    }
}

/// 432: plan/credit limit, 433: pay-as-you-go limit. Both are final.
fn tavily_classify(provider: &str, raw: &RawResponse) -> ProviderError {
    let status = raw.status.as_u16();
    if status == 432 || status == 433 {
        let message = http::ErrorBody::parse(&raw.body)
            .message
            .unwrap_or_else(|| format!("credit limit exceeded ({status})"));
        return ProviderError::quota(provider, message).with_status(status);
    }
    http::classify_raw(provider, raw)
}
