//! Oversized uploads, in a test binary of their own: whether the answer comes while the
//! client is still sending is a race against the server's load, and the API suite runs
//! its tests in parallel, several with the engine busy beside them.

#[path = "api/helpers.rs"]
#[allow(dead_code, unused_imports)]
mod helpers;

use helpers::*;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Oversized uploads are refused while they arrive: declared ones before the body is
/// read, streamed ones once the limit has arrived.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_uploads_are_refused_while_they_arrive() {
    on_keyed_app(async |backend, store, app, _id, _other_key| {
        let untouched = fingerprint(store).await;
        // 60 MB, declared up front: refused before the body is read (only 1 MB is sent,
        // so a server that waited for the rest would time out here).
        let (s, body, _) = raw_upload(app, Some(60 << 20), 1 << 20).await;
        assert_eq!(s, 413, "{backend}: {body}");
        assert_error(&body, "too_large");
        // 60 MB streamed without a length: refused once 50 MB have arrived, while the
        // client is still sending.
        let (s, body, finished_sending) = raw_upload(app, None, 60 << 20).await;
        assert_eq!(s, 413, "{backend}: {body}");
        assert_error(&body, "too_large");
        assert!(
            !finished_sending,
            "{backend}: the answer came only after all 60 MB"
        );
        assert_eq!(
            fingerprint(store).await,
            untouched,
            "{backend}: oversize changed the store"
        );
    })
    .await;
}

/// Sends a multipart upload over a raw socket: with `declared` as Content-Length, or
/// chunked when `None`, writing `send` bytes of file content (1 MB at a time) while
/// reading the answer concurrently. Returns the status, the JSON body, and whether the
/// writer had sent everything before the answer arrived.
pub async fn raw_upload(app: &App, declared: Option<usize>, send: usize) -> (u16, Value, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let boundary = "atlboundary";
    let length = match declared {
        Some(n) => format!("Content-Length: {n}\r\n"),
        None => "Transfer-Encoding: chunked\r\n".to_string(),
    };
    let head = format!(
        "POST /api/atl/upload HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n{length}Connection: close\r\n\r\n",
        app.key.as_deref().unwrap_or("")
    );
    let part = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\nCompany\n"
    );
    let chunked = declared.is_none();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer_done = done.clone();
    let writer = tokio::spawn(async move {
        let frame = |data: &[u8]| -> Vec<u8> {
            if chunked {
                let mut f = format!("{:x}\r\n", data.len()).into_bytes();
                f.extend_from_slice(data);
                f.extend_from_slice(b"\r\n");
                f
            } else {
                data.to_vec()
            }
        };
        wr.write_all(head.as_bytes()).await?;
        wr.write_all(&frame(part.as_bytes())).await?;
        let mb = vec![b'a'; 1 << 20];
        let framed = frame(&mb);
        for _ in 0..send >> 20 {
            wr.write_all(&framed).await?;
        }
        writer_done.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok::<_, std::io::Error>(wr)
    });
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), rd.read_to_end(&mut response))
        .await
        .expect("an answer without the whole body")
        .unwrap();
    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
    writer.abort();
    let text = String::from_utf8_lossy(&response);
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (
        status,
        serde_json::from_str(body).unwrap_or(Value::Null),
        finished,
    )
}
