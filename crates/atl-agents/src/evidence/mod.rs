//! One evidence pack per target, shared by research and intel: the company's site read
//! once and the planned web searches run once, judged for whether each result is about
//! this company, and cached across campaigns by registrable domain.
//!
//! Research gathers the pack (or finds it in the cache); intel, which starts only after
//! research has ended, reads the same pack from the cache and never searches on its own.
//! A failed search or fetch is a warning, never a failed run.

mod about;

pub(crate) use about::{About, distinctive, judge};

use crate::agent::AgentInput;
use crate::cache::CacheKind;
use crate::kit::{AgentKit, rfc3339};
use crate::prompts::{clip, fence};
use crate::spend::Spend;
use atl_domain::normalise_company;
use atl_domain::provenance::{Provenance, SourceKind};
use atl_providers::ProviderError;
use serde::{Deserialize, Serialize};

/// Results asked of each planned search.
pub const RESULTS_PER_SEARCH: u32 = 10;
/// Characters of the company's page kept in the pack.
pub const MAX_PAGE_CHARS: usize = 6_000;

/// The company's own page, as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub url: String,
    pub title: String,
    pub text: String,
    pub observed_at: String,
}

/// One search result kept in the pack (only results about this company are kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub url: String,
    pub title: String,
    pub snippet: String,
    /// The publication date the search engine gave (`YYYY-MM-DD` when it could be read).
    pub date: Option<String>,
    pub own_site: bool,
    pub observed_at: String,
}

#[cfg(test)]
impl Page {
    /// A page read at `observed_at`.
    pub(crate) fn read(url: &str, title: &str, text: &str, observed_at: &str) -> Page {
        Page {
            url: url.into(),
            title: title.into(),
            text: text.into(),
            observed_at: observed_at.into(),
        }
    }
}

#[cfg(test)]
impl Hit {
    /// A search result off the company's own site, found at `observed_at`.
    pub(crate) fn found(url: &str, title: &str, date: Option<&str>, observed_at: &str) -> Hit {
        Hit {
            url: url.into(),
            title: title.into(),
            snippet: "s".into(),
            date: date.map(String::from),
            own_site: false,
            observed_at: observed_at.into(),
        }
    }
}

/// The pack for one company.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EvidencePack {
    pub site: Option<Page>,
    pub hits: Vec<Hit>,
    /// Results dropped as being about another company or not naming this one.
    pub off_target: u32,
    /// Queries run (none when served from the cache).
    pub queries: Vec<String>,
    /// What went wrong while gathering (a search or the site).
    pub warnings: Vec<String>,
    /// Served from the cache (gathered by an earlier run at the observation times).
    #[serde(skip)]
    pub from_cache: bool,
}

impl EvidencePack {
    /// Every URL in the pack, the site first.
    pub fn urls(&self) -> Vec<String> {
        self.site
            .iter()
            .map(|p| p.url.clone())
            .chain(self.hits.iter().map(|h| h.url.clone()))
            .collect()
    }

    /// The pack's size in prompt tokens as research renders it (four characters to a
    /// token, as the price estimates count).
    pub fn prompt_tokens(&self) -> u64 {
        (self
            .render(crate::prompts::MAX_PROMPT_CHARS - 2_000)
            .chars()
            .count()
            / 4) as u64
    }

    pub fn is_empty(&self) -> bool {
        self.site.is_none() && self.hits.is_empty()
    }

    /// Where a URL of this pack came from, for a claim that cites it; `None` when the
    /// URL is not in the pack (a claim citing it is not evidenced).
    pub fn provenance_of(&self, url: &str) -> Option<Provenance> {
        let key = url_key(url);
        if let Some(p) = self.site.as_ref().filter(|p| url_key(&p.url) == key) {
            return Some(
                Provenance::new(SourceKind::Website)
                    .with_url(p.url.clone())
                    .observed(p.observed_at.clone())
                    .cached(self.from_cache),
            );
        }
        let h = self.hits.iter().find(|h| url_key(&h.url) == key)?;
        let kind = if h.own_site {
            SourceKind::Website
        } else {
            SourceKind::Search
        };
        Some(
            Provenance::new(kind)
                .with_url(h.url.clone())
                .observed(h.date.clone().unwrap_or_else(|| h.observed_at.clone()))
                .cached(self.from_cache),
        )
    }

