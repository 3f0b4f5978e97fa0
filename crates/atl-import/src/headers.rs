//! Which column feeds which target field.
//!
//! Headers are compared after [`normalise`] (lower-case, letters and digits only), so
//! `E-mail Address`, `email_address` and `EMAIL ADDRESS` are one name. Built-in names come
//! from real exports (Salesforce, HubSpot, Apollo, LinkedIn, Thunderbird, Fortune lists);
//! the user's `--map` entries win over them. Within one field the first matching column
//! in file order wins; the others stay in `extra`, so nothing is dropped.
//!
//! Ambiguous names are settled by what else the file has:
//! - `Name` is the company when no real company column exists (Salesforce's account
//!   export has `NAME`), otherwise it is the contact's name.
//! - `Display Name` (Thunderbird) is the company only when nothing else can be; otherwise
//!   it stays in `extra`, since First/Last Name already give the person.
//! - `URL` is the LinkedIn URL when its values are linkedin.com links (LinkedIn's own
//!   Connections export), otherwise the website if the file has no website column.

use crate::error::ImportError;
use crate::options::Field;
use std::collections::HashSet;

const COMPANY: &[&str] = &[
    "company",
    "companyname",
    "accountname",
    "account",
    "organization",
    "organisation",
    "organizationname",
    "organisationname",
    "associatedcompany",
    "employer",
];
/// Only when [`COMPANY`] finds nothing.
const COMPANY_IF_NOTHING_BETTER: &[&str] = &["name"];
/// Only when even `Name` is missing.
const COMPANY_LAST_RESORT: &[&str] = &["displayname"];
/// `name` is reached here only when it did not become the company.
const CONTACT_NAME: &[&str] = &["contactname", "fullname", "contact", "personname", "name"];
const FIRST_NAME: &[&str] = &["firstname", "givenname", "first"];
const LAST_NAME: &[&str] = &["lastname", "surname", "familyname", "last"];
const EMAIL: &[&str] = &[
    "email",
    "emailaddress",
    "primaryemail",
    "workemail",
    "businessemail",
    "contactemail",
];
const TITLE: &[&str] = &["title", "jobtitle", "position", "contacttitle", "role"];
const LINKEDIN: &[&str] = &[
    "linkedinurl",
    "personlinkedinurl",
    "linkedin",
    "linkedinprofile",
    "linkedinprofileurl",
    "contactlinkedinurl",
];
const WEBSITE: &[&str] = &[
    "website",
    "webpage1",
    "companywebsite",
    "webpage",
    "websiteurl",
    "companyurl",
    "homepage",
];
const DOMAIN: &[&str] = &["domain", "companydomain", "websitedomain", "domainname"];
/// Decided by the values; see the module docs.
const URL: &str = "url";

/// Lower-cases and keeps only letters and digits: the form headers are compared in.
pub(crate) fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// What one column is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Field(Field),
    Extra,
}

#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// The header as found (trimmed).
    pub header: String,
    /// Unique name under which the column's values go into `extra` (`Name (2)` for the
    /// second `Name`); mapped columns have one too, for values that fail validation.
    pub key: String,
    pub role: Role,
}

/// The mapping of one file.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub columns: Vec<Column>,
    /// For each field (by [`Field::index`]), the column that feeds it.
    pub field_columns: [Option<usize>; Field::ALL.len()],
}

impl Plan {
    pub(crate) fn column_of(&self, field: Field) -> Option<&Column> {
        self.field_columns[field.index()].and_then(|i| self.columns.get(i))
    }
}

/// Whether a header line has a company column (by the user's map or the built-in names):
/// the test that finds the header line under a preamble.
pub(crate) fn has_company_column(headers: &[String], user_map: &[(String, Field)]) -> bool {
    let norms: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    let by_user = user_map
        .iter()
        .filter(|(_, f)| *f == Field::CompanyName)
        .any(|(h, _)| norms.contains(&normalise(h)));
    let built_in = [COMPANY, COMPANY_IF_NOTHING_BETTER, COMPANY_LAST_RESORT]
        .iter()
        .any(|aliases| norms.iter().any(|n| aliases.contains(&n.as_str())));
    by_user || built_in
}

