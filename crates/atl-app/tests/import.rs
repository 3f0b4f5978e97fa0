//! The import path end to end (bytes → campaign) on SQLite and PostgreSQL: what is
//! accepted is stored once, and any refusal leaves the store exactly as it was.

use atl_app::{AppError, ImportRequest, import_csv};
use atl_import::{ImportError, ImportOptions};
use atl_store::{Campaign, Store, Target};
use atl_testkit::all_stores;

fn request(team_id: i64, options: ImportOptions) -> ImportRequest {
    ImportRequest {
        team_id,
        name: Some("test".into()),
        file_name: Some("test.csv".into()),
        options,
        settings: serde_json::json!({}),
        budget_nano_usd: None,
    }
}

/// `bytes` imported for the team called `team` with the default options.
async fn import_default(
    store: &Store,
    team: &str,
    bytes: Vec<u8>,
) -> Result<atl_app::ImportOutcome, AppError> {
    let team_id = store.team_id(team).await.unwrap();
    import_csv(store, bytes, request(team_id, ImportOptions::default())).await
}

/// Every target of the campaign, in file order.
async fn all_targets(store: &Store, campaign_id: i64) -> Vec<Target> {
    store
        .list_targets(campaign_id, None, 10_000, 0)
        .await
        .unwrap()
}

async fn campaign_of(store: &Store, id: i64) -> Campaign {
    store.get_campaign(None, id).await.unwrap().unwrap()
}

async fn campaign_count(store: &Store) -> usize {
    store.list_campaigns(None, 100, 0).await.unwrap().len()
}

fn testdata(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../testdata/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test]
async fn fortune_1000_imports_on_both_backends() {
    for (backend, store) in all_stores().await {
        let out = import_default(
            &store,
            "acme-sales",
            testdata("companies/fortune1000_2021.target_list.csv"),
        )
        .await
        .unwrap();
        assert_eq!(out.total_targets, 1000, "{backend}");
        assert_eq!(out.status, "pending");
        let targets = all_targets(&store, out.campaign_id).await;
        assert_eq!(targets[0].company_name, "Walmart", "{backend}");
        assert_eq!(
            targets[0].row_number, 2,
            "{backend}: first data row is line 2"
        );
        let lowes = all_targets(&store, out.campaign_id)
            .await
            .into_iter()
            .find(|t| t.company_name.starts_with("Lowe"))
            .unwrap();
        assert_eq!(
            lowes.company_name, "Lowe\u{2019}s",
            "{backend}: entity decoded"
        );
        // Co-CEOs in one cell: the first is the contact, the second kept in extra.
        let energy_transfer = all_targets(&store, out.campaign_id)
            .await
            .into_iter()
            .find(|t| t.company_name == "Energy Transfer")
            .unwrap();
        assert_eq!(
            energy_transfer.contact_name.as_deref(),
            Some("Mackie McCrea"),
            "{backend}"
        );
        assert_eq!(
            energy_transfer.extra["contact_name_2"], "Tom Long",
            "{backend}"
        );
        assert_eq!(out.warnings, 14, "{backend}: one per two-person cell");
        assert!(
            out.report
                .warnings
                .iter()
                .any(|w| w.line == 60 && w.reason.contains("\"Tom Long\" moved to extra")),
            "{backend}"
        );
        store.cleanup().await;
    }
}

