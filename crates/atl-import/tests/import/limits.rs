//! Size and count limits, and the issue-list cap.

use atl_domain::limits::MAX_TARGETS;
use atl_import::{ImportError, ImportOptions, Importer, MAX_LISTED_ISSUES, RowOutcome, import_all};

#[test]
fn the_target_after_the_limit_is_fatal() {
    let mut text = String::from("company\n");
    for i in 0..=MAX_TARGETS {
        text.push_str(&format!("Company {i}\n"));
        if i == 5 {
            text.push_str("Company 0\n"); // a duplicate does not count against the limit
        }
    }
    let mut importer = Importer::new(&text, &ImportOptions::default()).unwrap();
    let mut accepted = 0;
    let mut error = None;
    for outcome in importer.by_ref() {
        match outcome {
            Ok(RowOutcome::Target(_)) => accepted += 1,
            Ok(_) => {}
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    assert_eq!(accepted, MAX_TARGETS);
    let limit_line = text.lines().count() as u64; // the last row
    assert_eq!(
        error,
        Some(ImportError::TooManyTargets {
            limit: MAX_TARGETS,
            line: limit_line
        })
    );
    assert!(
        importer.next().is_none(),
        "the iteration ends after a fatal error"
    );
    assert_eq!(importer.summary().targets as usize, MAX_TARGETS);
    assert_eq!(importer.summary().duplicates, 1);

    let small = ImportOptions {
        max_targets: 2,
        ..ImportOptions::default()
    };
    let err = import_all(b"company\na\nb\nc\n", &small).unwrap_err();
    assert_eq!(err, ImportError::TooManyTargets { limit: 2, line: 4 });
    assert!(
        err.to_string()
            .contains("more than 2 targets (limit reached at line 4)")
    );
}

#[test]
fn too_large_is_refused_before_reading() {
    let options = ImportOptions {
        max_bytes: 10,
        ..ImportOptions::default()
    };
    let err = import_all(b"company\nAcme Corporation\n", &options).unwrap_err();
    assert_eq!(err, ImportError::TooLarge { limit_bytes: 10 });
    assert!(err.to_string().contains("larger than the 10 bytes limit"));
    assert!(matches!(
        Importer::new("company\nAcme Corporation\n", &options),
        Err(ImportError::TooLarge { .. })
    ));
}

#[test]
fn issue_lists_are_capped_but_counted() {
    let mut text = String::from("company,email\n");
    let n = MAX_LISTED_ISSUES + 250;
    for i in 0..n {
        text.push_str(&format!("C{i},bad-{i}\n,\"x\"\n"));
    }
    let (targets, summary) = import_all(text.as_bytes(), &ImportOptions::default()).unwrap();
    assert_eq!(targets.len(), n);
    assert_eq!(summary.warning_count as usize, n);
    assert_eq!(summary.warnings.len(), MAX_LISTED_ISSUES);
    assert_eq!(summary.rejected_count as usize, n);
    assert_eq!(summary.rejected.len(), MAX_LISTED_ISSUES);
    assert_eq!(summary.rows_read as usize, 2 * n);
}
