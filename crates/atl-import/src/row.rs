//! One record's cells turned into target fields: cleaning, caps, validation, and the
//! checks on the company and contact names. The importer adds the dedup key and `extra`.

use crate::caps::{CapKind, Overflow, cap, kind_of, over, truncate_chars};
use crate::clean::{
    clean_cell, is_valid_email, normalise_domain, normalise_linkedin, normalise_website,
};
use crate::error::thousands;
use crate::headers::Plan;
use crate::lost::{NameCheck, REEXPORT_ADVICE, check_company, is_lost};
use crate::options::Field;
use crate::people::{People, people};
use crate::summary::{RowIssue, Severity};
use std::borrow::Cow;

/// What a row has collected on the way: its warnings, the columns whose values go to
/// `extra` instead of their field, and values moved to new `extra` keys.
#[derive(Default)]
pub(crate) struct RowState {
    pub warnings: Vec<RowIssue>,
    /// For each field (by [`Field::index`]), the column set aside into `extra`.
    pub set_aside: [Option<usize>; Field::ALL.len()],
    /// `(key, value)` pairs added to `extra` (the second person of a contact cell, …).
    pub moved: Vec<(String, String)>,
}

/// Why a row was not imported.
pub(crate) struct Rejection {
    pub issue: RowIssue,
    /// The company name was lost to an encoding step (summed up in one warning).
    pub lost_name: bool,
}

impl From<RowIssue> for Rejection {
    fn from(issue: RowIssue) -> Self {
        Rejection {
            issue,
            lost_name: false,
        }
    }
}

/// The cells of the current record, read through the file's plan.
pub(crate) struct Cells<'r> {
    pub record: &'r csv::StringRecord,
    pub plan: &'r Plan,
    pub line: u64,
}

