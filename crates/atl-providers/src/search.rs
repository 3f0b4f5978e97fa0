//! Web search for the research and intel agents: Tavily and Brave behind [`WebSearch`].

use crate::http;
use crate::{ProviderError, Usage};
use secrecy::{ExposeSecret, SecretString};
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
    base: Url,
    key: SecretString,
    http: reqwest::Client,
}

impl TavilyClient {
    pub fn new(base_url: Url, key: SecretString, http: reqwest::Client) -> Self {
        TavilyClient {
            base: base_url,
            key,
            http,
        }
    }

    async fn search_inner(
        &self,
        query: &str,
        max_results: u32,
    ) -> Result<(Vec<SearchHit>, Usage), ProviderError> {
        const PROVIDER: &str = "tavily";
        http::require_key(PROVIDER, Some(&self.key))?;
        let url = http::join_url(PROVIDER, &self.base, "search")?;
        let body = json!({
            "query": query,
            "search_depth": "basic",
            "max_results": max_results.min(20),
            "include_answer": false,
        });
        let builder = self
            .http
            .post(url)
            .bearer_auth(self.key.expose_secret())
            .json(&body);
        let raw = http::send(PROVIDER, builder, http::MAX_API_BODY).await?;
        let status = raw.status.as_u16();
        if !raw.status.is_success() {
            // 432: plan/credit limit, 433: pay-as-you-go limit. Both are final.
            if status == 432 || status == 433 {
                let parsed = http::ErrorBody::parse(&raw.body);
                let message = parsed
                    .message
                    .unwrap_or_else(|| format!("credit limit exceeded ({status})"));
                return Err(ProviderError::Quota {
                    provider: PROVIDER.to_string(),
                    message,
                });
            }
            return Err(http::classify_response(
                PROVIDER,
                raw.status,
                &raw.headers,
                &raw.body,
            ));
        }
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
        let reply: Reply = http::parse_json(PROVIDER, &raw.body)?;
        let hits = reply
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
            .collect();
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
        self.search_inner(query, max_results)
            .await
            .map_err(|e| http::redact_error(e, Some(&self.key)))
    }
}

// ---------------------------------------------------------------------------------------
// Brave
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct BraveClient {
    base: Url,
    key: SecretString,
    http: reqwest::Client,
}

impl BraveClient {
    pub fn new(base_url: Url, key: SecretString, http: reqwest::Client) -> Self {
        BraveClient {
            base: base_url,
            key,
            http,
        }
    }

    async fn search_inner(
        &self,
        query: &str,
        max_results: u32,
    ) -> Result<(Vec<SearchHit>, Usage), ProviderError> {
        const PROVIDER: &str = "brave";
        http::require_key(PROVIDER, Some(&self.key))?;
        let url = http::join_url(PROVIDER, &self.base, "res/v1/web/search")?;
        let count = max_results.clamp(1, 20).to_string();
        let builder = self
            .http
            .get(url)
            .query(&[("q", query), ("count", count.as_str())])
            .header("X-Subscription-Token", self.key.expose_secret())
            .header("Accept", "application/json");
        let raw = http::send(PROVIDER, builder, http::MAX_API_BODY).await?;
        if !raw.status.is_success() {
            return Err(http::classify_response(
                PROVIDER,
                raw.status,
                &raw.headers,
                &raw.body,
            ));
        }
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
        let reply: Reply = http::parse_json(PROVIDER, &raw.body)?;
        // No `web` key means no web results, not a malformed reply.
        let hits = reply
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
            .collect();
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
        self.search_inner(query, max_results)
            .await
            .map_err(|e| http::redact_error(e, Some(&self.key)))
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
