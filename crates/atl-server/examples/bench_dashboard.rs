//! The browser half of `scripts/bench-dashboard.sh`: signs in to a running server with
//! headless Chromium and loads one campaign's page `--runs` times, printing the
//! Navigation Timing figures of each load (time to first byte, DOM ready, load end, all
//! from the start of the navigation), then measures how late a 50 ms timer fires over
//! five seconds while the page takes its live updates (the page's responsiveness).
//!
//! `bench_dashboard --base http://127.0.0.1:8089 --key KEY --campaign 1 [--runs 10]`
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (scripts/setup.sh installs them).

use fantoccini::{ClientBuilder, Locator};
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::Duration;

fn arg(name: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != name).nth(1)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = arg("--base").unwrap_or_else(|| "http://127.0.0.1:8089".into());
    let key = arg("--key").ok_or("--key KEY")?;
    let campaign = arg("--campaign").ok_or("--campaign ID")?;
    let runs: usize = arg("--runs").map_or(Ok(10), |r| r.parse())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut driver = Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let profile = std::env::temp_dir().join(format!("atl-bench-chromium-{}", std::process::id()));
    let caps = json!({"browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1000",
                 format!("--user-data-dir={}", profile.display())]}});
    let Value::Object(caps) = caps else {
        return Err("capabilities".into());
    };
    let mut client = None;
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(c) = ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            client = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let c = client.ok_or("no WebDriver session")?;
    c.goto(&format!("{base}/sign-in")).await?;
    c.find(Locator::Css("#key")).await?.send_keys(&key).await?;
    c.find(Locator::Css("form[action='/sign-in'] button"))
        .await?
        .click()
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let url = format!("{base}/campaigns/{campaign}");
    let mut ttfb = Vec::new();
    let mut dom = Vec::new();
    let mut load = Vec::new();
    for run in 0..runs {
        c.goto(&url).await?;
        let t = c
            .execute(
                "const n = performance.getEntriesByType('navigation')[0];
                 return [n.responseStart, n.domContentLoadedEventEnd, n.loadEventEnd];",
                vec![],
            )
            .await?;
        let f = |i: usize| t[i].as_f64().unwrap_or(f64::NAN);
        println!(
            "load {run}: first byte {:.1} ms, DOM ready {:.1} ms, load end {:.1} ms",
            f(0),
            f(1),
            f(2)
        );
        ttfb.push(f(0));
        dom.push(f(1));
        load.push(f(2));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    println!(
        "median of {runs}: first byte {:.1} ms, DOM ready {:.1} ms, load end {:.1} ms (max load end {:.1} ms)",
        median(&mut ttfb),
        median(&mut dom),
        median(&mut load),
        load.iter().cloned().fold(0.0, f64::max)
    );
    let lag = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const live = document.querySelector('#live');
             const before = Number(live.dataset.updates || 0);
             let last = performance.now(), worst = 0;
             const t = setInterval(() => { const now = performance.now();
               worst = Math.max(worst, now - last - 50); last = now; }, 50);
             setTimeout(() => { clearInterval(t);
               done([worst, Number(live.dataset.updates || 0) - before]); }, 5000);",
            vec![],
        )
        .await?;
    println!(
        "while live: worst timer delay {:.1} ms over 5 s, {} progress updates applied",
        lag[0].as_f64().unwrap_or(f64::NAN),
        lag[1]
    );
    c.close().await?;
    let _ = driver.kill();
    let _ = driver.wait();
    let _ = std::fs::remove_dir_all(&profile);
    Ok(())
}
