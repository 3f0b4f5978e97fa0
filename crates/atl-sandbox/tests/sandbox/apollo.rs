//! Apollo: match, bulk match, search and reveal, organizations.

use super::*;
use std::collections::BTreeSet;

const STATUSES: [&str; 5] = [
    "verified",
    "guessed",
    "extrapolated",
    "unavailable",
    "bounced",
];
const SENIORITIES: [&str; 11] = [
    "owner", "founder", "c_suite", "partner", "vp", "head", "director", "manager", "senior",
    "entry", "intern",
];

async fn matched(c: &Api, body: &Value) -> Result<Value, Box<dyn std::error::Error>> {
    let (status, v) = c.post_json("/api/v1/people/match", body).await?;
    assert_eq!(status, StatusCode::OK, "{v}");
    Ok(v["person"].clone())
}

fn person(i: usize) -> Value {
    json!({"first_name": format!("Jo{i}"), "last_name": "Sampleton", "domain": "acme.com"})
}

sandbox_test!(apollo_match_hits_carry_the_documented_fields, |sb, c| {
    let r = c.post_with("/api/v1/people/match", &[], &person(0)).await?;
    assert_eq!(
        r.headers()
            .get("x-minute-requests-left")
            .and_then(|h| h.to_str().ok()),
        Some("999"),
        "usage headers on every reply"
    );
    let (mut hits, mut misses, mut phones, mut nested) = (0, 0, 0, 0);
    let mut statuses = BTreeSet::new();
    for i in 0..120 {
        let p = matched(&c, &person(i)).await?;
        if p.is_null() {
            misses += 1;
            continue;
        }
        hits += 1;
        assert_eq!(p["name"], format!("Jo{i} Sampleton"));
        assert_eq!(p["synthetic"], true);
        assert!(
            p["linkedin_url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://www.linkedin.com/in/synthetic-"))
        );
        let status = p["email_status"].as_str().unwrap_or("");
        assert!(STATUSES.contains(&status), "{status}");
        statuses.insert(status.to_string());
        if let Some(e) = p["email"].as_str() {
            assert!(e.ends_with(".example"), "{e}");
        }
        assert!(SENIORITIES.contains(&p["seniority"].as_str().unwrap_or("")));
        assert!(p["departments"].as_array().is_some_and(|d| !d.is_empty()));
        let org = &p["organization"];
        for k in [
            "id",
            "name",
            "primary_domain",
            "website_url",
            "industry",
            "city",
            "country",
        ] {
            assert!(org[k].is_string(), "organization.{k}: {org}");
        }
        assert!(org["estimated_num_employees"].is_i64() && org["annual_revenue"].is_i64());
        if let Some(list) = p["phone_numbers"].as_array() {
            phones += 1;
            for n in list {
                assert!(
                    n["raw_number"]
                        .as_str()
                        .is_some_and(|r| r.contains("555-01"))
                );
                assert!(
                    n["sanitized_number"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("+1555"))
                );
                let kind = n["type"].as_str().unwrap_or("");
                assert!(
                    ["mobile", "work_direct", "work_hq", "other"].contains(&kind),
                    "{kind}"
                );
                assert!(n["status"].is_string());
            }
            nested += usize::from(p["contact"]["phone_numbers"] == p["phone_numbers"]);
        }
    }
    // Rates: about 12 % misses, 85 % of hits with phones, some nested under `contact`.
    assert!((5..=30).contains(&misses), "misses {misses}/120");
    assert!(
        phones * 100 >= hits * 70 && phones < hits,
        "phones {phones}/{hits}"
    );
    assert!(nested > 0 && nested < phones, "nested {nested}/{phones}");
    assert!(statuses.len() >= 4, "{statuses:?}");
});

