//! The dashboard's routes over plain HTTP: sessions, headers, preview, live stream,
//! exports. Quick, and independent of the browser.

use std::time::Duration;

use atl_testkit::all_stores;

use super::app::{App, testdata};
use atl_testkit::TestStore;
use atl_testkit::app::{Sent, header};
use atl_testkit::sse::FrameReader;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `request` with the session cookie of `key`.
fn signed_in(request: reqwest::RequestBuilder, key: &str) -> reqwest::RequestBuilder {
    request.header("cookie", format!("atl_session={key}"))
}

/// Runs `check(backend, store, app, client)` on each backend against the dashboard's app
/// (with a key when `with_key`) and a client that does not follow redirects; stops the
/// app afterwards.
async fn on_each_backend(
    with_key: bool,
    check: impl AsyncFn(&'static str, &TestStore, &App, &reqwest::Client),
) {
    for (backend, store) in all_stores().await {
        let app = super::app::start(store.store(), with_key).await;
        check(backend, &store, &app, &client()).await;
        app.stop().await;
    }
}

/// Posts the slice's form to `path`.
async fn post_slice(c: &reqwest::Client, app: &App, path: &str) -> reqwest::Response {
    c.post(app.url(path)).multipart(slice_form()).sent().await
}

fn slice_form() -> reqwest::multipart::Form {
    let bytes = std::fs::read(testdata("dashboard/fortune_slice.csv")).unwrap();
    reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("fortune_slice.csv"),
        )
        .text("map", "Legal Name=company_name")
        .text("name", "Slice")
        .text("pitch", "We sell anvils")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_need_a_session_whose_cookie_scripts_cannot_read() {
    on_each_backend(true, async |backend, _store, app, c| {
        let key = app.key.clone().unwrap();
        let r = c.get(app.url("/campaigns")).sent().await;
        assert_eq!(r.status(), 303, "{backend}");
        assert_eq!(r.headers()["location"], "/sign-in?next=/campaigns");

        let r = c
            .post(app.url("/sign-in"))
            .form(&[("key", "atl_wrong"), ("next", "/campaigns")])
            .sent()
            .await;
        assert_eq!(r.status(), 401);
        assert!(r.headers().get("set-cookie").is_none());
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("That key was not accepted")
        );

        let r = c
            .post(app.url("/sign-in"))
            .form(&[("key", key.as_str()), ("next", "https://evil.example/")])
            .sent()
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(
            r.headers()["location"],
            "/campaigns",
            "never to another site"
        );
        let cookie = header(&r, "set-cookie").to_string();
        for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(flag), "{cookie}");
        }

        let r = signed_in(c.get(app.url("/campaigns")), &key).sent().await;
        assert_eq!(r.status(), 200);
        let csp = header(&r, "content-security-policy").to_string();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert_eq!(r.headers()["cache-control"], "no-store");
        let body = r.text().await.unwrap();
        assert!(!body.contains(&key), "the key is never in a page");
        assert!(body.contains("Sign out"));

        // A form posted from another site's page is refused, even with the cookie.
        let r = signed_in(c.post(app.url("/campaigns/1/pause")), &key)
            .header("origin", "https://evil.example")
            .sent()
            .await;
        assert_eq!(r.status(), 403);

        // The API itself does not take the cookie: it stays Bearer-only.
        let r = signed_in(c.get(app.url("/api/atl/campaigns")), &key)
            .sent()
            .await;
        assert_eq!(r.status(), 401);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_on_a_page_comes_from_another_origin() {
    let (_, store) = all_stores().await.into_iter().next().unwrap();
    let app = super::app::start(store.store(), false).await;
    let c = client();
    for path in ["/sign-in", "/campaigns", "/upload"] {
        let body = c.get(app.url(path)).sent().await.text().await.unwrap();
        for attr in [
            "src=\"http",
            "href=\"http",
            "src=\"//",
            "href=\"//",
            "<script>",
            "style=",
        ] {
            assert!(!body.contains(attr), "{path} has {attr}");
        }
    }
    for asset in ["/assets/app.css", "/assets/app.js"] {
        let r = c.get(app.url(asset)).sent().await;
        assert_eq!(r.status(), 200);
        assert!(header(&r, "cache-control").contains("immutable"));
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{asset} names an origin"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_explains_the_file_and_stores_nothing() {
    on_each_backend(false, async |backend, store, app, c| {
        let r = post_slice(c, app, "/upload/preview").await;
        assert_eq!(r.status(), 200, "{backend}");
        let body = r.text().await.unwrap();
        assert!(body.contains("id=\"pv-targets\">12<"), "{body}");
        assert!(body.contains("id=\"pv-rejected\">1<"));
        assert!(body.contains("id=\"pv-duplicates\">1<"));
        assert!(body.contains("Contact credits") && body.contains("Model tokens"));
        assert_eq!(store.store().count_campaigns(None).await.unwrap(), 0);

        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"\x89PNG\r\n\x1a\n\0\0binary".to_vec())
                .file_name("x.csv"),
        );
        let r = c
            .post(app.url("/upload/preview"))
            .multipart(form)
            .sent()
            .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("cannot be imported"));
    })
    .await;
}

