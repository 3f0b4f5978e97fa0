//! Headless Chromium through Debian's chromedriver, driven with fantoccini.
//!
//! Chromium runs with a fresh profile and without its background services: on a machine
//! without outside network their connection attempts are refused, and some of them stall
//! start-up. When chromium or chromedriver is missing the browser tests skip with a loud
//! message, except in CI (`CI` set), where `scripts/test.sh` installs them and a missing
//! browser is a failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

/// Whether the browser tests can run; `false` (after a loud message) outside CI.
pub fn available() -> bool {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "CI must run the browser tests: {CHROMIUM} or {CHROMEDRIVER} is missing (scripts/setup.sh installs them)"
        );
    }
    eprintln!("################################################################");
    eprintln!("## SKIPPED: dashboard browser tests: no {CHROMIUM} or {CHROMEDRIVER}.");
    eprintln!("## Run scripts/setup.sh (apt-get install chromium chromium-driver).");
    eprintln!("################################################################");
    false
}

impl Browser {
    pub async fn launch() -> Browser {
        let port = atl_testkit::bin::free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = super::app::temp_dir("chromium-profile");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        profile,
                    };
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no WebDriver session: {last:?}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// The element `css` selects; panics when there is none.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .is_empty()
    }

    /// Runs `script` (a function body) until it returns something truthy.
    pub async fn wait_for(&self, what: &str, script: &str, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let v = self.client.execute(script, vec![]).await.unwrap();
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return v;
            }
            if tokio::time::Instant::now() > deadline {
                let url = self.client.current_url().await.map(|u| u.to_string());
                self.screenshot("timeout").await;
                panic!("timed out waiting for {what} (at {url:?})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `css` selects something.
    pub async fn wait_for_element(&self, what: &str, css: &str, timeout: Duration) {
        let script = format!("return !!document.querySelector({css:?})");
        self.wait_for(what, &script, timeout).await;
    }

    /// Waits until the text of what `css` selects is `text`.
    pub async fn wait_for_text(&self, what: &str, css: &str, text: &str, timeout: Duration) {
        let script = format!(
            "const t = document.querySelector({css:?}); return t && t.textContent === {text:?}"
        );
        self.wait_for(what, &script, timeout).await;
    }

    /// Waits until the page's path is `path`.
    pub async fn wait_for_path(&self, what: &str, path: &str, timeout: Duration) {
        let script = format!("return location.pathname === {path:?}");
        self.wait_for(what, &script, timeout).await;
    }

    /// Runs `script` (a function body): its string answer, `or` when it answers none.
    pub async fn eval_string(&self, script: &str, or: &str) -> String {
        let v = self.client.execute(script, vec![]).await.unwrap();
        v.as_str().unwrap_or(or).to_string()
    }

    /// Checks the page's accessibility and saves its screenshot as `name`.
    pub async fn check_page(&self, page: &str, name: &str) {
        self.assert_accessible(page).await;
        self.screenshot(name).await;
    }

    /// Saves the screenshot `name` at a phone's window size, then back at the desktop's.
    pub async fn phone_screenshot(&self, name: &str) {
        self.client.set_window_size(390, 844).await.unwrap();
        self.screenshot(name).await;
        self.client.set_window_size(1280, 1000).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Saves the page as `target/dashboard-screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/dashboard-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Runs axe-core in the page; panics on any serious or critical violation.
    pub async fn assert_accessible(&self, page: &str) {
        static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let axe = AXE.get_or_init(|| {
            std::fs::read_to_string(super::app::testdata("axe-core/axe.min.js")).unwrap()
        });
        self.client.execute(axe, vec![]).await.unwrap();
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                    .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact,
                        help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5) }))))
                    .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
                vec![],
            )
            .await
            .unwrap();
        let bad: Vec<&Value> = result
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(bad.is_empty(), "{page}: accessibility violations: {bad:#?}");
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
