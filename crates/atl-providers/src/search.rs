//! Web search for the research and intel agents: Tavily and Brave behind [`WebSearch`].

use crate::http::{self, Auth, RawResponse, Vendor};
use crate::{ProviderError, Usage};
use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;
use url::Url;

pub const TAVILY_BASE_URL: &str = "https://api.tavily.com";
pub const BRAVE_BASE_URL: &str = "https://api.search.brave.com";

/// One search result. `snippet` is plain text (Brave's `<strong>` markup removed).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchHit {
    pub title: String,
    pub url: String,
    pub snippet: String,
    pub published_date: Option<String>,
}

#[async_trait::async_trait]
pub trait WebSearch: Send + Sync {
    /// The provider's name (`tavily`, `brave`) as in configuration and pricing.
    fn name(&self) -> &str;
    /// One search; `Usage.lookups` is the paid requests/credits it used.
    async fn search(
        &self,
        query: &str,
        max_results: u32,
    ) -> Result<(Vec<SearchHit>, Usage), ProviderError>;
}

// ---------------------------------------------------------------------------------------
// Tavily
// ---------------------------------------------------------------------------------------

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

    async fn search_inner(
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
                .filter_map(|h| {
                    Some(SearchHit {
                        url: h.url.filter(|u| !u.is_empty())?,
                        title: h.title.unwrap_or_default(),
                        snippet: h.content.unwrap_or_default(),
                        published_date: h.published_date,
                    })
                })
                .collect())
        };
        let hits = self
            .vendor
            .call(Method::POST, "search", |b| b.json(&body), read)
            .await?;
        // basic depth costs one credit per search, hits or not.
        Ok((
            hits,
            Usage {
                lookups: 1,
                ..Usage::default()
            },
        ))
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
        self.search_inner(query, max_results).await
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

// ---------------------------------------------------------------------------------------
// Brave
// ---------------------------------------------------------------------------------------

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

    async fn search_inner(
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
                    Some(SearchHit {
                        url: h.url.filter(|u| !u.is_empty())?,
                        title: strip_tags(&h.title.unwrap_or_default()),
                        snippet: strip_tags(&h.description.unwrap_or_default()),
                        published_date: h.page_age.or(h.age),
                    })
                })
                .collect())
        };
        let hits = self
            .vendor
            .call(Method::GET, "res/v1/web/search", build, read)
            .await?;
        // Brave bills per request.
        Ok((
            hits,
            Usage {
                lookups: 1,
                ..Usage::default()
            },
        ))
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
        self.search_inner(query, max_results).await
    }
}

/// Brave marks matches with `<strong>`; snippets are data for prompts, so tags go and
/// the common entities are decoded.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
}

#[cfg(test)]
mod tests {
    #[test]
    fn tags_are_stripped() {
        assert_eq!(
            super::strip_tags("Jane leads <strong>sales</strong> at Acme &amp; Co"),
            "Jane leads sales at Acme & Co"
        );
    }
}
