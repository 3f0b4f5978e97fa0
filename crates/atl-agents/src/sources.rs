//! What an agent read (search hits, pages, earlier results) and the URLs it may cite.
//!
//! A claim must be tied to a real source: the only URLs an agent may put in its result are
//! the ones it actually fetched or got from a search in this run (or that an earlier
//! agent's result carries). [`Sources::cite`] maps a URL from a model's answer back to
//! one of them, or to nothing.

use crate::prompts::{clip, fence};
use atl_providers::fetch::FetchedPage;
use atl_providers::search::SearchHit;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub url: String,
    pub title: String,
    pub date: Option<String>,
    pub text: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Search,
    Page,
    /// A URL cited by an earlier agent's result.
    Prior,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Sources {
    items: Vec<Item>,
}

/// Comparable form of a URL: trimmed, no trailing slash, scheme and host lower-cased.
pub(crate) fn url_key(url: &str) -> String {
    let u = url.trim().trim_end_matches('/');
    match url::Url::parse(u) {
        Ok(parsed) => parsed.as_str().trim_end_matches('/').to_string(),
        Err(_) => u.to_string(),
    }
}

impl Sources {
    pub(crate) fn add_hits(&mut self, hits: Vec<SearchHit>) {
        for h in hits {
            self.push(Item {
                url: h.url,
                title: h.title,
                date: h.published_date,
                text: h.snippet,
                kind: Kind::Search,
            });
        }
    }

    pub(crate) fn add_page(&mut self, page: FetchedPage, max_chars: usize) {
        self.push(Item {
            url: page.final_url,
            title: page.title.unwrap_or_default(),
            date: None,
            text: clip(&page.text, max_chars),
            kind: Kind::Page,
        });
    }

    pub(crate) fn add_prior_url(&mut self, url: &str) {
        self.push(Item {
            url: url.to_string(),
            title: String::new(),
            date: None,
            text: String::new(),
            kind: Kind::Prior,
        });
    }

    fn push(&mut self, item: Item) {
        let key = url_key(&item.url);
        if key.is_empty() || self.items.iter().any(|i| url_key(&i.url) == key) {
            return;
        }
        self.items.push(item);
    }

    /// Every URL, in the order read.
    pub(crate) fn urls(&self) -> Vec<String> {
        self.items.iter().map(|i| i.url.clone()).collect()
    }

    pub(crate) fn has_page(&self) -> bool {
        self.items.iter().any(|i| i.kind == Kind::Page)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The URL as we read it, when `url` is one of ours.
    pub(crate) fn cite(&self, url: &str) -> Option<String> {
        let key = url_key(url);
        self.items
            .iter()
            .find(|i| url_key(&i.url) == key)
            .map(|i| i.url.clone())
    }

    /// The fenced material for a prompt: search hits in one block, each page in its own.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let hits: Vec<&Item> = self
            .items
            .iter()
            .filter(|i| i.kind == Kind::Search)
            .collect();
        if !hits.is_empty() {
            let mut body = String::new();
            for h in hits {
                body.push_str(&format!(
                    "- url: {}\n  title: {}\n  date: {}\n  snippet: {}\n",
                    h.url,
                    clip(&h.title, 200),
                    h.date.as_deref().unwrap_or("unknown"),
                    clip(&h.text, 600)
                ));
            }
            out.push_str(&fence("untrusted_search_results", "", &body));
            out.push_str("\n\n");
        }
        for p in self.items.iter().filter(|i| i.kind == Kind::Page) {
            let attrs = format!(
                "url=\"{}\" title=\"{}\"",
                p.url,
                clip(&p.title, 150).replace('"', "'")
            );
            out.push_str(&fence("untrusted_page", &attrs, &p.text));
            out.push_str("\n\n");
        }
        out
    }
}

/// Deduplicate URLs keeping the first spelling.
pub(crate) fn dedup_urls(urls: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    urls.into_iter()
        .filter(|u| !u.trim().is_empty() && seen.insert(url_key(u)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_urls_can_be_cited() {
        let mut s = Sources::default();
        s.add_hits(vec![SearchHit {
            title: "t".into(),
            url: "https://News.example/a/".into(),
            snippet: "x".into(),
            published_date: None,
        }]);
        s.add_prior_url("https://news.example/a");
        assert_eq!(s.urls().len(), 1, "same URL twice is one source");
        assert_eq!(
            s.cite("https://news.example/a").as_deref(),
            Some("https://News.example/a/")
        );
        assert_eq!(s.cite("https://invented.example/"), None);
        assert!(s.render().contains("<untrusted_search_results>"));
    }
}
