//! Throughput of the sandbox on ONE core: the server runs on a current_thread runtime in
//! its own thread; N keep-alive reqwest clients drive it from a second runtime.
//!
//! `cargo run --release -p atl-sandbox --example sandbox_load [concurrency] [seconds]`
//!
//! Besides requests/s it prints the CPU time the server thread used (from
//! /proc/thread-self/stat), so "requests per server-CPU-second" shows the server's own
//! capacity even when the client, sharing the machine, is the bottleneck.

use atl_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Server-thread CPU seconds (utime + stime), or None off Linux.
fn thread_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0) // USER_HZ is 100 on Linux
}

enum Cmd {
    Cpu(oneshot::Sender<Option<f64>>),
    Stop,
}

type Server = (
    SocketAddr,
    mpsc::UnboundedSender<Cmd>,
    std::thread::JoinHandle<()>,
);

fn spawn_server() -> Result<Server, Box<dyn std::error::Error>> {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel::<Cmd>();
    let handle = std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                let _ = addr_tx.send(Err(e.to_string()));
                return;
            }
        };
        rt.block_on(async move {
            let sb = match Sandbox::start(
                SocketAddr::from(([127, 0, 0, 1], 0)),
                SandboxConfig::default(),
            )
            .await
            {
                Ok(sb) => sb,
                Err(e) => {
                    let _ = addr_tx.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = addr_tx.send(Ok(sb.addr()));
            while let Some(cmd) = cmd_rx.recv().await {
                match cmd {
                    // Runs on the server's only thread, so thread-self is the server thread.
                    Cmd::Cpu(reply) => {
                        let _ = reply.send(thread_cpu_secs());
                    }
                    Cmd::Stop => break,
                }
            }
            sb.shutdown().await;
        });
    });
    let addr = addr_rx.recv()??;
    Ok((addr, cmd_tx, handle))
}

async fn server_cpu(cmd: &mpsc::UnboundedSender<Cmd>) -> Option<f64> {
    let (tx, rx) = oneshot::channel();
    cmd.send(Cmd::Cpu(tx)).ok()?;
    rx.await.ok()?
}

async fn phase(
    name: &str,
    client: &reqwest::Client,
    url: String,
    body: Value,
    concurrency: usize,
    secs: u64,
    cmd: &mpsc::UnboundedSender<Cmd>,
) {
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let body = Arc::new(serde_json::to_vec(&body).unwrap_or_default());
    let cpu0 = server_cpu(cmd).await;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, body, ok, failed) = (
            client.clone(),
            url.clone(),
            body.clone(),
            ok.clone(),
            failed.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let r = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.as_ref().clone())
                    .send()
                    .await;
                // Read the body so the connection goes back to the pool.
                let done = match r {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                let counter = if done { &ok } else { &failed };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu1 = server_cpu(cmd).await;
    let n = ok.load(Ordering::Relaxed);
    let rps = n as f64 / elapsed;
    let cpu = match (cpu0, cpu1) {
        (Some(a), Some(b)) if b > a => {
            let used = b - a;
            format!(
                "; server thread CPU {used:.2} s ({:.0} % of one core) → {:.0} requests per server-CPU-second",
                100.0 * used / elapsed,
                n as f64 / used
            )
        }
        _ => String::new(),
    };
    println!(
        "{name:<18} {rps:>9.0} requests/s  ({n} ok, {} failed, {concurrency} clients, {elapsed:.1} s){cpu}",
        failed.load(Ordering::Relaxed)
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut args = std::env::args().skip(1);
    let concurrency: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(64);
    let secs: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3);
    let (addr, cmd, server) = spawn_server()?;
    let base = format!("http://{addr}");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .http1_only()
            .build()?;
        let chat = json!({"model": "deepseek-flash", "messages": [
            {"role": "system", "content": "You are a research agent. Reply briefly."},
            {"role": "user", "content": "Company: Acme Corp\nDomain: acme.com\nSummarise the company."}]});
        let mut chat_schema = chat.clone();
        chat_schema["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "research", "schema": {
            "type": "object", "required": ["overview", "industry", "recent_news", "sources", "confidence"],
            "properties": {"overview": {"type": "string"}, "industry": {"type": "string"},
                "recent_news": {"type": "array", "items": {"type": "object", "properties": {
                    "title": {"type": "string"}, "date": {"type": "string", "format": "date"}, "url": {"type": "string", "format": "uri"}}}},
                "sources": {"type": "array", "items": {"type": "string", "format": "uri"}},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}}});
        let apollo = json!({"first_name": "Jane", "last_name": "Doe", "domain": "acme.com"});
        phase("chat (text)", &client, format!("{base}/v1/chat/completions"), chat, concurrency, secs, &cmd).await;
        phase("chat (json_schema)", &client, format!("{base}/v1/chat/completions"), chat_schema, concurrency, secs, &cmd).await;
        phase("apollo people/match", &client, format!("{base}/api/v1/people/match"), apollo, concurrency, secs, &cmd).await;
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    let _ = cmd.send(Cmd::Stop);
    let _ = server.join();
    Ok(())
}