/// Maps headers to fields. `url_is_linkedin(column)` says whether a `URL` column's values
/// look like LinkedIn links. Fails only on a `--map` entry that names no header or
/// conflicts with another.
pub(crate) fn plan(
    headers: &[String],
    user_map: &[(String, Field)],
    url_is_linkedin: &dyn Fn(usize) -> bool,
) -> Result<Plan, ImportError> {
    let norms: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    let mut planner = Planner {
        norms: &norms,
        roles: vec![None; headers.len()],
        field_columns: [None; Field::ALL.len()],
    };
    for (header, field) in user_map {
        planner.assign_user(header, *field, headers)?;
    }
    planner.assign(Field::CompanyName, COMPANY);
    planner.assign(Field::CompanyName, COMPANY_IF_NOTHING_BETTER);
    planner.assign(Field::CompanyName, COMPANY_LAST_RESORT);
    planner.assign(Field::ContactName, CONTACT_NAME);
    planner.assign(Field::FirstName, FIRST_NAME);
    planner.assign(Field::LastName, LAST_NAME);
    planner.assign(Field::ContactEmail, EMAIL);
    planner.assign(Field::ContactTitle, TITLE);
    planner.assign(Field::LinkedinUrl, LINKEDIN);
    planner.assign(Field::Website, WEBSITE);
    planner.assign(Field::Domain, DOMAIN);
    for (i, norm) in norms.iter().enumerate() {
        if norm != URL || planner.roles[i].is_some() {
            continue;
        }
        if url_is_linkedin(i) {
            planner.set(i, Field::LinkedinUrl);
        } else {
            planner.set(i, Field::Website);
        }
    }

    let keys = unique_keys(headers);
    let columns = headers
        .iter()
        .zip(keys)
        .zip(&planner.roles)
        .map(|((header, key), role)| Column {
            header: header.clone(),
            key,
            role: role.map_or(Role::Extra, Role::Field),
        })
        .collect();
    Ok(Plan {
        columns,
        field_columns: planner.field_columns,
    })
}

struct Planner<'n> {
    norms: &'n [String],
    roles: Vec<Option<Field>>,
    field_columns: [Option<usize>; Field::ALL.len()],
}

