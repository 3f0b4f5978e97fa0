//! Tavily, Brave and Serper: shapes, and the mix real results have.

use super::*;

sandbox_test!(tavily_and_brave_shapes, |sb, c| {
    let (status, v) = c
        .post_json(
            "/search",
            &json!({"query": "Acme Corp funding 2026", "max_results": 3, "topic": "news"}),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    let results = v["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 3);
    for r in &results {
        assert!(
            r["title"].is_string()
                && r["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("synthetic"))
        );
        assert!(
            r["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://sandbox.atl.invalid/"))
        );
        assert!(
            r["score"]
                .as_f64()
                .is_some_and(|s| (0.0..=1.0).contains(&s))
        );
        assert!(r["published_date"].is_string());
    }
    let (_, v) = c
        .post_json("/search", &json!({"query": "nothing sandbox:empty"}))
        .await?;
    assert_eq!(v["results"], json!([]));
    let (status, v) = c.post_json("/search", &json!({"max_results": 3})).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["detail"]["error"].is_string());

    let (status, v) = c
        .get_json("/res/v1/web/search?q=acme+corp+vp+sales&count=4")
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["query"]["original"], "acme corp vp sales");
    assert_eq!(v["web"]["results"].as_array().map(Vec::len), Some(4));
    assert!(v["web"]["results"][0]["description"].is_string());
    let (_, v) = c.get_json("/res/v1/web/search?q=sandbox:empty").await?;
    assert!(v.get("web").is_none());
});

/// Serper's search, with a key.
async fn serper(c: &Api, body: &Value) -> Result<reqwest::Response, reqwest::Error> {
    c.post_with("/serper/search", &[("X-API-KEY", "sk")], body)
        .await
}

sandbox_test!(serper_shape_keys_and_errors, |sb, c| {
    let body = json!({"q": "Walmart walmart.com news", "num": 10});
    let r = c.post_with("/serper/search", &[], &body).await?;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no X-API-KEY");
    let v: Value = r.json().await?;
    assert_eq!(v["statusCode"], 403);
    assert!(v["message"].is_string());

    let r = serper(&c, &body).await?;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await?;
    assert_eq!(v["searchParameters"]["q"], "Walmart walmart.com news");
    assert_eq!(v["searchParameters"]["num"], 10);
    assert_eq!(v["credits"], 1);
    let organic = v["organic"].as_array().cloned().unwrap_or_default();
    assert!(!organic.is_empty() && organic.len() <= 10);
    for (i, o) in organic.iter().enumerate() {
        assert_eq!(o["position"], i + 1);
        for k in ["title", "link", "snippet"] {
            assert!(o[k].is_string(), "{k}: {o}");
        }
        assert!(
            o["link"]
                .as_str()
                .is_some_and(|l| l.starts_with("https://sandbox.atl.invalid/sites/"))
        );
    }
    assert!(
        organic.iter().any(|o| o["date"].is_string()),
        "news results are dated"
    );
    assert!(
        v["news"].as_array().is_some_and(|n| !n.is_empty()),
        "a news query gets news"
    );

    // tbs=qdr:y keeps only the past year's dated results.
    let year = json!({"q": "Walmart walmart.com news", "num": 20, "tbs": "qdr:y"});
    let v: Value = serper(&c, &year).await?.json().await?;
    assert_eq!(v["searchParameters"]["tbs"], "qdr:y");
    let all: Value = serper(&c, &json!({"q": "Walmart walmart.com news", "num": 20}))
        .await?
        .json()
        .await?;
    let dated = |v: &Value| {
        v["organic"]
            .as_array()
            .map_or(0, |o| o.iter().filter(|x| x["date"].is_string()).count())
    };
    assert!(
        dated(&v) < dated(&all),
        "older items dropped: {} vs {}",
        dated(&v),
        dated(&all)
    );

    let r = serper(&c, &json!({"num": 3})).await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let mut config = SandboxConfig::default();
    config.serper.faults.rate_limit = Trigger::every(1);
    sb.set_config(config);
    let r = serper(&c, &body).await?;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let v: Value = r.json().await?;
    assert_eq!(v["statusCode"], 429);
    assert_eq!(sb.stats().provider("serper").responses_429, 1);
});

sandbox_test!(
    results_mix_own_pages_old_and_new_press_subdomains_and_namesakes,
    |sb, c| {
        let (_, v) = c
            .get_json("/res/v1/web/search?q=Walmart+walmart.com&count=20")
            .await?;
        let results = v["web"]["results"].as_array().cloned().unwrap_or_default();
        let urls: Vec<&str> = results.iter().filter_map(|r| r["url"].as_str()).collect();
        assert_eq!(
            urls.first().copied(),
            Some("https://sandbox.atl.invalid/sites/walmart.com/")
        );
        assert!(
            urls.iter()
                .any(|u| u.contains("/sites/investors.walmart.com/")),
            "{urls:?}"
        );
        assert!(
            urls.iter().any(|u| u.contains("/sites/stock.walmart.com/")),
            "{urls:?}"
        );
        assert!(
            urls.iter()
                .any(|u| u.contains("/sites/walmart.com/news#item-")),
            "{urls:?}"
        );
        assert!(
            results[0]["title"]
                .as_str()
                .is_some_and(|t| t.contains("Walmart"))
        );
        let ages: Vec<&str> = results.iter().filter_map(|r| r["age"].as_str()).collect();
        assert!(
            ages.iter().any(|a| a.ends_with("ago")),
            "fresh items: {ages:?}"
        );
        assert!(
            ages.iter().any(|a| a.contains(", 20")),
            "items from years back: {ages:?}"
        );

        // Tavily news: dates over about three years, some too old to be a reason to call.
        let v = walmart_news(&c, 10).await?;
        let dates: Vec<String> = v["results"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|x| x["published_date"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        assert!(dates.len() >= 6, "{dates:?}");
        assert!(
            dates.iter().any(|d| d.as_str() >= "2026-06-01")
                && dates.iter().any(|d| d.as_str() < "2025-01-01"),
            "{dates:?}"
        );
        let (_, v) = c.post_json("/search", &json!({"query": "Walmart walmart.com", "topic": "news", "max_results": 10, "time_range": "month"})).await?;
        let recent = v["results"].as_array().cloned().unwrap_or_default();
        assert!(
            recent.len() < dates.len()
                && recent
                    .iter()
                    .all(|r| r["published_date"].as_str() >= Some("2026-10-29"))
        );

        // About one query in three also finds another company with the same name.
        let mut namesakes = 0;
        for i in 0..30 {
            let (_, v) = c
                .post_json(
                    "/search",
                    &json!({"query": format!("Acme{i} acme{i}.com"), "max_results": 20}),
                )
                .await?;
            let own = format!("/sites/acme{i}.com/");
            let others = v["results"].as_array().map_or(0, |r| {
                r.iter()
                    .filter(|x| {
                        let u = x["url"].as_str().unwrap_or("");
                        !u.contains(&own)
                            && !u.contains(&format!(".acme{i}.com/"))
                            && !u.contains(&format!("/acme{i}.com/"))
                    })
                    .count()
            });
            namesakes += usize::from(others > 0);
        }
        assert!((3..=20).contains(&namesakes), "{namesakes}/30");
    }
);
