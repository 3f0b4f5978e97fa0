//! The only way ATL fetches a URL that came from user data: every
//! hop is checked by [`crate::ssrf`], redirects are followed by hand, the body is capped
//! while it streams, and only HTML or plain text is accepted. What comes back is readable
//! text for a prompt: data, never instructions (the prompt layer fences it).

use crate::ProviderError;
use crate::http;
use crate::ssrf::{self, AllowList, BlockedAddress, GuardedResolver};
use scraper::{ElementRef, Html, Node, Selector};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};
use url::Url;

const PROVIDER: &str = "fetch";

/// Limits of the guarded fetcher.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Largest body read, in bytes; a larger one is refused, not truncated.
    pub max_bytes: usize,
    /// For the whole fetch, redirects included.
    pub timeout: Duration,
    pub max_redirects: u32,
    /// `host[:port]` entries the guard lets through (the local sandbox, tests). Everything
    /// else stays guarded.
    pub allow_hosts: Vec<String>,
    /// Ports a guarded URL may use (allow-listed hosts are exempt).
    pub allowed_ports: Vec<u16>,
    /// Cap on the extracted text, in characters.
    pub max_text_chars: usize,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            max_bytes: 2 * 1024 * 1024,
            timeout: Duration::from_secs(15),
            max_redirects: 5,
            allow_hosts: Vec::new(),
            allowed_ports: vec![80, 443],
            max_text_chars: 20_000,
        }
    }
}

/// A fetched page reduced to what a prompt needs.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedPage {
    /// Where the redirects ended (query and fragment kept: this is data, not an error).
    pub final_url: String,
    pub status: u16,
    pub title: Option<String>,
    /// Readable text: title, meta description, headings, paragraphs, list items.
    pub text: String,
    /// Absolute http(s) links found on the page, deduplicated, in page order.
    pub links: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SafeFetcher {
    client: reqwest::Client,
    policy: FetchPolicy,
    allow: Arc<AllowList>,
}

impl SafeFetcher {
    pub fn new(policy: FetchPolicy) -> Self {
        http::install_crypto_provider();
        let allow = Arc::new(AllowList::new(&policy.allow_hosts));
        let client = http::base_builder(policy.timeout)
            // Redirects are followed by hand so each hop is checked.
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(GuardedResolver::new(allow.clone()))
            .build()
            // Fails only when the TLS backend cannot initialise (a broken build); no URL
            // or response reaches this line.
            .expect("guarded reqwest client must build");
        SafeFetcher {
            client,
            policy,
            allow,
        }
    }

    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// Fetches `url` and extracts its readable text.
    pub async fn fetch_text(&self, url: &str) -> Result<FetchedPage, ProviderError> {
        let started = Instant::now();
        match tokio::time::timeout(self.policy.timeout, self.fetch_inner(url)).await {
            Ok(result) => result,
            Err(_) => Err(ProviderError::timeout(PROVIDER, started.elapsed())),
        }
    }

