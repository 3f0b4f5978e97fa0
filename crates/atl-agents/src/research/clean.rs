//! The model's answer checked against the evidence pack, claim by claim.
//!
//! - A claim's `source_url` must be a URL of the pack; then the claim carries the pack's
//!   provenance for it (website or search, the date observed). A claim citing nothing, or
//!   a URL we never read, is kept as the model's own knowledge (`source: model`), never
//!   credited to the pages read.
//! - A news item must cite the pack (else dropped); its date is the search engine's when
//!   it gave one (evidence beats the model's reading), else the model's.
//! - A signal needs a URL of the pack and a date (else dropped).
//! - News and signals older than `max_age_days`, or undated, are marked stale: kept for
//!   the record, never the reason for a call.
//! - `sources` lists only the URLs kept claims cite.

use crate::evidence::EvidencePack;
use atl_domain::provenance::{Claim, Provenance, SourceKind};
use atl_domain::records::{NewsItem, ResearchBrief, Signal, SignalKind};
use serde_json::Value;

/// The cleaned brief and what was dropped, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleaned {
    pub brief: ResearchBrief,
    pub warnings: Vec<String>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| {
            !s.is_empty()
                && !["unknown", "n/a", "null", "none"].contains(&s.to_ascii_lowercase().as_str())
        })
        .map(String::from)
}

/// A claim field: `{"text", "source_url"}` (or, from a model that ignored the schema, a
/// bare string, which is the model's word).
fn claim(v: Option<&Value>, pack: &EvidencePack) -> Option<Claim> {
    let v = v?;
    let (body, url) = match v {
        Value::String(s) => (Some(s.trim().to_string()).filter(|s| !s.is_empty()), None),
        Value::Object(_) => (text(v, "text"), text(v, "source_url")),
        _ => (None, None),
    };
    let body = body?;
    let provenance = url
        .as_deref()
        .and_then(|u| pack.provenance_of(u))
        .unwrap_or_else(Provenance::model);
    Some(Claim::new(body, provenance))
}

/// Whether `date` (`YYYY-MM-DD`) is within `max_age_days` of `today`.
fn is_fresh(date: Option<&str>, today: time::Date, max_age_days: u32) -> bool {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    match date.and_then(|d| time::Date::parse(d.get(..10).unwrap_or(d), fmt).ok()) {
        Some(d) => (today - d).whole_days() <= i64::from(max_age_days) && d <= today,
        None => false,
    }
}

fn valid_date(d: Option<String>) -> Option<String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    d.filter(|d| time::Date::parse(d.get(..10).unwrap_or(d), fmt).is_ok())
        .map(|d| d.chars().take(10).collect())
}

/// An item of the answer's news or signals that cites a URL of the pack: that URL as the
/// pack has it, its page's source, and the item's date — the search engine's when it gave
/// one (evidence beats the model's reading), else the model's — when it is a date.
struct Cited<'a> {
    item: &'a Value,
    url: String,
    source: SourceKind,
    date: Option<String>,
}

/// The items of the answer's list `key` that have a `label` field, each with its label and
/// its evidence when the URL it cites was read in this run, else the warning
/// `dropped(label, url)`.
fn cited<'a>(
    answer: &'a Value,
    (key, label): (&str, &str),
    pack: &EvidencePack,
    dropped: impl Fn(&str, &str) -> String,
) -> Vec<(String, Result<Cited<'a>, String>)> {
    let items = answer
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    items
        .filter_map(|item| {
            let name = text(item, label)?;
            let url = text(item, "url").unwrap_or_default();
            let Some(p) = pack.provenance_of(&url) else {
                let warning = dropped(&name, &url);
                return Some((name, Err(warning)));
            };
            let engine_date = pack.hit(&url).and_then(|h| h.date.clone());
            let cited = Cited {
                item,
                date: valid_date(engine_date.or_else(|| text(item, "date"))),
                url: p.evidence_url.unwrap_or(url),
                source: p.source,
            };
            Some((name, Ok(cited)))
        })
        .collect()
}

/// The item when it is kept; else its warning is added and `None` returned.
fn kept<T>(item: Result<T, String>, warnings: &mut Vec<String>) -> Option<T> {
    item.map_err(|w| warnings.push(w)).ok()
}

