//! Bad bytes get clear answers: a NUL anywhere in an upload is a 422 naming its line (on
//! both backends, nothing stored), and concurrent large uploads on SQLite queue and
//! succeed (or answer 503 with Retry-After), never "database is locked".

use atl_server::ServerOptions;
use atl_testkit::all_stores;

use crate::{App, key, with_acme_app};

/// A CSV of `rows` targets with a `pad`-character notes column.
fn csv(rows: usize, pad: usize) -> Vec<u8> {
    let mut out = String::from("Company,Website,Notes\n");
    let notes = "n".repeat(pad);
    for i in 0..rows {
        out.push_str(&format!("Company {i},https://company{i}.example,{notes}\n"));
    }
    out.into_bytes()
}

/// Whether the store holds no campaign (a refused upload stores nothing).
async fn no_campaigns(store: &atl_store::Store) -> bool {
    store.list_campaigns(None, 10, 0).await.unwrap().is_empty()
}

#[tokio::test]
async fn a_nul_byte_anywhere_is_refused_with_its_line() {
    with_acme_app(async |backend, store, app, key| {
        let clean = csv(200, 20);
        let line_start = |line: usize| -> usize {
            // Byte offset of 1-based `line`.
            let mut at = 0;
            for _ in 1..line {
                at += clean[at..].iter().position(|&b| b == b'\n').unwrap() + 1;
            }
            at
        };
        let after_a_kilobyte = clean[1024..].iter().position(|&b| b == b'\n').unwrap() + 1025;
        let line_after_kb = clean[..after_a_kilobyte]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        for (what, offset, line) in [
            ("in the header", 3, 1),
            (
                "after the first kilobyte",
                after_a_kilobyte + 2,
                line_after_kb,
            ),
            ("on the last line", line_start(201) + 5, 201),
        ] {
            let mut bytes = clean.clone();
            bytes.insert(offset, 0);
            let (status, body) = app.upload(key, "nul", bytes).await;
            assert_eq!(status, 422, "{backend}: NUL {what}: {body}");
            assert_eq!(body["error"]["code"], "control_character", "{body}");
            assert_eq!(
                body["error"]["details"]["line"], line,
                "{backend}: {what}: {body}"
            );
        }
        assert!(
            no_campaigns(store).await,
            "{backend}: a refused file stores nothing"
        );
    })
    .await;
}

#[tokio::test]
async fn a_nul_in_a_form_field_is_a_400_on_both_backends() {
    with_acme_app(async |backend, store, app, key| {
        for (field, value) in [
            ("name", "bad\0name"),
            ("settings", r#"{"pitch": "a\u0000b"}"#),
            ("map", "Company\0=company_name"),
        ] {
            let form = reqwest::multipart::Form::new()
                .text(field, value.to_string())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(csv(3, 5)).file_name("ok.csv"),
                );
            let r = app.post_form(key, form).await;
            assert_eq!(r.status(), 400, "{backend}: NUL in {field}");
            let body: serde_json::Value = r.json().await.unwrap();
            assert!(
                body["error"]["message"].as_str().unwrap().contains(field),
                "{body}"
            );
        }
        assert!(no_campaigns(store).await, "{backend}: nothing stored");
    })
    .await;
}

#[tokio::test]
async fn hostile_file_names_are_stored_capped_and_clean() {
    with_acme_app(async |backend, store, app, key| {
        let form = |name: String| {
            reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(csv(3, 5)).file_name(name),
            )
        };
        // A control character in a part header is not a readable form: refused.
        let r = app.post_form(key, form("bell\u{7}.csv".into())).await;
        assert_eq!(r.status(), 400, "{backend}");
        assert!(no_campaigns(store).await);
        // A megabyte of name, and one with a path and a bidi override: each stored as its
        // last component, without the override, at most 255 bytes, its extension kept,
        // and the campaign named by that.
        let names = [
            format!("{}.csv", "a".repeat(1 << 20)),
            format!("../../etc/{}\u{202e}x.csv", "a".repeat(8 * 1024)),
        ];
        for name in names {
            let r = app.post_form(key, form(name)).await;
            let status = r.status();
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(status, 201, "{backend}: {body}");
            let id = body["campaign_id"].as_i64().unwrap();
            let c = store.get_campaign(None, id).await.unwrap().unwrap();
            let stored = c.uploaded_file.unwrap_or_default();
            assert!(stored.len() <= 255, "{backend}: {} bytes", stored.len());
            assert!(stored.ends_with(".csv"), "{backend}: {stored:?}");
            assert!(
                !stored.contains('/') && !stored.chars().any(char::is_control),
                "{backend}: {stored:?}"
            );
            assert!(!stored.contains('\u{202e}'), "{backend}: no bidi override");
            assert_eq!(
                c.name, stored,
                "{backend}: the campaign is named by the capped name"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_large_uploads_on_sqlite_queue_and_succeed() {
    for (backend, store) in all_stores().await {
        if backend != "sqlite" {
            continue;
        }
        let key = key(&store, "acme").await;
        let app = std::sync::Arc::new(App::start(store.store(), ServerOptions::default()).await);
        let file = csv(9_000, 600); // about 5.6 MB, 9,000 targets
        let uploads = (0..6).map(|i| {
            let app = std::sync::Arc::clone(&app);
            let (key, file) = (key.clone(), file.clone());
            tokio::spawn(async move {
                let form = reqwest::multipart::Form::new().part(
                    "file",
                    reqwest::multipart::Part::bytes(file).file_name(format!("big{i}.csv")),
                );
                let r = app.post_form(&key, form).await;
                let status = r.status().as_u16();
                let retry_after = r.headers().contains_key("retry-after");
                (status, retry_after, r.text().await.unwrap())
            })
        });
        let results = futures::future::join_all(uploads).await;
        let mut created = 0;
        for result in results {
            let (status, retry_after, body) = result.unwrap();
            assert!(!body.to_lowercase().contains("locked"), "{backend}: {body}");
            match status {
                201 => created += 1,
                503 => assert!(retry_after, "a 503 says when to retry: {body}"),
                other => panic!("{backend}: upload answered {other}: {body}"),
            }
        }
        assert!(
            created >= 1,
            "{backend}: the uploads queue rather than all fail"
        );
        assert_eq!(
            store.list_campaigns(None, 10, 0).await.unwrap().len(),
            created,
            "{backend}: one campaign per accepted upload, nothing half-stored"
        );
        if let Ok(app) = std::sync::Arc::try_unwrap(app) {
            app.stop().await;
        }
    }
}
