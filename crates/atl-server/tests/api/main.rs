//! The API end to end: a real server on 127.0.0.1:0, a reqwest client, every test on
//! SQLite and PostgreSQL (`all_stores`). The enrichment path runs the real engine and
//! agents against the in-process sandbox (no network). One module per resource; what
//! they share is in `helpers` and the test kit.

mod campaigns;
mod docs;
mod errors;
mod events;
mod executives;
mod exports;
mod helpers;
mod keys;
mod metrics;
mod shutdown;
mod targets;
mod uploads;
