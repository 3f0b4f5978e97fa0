//! The live progress of a run: an indicatif bar on a terminal, a line every few seconds
//! otherwise (CI logs, pipes), both fed by the coordinator's progress events.

use atl_engine::ProgressEvent;
use atl_store::{Progress, nano_to_usd};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// Follows `events` for `campaign_id` until the channel closes or `stop` fires.
pub async fn follow(
    campaign_id: i64,
    mut events: broadcast::Receiver<ProgressEvent>,
    stop: tokio_util::sync::CancellationToken,
) {
    let tty = std::io::stderr().is_terminal();
    let bar = if tty {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:32}] {pos}/{len} targets  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Some(bar)
    } else {
        None
    };
    let mut last_line = Instant::now();
    loop {
        let event = tokio::select! {
            _ = stop.cancelled() => break,
            e = events.recv() => e,
        };
        match event {
            Ok(ProgressEvent::Snapshot(p)) if p.campaign_id == campaign_id => {
                let done = p.targets.completed
                    + p.targets.partial
                    + p.targets.failed
                    + p.targets.cancelled;
                match &bar {
                    Some(bar) => {
                        bar.set_length(p.targets.total);
                        bar.set_position(done);
                        bar.set_message(summary(&p));
                    }
                    None if last_line.elapsed() >= Duration::from_secs(5) => {
                        eprintln!(
                            "progress: {done}/{} targets  {}",
                            p.targets.total,
                            summary(&p)
                        );
                        last_line = Instant::now();
                    }
                    None => {}
                }
            }
            Ok(_) => {}
            // A slow terminal only skips snapshots; the next one is complete anyway.
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

/// `12 completed  3 partial  1 failed  $0.0123  ETA 2m 10s`: completed targets have
/// every sub-agent's result, partial ones some.
pub fn summary(p: &Progress) -> String {
    let mut s = format!(
        "{} completed  {} partial  {} failed  ${:.4}",
        p.targets.completed,
        p.targets.partial,
        p.targets.failed,
        nano_to_usd(p.cost_nano_usd)
    );
    if let Some(budget) = p.budget_nano_usd {
        s.push_str(&format!(" of ${:.2}", nano_to_usd(budget)));
    }
    let unknown = p.unknown_cost_results + p.unknown_cost_attempts;
    if unknown > 0 {
        s.push_str(&format!(" (+{unknown} of unknown cost)"));
    }
    if let Some(eta) = p.eta_ms {
        s.push_str(&format!("  ETA {}", human(Duration::from_millis(eta))));
    }
    s
}

pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{}.{}s", s, d.subsec_millis() / 100),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// `2026-03-01 14:03 UTC`
pub fn day_and_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}
