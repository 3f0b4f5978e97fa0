//! What the caller can tell the importer: column overrides and limits.

use crate::error::ImportError;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A target field a CSV column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    CompanyName,
    ContactName,
    FirstName,
    LastName,
    ContactEmail,
    ContactTitle,
    LinkedinUrl,
    Website,
    Domain,
}

impl Field {
    /// Every field, in a fixed order (also the index order of [`Field::index`]).
    pub const ALL: [Field; 9] = [
        Field::CompanyName,
        Field::ContactName,
        Field::FirstName,
        Field::LastName,
        Field::ContactEmail,
        Field::ContactTitle,
        Field::LinkedinUrl,
        Field::Website,
        Field::Domain,
    ];

    /// The spelling users type in `--map` and the JSON summary prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::CompanyName => "company_name",
            Field::ContactName => "contact_name",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::ContactEmail => "contact_email",
            Field::ContactTitle => "contact_title",
            Field::LinkedinUrl => "linkedin_url",
            Field::Website => "website",
            Field::Domain => "domain",
        }
    }

    /// Position in [`Field::ALL`], so per-field tables can be plain arrays.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Field {
    type Err = ImportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Field::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let known: Vec<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
                ImportError::BadColumnMap(format!(
                    "unknown field \"{wanted}\"; use one of: {}",
                    known.join(", ")
                ))
            })
    }
}

/// Parses one `--map` value, `Header=field`. The header may itself contain `=`: the last
/// `=` separates it from the field, because field names never contain one.
pub fn parse_column_map(spec: &str) -> Result<(String, Field), ImportError> {
    let Some((header, field)) = spec.rsplit_once('=') else {
        return Err(ImportError::BadColumnMap(format!(
            "\"{spec}\" should look like 'Header Name=company_name'"
        )));
    };
    let header = header.trim();
    if header.is_empty() {
        return Err(ImportError::BadColumnMap(format!(
            "\"{spec}\" names no header before the '='"
        )));
    }
    Ok((header.to_string(), field.parse()?))
}

/// Settings of one import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// User overrides `--map 'Company Legal Name=company_name'`: header (matched case- and
    /// punctuation-insensitively) -> field. They win over the built-in header names.
    pub column_map: Vec<(String, Field)>,
    /// Largest accepted input, in bytes.
    pub max_bytes: u64,
    /// Most unique targets accepted; one more is a fatal error.
    pub max_targets: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            column_map: Vec::new(),
            max_bytes: atl_domain::limits::MAX_FILE_BYTES,
            max_targets: atl_domain::limits::MAX_TARGETS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_parses_from_its_own_name() {
        for f in Field::ALL {
            assert_eq!(f.as_str().parse::<Field>(), Ok(f));
            assert_eq!(Field::ALL[f.index()], f);
        }
        assert!("company".parse::<Field>().is_err());
    }

    #[test]
    fn column_map_splits_on_the_last_equals_sign() {
        assert_eq!(
            parse_column_map("Company Legal Name=company_name"),
            Ok(("Company Legal Name".to_string(), Field::CompanyName))
        );
        assert_eq!(
            parse_column_map("a=b = website"),
            Ok(("a=b".to_string(), Field::Website))
        );
        assert!(matches!(
            parse_column_map("no equals"),
            Err(ImportError::BadColumnMap(_))
        ));
        assert!(matches!(
            parse_column_map("=website"),
            Err(ImportError::BadColumnMap(_))
        ));
        let err = parse_column_map("X=compnay").unwrap_err().to_string();
        assert!(
            err.contains("compnay") && err.contains("company_name"),
            "{err}"
        );
    }
}