impl Planner<'_> {
    /// Gives `field` to column `i` unless the field already has a column.
    fn set(&mut self, i: usize, field: Field) {
        if self.field_columns[field.index()].is_none() && self.roles[i].is_none() {
            self.roles[i] = Some(field);
            self.field_columns[field.index()] = Some(i);
        }
    }

    fn assign(&mut self, field: Field, aliases: &[&str]) {
        if self.field_columns[field.index()].is_some() {
            return;
        }
        let found = (0..self.norms.len())
            .find(|&i| self.roles[i].is_none() && aliases.contains(&self.norms[i].as_str()));
        if let Some(i) = found {
            self.set(i, field);
        }
    }

    fn assign_user(
        &mut self,
        header: &str,
        field: Field,
        headers: &[String],
    ) -> Result<(), ImportError> {
        let wanted = normalise(header);
        if let Some(other) = self.field_columns[field.index()] {
            return Err(ImportError::BadColumnMap(format!(
                "{field} is mapped twice (\"{}\" and \"{header}\")",
                headers[other]
            )));
        }
        let matching: Vec<usize> = (0..self.norms.len())
            .filter(|&i| self.norms[i] == wanted)
            .collect();
        match matching.iter().find(|&&i| self.roles[i].is_none()) {
            Some(&i) => {
                self.set(i, field);
                Ok(())
            }
            None if matching.is_empty() => Err(ImportError::BadColumnMap(format!(
                "--map names the column \"{header}\", but the file's headers are: {}",
                headers
                    .iter()
                    .map(|h| format!("\"{h}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
            None => Err(ImportError::BadColumnMap(format!(
                "the column \"{header}\" is mapped to more than one field"
            ))),
        }
    }
}

/// Keys for `extra`: the header itself, `Header (2)`, `Header (3)`… for repeats (never
/// colliding with a header that is literally called `Header (2)`), and `_column_N` for a
/// blank header. Keys are stored verbatim: `__proto__` is just a string in JSON.
fn unique_keys(headers: &[String]) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::with_capacity(headers.len());
    let mut keys = Vec::with_capacity(headers.len());
    for (i, header) in headers.iter().enumerate() {
        let base = if header.is_empty() {
            format!("_column_{}", i + 1)
        } else {
            header.clone()
        };
        let mut key = base.clone();
        let mut n = 2;
        while taken.contains(&key) || (key != *header && headers.contains(&key)) {
            key = format!("{base} ({n})");
            n += 1;
        }
        taken.insert(key.clone());
        keys.push(key);
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn field_of(plan: &Plan, field: Field) -> Option<&str> {
        plan.column_of(field).map(|c| c.header.as_str())
    }

    #[test]
    fn normalisation_ignores_case_and_punctuation() {
        for (header, want) in [
            ("E-mail  Address", "emailaddress"),
            ("company_name", "companyname"),
            ("# Employees", "employees"),
        ] {
            assert_eq!(normalise(header), want, "{header:?}");
        }
    }

    /// Plans `names` (URL-like values or not) and compares the column each field got.
    #[track_caller]
    fn check(names: &[&str], urls: bool, expected: &[(Field, Option<&str>)]) {
        let p = plan(&headers(names), &[], &|_| urls).unwrap();
        for (field, column) in expected {
            assert_eq!(field_of(&p, *field), *column, "{names:?}: {field:?}");
        }
    }

    #[test]
    fn header_mapping() {
        use Field::*;
        // `Name` is the company only without a better column; then it is the contact.
        check(&["NAME", "WEBSITE"], false, &[(CompanyName, Some("NAME"))]);
        check(
            &["Name", "Company"],
            false,
            &[(CompanyName, Some("Company")), (ContactName, Some("Name"))],
        );
        // `Display Name` is the last-resort company.
        check(
            &["Display Name", "First Name", "Last Name", "Primary Email"],
            false,
            &[(CompanyName, Some("Display Name"))],
        );
        check(
            &["Display Name", "Organization"],
            false,
            &[(CompanyName, Some("Organization"))],
        );
        // A `URL` column is LinkedIn or the website by its values.
        check(&["Company", "URL"], true, &[(LinkedinUrl, Some("URL"))]);
        check(&["Company", "URL"], false, &[(Website, Some("URL"))]);
    }

    #[test]
    fn a_display_name_beside_an_organization_stays_an_extra_column() {
        let p = plan(&headers(&["Display Name", "Organization"]), &[], &|_| false).unwrap();
        assert_eq!(p.columns[0].role, Role::Extra);
    }

    #[test]
    fn user_map_wins_and_demotes_the_built_in_column() {
        let h = headers(&["Company", "Company Legal Name"]);
        let map = vec![("company legal-name".to_string(), Field::CompanyName)];
        let p = plan(&h, &map, &|_| false).unwrap();
        assert_eq!(field_of(&p, Field::CompanyName), Some("Company Legal Name"));
        assert_eq!(p.columns[0].role, Role::Extra);
        let missing = vec![("Nope".to_string(), Field::Website)];
        let err = plan(&h, &missing, &|_| false).unwrap_err().to_string();
        assert!(
            err.contains("\"Nope\"") && err.contains("\"Company Legal Name\""),
            "{err}"
        );
        let twice = vec![
            ("Company".to_string(), Field::Website),
            ("Company Legal Name".to_string(), Field::Website),
        ];
        assert!(plan(&h, &twice, &|_| false).is_err());
    }

    #[test]
    fn repeated_headers_get_numbered_keys() {
        let keys = unique_keys(&headers(&["Name", "Name", "Name (2)", "", "__proto__"]));
        assert_eq!(
            keys,
            ["Name", "Name (3)", "Name (2)", "_column_4", "__proto__"]
        );
    }
}
