//! How the CLI prints things. Kept apart from the commands so that wording and layout
//! change in one place.

use atl_app::ImportOutcome;
use atl_app::{StatusView, rfc3339};
use atl_import::{ImportSummary, Severity};
use atl_store::{Campaign, nano_to_usd};
use serde_json::{Value, json};

/// `{"campaign_id", "total_targets", "status"}` first (the fields every import answer
/// starts with, in the CLI and the API alike), then what a user needs
/// to trust the import: rejected rows, merged duplicates, how the file was read.
pub fn import_json(o: &ImportOutcome) -> Value {
    json!({
        "campaign_id": o.campaign_id,
        "total_targets": o.total_targets,
        "status": o.status,
        "rows_rejected": o.rows_rejected,
        "duplicates_merged": o.duplicates_merged,
        "warnings": o.warnings,
        "encoding": o.report.encoding,
        "delimiter": o.report.delimiter.to_string(),
        "columns": o.report.mapping,
    })
}

/// Rejected rows and warnings go to stderr, one line each, so stdout stays valid JSON.
pub fn print_row_issues(report: &ImportSummary) {
    for issue in report.rejected.iter().chain(report.warnings.iter()) {
        let kind = match issue.severity {
            Severity::Rejected => "rejected",
            Severity::Warning => "warning",
        };
        let column = issue
            .column
            .as_deref()
            .map(|c| format!(" column \"{c}\":"))
            .unwrap_or_default();
        eprintln!("line {}: {kind}:{column} {}", issue.line, issue.reason);
    }
    let hidden = (report.rejected_count + report.warning_count)
        .saturating_sub((report.rejected.len() + report.warnings.len()) as u64);
    if hidden > 0 {
        eprintln!("... and {hidden} more issue(s) (see the campaign's import report)");
    }
}

/// DONE counts targets with every sub-agent's result; PARTIAL those with some.
pub fn campaign_table(campaigns: &[Campaign]) -> String {
    let mut out = format!(
        "{:>6}  {:<32}  {:<10}  {:>7}  {:>7}  {:>7}  {:>6}  {:>10}  {}\n",
        "ID", "NAME", "STATUS", "TARGETS", "DONE", "PARTIAL", "FAILED", "COST USD", "CREATED"
    );
    for c in campaigns {
        out.push_str(&format!(
            "{:>6}  {:<32}  {:<10}  {:>7}  {:>7}  {:>7}  {:>6}  {:>10.4}  {}\n",
            c.id,
            truncate(&c.name, 32),
            c.status.as_str(),
            c.total_targets,
            c.enriched_count,
            c.partial_count,
            c.failed_count,
            nano_to_usd(c.cost_nano_usd),
            rfc3339(c.created_at),
        ));
    }
    if campaigns.is_empty() {
        out.push_str("(no campaigns yet: `atl import FILE` creates one)\n");
    }
    out
}

/// `atl status` for a person: the same view the API serves, as text.
pub fn status_text(c: &Campaign, view: &StatusView) -> String {
    let p = &view.progress;
    let mut out = format!(
        "campaign {} \"{}\": {}\n  targets: {} total, {} pending, {} in progress, {} completed, {} partial, {} failed, {} cancelled ({}%)\n  cost: {}{}\n",
        c.id,
        c.name,
        view.status,
        p.total_targets,
        p.pending,
        p.in_progress,
        p.completed,
        p.partial,
        p.failed,
        p.cancelled,
        p.percent_complete,
        cost_text(view),
        view.budget_usd
            .map(|b| format!(" of a ${b:.2} budget"))
            .unwrap_or_default(),
    );
    if let Some(line) = failures_text(view) {
        out.push_str(&format!("  failed sub-agents: {line}\n"));
    }
    if let Some(eta) = &view.estimated_completion {
        out.push_str(&format!("  estimated completion: {eta}\n"));
    }
    out
}

/// `$1.2345 ($0.0100 of it on runs that left no result)`, with unknown prices said.
pub fn cost_text(view: &StatusView) -> String {
    let c = &view.cost_usd;
    let mut s = format!("${:.4}", c.total);
    if c.failed_attempts > 0.0 {
        s.push_str(&format!(
            " (${:.4} of it on failed or retried runs)",
            c.failed_attempts
        ));
    }
    let unknown = c.unknown_cost_results + c.unknown_cost_attempts;
    if unknown > 0 {
        s.push_str(&format!(" + {unknown} of unknown price"));
    }
    s
}

/// `research 3 (deepseek unavailable since 14:03 UTC), voice 1 (401 bad key)`, or `None`
/// when no job failed.
pub fn failures_text(view: &StatusView) -> Option<String> {
    let parts: Vec<String> = view
        .failed_by_sub_agent
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(kind, n)| {
            let why = view
                .failure_reasons
                .get(kind)
                .and_then(|r| r.first())
                .map(|r| format!(" ({})", truncate(&r.reason, 80)))
                .unwrap_or_default();
            format!("{kind} {n}{why}")
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// A quote as a finance lead reads it: one line per purchase, then the totals.
pub fn quote_text(e: &atl_app::CampaignEstimate) -> String {
    let mut out = format!(
        "Quote for campaign {} ({} targets{}; audio {} priced)\n",
        e.campaign_id,
        e.targets,
        if e.synthetic {
            ", sandbox: prices are what real providers would charge"
        } else {
            ""
        },
        e.audio_mode.replace('_', "-"),
    );
    out.push_str(&format!(
        "{:<16} {:<12} {:<26} {:>14} {:>10} {:>21}\n",
        "item", "provider", "model / endpoint", "units (exp.)", "expected", "range"
    ));
    for l in &e.items {
        out.push_str(&format!(
            "{:<16} {:<12} {:<26} {:>14.1} {:>10} {:>21}\n",
            l.kind,
            l.provider,
            l.what,
            l.units_expected,
            format!("${:.4}", l.expected_usd),
            format!("${:.4}–{:.4}", l.low_usd, l.high_usd),
        ));
    }
    out.push_str(&format!(
        "total: ${:.2} expected (range ${:.2}–{:.2}); contact-data credits ≈ {:.1}\n",
        e.expected_usd, e.low_usd, e.high_usd, e.contact_credits_expected
    ));
    if e.cached_companies > 0 || e.cached_contacts > 0 {
        out.push_str(&format!(
            "from the evidence cache, not bought again: {} companies, {} contacts\n",
            e.cached_companies, e.cached_contacts
        ));
    }
    out
}
