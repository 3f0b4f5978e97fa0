//! The guarded fetcher refuses internal addresses however they are spelled, on the first
//! hop and on every redirect, and reaches a local server only when it is allow-listed.

mod common;

use atl_providers::fetch::{FetchPolicy, SafeFetcher};
use atl_providers::{ErrorKind, ProviderError};
use common::{assert_kind_says, respond};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fetcher(allow: &[String]) -> SafeFetcher {
    SafeFetcher::new(FetchPolicy {
        timeout: Duration::from_secs(5),
        allow_hosts: allow.to_vec(),
        ..FetchPolicy::default()
    })
}

fn host_port(server: &MockServer) -> String {
    server.address().to_string()
}

/// A mock server answering GETs of each route with its template.
async fn site(routes: Vec<(&str, ResponseTemplate)>) -> MockServer {
    let server = MockServer::start().await;
    for (route, template) in routes {
        respond(&server, "GET", route, template).await;
    }
    server
}

/// What `fetcher` makes of `route` on `server`, which must fail.
async fn fetch_error(fetcher: &SafeFetcher, server: &MockServer, route: &str) -> ProviderError {
    fetcher
        .fetch_text(&format!("{}{route}", server.uri()))
        .await
        .unwrap_err()
}

const PAGE: &str = r#"<html><head><title>Acme</title><meta name="description" content="Rockets for all"></head>
<body><nav>Home | About</nav><h1>About Acme</h1><p>Acme builds   rockets.</p><script>alert(1)</script>
<a href="/team">Team</a><footer>(c) Acme</footer></body></html>"#;

#[tokio::test]
async fn internal_targets_are_refused() {
    let fetcher = fetcher(&[]);
    let cases = [
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/admin",
        "http://localhost/",
        "http://10.0.0.5/",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.1.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://2130706433/",
        "http://0x7f.0.0.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "file:///etc/passwd",
        "ftp://example.com/file",
        "gopher://127.0.0.1:70/",
        "http://user:pass@example.com/",
        "http://example.com:22/",
        "not a url",
    ];
    for url in cases {
        let err = fetcher.fetch_text(url).await.expect_err(url);
        assert!(err.kind == ErrorKind::Blocked, "{url}: {err:?}");
        assert!(!err.is_retryable(), "{url}");
    }
}

#[tokio::test]
async fn local_server_is_reachable_only_when_allow_listed() {
    let page = ResponseTemplate::new(200).set_body_raw(PAGE, "text/html; charset=utf-8");
    let server = site(vec![("/about", page)]).await;
    let url = format!("{}/about", server.uri());

    let err = fetcher(&[]).fetch_text(&url).await.unwrap_err();
    assert!(err.kind == ErrorKind::Blocked, "{err:?}");
    // Another port on the same host is not covered by the entry.
    let other_port = format!("127.0.0.1:{}", server.address().port().wrapping_add(1));
    let err = fetcher(&[other_port]).fetch_text(&url).await.unwrap_err();
    assert!(err.kind == ErrorKind::Blocked, "{err:?}");

    let page = fetcher(&[host_port(&server)])
        .fetch_text(&url)
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.final_url, url);
    assert_eq!(page.title.as_deref(), Some("Acme"));
    assert_eq!(
        page.text,
        "# Acme\nRockets for all\n# About Acme\nAcme builds rockets."
    );
    assert_eq!(page.links, vec![format!("{}/team", server.uri())]);
}

#[tokio::test]
async fn allow_listed_host_name_goes_through_the_resolver() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("plain   words\n\n more", "text/plain"),
        )
        .mount(&server)
        .await;
    let url = format!("http://localhost:{}/notes.txt", server.address().port());
    // Not listed: the resolver drops 127.0.0.1 / ::1 and the fetch is refused.
    let err = fetcher(&[]).fetch_text(&url).await.unwrap_err();
    assert!(err.kind == ErrorKind::Blocked, "{err:?}");
    let page = fetcher(&[format!("localhost:{}", server.address().port())])
        .fetch_text(&url)
        .await
        .unwrap();
    assert_eq!(page.text, "plain words\nmore");
    assert_eq!(page.title, None);
}

#[tokio::test]
async fn redirects_to_internal_addresses_are_refused() {
    let internal = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("internal secrets", "text/plain"))
        .expect(0)
        .mount(&internal)
        .await;
    let server = MockServer::start().await;
    let targets = [
        format!("{}/secret", internal.uri()),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://[::ffff:127.0.0.1]/".to_string(),
        "file:///etc/passwd".to_string(),
    ];
    for (i, target) in targets.iter().enumerate() {
        Mock::given(method("GET"))
            .and(path(format!("/r{i}")))
            .respond_with(ResponseTemplate::new(302).insert_header("location", target.as_str()))
            .mount(&server)
            .await;
    }
    let fetcher = fetcher(&[host_port(&server)]);
    for (i, target) in targets.iter().enumerate() {
        let err = fetcher
            .fetch_text(&format!("{}/r{i}", server.uri()))
            .await
            .unwrap_err();
        assert!(err.kind == ErrorKind::Blocked, "{target}: {err:?}");
    }
}

