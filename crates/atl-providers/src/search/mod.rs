//! Web search: Serper, Brave and Tavily behind
//! [`WebSearch`]. Each vendor has its own file: build the request, send it through the
//! request helper, map the answer into [`SearchHit`]s.

mod brave;
mod serper;
mod tavily;

pub use brave::{BRAVE_BASE_URL, BraveClient};
pub use serper::{SERPER_BASE_URL, SerperClient};
pub use tavily::{TAVILY_BASE_URL, TavilyClient};

use crate::{ProviderError, Usage};

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
    /// The provider's name (`serper`, `brave`, `tavily`) as in configuration and pricing.
    fn name(&self) -> &str;
    /// One search; `Usage.lookups` is the paid requests/credits it used.
    async fn search(
        &self,
        query: &str,
        max_results: u32,
    ) -> Result<(Vec<SearchHit>, Usage), ProviderError>;
}

/// Every search vendor here bills a query once, hits or not (Tavily's basic depth is one
/// credit).
pub(crate) fn billed_once(hits: Vec<SearchHit>) -> (Vec<SearchHit>, Usage) {
    let usage = Usage {
        lookups: 1,
        ..Usage::default()
    };
    (hits, usage)
}

/// A vendor's result as a [`SearchHit`]: one without a URL is dropped, missing text is
/// empty.
pub(crate) fn hit(
    url: Option<String>,
    title: Option<String>,
    snippet: Option<String>,
    published_date: Option<String>,
) -> Option<SearchHit> {
    Some(SearchHit {
        url: url.filter(|u| !u.is_empty())?,
        title: title.unwrap_or_default(),
        snippet: snippet.unwrap_or_default(),
        published_date,
    })
}

/// Brave marks matches with `<strong>`; snippets are data for prompts, so tags go and
/// the common entities are decoded.
pub(crate) fn strip_tags(s: &str) -> String {
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
