//! The ways an import can fail as a whole. Row-level problems are not errors: they are
//! [`crate::RowIssue`]s, so one bad row never sinks a 10,000-row upload.

/// A fatal import problem. Every message is written for the person who uploaded the file
/// (a RevOps user, not a developer): it says what is wrong and names the limit or headers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is larger than the {} limit", human_bytes(*limit_bytes))]
    TooLarge { limit_bytes: u64 },

    #[error(
        "the file has more than {} targets (limit reached at line {line}); split it into smaller lists",
        thousands(*limit as u64)
    )]
    TooManyTargets { limit: usize, line: u64 },

    #[error(
        "no company column found; the file's headers are: {}. Name one with --map 'Your Header=company_name'",
        quoted_list(headers)
    )]
    NoCompanyColumn { headers: Vec<String> },

    #[error("the file is empty")]
    Empty,

    #[error(
        "the file is not a CSV text file (binary data near the start); export the sheet as CSV and upload that"
    )]
    NotText,

    #[error("bad column mapping: {0}")]
    BadColumnMap(String),

    #[error("the CSV could not be read at line {line}: {message}")]
    Csv { line: u64, message: String },

    /// A NUL or another control character (not tab, CR or LF) somewhere in the text:
    /// nothing of the file is imported. `line` is the physical line of the character;
    /// `column` its header when it sits in a data row.
    #[error(
        "line {line}{}: the file contains {}, which no CSV text holds (the file is damaged or was not exported as text); remove it and upload the file again",
        column.as_deref().map(|c| format!(", column \"{c}\"")).unwrap_or_default(),
        control_name(*code_point)
    )]
    ControlCharacter {
        line: u64,
        column: Option<String>,
        code_point: u32,
    },
}

fn control_name(code_point: u32) -> String {
    if code_point == 0 {
        "a NUL byte".to_string()
    } else {
        format!("the control character U+{code_point:04X}")
    }
}

/// `52428800` -> `50 MB`: limits are configured in bytes but read by people in MB.
fn human_bytes(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    const KB: u64 = 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", thousands(bytes / MB))
    } else if bytes >= KB && bytes.is_multiple_of(KB) {
        format!("{} KB", thousands(bytes / KB))
    } else {
        format!("{} bytes", thousands(bytes))
    }
}

/// `10000` -> `10,000`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn quoted_list(items: &[String]) -> String {
    if items.is_empty() {
        return "(none)".to_string();
    }
    items
        .iter()
        .map(|h| format!("\"{h}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_limits_in_human_units() {
        let large = ImportError::TooLarge {
            limit_bytes: atl_domain::limits::MAX_FILE_BYTES,
        };
        assert_eq!(large.to_string(), "the file is larger than the 50 MB limit");
        let many = ImportError::TooManyTargets {
            limit: 10_000,
            line: 10_002,
        };
        assert!(
            many.to_string()
                .starts_with("the file has more than 10,000 targets (limit reached at line 10002)"),
            "{many}"
        );
        assert_eq!(human_bytes(100), "100 bytes");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn control_character_message_names_line_column_and_character() {
        let nul = ImportError::ControlCharacter {
            line: 12,
            column: Some("Notes".into()),
            code_point: 0,
        };
        assert!(
            nul.to_string()
                .starts_with("line 12, column \"Notes\": the file contains a NUL byte,"),
            "{nul}"
        );
        let esc = ImportError::ControlCharacter {
            line: 1,
            column: None,
            code_point: 0x1b,
        };
        assert!(
            esc.to_string()
                .starts_with("line 1: the file contains the control character U+001B,"),
            "{esc}"
        );
    }

    #[test]
    fn no_company_message_lists_the_headers() {
        let err = ImportError::NoCompanyColumn {
            headers: vec!["a".into(), "b c".into()],
        };
        assert!(
            err.to_string()
                .contains("the file's headers are: \"a\", \"b c\"")
        );
    }
}