sandbox_test!(
    bulk_match_aligns_slots_counts_credits_and_refuses_eleven,
    |sb, c| {
        let mut hit = Vec::new();
        let mut miss = None;
        for i in 0..80 {
            let p = matched(&c, &person(i)).await?;
            if p.is_null() {
                miss.get_or_insert(i);
            } else if hit.len() < 3 {
                hit.push((i, p));
            }
        }
        let miss = miss.ok_or("no miss in 80 people")?;
        let order = [hit[0].0, miss, hit[1].0, hit[2].0];
        let details: Vec<Value> = order.iter().map(|i| person(*i)).collect();
        for reveal in [false, true] {
            let path = format!("/api/v1/people/bulk_match?reveal_phone_number={reveal}");
            let (status, v) = c.post_json(&path, &json!({"details": details})).await?;
            assert_eq!(status, StatusCode::OK);
            let m = v["matches"].as_array().cloned().unwrap_or_default();
            assert_eq!(m.len(), 4);
            assert!(m[1].is_null(), "the miss keeps its slot");
            for (slot, (_, single)) in [0, 2, 3].iter().zip(&hit) {
                assert_eq!(&m[*slot], single, "bulk and single match agree");
            }
            assert_eq!(v["missing_records"], 1);
            assert_eq!(v["unique_enriched_records"], 3);
            assert_eq!(v["total_requested_enrichments"], 4);
            let mobiles = hit
                .iter()
                .filter(|(_, p)| {
                    p["phone_numbers"]
                        .as_array()
                        .is_some_and(|l| l.iter().any(|n| n["type"] == "mobile"))
                })
                .count();
            let expected = 3 + if reveal { 8 * mobiles } else { 0 };
            assert_eq!(v["credits_consumed"], expected, "reveal={reveal}");
        }
        let eleven = json!({"details": vec![person(1); 11]});
        let (status, v) = c.post_json("/api/v1/people/bulk_match", &eleven).await?;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(v["error"].as_str().is_some_and(|e| e.contains("10")), "{v}");
    }
);