    /// The URL as the pack holds it, when `url` is one of the pack's.
    pub fn cite(&self, url: &str) -> Option<String> {
        self.provenance_of(url).and_then(|p| p.evidence_url)
    }

    /// The hit behind a URL.
    pub fn hit(&self, url: &str) -> Option<&Hit> {
        let key = url_key(url);
        self.hits.iter().find(|h| url_key(&h.url) == key)
    }

    /// The fenced material for a prompt: search results in one block, the page in its own.
    pub fn render(&self, max_chars: usize) -> String {
        let mut out = String::new();
        if !self.hits.is_empty() {
            let mut body = String::new();
            for h in &self.hits {
                body.push_str(&format!(
                    "- url: {}\n  title: {}\n  date: {}\n  snippet: {}\n",
                    h.url,
                    clip(&h.title, 200),
                    h.date.as_deref().unwrap_or("unknown"),
                    clip(&h.snippet, 600)
                ));
            }
            out.push_str(&fence("untrusted_search_results", "", &body));
            out.push_str("\n\n");
        }
        if let Some(p) = &self.site {
            let attrs = format!(
                "url=\"{}\" title=\"{}\"",
                p.url,
                clip(&p.title, 150).replace('"', "'")
            );
            out.push_str(&fence("untrusted_page", &attrs, &p.text));
            out.push_str("\n\n");
        }
        clip(&out, max_chars)
    }
}

/// Comparable form of a URL: trimmed, no trailing slash, scheme and host lower-cased.
pub(crate) fn url_key(url: &str) -> String {
    let u = url.trim().trim_end_matches('/');
    match url::Url::parse(u) {
        Ok(parsed) => parsed.as_str().trim_end_matches('/').to_string(),
        Err(_) => u.to_string(),
    }
}

/// The planned queries for a company: one, serving research (news, signals) and intel
/// (the landscape those items describe). One search per target keeps the web-search
/// bill at a tenth of a cent per account on the cheapest engine.
pub(crate) fn plan_queries(company: &str) -> Vec<String> {
    vec![format!("\"{company}\" news")]
}

/// The cache key of a company's pack: its registrable domain, else its normalised name.
pub fn pack_key(input: &AgentInput) -> Option<String> {
    input.registrable_domain().or_else(|| {
        Some(format!("name:{}", normalise_company(&input.company()))).filter(|k| k.len() > 5)
    })
}

/// A search engine's date in `YYYY-MM-DD` when it can be read (ISO dates, RFC 3339,
/// "Mar 3, 2026"); relative ages ("2 weeks ago") are resolved against `today`.
pub(crate) fn normalise_date(raw: &str, today: time::Date) -> Option<String> {
    let s = raw.trim();
    if s.len() >= 10 && s.as_bytes().get(4) == Some(&b'-') {
        let d = s.get(..10)?;
        return time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
            .ok()
            .map(|d| d.to_string());
    }
    let lower = s.to_ascii_lowercase();
    if let Some(rest) = lower.strip_suffix(" ago") {
        let mut it = rest.split_whitespace();
        let n: i64 = it.next()?.parse().ok()?;
        let unit = it.next()?;
        let days = match unit.trim_end_matches('s') {
            "minute" | "hour" => 0,
            "day" => n,
            "week" => 7 * n,
            "month" => 30 * n,
            "year" => 365 * n,
            _ => return None,
        };
        return today
            .checked_sub(time::Duration::days(days))
            .map(|d| d.to_string());
    }
    let f = time::macros::format_description!("[month repr:short] [day padding:none], [year]");
    time::Date::parse(s, f).ok().map(|d| d.to_string())
}

/// The pack for this input: from the cache when fresh, else gathered and cached. A
/// search held back by a rate limit is an error (the job waits for its turn and comes
/// back), never a pack without the search: that would be a worse answer for the same
/// price, and cached for every later campaign.
pub(crate) async fn pack_for(
    kit: &AgentKit,
    input: &AgentInput,
    spend: &Spend,
) -> Result<EvidencePack, ProviderError> {
    let key = pack_key(input);
    if let Some(k) = &key
        && let Some((mut pack, _)) = kit
            .recall::<EvidencePack>(input, CacheKind::CompanyPack, k)
            .await
    {
        pack.from_cache = true;
        spend.cached("evidence", CacheKind::CompanyPack.as_str());
        return Ok(pack);
    }
    let pack = gather(kit, input, spend).await?;
    if let Some(k) = &key
        && !pack.is_empty()
    {
        kit.remember(input, CacheKind::CompanyPack, k, &pack, kit.now())
            .await;
    }
    Ok(pack)
}

