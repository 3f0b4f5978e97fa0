//! Company sites: home, about, press page, investor sub-domains, dead domains.

use super::*;

sandbox_test!(synthetic_sites, |sb, c| {
    for path in [
        "/sites/acme.com/",
        "/sites/acme.com/about",
        "/sites/acme.com",
    ] {
        let r = c.get(c.url(path)).send().await?;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(
            r.headers()
                .get("content-type")
                .and_then(|h| h.to_str().ok())
                .is_some_and(|t| t.starts_with("text/html"))
        );
        let html = r.text().await?;
        assert!(
            html.contains("<title>")
                && html.contains("name=\"description\"")
                && html.contains("<h1>")
        );
        assert!(html.contains("synthetic") && html.contains("Acme") && html.contains("<a href="));
    }
    let (status, _) = c.get_text("/sites/not_a_domain/").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

sandbox_test!(press_page_and_investor_subdomains, |sb, c| {
    let (status, home) = c.get_text("/sites/walmart.com/").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(
        home.contains("<title>Walmart"),
        "the company's real name in the title"
    );
    assert!(home.contains("name=\"description\"") && home.contains("Walmart"));
    assert!(
        home.contains("href=\"/sites/walmart.com/news\""),
        "links to the press page"
    );

    let (status, news) = c.get_text("/sites/walmart.com/news").await?;
    assert_eq!(status, StatusCode::OK);
    let dates: Vec<&str> = news
        .split("<time datetime=\"")
        .skip(1)
        .filter_map(|s| s.get(..10))
        .collect();
    assert!(dates.len() >= 6, "{dates:?}");
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {dates:?}"
    );
    assert!(
        dates[0] > "2026-10-01" && dates.last().is_some_and(|d| *d < "2025-01-01"),
        "{dates:?}"
    );
    assert!(news.contains("id=\"item-0\"") && news.contains("synthetic"));

    for sub in ["investors.walmart.com", "stock.walmart.com"] {
        let (status, page) = c.get_text(&format!("/sites/{sub}/")).await?;
        assert_eq!(status, StatusCode::OK, "{sub}");
        assert!(
            page.contains("Investor Relations") && page.contains("Walmart"),
            "{sub}"
        );
        assert!(
            page.contains("href=\"/sites/walmart.com/\""),
            "{sub} links to the main site"
        );
    }
    // A search result's press link lands on an item of that page.
    let v = walmart_news(&c, 1).await?;
    let url = v["results"][0]["url"].as_str().unwrap_or("");
    let anchor = url.split('#').nth(1).ok_or("an anchor")?;
    assert!(news.contains(&format!("id=\"{anchor}\"")), "{url}");
    let title = v["results"][0]["title"]
        .as_str()
        .unwrap_or("")
        .trim_start_matches("[synthetic] ");
    assert!(news.contains(title), "{title}");
});

#[tokio::test]
async fn dead_domains_fail_the_same_way_every_time() -> TestResult {
    let mut config = SandboxConfig::default();
    config.dead_domains = atl_sandbox::DeadDomains {
        share: 0.3,
        domains: vec!["www.gone.example".into()],
        timeout_ms: 200,
    };
    let (sb, c) = start(config).await?;
    let short = client(Duration::from_secs(2))?;
    let mut outcomes = std::collections::BTreeMap::new();
    for i in 0..30 {
        let url = c.url(&format!("/sites/shop{i}.com/about"));
        let first = short.get(&url).send().await?.status().as_u16();
        let again = short.get(&url).send().await?.status().as_u16();
        assert_eq!(first, again, "shop{i}.com");
        *outcomes.entry(first).or_insert(0) += 1;
    }
    let dead = 30 - outcomes.get(&200).copied().unwrap_or(0);
    assert!((3..=18).contains(&dead), "{outcomes:?}");
    assert!(
        outcomes.keys().all(|s| [200, 404, 503].contains(s)),
        "{outcomes:?}"
    );
    let (status, _) = c.get_text("/sites/gone.example/").await?;
    assert_ne!(status, StatusCode::OK, "listed by name");
    // Sub-domains share their company's fate.
    let (a, _) = c.get_text("/sites/gone.example/news").await?;
    let (b, _) = c.get_text("/sites/investors.gone.example/").await?;
    assert_eq!(a, b);
    sb.shutdown().await;
    Ok(())
}