#[tokio::test]
async fn allowed_redirects_are_followed_and_loops_are_capped() {
    let server = site(vec![
        (
            "/old",
            ResponseTemplate::new(301).insert_header("location", "/new"),
        ),
        (
            "/new",
            ResponseTemplate::new(200).set_body_raw(PAGE, "text/html"),
        ),
    ])
    .await;
    Mock::given(method("GET"))
        .and(path("/loop"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/loop"))
        .expect(6)
        .mount(&server)
        .await;
    let fetcher = fetcher(&[host_port(&server)]);
    let page = fetcher
        .fetch_text(&format!("{}/old", server.uri()))
        .await
        .unwrap();
    assert_eq!(page.final_url, format!("{}/new", server.uri()));
    let err = fetch_error(&fetcher, &server, "/loop").await;
    assert_kind_says(&err, ErrorKind::Blocked, "redirects");
}

#[tokio::test]
async fn oversized_wrong_type_and_error_statuses() {
    let big = "a".repeat(2 * 1024 * 1024 + 1);
    let slow = ResponseTemplate::new(200)
        .set_body_raw("late", "text/plain")
        .set_delay(Duration::from_secs(3));
    let server = site(vec![
        (
            "/big",
            ResponseTemplate::new(200).set_body_raw(big, "text/html"),
        ),
        (
            "/image",
            ResponseTemplate::new(200).set_body_raw(vec![0u8; 10], "image/png"),
        ),
        ("/gone", ResponseTemplate::new(404)),
        ("/slow", slow),
    ])
    .await;
    let fetcher = fetcher(&[host_port(&server)]);
    type Check = fn(&ProviderError) -> bool;
    let checks: [(&str, Check); 3] = [
        ("/big", |e| {
            e.kind == ErrorKind::Blocked && e.message.contains("larger")
        }),
        ("/image", |e| {
            e.kind == ErrorKind::Blocked && e.message.contains("image/png")
        }),
        ("/gone", |e| {
            (e.kind, e.status) == (ErrorKind::BadRequest, Some(404))
        }),
    ];
    for (route, check) in checks {
        let err = fetch_error(&fetcher, &server, route).await;
        assert!(check(&err), "{route}: {err:?}");
    }

    let impatient = SafeFetcher::new(FetchPolicy {
        timeout: Duration::from_millis(300),
        allow_hosts: vec![host_port(&server)],
        ..FetchPolicy::default()
    });
    let err = fetch_error(&impatient, &server, "/slow").await;
    assert!(err.kind == ErrorKind::Timeout, "{err:?}");
}

#[tokio::test]
async fn streamed_body_without_length_is_capped_too() {
    // A raw TCP server that sends a chunked body with no Content-Length.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        if let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n\r\n")
                .await;
            let chunk = vec![b'x'; 64 * 1024];
            for _ in 0..64 {
                let head = format!("{:x}\r\n", chunk.len());
                if socket.write_all(head.as_bytes()).await.is_err()
                    || socket.write_all(&chunk).await.is_err()
                    || socket.write_all(b"\r\n").await.is_err()
                {
                    return;
                }
            }
            let _ = socket.write_all(b"0\r\n\r\n").await;
        }
    });
    let fetcher = SafeFetcher::new(FetchPolicy {
        max_bytes: 256 * 1024,
        timeout: Duration::from_secs(5),
        allow_hosts: vec![addr.to_string()],
        ..FetchPolicy::default()
    });
    let err = fetcher
        .fetch_text(&format!("http://{addr}/"))
        .await
        .unwrap_err();
    assert_kind_says(&err, ErrorKind::Blocked, "larger");
}

#[tokio::test]
async fn resolved_addresses_never_reach_the_error() {
    // `localhost` resolves to loopback addresses: refused, naming the host, not them.
    let err = fetcher(&[])
        .fetch_text("http://localhost:8080/")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Blocked);
    let shown = format!("{err} {err:?}");
    for address in ["127.0.0.1", "::1"] {
        assert!(!shown.contains(address), "{shown}");
    }
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn ten_dead_sites_do_not_switch_off_another_one() {
    use atl_providers::config::ProvidersConfig;
    use atl_providers::toolkit::{Toolkit, ToolkitOptions};
    let live = site(vec![(
        "/about",
        ResponseTemplate::new(200).set_body_raw(PAGE, "text/html"),
    )])
    .await;
    let port = closed_port();
    // Ten loopback addresses with nothing on `port`: each refuses every connection.
    let dead: Vec<String> = (2..12).map(|i| format!("127.0.0.{i}:{port}")).collect();
    let mut options = ToolkitOptions::new(std::env::temp_dir());
    options.espeak_program = "no-such-espeak".into();
    options.fetch_allow_hosts = dead.clone();
    options.fetch_allow_hosts.push(host_port(&live));
    let config = ProvidersConfig::from_sources(&Default::default(), None, &[]).unwrap();
    let t = Toolkit::from_config(config, options).unwrap();
    // Five failures open a site's breaker; ten sites, six tries each.
    for site in &dead {
        let url = format!("http://{site}/");
        for _ in 0..5 {
            let e = t.fetch(&url).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Connection, "{url}: {e}");
        }
        let e = t.fetch(&url).await.unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::CircuitOpen,
            "{url}: the dead site's own breaker"
        );
    }
    let page = t
        .fetch(&format!("http://{}/about", host_port(&live)))
        .await
        .expect("another site is unaffected");
    assert_eq!(page.value.title.as_deref(), Some("Acme"));
    assert_eq!(t.governors.sites().len(), 11);
    let total = t
        .governors
        .snapshot()
        .into_iter()
        .find(|s| s.provider == "fetch")
        .unwrap();
    assert_eq!(
        (total.calls, total.successes, total.circuit_rejections),
        (61, 1, 10)
    );
}
