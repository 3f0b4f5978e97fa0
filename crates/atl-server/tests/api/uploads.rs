//! Uploads that are refused: each answers its status and error code and writes nothing.

use crate::helpers::*;
use serde_json::{Value, json};

/// Junk, empty, header-only, wrong-column, too-long and NUL-carrying files, a CSV sent as
/// the body and a form without a file are refused with their status and change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_uploads_answer_their_status_and_change_nothing() {
    on_keyed_app(async |backend, store, app, _id, _other_key| {
        let untouched = fingerprint(store).await;
        let mut junk: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
        junk[..4].copy_from_slice(b"\x89PNG");
        let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
            ("binary junk", junk, 415, "not_csv"),
            ("empty", Vec::new(), 422, "empty_file"),
            (
                "header only",
                b"Company,Email\n".to_vec(),
                422,
                "no_targets",
            ),
            (
                "wrong columns",
                b"Foo,Bar\n1,2\n".to_vec(),
                422,
                "no_company_column",
            ),
            ("too many", too_many_rows(10_001), 422, "too_many_targets"),
            (
                "NUL after the first kilobyte",
                nul_at(1500),
                422,
                "control_character",
            ),
        ];
        for (what, bytes, status, code) in cases {
            let (s, body) = app.upload(what, bytes).await;
            assert_eq!(s, status, "{backend}: {what}: {body}");
            if !code.is_empty() {
                assert_error(&body, code);
            }
            assert!(body["error"]["message"].is_string(), "{what}: {body}");
            assert_eq!(
                fingerprint(store).await,
                untouched,
                "{backend}: {what} changed the store"
            );
        }
        // A CSV sent as the body itself, not as a form: 415 with how to send it.
        let r = app
            .req(reqwest::Method::POST, "/api/atl/upload")
            .header("content-type", "text/csv")
            .body(SMALL_CSV)
            .sent()
            .await;
        assert_eq!(r.status(), 415, "{backend}");
        let body: Value = r.json().await.unwrap();
        assert_error(&body, "unsupported_media_type");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("multipart/form-data")),
            "{body}"
        );
        // The headers found are named.
        let (_, body) = app.upload("wrong", b"Foo,Bar\n1,2\n".to_vec()).await;
        assert_eq!(body["error"]["details"]["headers"], json!(["Foo", "Bar"]));

        // No file field.
        let form = reqwest::multipart::Form::new().text("name", "x");
        let r = app
            .req(reqwest::Method::POST, "/api/atl/upload")
            .multipart(form)
            .sent()
            .await;
        assert_eq!(r.status(), 400);
        assert_error(&r.json().await.unwrap(), "bad_request");
    })
    .await;
}