#[tokio::test]
async fn duplicates_across_batches_merge_into_one_target() {
    // Row 2 and row 1502 are the same person at the same company; the second one brings a
    // title and an extra column the first lacked. 1,500 rows apart means different insert
    // batches, so the store's upsert (not the in-memory batch merge) does the merge.
    let mut csv = String::from("Company,Email,Title,Notes\n");
    csv.push_str("Acme,jo@acme.com,,first\n");
    for i in 0..1499 {
        csv.push_str(&format!("Filler {i},f{i}@filler.example,,\n"));
    }
    csv.push_str("ACME,JO@acme.com,VP Sales,second\n");
    for (backend, store) in all_stores().await {
        let out = import_default(&store, "t", csv.clone().into_bytes())
            .await
            .unwrap();
        assert_eq!(out.total_targets, 1500, "{backend}");
        assert_eq!(out.duplicates_merged, 1, "{backend}");
        assert_eq!(
            out.report.duplicate_rows,
            vec![atl_import::DuplicateRow {
                line: 1502,
                merged_into_line: 2,
                company_name: "ACME".into(),
            }],
            "{backend}: the upload says which row went where"
        );
        let acme = all_targets(&store, out.campaign_id).await.remove(0);
        assert_eq!(
            acme.company_name, "Acme",
            "{backend}: first row's values win"
        );
        assert_eq!(
            acme.contact_title.as_deref(),
            Some("VP Sales"),
            "{backend}: blank filled"
        );
        assert_eq!(acme.extra["Notes"], "first", "{backend}");
        store.cleanup().await;
    }
}

#[tokio::test]
async fn refusals_write_nothing() {
    let too_many = {
        let mut s = String::from("Company,Email\n");
        for i in 0..10_001 {
            s.push_str(&format!("Company {i},x{i}@c{i}.example\n"));
        }
        s
    };
    for (backend, store) in all_stores().await {
        let team = store.team_id("t").await.unwrap();

        let err = import_default(&store, "t", too_many.clone().into_bytes())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                AppError::Import(ImportError::TooManyTargets { limit: 10_000, .. })
            ),
            "{backend}: {err}"
        );
        assert!(
            err.to_string().contains("10,000") || err.to_string().contains("10000"),
            "{err}"
        );

        let err = import_default(&store, "t", b"City,Population\nOslo,700000\n".to_vec())
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("City"),
            "{backend}: names the headers: {err}"
        );

        let err = import_default(
            &store,
            "t",
            b"Company,Email\n,a@b.com\n  ,c@d.com\n".to_vec(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, AppError::NoTargets { rejected: 2, .. }),
            "{backend}: {err}"
        );

        let small = ImportOptions {
            max_bytes: 10,
            ..ImportOptions::default()
        };
        let err = import_csv(
            &store,
            b"Company\nAcme Corporation\n".to_vec(),
            request(team, small),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, AppError::Import(ImportError::TooLarge { .. })),
            "{backend}: {err}"
        );

        let err = import_default(
            &store,
            "t",
            vec![0u8, 159, 146, 150, 0, 1, 2, 3, 255, 254, 0, 0],
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, AppError::Import(_)),
            "{backend}: binary junk refused: {err}"
        );

        assert_eq!(
            campaign_count(&store).await,
            0,
            "{backend}: nothing was written"
        );
        store.cleanup().await;
    }
}

#[tokio::test]
async fn rejected_rows_are_reported_with_their_lines_and_the_rest_imports() {
    let csv = "Company,Email\nAcme,jo@acme.com\n,orphan@x.com\nGlobex,not-an-email\n";
    for (backend, store) in all_stores().await {
        let out = import_default(&store, "t", csv.as_bytes().to_vec())
            .await
            .unwrap();
        assert_eq!(out.total_targets, 2, "{backend}");
        assert_eq!(out.rows_rejected, 1);
        assert_eq!(out.report.rejected[0].line, 3);
        assert_eq!(out.warnings, 1);
        assert_eq!(out.report.warnings[0].line, 4);
        let globex = all_targets(&store, out.campaign_id).await.remove(1);
        assert_eq!(globex.contact_email, None);
        assert_eq!(
            globex.extra["Email"], "not-an-email",
            "{backend}: invalid value kept"
        );
        store.cleanup().await;
    }
}

