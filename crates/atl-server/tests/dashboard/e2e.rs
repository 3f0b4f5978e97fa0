//! The whole dashboard in a real browser, on both backends.

use std::time::Duration;

use atl_testkit::all_stores;
use fantoccini::Locator;
use serde_json::json;

use super::app::{temp_dir, testdata};
use super::browser::{Browser, available};

const LONG: Duration = Duration::from_secs(90);
const SHORT: Duration = Duration::from_secs(20);
/// The mapping control of the file's company column.
const LEGAL_NAME: &str = "select[data-header=\"Legal Name\"]";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_campaign_from_sign_in_to_export_in_chromium() {
    if !available() {
        return;
    }
    for (backend, store) in all_stores().await {
        // Every model answers "out of credits": the research, intel and script steps fail
        // for good (contact data needs no model), until the sandbox is healthy again and
        // they are retried.
        let sandbox = serde_json::from_value(json!({
            "chat": {"faults": {"quota_exhausted": {"every_nth": 1}}},
            "anthropic": {"faults": {"quota_exhausted": {"every_nth": 1}}}
        }))
        .unwrap();
        let app = super::app::start_with(store.store(), true, sandbox).await;
        let key = app.key.clone().unwrap();
        let b = Browser::launch().await;
        let shot = |name: &str| format!("{backend}-{name}");

        // Signing in: a page behind the session goes to the sign-in form.
        b.goto(&app.url("/campaigns")).await;
        b.wait_for_element("the sign-in form", "#key", SHORT).await;
        assert!(b.client.current_url().await.unwrap().path() == "/sign-in");
        b.check_page("sign-in", &shot("01-sign-in")).await;
        b.fill("#key", "atl_not_a_real_key").await;
        b.click("form[action='/sign-in'] button").await;
        b.wait_for_element("the refusal", "#sign-in-error", SHORT)
            .await;
        let refusal = b.text("#sign-in-error").await;
        assert!(refusal.contains("not accepted"), "{refusal}");
        b.check_page("sign-in refused", &shot("02-sign-in-wrong-key"))
            .await;
        b.fill("#key", &key).await;
        b.click("form[action='/sign-in'] button").await;
        b.wait_for_path("the campaigns page", "/campaigns", SHORT)
            .await;
        let cookie_seen_by_script = b.eval_string("return document.cookie", "").await;
        assert!(
            !cookie_seen_by_script.contains(&key),
            "the session cookie is HttpOnly"
        );
        let html = b.client.source().await.unwrap();
        assert!(!html.contains(&key), "the key is never in a page");

        // A bad file: a clear message on the page, nothing stored.
        b.goto(&app.url("/upload")).await;
        b.check_page("upload", &shot("03-upload")).await;
        let dir = temp_dir("upload");
        let bad = dir.join("photo.csv");
        std::fs::write(&bad, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10binary").unwrap();
        b.client
            .find(Locator::Css("#file"))
            .await
            .unwrap()
            .send_keys(bad.to_str().unwrap())
            .await
            .unwrap();
        b.wait_for_element("the bad-file message", "#preview-error", SHORT)
            .await;
        let message = b.text("#preview-error").await;
        assert!(message.contains("cannot be imported"), "{message}");
        b.screenshot(&shot("04-upload-bad-file")).await;

        // The real file: the company column is not recognised until it is mapped.
        let csv = testdata("dashboard/fortune_slice.csv");
        let input = b.client.find(Locator::Css("#file")).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(csv.to_str().unwrap()).await.unwrap();
        b.wait_for_element("the mapping for Legal Name", LEGAL_NAME, SHORT)
            .await;
        assert!(b.text("#preview-error").await.contains("company name"));
        b.client
            .execute(
                "const s = document.querySelector('select[data-header=\"Legal Name\"]');
                 s.value = 'Legal Name=company_name';
                 s.dispatchEvent(new Event('change', { bubbles: true }));",
                vec![],
            )
            .await
            .unwrap();
        b.wait_for_text("the preview", "#pv-targets", "12", SHORT)
            .await;
        assert_eq!(b.text("#pv-encoding").await, "UTF-8");
        assert!(b.text("#pv-delimiter").await.contains("comma"));
        let rejected = b.text("#pv-rejected-rows").await;
        assert!(
            rejected.contains("14"),
            "the row without a company, by line: {rejected}"
        );
        let dups = b.text("#pv-duplicate-rows").await;
        assert!(dups.contains("15") && dups.contains("line 3"), "{dups}");
        let quote = b.text("table.quote").await;
        for item in ["Model tokens", "Contact credits"] {
            assert!(quote.contains(item), "{item} in the quote: {quote}");
        }
        assert!(b.text("#quote-expected").await.starts_with('$'));
        b.fill("#name", "Fortune slice").await;
        b.fill("#budget", "50").await;
        b.fill("#pitch", "We sell synthetic anvils to retailers.")
            .await;
        b.wait_for_element("the preview after the form changed", "#pv-targets", SHORT)
            .await;
        b.check_page("upload preview", &shot("05-upload-preview"))
            .await;
        let stored_before = store.store().count_campaigns(None).await.unwrap();
        assert_eq!(stored_before, 0, "{backend}: a preview stores nothing");

        // Start, and watch it finish live.
        b.click("#start-button").await;
        b.wait_for(
            "the campaign page",
            "return location.pathname.startsWith('/campaigns/')",
            SHORT,
        )
        .await;
        let path = b.client.current_url().await.unwrap().path().to_string();
        let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
        b.wait_for(
            "progress to reach 100%",
            "const l = document.querySelector('#live'); return l && l.dataset.percent === '100'",
            LONG,
        )
        .await;
        b.wait_for(
            "the table to show every target finished",
            "const rows = document.querySelectorAll('table.targets tbody tr[data-status]');
             return rows.length === 12 && [...rows].every(r => !['pending','processing'].includes(r.dataset.status))",
            SHORT,
        )
        .await;
        assert!(
            b.exists("#failures").await,
            "{backend}: the quota fault failed some steps"
        );
        let failures = b.text("#failures").await;
        assert!(failures.contains("no credits left"), "{failures}");
        let connects = b
            .eval_string(
                "return document.querySelector('#live').dataset.connects",
                "0",
            )
            .await;
        assert!(connects.parse::<u32>().unwrap() >= 1);
        b.check_page("campaign", &shot("06-campaign")).await;

        // Search from the server.
        b.fill("#target-search", "apple").await;
        b.click("#targets-filter button").await;
        wait_for_rows(&b, "one search hit", 1).await;
        assert!(b.text("table.targets tbody").await.contains("Apple"));
        b.fill("#target-search", "").await;
        b.click("#targets-filter button").await;
        wait_for_rows(&b, "the whole table again", 12).await;

        // A target whose steps failed says why, in words.
        let failed_target = store.store().list_targets(id, None, 1, 0).await.unwrap()[0].id;
        b.goto(&app.url(&format!("/targets/{failed_target}"))).await;
        b.wait_for_element("the problems", "#problems", SHORT).await;
        let problems = b.text("#problems").await;
        assert!(
            problems.contains("Research") && problems.contains("no credits left"),
            "{problems}"
        );
        b.check_page("target with failures", &shot("07-target-failed"))
            .await;

        // Retry what failed, with its quote, on a healthy sandbox.
        app.sandbox_config(json!({})).await;
        b.goto(&app.url(&format!("/campaigns/{id}/retry-failed")))
            .await;
        b.wait_for_element("the retry quote", "#retry-confirm", SHORT)
            .await;
        assert!(b.text("table.quote").await.contains("Total"));
        b.check_page("retry", &shot("08-retry")).await;
        b.click("#retry-confirm").await;
        b.wait_for_path("the campaign page", &format!("/campaigns/{id}"), SHORT)
            .await;
        b.wait_for(
            "the retried steps to finish",
            "const l = document.querySelector('#live'); return l && l.dataset.percent === '100' && !document.querySelector('#failures')",
            LONG,
        )
        .await;
        assert_eq!(b.text("#count-failed").await, "0");
        b.screenshot(&shot("09-campaign-retried")).await;
        b.phone_screenshot(&shot("10-campaign-phone")).await;

        // A target with research: its sources are links, and they lead where they say.
        let target_id = first_target_with_sources(&store.store(), id).await;
        b.goto(&app.url(&format!("/targets/{target_id}"))).await;
        b.wait_for_element("the target page", "#research", SHORT)
            .await;
        b.check_page("target", &shot("11-target")).await;
        let link = b
            .client
            .find(Locator::Css("#research a.source-link"))
            .await
            .unwrap();
        let href = link.attr("href").await.unwrap().unwrap();
        assert!(
            href.starts_with("http://") || href.starts_with("https://"),
            "{href}"
        );
        let before = b.client.windows().await.unwrap();
        link.click().await.unwrap();
        let mut opened = None;
        for _ in 0..50 {
            let now = b.client.windows().await.unwrap();
            if let Some(w) = now.into_iter().find(|w| !before.contains(w)) {
                opened = Some(w);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let opened = opened.expect("the source opens in a new tab");
        let main = b.client.window().await.unwrap();
        b.client.switch_to_window(opened).await.unwrap();
        let mut landed = String::new();
        for _ in 0..50 {
            landed = b.client.current_url().await.unwrap().to_string();
            if landed != "about:blank" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(landed, href, "the link leads to its source");
        b.client.close_window().await.unwrap();
        b.client.switch_to_window(main).await.unwrap();

        // The audio: rendered on the first play, then it has a duration.
        b.click("#play").await;
        let duration = b
            .wait_for(
                "the audio to load",
                "const a = document.querySelector('#audio');
                 return a.readyState >= 1 && isFinite(a.duration) && a.duration > 0 ? a.duration : 0",
                LONG,
            )
            .await;
        assert!(duration.as_f64().unwrap() > 0.5, "{duration}");
        b.wait_for(
            "the audio state",
            "return document.querySelector('#audio-state').textContent.startsWith('Audio ready')",
            SHORT,
        )
        .await;
        b.phone_screenshot(&shot("12-target-phone")).await;

        // Executives and the exports, through the session.
        b.goto(&app.url(&format!("/campaigns/{id}/executives")))
            .await;
        b.wait_for_element("the executives", "#exec-count", SHORT)
            .await;
        b.check_page("executives", &shot("13-executives")).await;
        b.goto(&app.url(&format!("/campaigns/{id}"))).await;
        for (link, first_cell) in [
            ("#export-csv", "row_number,company"),
            ("#export-jsonl", "{"),
            ("#export-contacts", ""),
        ] {
            let body = b
                .client
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                     fetch(document.querySelector(arguments[0]).href).then(r => r.text()).then(done);",
                    vec![json!(link)],
                )
                .await
                .unwrap();
            let body = body.as_str().unwrap().trim_start_matches('\u{feff}');
            assert!(
                body.starts_with(first_cell),
                "{link}: {}",
                &body[..body.len().min(200)]
            );
            let lines = body.lines().count();
            let records = csv::Reader::from_reader(body.as_bytes()).records().count();
            match link {
                "#export-csv" => assert_eq!(records, 12, "12 targets"),
                "#export-jsonl" => assert_eq!(lines, 12),
                _ => assert!(
                    body.lines().next().unwrap().contains("email"),
                    "contacts header"
                ),
            }
        }
        b.goto(&app.url("/campaigns")).await;
        assert!(b.text("table.campaigns").await.contains("Fortune slice"));
        b.check_page("campaigns", &shot("14-campaigns")).await;

        // Signing out ends the session.
        b.click(".sign-out button").await;
        b.wait_for_path("the sign-in page", "/sign-in", SHORT).await;
        b.goto(&app.url("/campaigns")).await;
        b.wait_for_path("the sign-in page again", "/sign-in", SHORT)
            .await;

        b.close().await;
        let _ = std::fs::remove_dir_all(&dir);
        app.stop().await;
    }
}

/// Waits until the targets table shows `n` rows.
async fn wait_for_rows(b: &Browser, what: &str, n: usize) {
    let script = format!(
        "return document.querySelectorAll('table.targets tbody tr[data-status]').length === {n}"
    );
    b.wait_for(what, &script, SHORT).await;
}

/// A target of the campaign whose research cites a source.
async fn first_target_with_sources(store: &atl_store::Store, campaign: i64) -> i64 {
    for t in store.list_targets(campaign, None, 100, 0).await.unwrap() {
        let results = store.results_for_target(t.id).await.unwrap();
        let record = atl_app::record::TargetRecord::read(t.clone(), &results, &[]);
        let cited = record.research.as_ref().is_some_and(|r| {
            r.record
                .claims()
                .iter()
                .any(|(_, c)| c.is_some_and(|c| c.provenance.evidence_url.is_some()))
                || r.record
                    .recent_news
                    .iter()
                    .any(|n| n.url.starts_with("https://"))
        });
        if cited && record.voice.is_some() {
            return t.id;
        }
    }
    panic!("no target with cited research and a call script");
}
