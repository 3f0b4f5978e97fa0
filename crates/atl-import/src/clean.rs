//! Cell values: cleaning every cell the same way, and validating the ones with a syntax.

use std::borrow::Cow;
use url::Url;

/// Trims, treats a literal `NULL`/`null` (database dumps) as empty, and decodes HTML
/// entities (`Lowe&#8217;s`, `AT&amp;T`: scraped lists are full of them). Borrows unless an
/// entity was decoded.
pub(crate) fn clean_cell(raw: &str) -> Cow<'_, str> {
    let trimmed = raw.trim();
    if trimmed == "NULL" || trimmed == "null" {
        return Cow::Borrowed("");
    }
    if !trimmed.contains('&') {
        return Cow::Borrowed(trimmed);
    }
    match html_escape::decode_html_entities(trimmed) {
        Cow::Borrowed(s) => Cow::Borrowed(s),
        // An entity may have decoded to whitespace (`&nbsp;`) at either end.
        Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
    }
}

/// A pragmatic e-mail syntax check: one `@`, a non-empty local part, a dotted domain of
/// letters, digits and hyphens, and no spaces. Deliverability is the enrichment step's job.
pub(crate) fn is_valid_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"@,;:<>()[]\\\"".contains(c));
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.chars().any(char::is_alphabetic));
    local_ok && domain_ok
}

/// Profile paths LinkedIn serves people and companies under.
const LINKEDIN_PATHS: &[&str] = &[
    "/in/",
    "/company/",
    "/pub/",
    "/school/",
    "/showcase/",
    "/sales/",
];

/// An http(s) URL on linkedin.com with a profile path. A bare `linkedin.com/in/x` (people
/// paste them that way) gets `https://`. Returns the normalised URL or `None`.
pub(crate) fn normalise_linkedin(value: &str) -> Option<String> {
    let with_scheme = add_scheme(value);
    let url = Url::parse(&with_scheme).ok()?;
    // url lower-cases hosts while parsing.
    let host = url.host_str()?;
    let on_linkedin = host == "linkedin.com" || host.ends_with(".linkedin.com");
    let path = url.path();
    let profile = LINKEDIN_PATHS
        .iter()
        .any(|p| path.len() > p.len() && path.starts_with(p));
    (is_http(&url) && on_linkedin && profile).then(|| with_scheme.into_owned())
}

/// A website: `https://` is added when the scheme is missing; it must then parse as an
/// http(s) URL with a dotted host. Returns the URL as the user wrote it (plus the scheme:
/// `Url`'s own serialisation would add a trailing `/` nobody typed) and its domain.
pub(crate) fn normalise_website(value: &str) -> Option<(String, String)> {
    let with_scheme = add_scheme(value);
    let url = Url::parse(&with_scheme).ok()?;
    if !is_http(&url) {
        return None;
    }
    let domain = domain_of(&url)?;
    Some((with_scheme.into_owned(), domain))
}

/// A `Domain` cell: lower-cased host without `www.`; a pasted URL is reduced to its host.
pub(crate) fn normalise_domain(value: &str) -> Option<String> {
    let url = Url::parse(&add_scheme(value)).ok()?;
    if !is_http(&url) {
        return None;
    }
    domain_of(&url)
}

fn add_scheme(value: &str) -> Cow<'_, str> {
    if value.contains("://") {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(format!("https://{value}"))
    }
}

/// http(s) without user info: `mailto:jo@acme.com` given a scheme would otherwise parse
/// as user `mailto` at host `acme.com`.
fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
        && url.username().is_empty()
        && url.password().is_none()
}

/// The host without a leading `www.`, if it looks like a public name (has a dot).
fn domain_of(url: &Url) -> Option<String> {
    let host = url.host_str()?.trim_end_matches('.');
    let host = host.strip_prefix("www.").unwrap_or(host);
    (host.contains('.') && !host.starts_with('.')).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_trimmed_nulled_and_entity_decoded() {
        assert_eq!(clean_cell("  Acme \t"), "Acme");
        assert!(matches!(clean_cell(" Acme "), Cow::Borrowed("Acme")));
        assert_eq!(clean_cell("NULL"), "");
        assert_eq!(clean_cell(" null "), "");
        assert_eq!(clean_cell("Nullify"), "Nullify");
        assert_eq!(clean_cell("Lowe&#8217;s"), "Lowe\u{2019}s");
        assert_eq!(clean_cell("AT&amp;T"), "AT&T");
        assert_eq!(clean_cell("AT&T"), "AT&T");
        assert_eq!(clean_cell("&nbsp;Acme"), "Acme");
    }

    #[test]
    fn email_syntax() {
        for ok in [
            "jo@acme.com",
            "jo.smith+x@mail.acme.co.uk",
            "j@xn--bcher-kva.de",
            "john@doe.invalid",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "jo",
            "jo@",
            "@acme.com",
            "jo@acme",
            "jo @acme.com",
            "jo@@acme.com",
            "jo@acme..com",
            "n/a",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn linkedin_urls() {
        assert_eq!(
            normalise_linkedin("linkedin.com/in/ada").as_deref(),
            Some("https://linkedin.com/in/ada")
        );
        assert!(normalise_linkedin("https://www.linkedin.com/company/acme").is_some());
        assert!(normalise_linkedin("https://uk.linkedin.com/in/x").is_some());
        assert!(normalise_linkedin("https://www.linkedin.com/").is_none());
        assert!(normalise_linkedin("https://evil-linkedin.com/in/x").is_none());
        assert!(normalise_linkedin("ftp://linkedin.com/in/x").is_none());
        assert!(normalise_linkedin("ada lovelace").is_none());
    }

    #[test]
    fn websites_and_domains() {
        assert_eq!(
            normalise_website("https://www.stock.walmart.com"),
            Some((
                "https://www.stock.walmart.com".into(),
                "stock.walmart.com".into()
            ))
        );
        assert_eq!(
            normalise_website("Acme.com/about"),
            Some(("https://Acme.com/about".into(), "acme.com".into()))
        );
        assert!(normalise_website("not a website").is_none());
        assert!(normalise_website("localhost").is_none());
        assert!(normalise_website("mailto:jo@acme.com").is_none());
        assert_eq!(
            normalise_domain("WWW.Acme.com").as_deref(),
            Some("acme.com")
        );
        assert_eq!(
            normalise_domain("https://acme.com/x").as_deref(),
            Some("acme.com")
        );
        assert!(normalise_domain("acme").is_none());
    }
}
