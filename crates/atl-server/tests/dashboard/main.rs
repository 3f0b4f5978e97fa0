//! The dashboard end to end: a real server on 127.0.0.1:0 with the engine on the
//! in-process sandbox, on SQLite and PostgreSQL. `http` checks the pages and routes with
//! a plain HTTP client; `browser` drives headless Chromium through chromedriver
//! (sign in, upload, map a column, start, watch, open a target, follow a source, play the
//! audio, retry, export, accessibility) and saves a screenshot of every page under
//! `target/dashboard-screenshots/`.

mod app;
mod browser;
mod e2e;
mod http;