/// Reads SSE frames until `until` holds: (id, event, data) each.
async fn frames(
    r: reqwest::Response,
    mut until: impl FnMut(&[(Option<i64>, String, String)]) -> bool,
) -> Vec<(Option<i64>, String, String)> {
    let mut reader = FrameReader::new(r, Duration::from_secs(20));
    let mut out = Vec::new();
    while !until(&out) {
        for frame in reader.next_frames().await {
            if !frame.event.is_empty() {
                let data: String = frame
                    .data
                    .iter()
                    .map(|d| format!("{}\n", d.trim_start()))
                    .collect();
                out.push((frame.id, frame.event, data));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_live_stream_renders_progress_and_resumes_after_the_last_event() {
    on_each_backend(false, async |backend, store, app, c| {
        let r = post_slice(c, app, "/upload").await;
        assert_eq!(r.status(), 303, "{backend}");
        let location = header(&r, "location").to_string();
        let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
        // Wait for the end.
        for _ in 0..600 {
            let c = store.store().get_campaign(None, id).await.unwrap().unwrap();
            if c.status.is_final() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let live = app.url(&format!("/campaigns/{id}/live"));
        let all = frames(c.get(&live).sent().await, |f| {
            f.iter().any(|(_, k, _)| k == "changed") && f.iter().any(|(_, k, _)| k == "progress")
        })
        .await;
        let progress = &all.iter().find(|(_, k, _)| k == "progress").unwrap().2;
        assert!(progress.contains("id=\"percent\">100.0%<"), "{progress}");
        assert!(
            progress.contains("id=\"count-completed\">12<"),
            "{progress}"
        );
        let last = all
            .iter()
            .filter_map(|(id, k, _)| (k == "changed").then_some(*id))
            .flatten()
            .max()
            .unwrap();
        // Resuming after the last event sends a fresh progress and no old events.
        let resumed = frames(
            c.get(&live)
                .header("last-event-id", last.to_string())
                .sent()
                .await,
            |f| f.iter().any(|(_, k, _)| k == "progress"),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            resumed.iter().all(|(id, _, _)| id.is_none_or(|i| i > last)),
            "{resumed:?}"
        );
        // Resuming from an earlier event replays only what came after it.
        let earlier = last - 3;
        let replay = frames(c.get(format!("{live}?after={earlier}")).sent().await, |f| {
            f.iter().any(|(_, k, _)| k == "changed")
        })
        .await;
        let (rid, _, n) = replay.iter().find(|(_, k, _)| k == "changed").unwrap();
        assert_eq!(*rid, Some(last));
        assert_eq!(n.trim(), "3", "three events after {earlier}");

        // The export, by kind, through the API.
        let api = reqwest::Client::new();
        let contacts = api
            .get(app.url(&format!("/api/atl/campaigns/{id}/export?kind=contacts")))
            .sent()
            .await;
        assert_eq!(contacts.status(), 200);
        assert!(header(&contacts, "content-disposition").contains("contacts"));
        let bad = api
            .get(app.url(&format!("/api/atl/campaigns/{id}/export?kind=people")))
            .sent()
            .await;
        assert_eq!(bad.status(), 400);
    })
    .await;
}
