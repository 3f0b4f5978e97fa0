use super::*;
use atl_agents::{IntelAgent, ResearchAgent};
use atl_domain::SourceKind;
use atl_domain::records::{IntelReport, ResearchBrief};

#[tokio::test]
async fn every_research_claim_has_a_source_or_says_model_knowledge() {
    let env = Env::healthy().await;
    let input = env.input("Acme Analytics", Some("acme-analytics.com"));
    let r = env.run(&ResearchAgent::new(env.kit.clone()), &input).await;
    check_common(&r, SubAgentKind::Research);
    let brief = record::<ResearchBrief>(&r).record;
    eprintln!("{}", serde_json::to_string_pretty(&r.data).unwrap());
    assert!(brief.site_read, "the sandbox site is read");
    let mut any = 0;
    for (name, c) in brief.claims() {
        let Some(c) = c else { continue };
        any += 1;
        match c.source() {
            SourceKind::Website | SourceKind::Search => {
                let url = c
                    .provenance
                    .evidence_url
                    .as_deref()
                    .expect("an evidenced claim has its URL");
                assert!(
                    r.sources.iter().any(|s| s == url),
                    "{name}: {url} in sources"
                );
                assert!(
                    c.provenance.observed_at.is_some(),
                    "{name}: when it was observed"
                );
            }
            SourceKind::Model => assert!(c.provenance.evidence_url.is_none()),
            other => panic!("{name}: research claims never come from {other}"),
        }
    }
    assert!(any > 0, "the brief says something");
    for n in &brief.recent_news {
        assert!(r.sources.contains(&n.url), "news cites a read URL");
    }
    for s in &brief.signals {
        assert!(
            r.sources.contains(&s.url) && !s.date.is_empty(),
            "signals need a source and a date"
        );
    }
}

#[tokio::test]
async fn an_answer_that_cites_nothing_is_not_credited_with_the_pages_read() {
    let env = Env::faulty(|c| c.chat.faults.uncited = every(1)).await;
    let input = env.input("Acme Analytics", Some("acme-analytics.com"));
    let uncited = env.run(&ResearchAgent::new(env.kit.clone()), &input).await;
    let brief = record::<ResearchBrief>(&uncited).record;
    assert!(brief.site_read, "the site was read");
    assert!(
        uncited.sources.is_empty(),
        "…but nothing cites it: {:?}",
        uncited.sources
    );
    assert!(brief.sources.is_empty());
    for (name, c) in brief.claims() {
        if let Some(c) = c {
            assert_eq!(c.source(), SourceKind::Model, "{name} is the model's word");
        }
    }
    assert!(
        brief.signals.is_empty(),
        "a signal without a source is dropped"
    );
    assert!(
        brief.recent_news.is_empty(),
        "news without a read URL is dropped"
    );

    // The same company with citations scores higher: confidence counts supported fields.
    let env2 = Env::healthy().await;
    let cited = env2
        .run(
            &ResearchAgent::new(env2.kit.clone()),
            &env2.input("Acme Analytics", Some("acme-analytics.com")),
        )
        .await;
    assert!(
        cited.confidence > uncited.confidence,
        "{} vs {}",
        cited.confidence,
        uncited.confidence
    );
}

#[tokio::test]
async fn results_about_same_name_companies_are_dropped() {
    let env = Env::healthy().await;
    let mut dropped = 0;
    for (i, company) in [
        "Acme Analytics",
        "Globex Logistics",
        "Initech Systems",
        "Umbrella Health",
        "Stark Freight",
        "Wayne Capital",
    ]
    .iter()
    .enumerate()
    {
        let mut input = env.input(company, None);
        input.target_id = i as i64;
        let r = env.run(&ResearchAgent::new(env.kit.clone()), &input).await;
        let brief = record::<ResearchBrief>(&r).record;
        dropped += brief.off_target_results;
        let head = company.split_whitespace().next().unwrap().to_lowercase();
        for url in &r.sources {
            let host = env.kit.toolkit.url_host(url).unwrap();
            let label = host.split('.').next().unwrap();
            assert!(
                !(label.starts_with(&head)
                    && label != atl_domain::normalise_company(company).replace(' ', "-")),
                "{company}: {url} is another company's page"
            );
        }
    }
    assert!(
        dropped > 0,
        "the sandbox serves namesakes for about a third of queries"
    );
}

#[tokio::test]
async fn intel_runs_on_researchs_pack_without_searching_again() {
    let env = Env::healthy().await;
    let input = env.input("Acme Analytics", Some("acme-analytics.com"));
    let research = env.run(&ResearchAgent::new(env.kit.clone()), &input).await;
    let searches = env.searches();
    let pages = env.requests("sites");
    assert_eq!(searches, 1, "one planned search serves both agents");
    let intel = env
        .run(
            &IntelAgent::new(env.kit.clone()),
            &with_prior(input.clone(), &[&research]),
        )
        .await;
    check_common(&intel, SubAgentKind::Intel);
    assert_eq!(env.searches(), searches, "intel does not search on its own");
    assert_eq!(env.requests("sites"), pages, "nor read the site again");
    let report = record::<IntelReport>(&intel);
    assert!(report.record.research_used);
    assert!(
        report.meta.cost_breakdown.iter().any(|p| p.from_cache),
        "the pack came from the cache: {:?}",
        report.meta.cost_breakdown
    );
    for c in &report.record.competitors {
        assert!(c.domain.as_deref() != Some("acme-analytics.com"));
        if let Some(u) = &c.provenance.evidence_url {
            assert!(intel.sources.contains(u));
        }
    }
}

#[tokio::test]
async fn prompts_carry_today_and_the_lists_own_columns() {
    let env = Env::healthy().await;
    let mut input = env.input("Acme Analytics", Some("acme-analytics.com"));
    input.extra = serde_json::json!({"Industry": "Software", "City": "Austin", "CEO": "Ada Lovelace", "Notes": "call in May"});
    let lines = input.context_lines();
    assert!(lines.iter().any(|l| l == "Industry: Software"));
    assert!(lines.iter().any(|l| l == "CEO: Ada Lovelace"));
    assert!(
        !lines.iter().any(|l| l.starts_with("Notes")),
        "only context columns"
    );
    let today = time::macros::date!(2026 - 12 - 01);
    let header = atl_agents::research_header(&input, today);
    assert!(header.contains("Today: 2026-12-01"), "{header}");
    assert!(header.contains("City: Austin"), "{header}");
}