async fn gather(
    kit: &AgentKit,
    input: &AgentInput,
    spend: &Spend,
) -> Result<EvidencePack, ProviderError> {
    let t = &kit.toolkit;
    let now = kit.now();
    let observed = rfc3339(now);
    let company = input.company();
    let own = input.registrable_domain();
    let tokens = distinctive(&company);
    let mut pack = EvidencePack::default();

    // The main site: the registrable domain's home page (an investor-relations address
    // such as stock.walmart.com says little about what the company does).
    match own.as_deref().and_then(|d| t.site_url(d)) {
        Some(url) => match t.fetch(&url).await {
            Ok(m) => {
                spend.record(&m);
                let p = m.value;
                pack.site = Some(Page {
                    url: p.final_url,
                    title: p.title.unwrap_or_default(),
                    text: clip(&p.text, MAX_PAGE_CHARS),
                    observed_at: observed.clone(),
                });
            }
            Err(e) => pack.warnings.push(format!("company site not read: {e}")),
        },
        None => pack
            .warnings
            .push("company site not read: no website or domain given".into()),
    }

    if t.search().is_some() {
        for q in plan_queries(&company) {
            match t.web_search(&q, RESULTS_PER_SEARCH).await {
                Ok(m) => {
                    spend.record(&m);
                    for h in m.value {
                        let text = format!("{} {}", h.title, h.snippet);
                        let host = t.url_host(&h.url).unwrap_or_default();
                        let verdict = judge(&host, &text, &tokens, own.as_deref());
                        if !verdict.is_about() {
                            pack.off_target += 1;
                            continue;
                        }
                        if pack.hits.iter().any(|x| url_key(&x.url) == url_key(&h.url)) {
                            continue;
                        }
                        pack.hits.push(Hit {
                            date: h
                                .published_date
                                .as_deref()
                                .and_then(|d| normalise_date(d, now.date())),
                            url: h.url,
                            title: h.title,
                            snippet: h.snippet,
                            own_site: verdict == About::OwnSite,
                            observed_at: observed.clone(),
                        });
                    }
                    pack.queries.push(q);
                }
                Err(e) if e.is_rate_limit() => return Err(e),
                Err(e) => pack.warnings.push(format!("web search failed: {e}")),
            }
        }
    } else {
        pack.warnings
            .push("no web search configured: research reads the company site only".into());
    }
    Ok(pack)
}

/// The size in prompt tokens of a pack as the evidence cache holds it (`None` when the
/// payload is not a pack).
pub fn pack_tokens(payload: &serde_json::Value) -> Option<u64> {
    EvidencePack::deserialize(payload)
        .ok()
        .map(|p| p.prompt_tokens())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_from_search_engines_are_normalised() {
        let today = date!(2026 - 12 - 01);
        assert_eq!(
            normalise_date("2026-03-04T10:00:00Z", today).as_deref(),
            Some("2026-03-04")
        );
        assert_eq!(
            normalise_date("2 weeks ago", today).as_deref(),
            Some("2026-11-17")
        );
        assert_eq!(
            normalise_date("Mar 3, 2025", today).as_deref(),
            Some("2025-03-03")
        );
        assert_eq!(normalise_date("yesterday-ish", today), None);
    }

    #[test]
    fn provenance_of_pack_urls() {
        let pack = EvidencePack {
            site: Some(Page::read(
                "https://acme.example/",
                "Acme",
                "We make anvils",
                "2026-12-01T00:00:00Z",
            )),
            hits: vec![Hit::found(
                "https://news.example/a",
                "Acme raises",
                Some("2026-11-02"),
                "2026-12-01T00:00:00Z",
            )],
            ..EvidencePack::default()
        };
        assert_eq!(
            pack.provenance_of("https://acme.example").map(|p| p.source),
            Some(SourceKind::Website)
        );
        let p = pack.provenance_of("https://news.example/a/").unwrap();
        assert_eq!(
            (p.source, p.observed_at.as_deref()),
            (SourceKind::Search, Some("2026-11-02"))
        );
        assert_eq!(pack.provenance_of("https://invented.example/"), None);
        assert!(pack.render(10_000).contains("<untrusted_page"));
    }
}