impl<'r> Cells<'r> {
    pub(crate) fn header(&self, column: usize) -> Option<&'r str> {
        self.plan.columns.get(column).map(|c| c.header.as_str())
    }

    fn issue(&self, column: usize, value: &str, reason: String, severity: Severity) -> RowIssue {
        RowIssue::new(
            self.line,
            self.header(column),
            Some(value),
            reason,
            severity,
        )
    }

    /// The field's cleaned, non-empty value and its column, without caps.
    fn get(&self, field: Field) -> Option<(Cow<'r, str>, usize)> {
        let i = self.plan.field_columns[field.index()]?;
        let v = clean_cell(self.record.get(i)?);
        (!v.is_empty()).then_some((v, i))
    }

    /// The field's value under its cap (see [`crate::caps`]): as it is, cut, set aside
    /// (`None`, with the column marked for `extra`), or the row's rejection.
    pub(crate) fn capped(
        &self,
        field: Field,
        row: &mut RowState,
    ) -> Result<Option<(Cow<'r, str>, usize)>, RowIssue> {
        let Some((value, i)) = self.get(field) else {
            return Ok(None);
        };
        let cap = cap(kind_of(field));
        let Some(len) = over(&value, cap.limit) else {
            return Ok(Some((value, i)));
        };
        let head = format!(
            "the {} is {} characters long, over the {}-character limit",
            cap.what,
            thousands(len as u64),
            thousands(cap.limit as u64)
        );
        match cap.overflow {
            Overflow::RejectRow => Err(self.issue(
                i,
                &value,
                format!(
                    "{head}; the row was not imported (a cell that long is usually a quote \
                     left open that swallowed the rows after it)"
                ),
                Severity::Rejected,
            )),
            Overflow::Truncate => {
                row.warnings.push(self.issue(
                    i,
                    &value,
                    format!("{head}; cut to {}", thousands(cap.limit as u64)),
                    Severity::Warning,
                ));
                let cut = truncate_chars(&value, cap.limit).to_string();
                Ok(Some((Cow::Owned(cut), i)))
            }
            Overflow::SetAside | Overflow::DropColumns => {
                let extra_limit = cap_of_extra();
                let cut = if len > extra_limit {
                    format!(
                        ", cut to {} characters there",
                        thousands(extra_limit as u64)
                    )
                } else {
                    String::new()
                };
                row.set_aside[field.index()] = Some(i);
                row.warnings.push(self.issue(
                    i,
                    &value,
                    format!("{head}; kept in extra{cut}"),
                    Severity::Warning,
                ));
                Ok(None)
            }
        }
    }

    /// Sets a value that failed validation aside into `extra`, with a warning.
    fn invalid(&self, field: Field, column: usize, value: &str, reason: &str, row: &mut RowState) {
        row.set_aside[field.index()] = Some(column);
        row.warnings
            .push(self.issue(column, value, reason.to_string(), Severity::Warning));
    }

    /// The company name, or why the row is rejected: empty, over its cap, lost to an
    /// encoding step, or without letters (see [`crate::lost`]).
    pub(crate) fn company(&self, row: &mut RowState) -> Result<String, Rejection> {
        let column = self.plan.field_columns[Field::CompanyName.index()];
        let Some((name, i)) = self.capped(Field::CompanyName, row)? else {
            return Err(RowIssue::new(
                self.line,
                column.and_then(|i| self.header(i)),
                None,
                "the company name is empty".to_string(),
                Severity::Rejected,
            )
            .into());
        };
        match check_company(&name) {
            NameCheck::Ok => {}
            NameCheck::Suspicious => row.warnings.push(self.issue(
                i,
                &name,
                format!(
                    "the company name may have lost characters to '?' or '\u{FFFD}' (a \
                     text-encoding problem); check it, or {REEXPORT_ADVICE}"
                ),
                Severity::Warning,
            )),
            NameCheck::Lost => {
                return Err(Rejection {
                    issue: self.issue(
                        i,
                        &name,
                        format!(
                            "the company name was lost to '?' or '\u{FFFD}' characters (a \
                             text-encoding problem), so it cannot be told from others like it; \
                             {REEXPORT_ADVICE}"
                        ),
                        Severity::Rejected,
                    ),
                    lost_name: true,
                });
            }
            NameCheck::NoLetters => {
                return Err(self
                    .issue(
                        i,
                        &name,
                        "the company name has no letters or digits".to_string(),
                        Severity::Rejected,
                    )
                    .into());
            }
        }
        Ok(name.into_owned())
    }

    /// The contact's name: the contact column, else first and last name joined. A name
    /// lost to `?` is set aside; a cell holding several people keeps the first (see
    /// [`crate::people`]).
    pub(crate) fn contact_name(&self, row: &mut RowState) -> Result<Option<String>, RowIssue> {
        let (name, sources) = match self.capped(Field::ContactName, row)? {
            Some((name, i)) => (name.into_owned(), [Some((Field::ContactName, i)), None]),
            None => {
                let first = self.capped(Field::FirstName, row)?;
                let last = self.capped(Field::LastName, row)?;
                let sources = [
                    first.as_ref().map(|v| (Field::FirstName, v.1)),
                    last.as_ref().map(|v| (Field::LastName, v.1)),
                ];
                match join_name(first.map(|v| v.0), last.map(|v| v.0)) {
                    Some(name) => (name, sources),
                    None => return Ok(None),
                }
            }
        };
        let Some(&(_, column)) = sources.iter().flatten().next() else {
            return Ok(None);
        };
        let limit = cap(CapKind::PersonName).limit;
        // The name's columns go to extra, with a warning saying why.
        let mut set_aside = |why: String| {
            for &(field, i) in sources.iter().flatten() {
                row.set_aside[field.index()] = Some(i);
            }
            row.warnings
                .push(self.issue(column, &name, why, Severity::Warning));
            Ok(None)
        };
        if let Some(len) = over(&name, limit) {
            // First and last name, each under the cap, joined over it.
            return set_aside(format!(
                "the person name is {} characters long, over the {}-character limit; \
                 kept in extra",
                thousands(len as u64),
                thousands(limit as u64)
            ));
        }
        if is_lost(&name) {
            return set_aside(format!(
                "the contact name was lost to '?' or '\u{FFFD}' characters; kept in extra; \
                 {REEXPORT_ADVICE}"
            ));
        }
        match people(&name) {
            People::One => Ok(Some(name)),
            People::Unsure => {
                row.warnings.push(self.issue(
                    column,
                    &name,
                    "the contact may hold more than one person; kept as it is".to_string(),
                    Severity::Warning,
                ));
                Ok(Some(name))
            }
            People::Several(parts) => {
                let mut moved = Vec::with_capacity(parts.len() - 1);
                for (n, person) in parts.iter().enumerate().skip(1) {
                    let key = self.moved_key(n + 1);
                    moved.push(format!("\"{person}\" moved to extra as {key}"));
                    row.moved.push((key, (*person).to_string()));
                }
                row.warnings.push(self.issue(
                    column,
                    &name,
                    format!(
                        "the contact holds {} people: kept \"{}\"; {}",
                        parts.len(),
                        parts[0],
                        moved.join(", ")
                    ),
                    Severity::Warning,
                ));
                Ok(Some(parts[0].to_string()))
            }
        }
    }

    /// `contact_name_N`, unless the file has a column by that name.
    fn moved_key(&self, n: usize) -> String {
        let mut key = format!("contact_name_{n}");
        while self.plan.columns.iter().any(|c| c.key == key) {
            key.push_str(" (moved)");
        }
        key
    }

    /// The field's value as `normalise` reads it; a value it cannot read is set aside for
    /// `extra` with a warning saying `why`.
    fn normalised<T>(
        &self,
        field: Field,
        row: &mut RowState,
        why: &str,
        normalise: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, RowIssue> {
        let Some((v, i)) = self.capped(field, row)? else {
            return Ok(None);
        };
        let out = normalise(&v);
        if out.is_none() {
            self.invalid(field, i, &v, why, row);
        }
        Ok(out)
    }

    pub(crate) fn email(&self, row: &mut RowState) -> Result<Option<String>, RowIssue> {
        let why = "not a valid e-mail address; kept in extra";
        self.normalised(Field::ContactEmail, row, why, |v| {
            is_valid_email(v).then(|| v.to_string())
        })
    }

    pub(crate) fn linkedin(&self, row: &mut RowState) -> Result<Option<String>, RowIssue> {
        let why = "not a LinkedIn profile URL (linkedin.com/in/… or /company/…); kept in extra";
        self.normalised(Field::LinkedinUrl, row, why, normalise_linkedin)
    }

    /// The website and the domain it gives.
    pub(crate) fn website(
        &self,
        row: &mut RowState,
    ) -> Result<(Option<String>, Option<String>), RowIssue> {
        let why = "not a website address; kept in extra";
        Ok(self
            .normalised(Field::Website, row, why, normalise_website)?
            .unzip())
    }

    pub(crate) fn domain(&self, row: &mut RowState) -> Result<Option<String>, RowIssue> {
        let why = "not a domain name; kept in extra";
        self.normalised(Field::Domain, row, why, normalise_domain)
    }

    pub(crate) fn title(&self, row: &mut RowState) -> Result<Option<String>, RowIssue> {
        Ok(self
            .capped(Field::ContactTitle, row)?
            .map(|(v, _)| v.into_owned()))
    }

    /// A warning when the row has more or fewer fields than the header.
    pub(crate) fn ragged(&self, row: &mut RowState) {
        let columns = self.plan.columns.len();
        if self.record.len() == columns {
            return;
        }
        row.warnings.push(RowIssue::new(
            self.line,
            None,
            None,
            format!(
                "the row has {} fields but the header has {columns}; {}",
                self.record.len(),
                if self.record.len() > columns {
                    "the extra fields are kept in extra as _extra_1, _extra_2, …"
                } else {
                    "the missing ones are empty"
                }
            ),
            Severity::Warning,
        ));
    }
}

/// The cap of one value in `extra`.
pub(crate) fn cap_of_extra() -> usize {
    cap(CapKind::ExtraColumn).limit
}

fn join_name(first: Option<Cow<'_, str>>, last: Option<Cow<'_, str>>) -> Option<String> {
    match (first, last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(one), None) | (None, Some(one)) => Some(one.into_owned()),
        (None, None) => None,
    }
}