sandbox_test!(
    a_moved_person_works_elsewhere_and_keeps_the_old_job_in_history,
    |sb, c| {
        let mut moved = None;
        for i in 0..200 {
            let p = matched(&c, &person(i)).await?;
            if !p.is_null() && p["organization"]["primary_domain"] != "acme.com" {
                moved = Some(p);
                break;
            }
        }
        let p = moved.ok_or("no moved person among 200 (about 6 % expected)")?;
        let history = p["employment_history"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let now: Vec<&Value> = history.iter().filter(|h| h["current"] == true).collect();
        let old: Vec<&Value> = history.iter().filter(|h| h["current"] == false).collect();
        assert_eq!(now.len(), 1);
        assert_eq!(now[0]["organization_name"], p["organization"]["name"]);
        assert!(now[0]["end_date"].is_null());
        assert_eq!(old.len(), 1);
        assert_eq!(old[0]["organization_name"], "Acme");
        assert!(old[0]["end_date"].is_string());
        if let Some(e) = p["email"].as_str() {
            assert!(
                !e.contains("@acme."),
                "the address is at the new employer: {e}"
            );
        }
    }
);

sandbox_test!(
    api_search_spans_domains_hides_contacts_and_reveals_by_id,
    |sb, c| {
        let domains = ["walmart.com", "acme-analytics.com", "globex.com"];
        let (status, v) = c
            .post_json(
                "/api/v1/mixed_people/api_search",
                &json!({"q_organization_domains_list": domains, "page": 1, "per_page": 100}),
            )
            .await?;
        assert_eq!(status, StatusCode::OK);
        let people = v["people"].as_array().cloned().unwrap_or_default();
        let total = v["total_entries"].as_u64().unwrap_or(0) as usize;
        assert_eq!(people.len(), total);
        assert_eq!(v["pagination"]["total_entries"], total);
        assert_eq!(v["pagination"]["total_pages"], 1);
        let seen: BTreeSet<&str> = people
            .iter()
            .filter_map(|p| p["organization"]["primary_domain"].as_str())
            .collect();
        assert_eq!(
            seen,
            domains.iter().copied().collect(),
            "people from every domain"
        );
        for p in &people {
            for hidden in [
                "email",
                "phone_numbers",
                "last_name",
                "name",
                "linkedin_url",
            ] {
                assert!(p.get(hidden).is_none(), "{hidden} shown: {p}");
            }
            assert!(
                p["last_name_obfuscated"]
                    .as_str()
                    .is_some_and(|l| l.contains("***"))
            );
            assert!(p["has_email"].is_boolean() && p["has_direct_phone"].is_string());
            assert!(p["id"].as_str().is_some_and(|id| id.len() == 24));
        }
        // Reveal the first ten through bulk_match: the same people, in full.
        let first: Vec<Value> = people.iter().take(10).cloned().collect();
        let details: Vec<Value> = first.iter().map(|p| json!({"id": p["id"]})).collect();
        let (_, v) = c
            .post_json("/api/v1/people/bulk_match", &json!({"details": details}))
            .await?;
        let revealed = v["matches"].as_array().cloned().unwrap_or_default();
        assert_eq!(revealed.len(), first.len());
        for (listed, full) in first.iter().zip(&revealed) {
            assert_eq!(full["id"], listed["id"]);
            assert_eq!(full["first_name"], listed["first_name"]);
            assert_eq!(full["title"], listed["title"]);
            let last = full["last_name"].as_str().unwrap_or("");
            let obfuscated = listed["last_name_obfuscated"].as_str().unwrap_or("?");
            assert_eq!(obfuscated.get(..2), last.get(..2), "{obfuscated} vs {last}");
            assert_eq!(obfuscated.chars().last(), last.chars().last());
            assert_eq!(
                full["has_email"],
                Value::Null,
                "a full record, not a listing"
            );
            assert_eq!(
                listed["has_email"],
                full["email_status"] != "unavailable" && !full["email"].is_null()
            );
            // And a match by name at that domain finds the same person.
            let domain = full["organization"]["primary_domain"].clone();
            let again = matched(
                &c,
                &json!({"first_name": full["first_name"], "last_name": last, "domain": domain}),
            )
            .await?;
            assert_eq!(again["id"], full["id"]);
        }
        // An id the sandbox never showed matches nobody.
        let (_, v) = c
            .post_json(
                "/api/v1/people/bulk_match",
                &json!({"details": [{"id": "0123456789abcdef01234567"}]}),
            )
            .await?;
        assert!(v["matches"][0].is_null());

        // Filters: seniority, title, and paging.
        let (_, v) = c.post_json("/api/v1/mixed_people/api_search?person_seniorities[]=vp&q_organization_domains_list[]=globex.com", &json!({})).await?;
        let vps = v["people"].as_array().cloned().unwrap_or_default();
        assert!(!vps.is_empty() && vps.iter().all(|p| p["seniority"] == "vp"));
        let (_, v) = c
        .post_json(
            "/api/v1/mixed_people/api_search",
            &json!({"q_organization_domains_list": ["globex.com"], "person_titles": ["VP Sales"]}),
        )
        .await?;
        let titled = v["people"].as_array().cloned().unwrap_or_default();
        assert!(
            titled.iter().all(|p| p["title"] == "VP of Sales"),
            "{titled:?}"
        );
        let (_, v) = c
            .post_json(
                "/api/v1/mixed_people/api_search",
                &json!({"q_organization_domains_list": domains, "page": 2, "per_page": 5}),
            )
            .await?;
        assert_eq!(
            v["people"][0]["id"], people[5]["id"],
            "page 2 starts at the sixth"
        );
        assert_eq!(v["pagination"]["total_pages"], total.div_ceil(5));
    }
);

/// The Fortune 1000 list as the CSV importer sees it (CEO as the contact).
fn fortune_rows(n: usize) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/companies/fortune1000_2021.target_list.csv"
    );
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .skip(1)
        .filter(|l| !l.contains('"') && !l.contains('/'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((f.get(1)?.to_string(), f.get(5)?.to_string()))
        })
        .take(n)
        .collect())
}

