//! Hunter: verifier statuses, catch-all domains, finder, 202/403/429.

use super::*;
use std::collections::BTreeSet;

sandbox_test!(verifier_statuses_and_finder_fields, |sb, c| {
    let mut seen = BTreeSet::new();
    for i in 0..120 {
        let path = format!("/v2/email-verifier?email=user{i}@company{}.example", i % 40);
        let (status, v) = c.get_json(&path).await?;
        assert_eq!(status, StatusCode::OK);
        let d = &v["data"];
        let s = d["status"].as_str().unwrap_or("").to_string();
        assert!(
            ["valid", "invalid", "accept_all", "unknown"].contains(&s.as_str()),
            "{s}"
        );
        let expected = match s.as_str() {
            "valid" => "deliverable",
            "invalid" => "undeliverable",
            _ => "risky",
        };
        assert_eq!(d["result"], expected);
        assert_eq!(d["accept_all"], s == "accept_all");
        assert!(d["score"].is_i64() && d["smtp_check"].is_boolean() && d["sources"].is_array());
        seen.insert(s);
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    for (email, status) in [
        ("a.b@gmail.com", "webmail"),
        ("x@mailinator.com", "disposable"),
    ] {
        let (_, v) = c
            .get_json(&format!("/v2/email-verifier?email={email}"))
            .await?;
        assert_eq!(v["data"]["status"], status);
    }

    let (mut found, mut none) = (0, 0);
    for i in 0..60 {
        let (status, v) = c
            .get_json(&format!(
                "/v2/email-finder?domain=acme.com&first_name=Jo{i}&last_name=Doe&api_key=k"
            ))
            .await?;
        assert_eq!(status, StatusCode::OK);
        let d = &v["data"];
        assert_eq!(d["domain"], "acme.com");
        match d["email"].as_str() {
            Some(e) => {
                found += 1;
                assert_eq!(e, format!("jo{i}.doe@acme.example"));
                assert!(d["score"].is_i64() && d["accept_all"].is_boolean());
                assert!(
                    d["verification"]["date"].is_string()
                        && d["verification"]["status"].is_string()
                );
                let src = &d["sources"][0];
                for k in ["uri", "extracted_on", "last_seen_on"] {
                    assert!(src[k].is_string(), "sources[0].{k}");
                }
            }
            None => {
                none += 1;
                assert!(d["score"].is_null() && d["sources"] == json!([]));
            }
        }
    }
    assert!(
        (4..=22).contains(&none) && found > 35,
        "found {found}, none {none}"
    );
    let (status, v) = c.get_json("/v2/email-finder?domain=acme.com").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["errors"][0]["id"], "wrong_params");
});

sandbox_test!(
    a_catch_all_domain_accepts_an_address_apollo_says_bounced,
    |sb, c| {
        let mut catch_all_bounced = None;
        let mut plain_bounced = None;
        'search: for d in 0..150 {
            let details: Vec<Value> = (0..10)
            .map(|i| json!({"first_name": format!("Pat{i}"), "last_name": "Vantage", "domain": format!("firm{d}.com")}))
            .collect();
            let (_, v) = c
                .post_json("/api/v1/people/bulk_match", &json!({"details": details}))
                .await?;
            for m in v["matches"].as_array().cloned().unwrap_or_default() {
                if m["email_status"] != "bounced" {
                    continue;
                }
                let email = m["email"].as_str().unwrap_or("").to_string();
                let (_, verdict) = c
                    .get_json(&format!("/v2/email-verifier?email={email}"))
                    .await?;
                let status = verdict["data"]["status"].as_str().unwrap_or("").to_string();
                if status == "accept_all" {
                    let score = verdict["data"]["score"].as_i64().unwrap_or(0);
                    assert!((60..=75).contains(&score), "{score}");
                    catch_all_bounced.get_or_insert(email);
                } else {
                    assert_eq!(status, "invalid", "{email}: a bounce elsewhere is invalid");
                    plain_bounced.get_or_insert(email);
                }
                if catch_all_bounced.is_some() && plain_bounced.is_some() {
                    break 'search;
                }
            }
        }
        let email = catch_all_bounced.ok_or("no bounced address at a catch-all domain")?;
        assert!(
            plain_bounced.is_some(),
            "no bounced address at a normal domain"
        );
        // Every address at that domain is accept_all.
        let domain = email.split('@').nth(1).unwrap_or("");
        for who in ["someone", "nobody.at.all", "ceo"] {
            let (_, v) = c
                .get_json(&format!("/v2/email-verifier?email={who}@{domain}"))
                .await?;
            assert_eq!(v["data"]["status"], "accept_all", "{who}@{domain}");
            assert_eq!(v["data"]["accept_all"], true);
        }
    }
);

#[tokio::test]
async fn hunter_202_pending_403_rate_limited_429_out_of_quota() -> TestResult {
    let mut config = SandboxConfig::default();
    config.hunter.faults.pending = Trigger::every(2);
    let (sb, c) = start(config).await?;
    let url = c.url("/v2/email-verifier?email=jo.doe@acme.example");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = c.get(&url).send().await?;
        statuses.push(r.status().as_u16());
        if r.status() == StatusCode::ACCEPTED {
            let v: Value = r.json().await?;
            assert!(
                v["errors"][0]["details"]
                    .as_str()
                    .is_some_and(|d| d.contains("again"))
            );
        }
    }
    assert_eq!(statuses, [200, 202, 200, 202]);

    let mut config = SandboxConfig::default();
    config.hunter.faults.rate_limit = Trigger::every(1);
    sb.set_config(config);
    let r = c.get(&url).send().await?;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.headers().get("retry-after").is_none() && r.headers().get("x-ratelimit-limit").is_none()
    );
    let v: Value = r.json().await?;
    assert_eq!(v["errors"][0]["id"], "too_many_requests");

    let mut config = SandboxConfig::default();
    config.hunter.faults.quota_exhausted = Trigger::every(1);
    sb.set_config(config);
    let r = c.get(&url).send().await?;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let v: Value = r.json().await?;
    assert!(
        v["errors"][0]["details"]
            .as_str()
            .is_some_and(|d| d.contains("monthly"))
    );

    // The same two answers from the plan's own limits: 10 verifications a second, and
    // a month's quota (12 here instead of the free plan's 50).
    let mut config = SandboxConfig::default();
    config.limits.hunter = Some(atl_sandbox::LimitSpec {
        tier: Some("free".into()),
        monthly: Some(12),
        ..Default::default()
    });
    sb.set_config(config);
    let verify = |i: usize| {
        c.get(c.url(&format!(
            "/v2/email-verifier?email=p{i}@acme.example&api_key=hk"
        )))
        .send()
    };
    let mut statuses = Vec::new();
    for i in 0..11 {
        statuses.push(verify(i).await?.status().as_u16());
    }
    assert_eq!(statuses[..10], [200; 10]);
    assert_eq!(statuses[10], 403, "the 11th in a second: {statuses:?}");
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    let later = [
        verify(11).await?.status(),
        verify(12).await?.status(),
        verify(13).await?.status(),
    ];
    assert_eq!(
        later.map(|s| s.as_u16()),
        [200, 200, 429],
        "refusals do not count; the 13th is over quota"
    );
    let stats = sb.stats().provider("hunter");
    assert!(
        stats.rate_limited >= 2 && stats.responses_429 >= 2,
        "{stats:?}"
    );
    sb.shutdown().await;
    Ok(())
}
