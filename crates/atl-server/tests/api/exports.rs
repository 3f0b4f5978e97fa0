//! Exports: CSV with formula cells neutralised, JSONL as it is, unknown formats refused.

use crate::helpers::*;
use serde_json::Value;

/// CSV: input columns first, then the enriched ones; cells a spreadsheet would run as
/// a formula are neutralised, phones and numbers kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_export_neutralises_formulas_and_keeps_input_columns_first() {
    for (backend, _store, app, id) in completed_campaigns().await {
        let csv = app.fetch(&export_path(id, "csv")).await;
        assert_eq!(csv.status(), 200);
        assert!(header(&csv, "content-type").starts_with("text/csv"));
        let text = csv.text().await.unwrap();
        let mut reader = csv_reader(&text);
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        assert_eq!(header[..3], ["row_number", "company", "contact"]);
        let notes = header
            .iter()
            .position(|h| h == "Notes")
            .expect("extra column kept");
        let overview = header.iter().position(|h| h == "overview").unwrap();
        assert!(notes < overview, "input columns before enriched ones");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        let synthetic = header.iter().position(|h| h == "synthetic").unwrap();
        assert!(
            rows.iter().all(|r| &r[synthetic] == "true"),
            "{backend}: every sandbox row says it is synthetic"
        );
        assert_eq!(&rows[0][notes], "'=HYPERLINK(\"http://evil\")");
        assert_eq!(&rows[1][notes], "'+1 555");
        assert_eq!(&rows[2][notes], "'@risk");
        assert!(
            !rows[0][overview].is_empty(),
            "{backend}: enriched overview exported"
        );
        // Phones keep their `+` and numbers their sign: neither is a formula.
        let plain_phone_or_number = |c: &str| {
            c.parse::<f64>().is_ok()
                || (c.starts_with('+')
                    && c[1..]
                        .chars()
                        .all(|ch| ch.is_ascii_digit() || " -.()".contains(ch)))
        };
        for row in &rows {
            for cell in row.iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
                        || plain_phone_or_number(cell),
                    "unescaped formula cell {cell:?}"
                );
            }
        }
        app.stop().await;
    }
}

/// JSONL: values exactly as they are (JSON is not a spreadsheet).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonl_export_keeps_values_as_they_are() {
    for (_backend, _store, app, id) in completed_campaigns().await {
        let jsonl = app.text(&export_path(id, "jsonl")).await;
        let lines: Vec<Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["company"], "Acme Corp");
        assert_eq!(
            lines[0]["extra"]["Notes"], "=HYPERLINK(\"http://evil\")",
            "JSON is not escaped"
        );
        assert_eq!(lines[0]["status"], "completed");
        assert_eq!(lines[0]["synthetic"], true, "sandbox rows say so");
        app.stop().await;
    }
}

/// An unknown format is a bad request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_export_format_is_refused() {
    for (_backend, store) in all_stores().await {
        let app = spawn_app(store.store(), false).await;
        let (_, body) = app.upload("small", SMALL_CSV.as_bytes().to_vec()).await;
        let id = body["campaign_id"].as_i64().unwrap();
        refused_as_bad_request(app, &export_path(id, "xlsx")).await;
    }
}