sandbox_test!(
    the_fortune_lists_ceo_matches_as_ceo_unless_missing_or_moved,
    |sb, c| {
        let rows = fortune_rows(40)?;
        let mut ceo_hits = 0;
        for (ceo, domain) in &rows {
            let p = matched(&c, &json!({"name": ceo, "domain": domain})).await?;
            if p.is_null() {
                continue;
            }
            let org_domain = p["organization"]["primary_domain"].as_str().unwrap_or("");
            if domain.ends_with(org_domain) {
                ceo_hits += 1;
                assert!(
                    p["title"]
                        .as_str()
                        .is_some_and(|t| t.contains("Chief Executive")),
                    "{ceo}: {}",
                    p["title"]
                );
                assert_eq!(p["seniority"], "c_suite");
                // The same CEO leads the company's search listing, under the same id.
                let (_, v) = c
                    .post_json(
                        "/api/v1/mixed_people/api_search",
                        &json!({"q_organization_domains_list": [domain], "person_titles": ["CEO"]}),
                    )
                    .await?;
                let ids: Vec<&Value> = v["people"]
                    .as_array()
                    .map(|l| l.iter().map(|p| &p["id"]).collect())
                    .unwrap_or_default();
                assert!(ids.contains(&&p["id"]), "{ceo} at {domain}: {v}");
            } else {
                let history = p["employment_history"].to_string();
                assert!(
                    history.contains("\"current\":false"),
                    "{ceo} moved: {history}"
                );
            }
        }
        assert!(
            ceo_hits * 100 >= rows.len() * 65,
            "{ceo_hits}/{}",
            rows.len()
        );
        // The listed CEO's name is the list's, at Walmart's registrable domain.
        let (_, v) = c.post_json("/api/v1/mixed_people/api_search", &json!({"q_organization_domains_list": ["stock.walmart.com"], "person_seniorities": ["c_suite"]}),
    )
    .await?;
        let org = &v["people"][0]["organization"];
        assert_eq!(org["primary_domain"], "walmart.com");
        assert_eq!(org["name"], "Walmart");
    }
);

sandbox_test!(organizations_known_unknown_and_in_bulk, |sb, c| {
    let (status, v) = c
        .get_json("/api/v1/organizations/enrich?domain=www.walmart.com")
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["organization"]["name"], "Walmart");
    assert_eq!(v["organization"]["estimated_num_employees"], 2_200_000);
    assert_eq!(v["organization"]["synthetic"], true);
    let (_, v) = c
        .get_json("/api/v1/organizations/enrich?domain=shop.invalid")
        .await?;
    assert!(v.get("organization").is_none_or(Value::is_null), "{v}");
    let mut unknown = 0;
    for i in 0..100 {
        let (_, v) = c
            .get_json(&format!(
                "/api/v1/organizations/enrich?domain=company{i}.com"
            ))
            .await?;
        unknown += usize::from(v.get("organization").is_none_or(Value::is_null));
    }
    assert!((1..=12).contains(&unknown), "about 5 % unknown: {unknown}");

    let (status, v) = c.post_json("/api/v1/organizations/bulk_enrich?domains[]=walmart.com&domains[]=apple.com&domains[]=shop.invalid", &json!({}),
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["total_requested_domains"], 3);
    assert_eq!(v["unique_enriched_records"], 2);
    assert_eq!(v["missing_records"], 1);
    let names: BTreeSet<&str> = v["organizations"]
        .as_array()
        .map(|o| o.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["Apple", "Walmart"].into_iter().collect());
    let eleven: Vec<String> = (0..11).map(|i| format!("c{i}.com")).collect();
    let (status, _) = c
        .post_json(
            "/api/v1/organizations/bulk_enrich",
            &json!({"domains": eleven}),
        )
        .await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
});
