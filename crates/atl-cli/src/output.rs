//! How the CLI prints things. Kept apart from the commands so that wording and layout
//! change in one place.

use atl_app::ImportOutcome;
use atl_import::{ImportSummary, Severity};
use atl_store::{Campaign, TargetCounts};
use serde_json::{Value, json};

/// The seed's `{"campaign_id", "total_targets", "status"}` first, then what a user needs
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

pub fn campaign_table(campaigns: &[Campaign]) -> String {
    let mut out = format!(
        "{:>6}  {:<32}  {:<10}  {:>7}  {:>7}  {:>6}  {:>10}  {}\n",
        "ID", "NAME", "STATUS", "TARGETS", "DONE", "FAILED", "COST USD", "CREATED"
    );
    for c in campaigns {
        out.push_str(&format!(
            "{:>6}  {:<32}  {:<10}  {:>7}  {:>7}  {:>6}  {:>10.4}  {}\n",
            c.id,
            truncate(&c.name, 32),
            c.status.as_str(),
            c.total_targets,
            c.enriched_count,
            c.failed_count,
            nanos_to_usd(c.cost_nano_usd),
            rfc3339(c.created_at),
        ));
    }
    if campaigns.is_empty() {
        out.push_str("(no campaigns yet: `atl import FILE` creates one)\n");
    }
    out
}

/// The seed's status shape (section 3.5), so CLI and API print the same fields.
pub fn status_view(c: &Campaign, counts: &TargetCounts) -> Value {
    let total = counts.total.max(1) as f64;
    let done = (counts.completed + counts.failed) as f64;
    json!({
        "campaign_id": c.id,
        "name": c.name,
        "status": c.status.as_str(),
        "progress": {
            "total": counts.total,
            "pending": counts.pending,
            "processing": counts.processing,
            "completed": counts.completed,
            "failed": counts.failed,
            "cancelled": counts.cancelled,
            "percent": ((done / total) * 1000.0).round() / 10.0,
        },
        "total_cost_usd": nanos_to_usd(c.cost_nano_usd),
        "budget_usd": c.budget_nano_usd.map(nanos_to_usd),
        "created_at": rfc3339(c.created_at),
        "started_at": c.started_at.map(rfc3339),
        "completed_at": c.completed_at.map(rfc3339),
    })
}

pub fn status_text(c: &Campaign, counts: &TargetCounts) -> String {
    let view = status_view(c, counts);
    let p = &view["progress"];
    format!(
        "campaign {} \"{}\": {}\n  targets: {} total, {} pending, {} processing, {} completed, {} failed ({}%)\n  cost: ${:.4}{}\n",
        c.id,
        c.name,
        c.status,
        p["total"],
        p["pending"],
        p["processing"],
        p["completed"],
        p["failed"],
        p["percent"],
        nanos_to_usd(c.cost_nano_usd),
        c.budget_nano_usd
            .map(|b| format!(" of a ${:.2} budget", nanos_to_usd(b)))
            .unwrap_or_default(),
    )
}

fn nanos_to_usd(n: i64) -> f64 {
    n as f64 / 1e9
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
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