#[tokio::test]
async fn an_exported_csv_never_starts_a_formula_in_its_header_or_cells() {
    for (backend, store) in all_stores().await {
        let team = store.team_id("acme-sales").await.unwrap();
        let csv = "Company,Website,=HYPERLINK(\"http://evil.invalid\")\n\
                   =1+1,https://acme.com,@SUM(A1)\n";
        let out = import_default(&store, "acme-sales", csv.as_bytes().to_vec())
            .await
            .unwrap();
        let mut exported = Vec::new();
        atl_app::export_to_writer(
            &store,
            Some(team),
            out.campaign_id,
            atl_app::ExportFormat::Csv,
            atl_app::ExportKind::Targets,
            &mut exported,
        )
        .await
        .unwrap();
        let text = String::from_utf8(exported).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        let hostile = header
            .iter()
            .find(|h| h.contains("HYPERLINK"))
            .unwrap_or_else(|| panic!("{backend}: extra column kept: {text}"));
        assert!(hostile.starts_with("'="), "{backend}: {hostile}");
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@']),
                    "{backend}: {cell} in {text}"
                );
            }
        }
        assert!(text.contains("'=1+1"), "{backend}: {text}");
    }
}

/// Everything an import could have written: campaigns with their counters and reports,
/// their targets, and events.
async fn fingerprint(store: &Store) -> String {
    let mut parts = Vec::new();
    for c in store.list_campaigns(None, 100, 0).await.unwrap() {
        let targets = all_targets(store, c.id).await;
        parts.push(format!(
            "{} {} {} {} {:?} targets={:?} events={}",
            c.id,
            c.name,
            c.status,
            c.total_targets,
            c.updated_at,
            targets
                .iter()
                .map(|t| (t.id, t.dedup_key.clone(), t.extra.to_string()))
                .collect::<Vec<_>>(),
            store.events_since(c.id, 0, 10_000).await.unwrap().len()
        ));
    }
    parts.join("\n")
}

#[tokio::test]
async fn names_lost_to_question_marks_are_rejected_never_merged_on_both_backends() {
    let file = testdata("crm-headers/salesforce/accounts_japanese_names_lost_to_latin1.csv");
    for (backend, store) in all_stores().await {
        let out = import_default(&store, "t", file.clone()).await.unwrap();
        assert_eq!(out.total_targets, 35, "{backend}");
        assert_eq!(out.duplicates_merged, 0, "{backend}: nothing merged");
        assert_eq!(out.rows_rejected, 5, "{backend}");
        assert_eq!(out.report.lost_names, 5, "{backend}");
        let lines: Vec<u64> = out.report.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [34, 35, 36, 37, 38], "{backend}");
        assert!(
            out.report
                .rejected
                .iter()
                .all(|r| r.reason.contains("re-export the file as UTF-8")),
            "{backend}"
        );
        assert_eq!(out.warnings, 1, "{backend}: one warning counts them");
        assert!(
            out.report.warnings[0]
                .reason
                .starts_with("5 rows (lines 34–38) were not imported"),
            "{backend}: {}",
            out.report.warnings[0].reason
        );
        let stored = all_targets(&store, out.campaign_id).await;
        assert_eq!(stored.len(), 35, "{backend}");
        let mut keys: Vec<&str> = stored.iter().map(|t| t.dedup_key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 35, "{backend}: every target its own key");
        for t in &stored {
            assert!(
                !t.company_name.contains('?'),
                "{backend}: {}",
                t.company_name
            );
            assert!(
                !t.dedup_key.starts_with('\u{1f}'),
                "{backend}: empty company key stored for line {}",
                t.row_number
            );
        }
        // The report kept with the campaign says the same.
        let campaign = campaign_of(&store, out.campaign_id).await;
        let report = campaign.import_report.unwrap();
        assert_eq!(report["lost_names"], 5, "{backend}");
        store.cleanup().await;
    }
}

