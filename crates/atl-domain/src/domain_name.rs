//! Company domains as lookups need them: the registrable domain from the public suffix
//! list (`stock.walmart.com` → `walmart.com`, `www.bbc.co.uk` → `bbc.co.uk`), and a note
//! when the address a user gave is an investor-relations or other corporate sub-domain.

/// The host of a URL, website or bare domain, lower-cased, without scheme, port, path,
/// a trailing dot or a leading `www.`; `None` when nothing host-like is there.
pub fn host_of(raw: &str) -> Option<String> {
    let s = raw.trim();
    let s = s.rsplit_once('@').map_or(s, |(_, d)| d);
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    let s = s.split(['/', '?', '#']).next().unwrap_or_default();
    let s = s.rsplit_once('@').map_or(s, |(_, h)| h);
    let s = s.split(':').next().unwrap_or_default();
    let s = s.trim_end_matches('.').to_ascii_lowercase();
    let s = s.strip_prefix("www.").unwrap_or(&s).to_string();
    let ok = s.contains('.')
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    ok.then_some(s)
}

/// The registrable domain (public suffix + one label) of a URL, website, e-mail or host.
pub fn registrable_domain(raw: &str) -> Option<String> {
    let host = host_of(raw)?;
    psl::domain_str(&host).map(str::to_string)
}

/// First labels that mark a corporate sub-site rather than the company's main site.
const CORPORATE_LABELS: &[&str] = &[
    "investors",
    "investor",
    "ir",
    "stock",
    "corporate",
    "corp",
    "about",
    "news",
    "newsroom",
    "press",
    "media",
    "careers",
    "jobs",
];

/// When `raw` names a corporate sub-domain of its registrable domain, a note saying so
/// (`stock.walmart.com is an investor-relations or corporate sub-domain; lookups use
/// walmart.com`).
pub fn subdomain_note(raw: &str) -> Option<String> {
    let host = host_of(raw)?;
    let reg = psl::domain_str(&host)?;
    if host == reg {
        return None;
    }
    let first = host.split('.').next().unwrap_or_default();
    let kind = if CORPORATE_LABELS.contains(&first) {
        "an investor-relations or corporate sub-domain"
    } else {
        "a sub-domain"
    };
    Some(format!("{host} is {kind}; lookups use {reg}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, host: Option<&str>, reg: Option<&str>) {
        assert_eq!(host_of(raw).as_deref(), host, "host of {raw:?}");
        assert_eq!(
            registrable_domain(raw).as_deref(),
            reg,
            "registrable of {raw:?}"
        );
    }

    #[test]
    fn hosts_and_registrable_domains() {
        check(
            "https://www.stock.walmart.com",
            Some("stock.walmart.com"),
            Some("walmart.com"),
        );
        check(
            "https://investors.bestbuy.com/investor-relations/default.aspx",
            Some("investors.bestbuy.com"),
            Some("bestbuy.com"),
        );
        check("www.bbc.co.uk", Some("bbc.co.uk"), Some("bbc.co.uk"));
        check(
            "jane@Mail.Acme.com",
            Some("mail.acme.com"),
            Some("acme.com"),
        );
        check(
            "http://user@acme.com:8080/x",
            Some("acme.com"),
            Some("acme.com"),
        );
        check("not a domain", None, None);
        check("", None, None);
        assert_eq!(
            subdomain_note("https://www.stock.walmart.com").as_deref(),
            Some(
                "stock.walmart.com is an investor-relations or corporate sub-domain; lookups use walmart.com"
            )
        );
        assert_eq!(subdomain_note("walmart.com"), None);
    }
}