    async fn fetch_inner(&self, url: &str) -> Result<FetchedPage, ProviderError> {
        let mut current = Url::parse(url.trim()).map_err(|e| {
            ProviderError::blocked(http::truncate(url, 200), format!("not a valid URL: {e}"))
        })?;
        let mut hops = 0u32;
        loop {
            ssrf::check_url(&current, &self.allow, &self.policy.allowed_ports)?;
            let started = Instant::now();
            let response = self
                .client
                .get(current.clone())
                .header(
                    reqwest::header::ACCEPT,
                    "text/html,application/xhtml+xml,text/plain;q=0.9",
                )
                .send()
                .await
                .map_err(|e| self.transport_error(&current, e, started.elapsed()))?;
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        ProviderError::invalid_response(
                            PROVIDER,
                            format!(
                                "redirect {status} without a Location from {}",
                                ssrf::display_url(&current)
                            ),
                        )
                    })?;
                let next = current.join(location).map_err(|e| {
                    ProviderError::blocked(
                        http::truncate(location, 200),
                        format!("redirect target is not a valid URL: {e}"),
                    )
                })?;
                hops += 1;
                if hops > self.policy.max_redirects {
                    return Err(ProviderError::blocked(
                        ssrf::display_url(&next),
                        format!("more than {} redirects", self.policy.max_redirects),
                    ));
                }
                current = next;
                continue;
            }
            return self.read_page(current, response).await;
        }
    }

    async fn read_page(
        &self,
        url: Url,
        mut response: reqwest::Response,
    ) -> Result<FetchedPage, ProviderError> {
        let status = response.status();
        let shown = ssrf::display_url(&url);
        if !status.is_success() {
            let headers = response.headers().clone();
            // The page body of an error is not needed; the status says enough.
            let message_body = format!("{{\"error\":\"HTTP {} from {shown}\"}}", status.as_u16());
            return Err(http::classify_response(
                PROVIDER,
                status,
                &headers,
                message_body.as_bytes(),
            ));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let is_html = mime == "text/html" || mime == "application/xhtml+xml";
        if !is_html && mime != "text/plain" {
            return Err(ProviderError::blocked(
                shown,
                format!(
                    "content-type {:?} is not text/html or text/plain",
                    if mime.is_empty() { "none" } else { &mime }
                ),
            ));
        }
        let max = self.policy.max_bytes;
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err(ProviderError::blocked(
                shown,
                format!("body larger than {max} bytes"),
            ));
        }
        let started = Instant::now();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&url, e, started.elapsed()))?
        {
            if body.len() + chunk.len() > max {
                return Err(ProviderError::blocked(
                    shown,
                    format!("body larger than {max} bytes"),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        // Non-UTF-8 pages lose their accents here; the text stays readable enough for a
        // prompt and no decoder crate is pulled in for it.
        let source = String::from_utf8_lossy(&body);
        let (title, text, links) = if is_html {
            let page = extract_html(&source, &url, self.policy.max_text_chars);
            (page.title, page.text, page.links)
        } else {
            (
                None,
                cap_chars(&collapse_lines(&source), self.policy.max_text_chars),
                Vec::new(),
            )
        };
        Ok(FetchedPage {
            final_url: url.to_string(),
            status: status.as_u16(),
            title,
            text,
            links,
        })
    }

    fn transport_error(&self, url: &Url, err: reqwest::Error, elapsed: Duration) -> ProviderError {
        // The guard's resolver error travels inside reqwest's error chain.
        let mut source: Option<&dyn std::error::Error> = Some(&err);
        while let Some(e) = source {
            if let Some(blocked) = e.downcast_ref::<BlockedAddress>() {
                // The addresses the name resolved to are not for users' eyes (they map a
                // private network); the log keeps them.
                tracing::debug!(host = %blocked.host, reason = %blocked.reason, "fetch blocked after resolution");
                return ProviderError::blocked(
                    ssrf::display_url(url),
                    format!(
                        "{} resolves to an address that is private or reserved",
                        blocked.host
                    ),
                );
            }
            source = e.source();
        }
        http::classify_transport(PROVIDER, err, elapsed)
    }
}

/// Readable parts of an HTML page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExtractedText {
    pub title: Option<String>,
    pub text: String,
    pub links: Vec<String>,
}

fn selector(css: &str) -> Selector {
    // Only called with the constant selectors below.
    Selector::parse(css).unwrap_or_else(|e| panic!("static selector {css:?}: {e}"))
}

static TITLE: LazyLock<Selector> = LazyLock::new(|| selector("title"));
static META_DESCRIPTION: LazyLock<Selector> =
    LazyLock::new(|| selector(r#"meta[name="description"], meta[property="og:description"]"#));
static BLOCKS: LazyLock<Selector> = LazyLock::new(|| {
    selector("h1, h2, h3, h4, h5, h6, p, li, blockquote, pre, td, th, dt, dd, figcaption")
});
static LINKS: LazyLock<Selector> = LazyLock::new(|| selector("a[href]"));
static BODY: LazyLock<Selector> = LazyLock::new(|| selector("body"));

/// Subtrees that are never page content.
const DROPPED: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "footer", "svg", "iframe", "form", "select",
    "button", "head",
];
const BLOCK_TAGS: &[&str] = &[
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "li",
    "blockquote",
    "pre",
    "td",
    "th",
    "dt",
    "dd",
    "figcaption",
];
const MAX_LINKS: usize = 200;

fn inside(element: &ElementRef<'_>, names: &[&str]) -> bool {
    element
        .ancestors()
        .filter_map(ElementRef::wrap)
        .any(|a| names.contains(&a.value().name()))
}

/// Title, meta description, then headings (as `#` lines), paragraphs and list items in
/// page order, each with whitespace collapsed; script, style, nav and footer dropped;
/// capped at `max_chars`.
pub fn extract_html(source: &str, base: &Url, max_chars: usize) -> ExtractedText {
    let document = Html::parse_document(source);
    let title = document
        .select(&TITLE)
        .next()
        .map(|t| collapse(&t.text().collect::<String>()))
        .filter(|t| !t.is_empty());
    let mut lines: Vec<String> = Vec::new();
    if let Some(t) = &title {
        lines.push(format!("# {t}"));
    }
    if let Some(description) = document
        .select(&META_DESCRIPTION)
        .filter_map(|m| m.value().attr("content"))
        .map(collapse)
        .find(|d| !d.is_empty())
    {
        lines.push(description);
    }
    let before_body = lines.len();
    for block in document.select(&BLOCKS) {
        // A block inside another block (a <p> in an <li>) is already in its parent's text.
        if inside(&block, DROPPED) || inside(&block, BLOCK_TAGS) {
            continue;
        }
        let text = visible_text(block);
        if text.is_empty() {
            continue;
        }
        let name = block.value().name();
        let line = match name.strip_prefix('h').and_then(|n| n.parse::<usize>().ok()) {
            Some(level) => format!("{} {text}", "#".repeat(level)),
            None if name == "li" => format!("- {text}"),
            None => text,
        };
        if lines.last() != Some(&line) {
            lines.push(line);
        }
    }
    if lines.len() == before_body {
        // Pages built from bare <div>s: take all visible body text.
        if let Some(body) = document.select(&BODY).next() {
            let text = visible_text(body);
            if !text.is_empty() {
                lines.push(text);
            }
        }
    }
    let mut links: Vec<String> = Vec::new();
    for a in document.select(&LINKS) {
        if links.len() >= MAX_LINKS {
            break;
        }
        let Some(href) = a.value().attr("href") else {
            continue;
        };
        let Ok(mut link) = base.join(href.trim()) else {
            continue;
        };
        if !matches!(link.scheme(), "http" | "https") {
            continue;
        }
        link.set_fragment(None);
        let link = link.to_string();
        if !links.contains(&link) {
            links.push(link);
        }
    }
    ExtractedText {
        title,
        text: cap_chars(&lines.join("\n"), max_chars),
        links,
    }
}

/// The text under `element`, skipping dropped subtrees, whitespace collapsed.
fn visible_text(element: ElementRef<'_>) -> String {
    let mut out = String::new();
    for node in element.descendants() {
        if let Node::Text(text) = node.value() {
            let hidden = node
                .ancestors()
                .filter_map(ElementRef::wrap)
                .take_while(|a| a.id() != element.id())
                .any(|a| DROPPED.contains(&a.value().name()));
            if !hidden {
                out.push(' ');
                out.push_str(text);
            }
        }
    }
    collapse(&out)
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn collapse_lines(text: &str) -> String {
    text.lines()
        .map(collapse)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn cap_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => text[..i].to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extraction_keeps_content_and_drops_chrome() {
        let html = r#"<!doctype html><html><head><title> Acme  Corp </title>
            <meta name="description" content="Acme makes   rockets.">
            <style>body { color: red }</style><script>var secret = "drop me";</script></head>
            <body><nav><a href="/about">About</a> Menu</nav>
            <h1>Welcome</h1><p>We build <b>rockets</b>
               for everyone.</p>
            <ul><li><p>Fast</p></li><li>Cheap</li></ul>
            <div>Loose div text</div>
            <a href="https://news.example.com/acme#top">News</a><a href="mailto:x@acme.com">Mail</a>
            <a href="/about">About again</a>
            <footer>Copyright Acme</footer></body></html>"#;
        let base = Url::parse("https://acme.com/index.html").unwrap();
        let page = extract_html(html, &base, 20_000);
        assert_eq!(page.title.as_deref(), Some("Acme Corp"));
        assert_eq!(
            page.text,
            "# Acme Corp\nAcme makes rockets.\n# Welcome\nWe build rockets for everyone.\n- Fast\n- Cheap"
        );
        assert!(
            !page.text.contains("drop me")
                && !page.text.contains("Copyright")
                && !page.text.contains("Menu")
        );
        assert_eq!(
            page.links,
            vec!["https://acme.com/about", "https://news.example.com/acme"]
        );
        let capped = extract_html(html, &base, 10);
        assert_eq!(capped.text.chars().count(), 10);
    }

    #[test]
    fn div_only_pages_fall_back_to_body_text() {
        let base = Url::parse("https://acme.com/").unwrap();
        let page = extract_html(
            "<html><body><div>Only <span>divs</span></div><script>x()</script></body></html>",
            &base,
            100,
        );
        assert_eq!(page.text, "Only divs");
    }
}