#[tokio::test]
async fn a_ten_megabyte_cell_never_reaches_the_store_at_full_length() {
    let huge = "A".repeat(10 * 1024 * 1024);
    let company_csv = format!("Company,Notes\n{huge},x\nAcme,y\n");
    let notes_csv = format!("Company,Notes\nAcme,{huge}\n");
    for (backend, store) in all_stores().await {
        let out = import_default(&store, "t", company_csv.clone().into_bytes())
            .await
            .unwrap();
        assert_eq!((out.total_targets, out.rows_rejected), (1, 1), "{backend}");
        let rejected = &out.report.rejected[0];
        assert_eq!(rejected.line, 2, "{backend}");
        assert!(
            rejected.reason.contains("10,485,760 characters"),
            "{backend}: {}",
            rejected.reason
        );
        let targets = all_targets(&store, out.campaign_id).await;
        assert_eq!(targets.len(), 1);
        assert_eq!(targets[0].company_name, "Acme", "{backend}");
        let campaign = campaign_of(&store, out.campaign_id).await;
        let report = campaign.import_report.unwrap().to_string();
        assert!(
            report.len() < 8192,
            "{backend}: report of {} bytes",
            report.len()
        );

        let out = import_default(&store, "t", notes_csv.clone().into_bytes())
            .await
            .unwrap();
        assert_eq!((out.total_targets, out.warnings), (1, 1), "{backend}");
        let t = all_targets(&store, out.campaign_id).await.remove(0);
        let notes = t.extra["Notes"].as_str().unwrap();
        assert_eq!(notes.len(), 2000, "{backend}: cut to the extra-column cap");
        assert!(t.extra.to_string().len() <= 16 * 1024, "{backend}");
        store.cleanup().await;
    }
}

#[tokio::test]
async fn control_characters_refuse_the_file_and_write_nothing_on_both_backends() {
    let mut csv = String::from("Company,Email,Notes\n");
    for i in 0..60 {
        csv.push_str(&format!("Company {i},p{i}@c{i}.example,note {i}\n"));
    }
    let at = |byte: usize, c: char| {
        let mut s = csv.clone();
        s.insert(byte, c);
        s.into_bytes()
    };
    let line_of = |byte: usize| csv[..byte].matches('\n').count() as u64 + 1;
    let last_row = csv.trim_end().rfind("note").unwrap();
    let cases = [
        (at(0, '\0'), 1, None),
        (at(1500, '\0'), line_of(1500), None),
        (at(last_row, '\0'), 61, Some("Notes")),
        (at(last_row, '\u{1b}'), 61, Some("Notes")),
    ];
    for (backend, store) in all_stores().await {
        // Something to leave untouched.
        import_default(&store, "t", b"Company\nAcme\n".to_vec())
            .await
            .unwrap();
        let before = fingerprint(&store).await;
        for (bytes, line, column) in &cases {
            let err = import_default(&store, "t", bytes.clone())
                .await
                .unwrap_err();
            let AppError::Import(ImportError::ControlCharacter {
                line: got_line,
                column: got_column,
                ..
            }) = &err
            else {
                panic!("{backend}: {err}");
            };
            assert_eq!(got_line, line, "{backend}: {err}");
            if let Some(column) = column {
                assert_eq!(got_column.as_deref(), Some(*column), "{backend}: {err}");
            }
            assert!(err.to_string().contains(&format!("line {line}")), "{err}");
        }
        assert_eq!(
            fingerprint(&store).await,
            before,
            "{backend}: nothing written"
        );
        store.cleanup().await;
    }
}

#[tokio::test]
async fn a_one_megabyte_file_name_is_stored_capped_and_sanitised() {
    let cases = [
        (format!("{}.csv", "a".repeat(1024 * 1024)), None),
        (
            "C:\\Users\\jo\\..\\Desktop\\q3\u{1b}[2J list.csv".to_string(),
            Some("q3[2J list.csv"),
        ),
        ("../../".to_string(), Some(atl_import::FALLBACK_FILE_NAME)),
    ];
    for (backend, store) in all_stores().await {
        let team = store.team_id("t").await.unwrap();
        for (raw, expected) in &cases {
            let mut req = request(team, ImportOptions::default());
            req.name = None;
            req.file_name = Some(raw.clone());
            let out = import_csv(&store, b"Company\nAcme\n".to_vec(), req)
                .await
                .unwrap();
            let c = campaign_of(&store, out.campaign_id).await;
            let stored = c.uploaded_file.unwrap();
            assert!(stored.len() <= 255, "{backend}: {} bytes", stored.len());
            assert_eq!(
                c.name, stored,
                "{backend}: the campaign is named after it once"
            );
            match expected {
                Some(e) => assert_eq!(stored, *e, "{backend}"),
                None => assert!(stored.ends_with(".csv") && stored.starts_with("aaa")),
            }
        }
        store.cleanup().await;
    }
}