pub fn clean_brief(
    answer: &Value,
    pack: &EvidencePack,
    today: time::Date,
    max_age_days: u32,
) -> Cleaned {
    let mut warnings = Vec::new();
    let mut brief = ResearchBrief {
        overview: claim(answer.get("overview"), pack),
        industry: claim(answer.get("industry"), pack),
        headquarters: claim(answer.get("headquarters"), pack),
        employee_range: claim(answer.get("employee_range"), pack),
        market_position: claim(answer.get("market_position"), pack),
        site_read: pack.site.is_some(),
        off_target_results: pack.off_target,
        ..ResearchBrief::default()
    };
    let model_claims = brief
        .claims()
        .iter()
        .filter(|(_, c)| c.is_some_and(|c| c.source() == SourceKind::Model))
        .count();
    if model_claims > 0 {
        warnings.push(format!(
            "{model_claims} claim(s) cite no page read in this run: shown as model knowledge"
        ));
    }

    let dropped =
        |_: &str, url: &str| format!("news item dropped: {url:?} was not read in this run");
    for (title, c) in cited(answer, ("recent_news", "title"), pack, dropped) {
        let Some(c) = kept(c, &mut warnings) else {
            continue;
        };
        let stale = !is_fresh(c.date.as_deref(), today, max_age_days);
        brief.recent_news.push(NewsItem {
            title,
            date: c.date,
            url: c.url,
            summary: text(c.item, "summary"),
            source: c.source,
            stale,
        });
    }

    let dropped =
        |body: &str, _: &str| format!("signal dropped (no source read in this run): {body}");
    for (body, c) in cited(answer, ("signals", "text"), pack, dropped) {
        let Some(c) = kept(c, &mut warnings) else {
            continue;
        };
        let Some(date) = c.date else {
            warnings.push(format!("signal dropped (undated): {body}"));
            continue;
        };
        let kind = text(c.item, "kind")
            .as_deref()
            .and_then(SignalKind::parse)
            .unwrap_or(SignalKind::Other);
        brief.signals.push(Signal {
            kind,
            stale: !is_fresh(Some(&date), today, max_age_days),
            text: body,
            date,
            url: c.url,
            source: c.source,
        });
    }

    let mut sources: Vec<String> = Vec::new();
    let cited = brief
        .claims()
        .iter()
        .filter_map(|(_, c)| c.and_then(|c| c.provenance.evidence_url.clone()))
        .chain(brief.recent_news.iter().map(|n| n.url.clone()))
        .chain(brief.signals.iter().map(|s| s.url.clone()))
        .collect::<Vec<_>>();
    for u in cited {
        if !sources.contains(&u) {
            sources.push(u);
        }
    }
    brief.sources = sources;
    Cleaned { brief, warnings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Hit, Page};
    use serde_json::json;
    use time::macros::date;

    fn pack() -> EvidencePack {
        EvidencePack {
            site: Some(Page::read(
                "https://acme.example/",
                "Acme",
                "Acme makes anvils.",
                "2026-12-01T08:00:00Z",
            )),
            hits: vec![
                Hit::found(
                    "https://news.example/fresh",
                    "Acme raises $40M",
                    Some("2026-10-01"),
                    "2026-12-01T08:00:00Z",
                ),
                Hit::found(
                    "https://news.example/old",
                    "Acme opens plant",
                    Some("2023-01-05"),
                    "2026-12-01T08:00:00Z",
                ),
            ],
            ..EvidencePack::default()
        }
    }

    #[test]
    fn claims_are_tied_to_the_pack_or_marked_model_knowledge() {
        let answer = json!({
            "overview": {"text": "Acme makes anvils.", "source_url": "https://acme.example"},
            "industry": {"text": "Tools", "source_url": null},
            "headquarters": {"text": "Springfield", "source_url": "https://invented.example/"},
            "employee_range": {"text": "unknown", "source_url": null},
            "market_position": "The leader",
            "recent_news": [
                {"title": "Acme raises $40M", "date": "2026-01-01", "url": "https://news.example/fresh", "summary": "s"},
                {"title": "Acme opens plant", "date": null, "url": "https://news.example/old", "summary": "s"},
                {"title": "Invented", "date": "2026-11-01", "url": "https://invented.example/n", "summary": "s"}
            ],
            "signals": [
                {"kind": "funding", "text": "Series B", "date": null, "url": "https://news.example/fresh"},
                {"kind": "hiring", "text": "Hiring 200 engineers", "date": "2026-11-01", "url": null}
            ]
        });
        let c = clean_brief(&answer, &pack(), date!(2026 - 12 - 01), 365);
        let b = &c.brief;
        let ov = b.overview.as_ref().unwrap();
        assert_eq!(ov.source(), SourceKind::Website);
        assert_eq!(
            ov.provenance.evidence_url.as_deref(),
            Some("https://acme.example/")
        );
        assert_eq!(b.industry.as_ref().unwrap().source(), SourceKind::Model);
        assert_eq!(
            b.headquarters.as_ref().unwrap().source(),
            SourceKind::Model,
            "a URL never read is no source"
        );
        assert!(b.employee_range.is_none(), "'unknown' is no claim");
        assert_eq!(
            b.market_position.as_ref().unwrap().source(),
            SourceKind::Model
        );
        assert_eq!(b.recent_news.len(), 2);
        // The search engine's date beats the model's.
        assert_eq!(b.recent_news[0].date.as_deref(), Some("2026-10-01"));
        assert!(!b.recent_news[0].stale);
        assert!(b.recent_news[1].stale, "a 2023 item is no reason to call");
        // The funding signal takes its date from the result; the hiring one has no source.
        assert_eq!(b.signals.len(), 1);
        assert_eq!(b.signals[0].date, "2026-10-01");
        assert_eq!(
            b.sources,
            vec![
                "https://acme.example/",
                "https://news.example/fresh",
                "https://news.example/old"
            ]
        );
        assert_eq!(b.fresh_reasons().count(), 2);
        assert!(c.warnings.iter().any(|w| w.contains("invented.example/n")));
        assert!(c.warnings.iter().any(|w| w.contains("Hiring 200")));
        // Supported fields: overview, news, signals.
        assert_eq!(b.supported_fields(), 3);
    }

    #[test]
    fn an_answer_that_cites_nothing_has_no_sources() {
        let answer = json!({"overview": {"text": "Acme makes anvils.", "source_url": null},
                            "recent_news": [], "signals": []});
        let c = clean_brief(&answer, &pack(), date!(2026 - 12 - 01), 365);
        assert!(c.brief.sources.is_empty());
        assert_eq!(c.brief.supported_fields(), 0);
        assert!(c.brief.site_read);
    }
}
