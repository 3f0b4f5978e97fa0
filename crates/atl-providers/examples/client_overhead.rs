//! Client benchmark: what our client + governor add to one chat call, measured beside a
//! zero-latency sandbox. The same request is sent (a) with bare reqwest + serde_json and
//! (b) through `OpenAiCompatClient` inside `Governor::call`, interleaved round by round so
//! both see the same machine load; the difference of the means is our overhead.
//!
//! Run: `cargo run --release -p atl-providers --example client_overhead` (or
//! scripts/bench-providers.sh).

use atl_providers::governor::Governor;
use atl_providers::limits::Limits;
use atl_providers::llm::{ChatModel, ChatRequest, Message};
use atl_providers::openai_compat::OpenAiCompatClient;
use std::time::{Duration, Instant};

const ROUNDS: usize = 20;
const PER_ROUND: usize = 250;

fn main() {
    // The sandbox gets its own OS thread and runtime so it never competes with the
    // measured client for the same scheduler.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("sandbox runtime");
        rt.block_on(async move {
            let sandbox = atl_sandbox::Sandbox::start(
                "127.0.0.1:0".parse().expect("addr"),
                atl_sandbox::SandboxConfig::default(),
            )
            .await
            .expect("sandbox");
            tx.send(sandbox.base_url()).expect("send");
            std::future::pending::<()>().await;
        });
    });
    let origin = rx.recv().expect("sandbox url");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let http = atl_providers::http::build_http_client(Duration::from_secs(10));
        let base = url::Url::parse(&format!("{origin}/v1")).expect("url");
        let client = OpenAiCompatClient::new("openai", base, None, http.clone());
        let governor = Governor::new("openai", "gpt-bench", Limits::sandbox());
        let request = ChatRequest {
            model: "gpt-bench".into(),
            system: Some("You are terse.".into()),
            messages: vec![Message::user("Company: Acme Corp. Say hello.")],
            max_tokens: 64,
            ..Default::default()
        };
        let raw_body = serde_json::json!({
            "model": "gpt-bench",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "Company: Acme Corp. Say hello."}
            ],
            "max_completion_tokens": 64
        });
        let raw_url = format!("{origin}/v1/chat/completions");

        let (mut bare, mut ours) = (Duration::ZERO, Duration::ZERO);
        for round in 0..ROUNDS {
            let t = Instant::now();
            for _ in 0..PER_ROUND {
                let resp = http
                    .post(&raw_url)
                    .json(&raw_body)
                    .send()
                    .await
                    .expect("bare");
                let v: serde_json::Value = resp.json().await.expect("bare json");
                assert!(v["choices"][0]["message"]["content"].is_string());
            }
            let b = t.elapsed();
            let t = Instant::now();
            for _ in 0..PER_ROUND {
                let (reply, _) = governor
                    .call(64, || client.chat(&request))
                    .await
                    .expect("ours");
                assert!(!reply.text.is_empty());
            }
            let o = t.elapsed();
            if round > 1 {
                // the first two rounds warm connections and caches
                bare += b;
                ours += o;
            }
        }
        let n = ((ROUNDS - 2) * PER_ROUND) as f64;
        let bare_us = bare.as_secs_f64() * 1e6 / n;
        let ours_us = ours.as_secs_f64() * 1e6 / n;
        println!("bare reqwest + serde_json:     {bare_us:8.1} µs/call");
        println!("OpenAiCompatClient + Governor: {ours_us:8.1} µs/call");
        println!(
            "overhead: {:.1} µs/call (ratio {:.2}); target < 50 µs",
            ours_us - bare_us,
            ours_us / bare_us
        );
    });
}
