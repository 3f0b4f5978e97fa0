//! `/upload`: pick or drop a CSV, see what the import would make of it and what it would
//! cost before anything is stored (`POST /upload/preview`, `atl_app::preview_csv`),
//! change a column's mapping, name the campaign, set its budget and pitch, start
//! (`POST /upload`: the same `import_csv` as the API and the CLI, then the ledger's start).

use askama::Template;
use atl_app::{AppError, ImportRequest, PreviewRequest, UploadPreview, import_csv, preview_csv};
use atl_domain::limits::MAX_FILE_BYTES;
use atl_import::{Field, ImportError, ImportOptions, RowIssue, parse_column_map};
use atl_store::usd_to_nano;
use axum::Extension;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::campaign::{QuoteView, quote_view};
use super::format::{count, nano_usd};
use super::page::{Layout, Session, html};
use crate::campaigns::start_plan;
use crate::{ApiError, ApiState};

const MAX_TEXT_FIELD: usize = 64 * 1024;

/// What the form sent.
#[derive(Debug, Default)]
struct UploadForm {
    file: Option<(Vec<u8>, Option<String>)>,
    name: Option<String>,
    budget_usd: Option<String>,
    seller_name: Option<String>,
    seller_company: Option<String>,
    pitch: Option<String>,
    /// `Header=field` lines from the mapping selects (empty = as detected).
    map: Vec<String>,
}

/// A problem with the form, said to the person who filled it in.
struct FormError(String);

impl From<ApiError> for FormError {
    fn from(e: ApiError) -> Self {
        FormError(e.message)
    }
}

async fn read_form(mut multipart: Multipart) -> Result<UploadForm, FormError> {
    let mut form = UploadForm::default();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| FormError(format!("The form could not be read: {}", e.body_text())))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let cap = if name == "file" {
            MAX_FILE_BYTES as usize
        } else {
            MAX_TEXT_FIELD
        };
        let file_name = field.file_name().map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| FormError(format!("The upload was cut short: {}", e.body_text())))?
        {
            if bytes.len() + chunk.len() > cap {
                return Err(FormError(if name == "file" {
                    ImportError::TooLarge {
                        limit_bytes: MAX_FILE_BYTES,
                    }
                    .to_string()
                } else {
                    format!("The field {name} is too long.")
                }));
            }
            bytes.extend_from_slice(&chunk);
        }
        if name != "file" && bytes.contains(&0) {
            // PostgreSQL stores no NUL; the file itself is checked, line by line, by the
            // importer.
            return Err(FormError(format!(
                "The field {name} contains a NUL character."
            )));
        }
        let text = || String::from_utf8_lossy(&bytes).trim().to_string();
        match name.as_str() {
            "file" if !bytes.is_empty() || file_name.as_deref().is_some_and(|n| !n.is_empty()) => {
                form.file = Some((bytes, file_name));
            }
            "name" => form.name = Some(text()).filter(|s| !s.is_empty()),
            "budget_usd" => form.budget_usd = Some(text()).filter(|s| !s.is_empty()),
            "seller_name" => form.seller_name = Some(text()).filter(|s| !s.is_empty()),
            "seller_company" => form.seller_company = Some(text()).filter(|s| !s.is_empty()),
            "pitch" => form.pitch = Some(text()).filter(|s| !s.is_empty()),
            "map" => form.map.extend(
                text()
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string),
            ),
            _ => {}
        }
    }
    Ok(form)
}

impl UploadForm {
    fn options(&self) -> Result<ImportOptions, FormError> {
        let mut options = ImportOptions::default();
        for line in &self.map {
            options
                .column_map
                .push(parse_column_map(line).map_err(|e| FormError(e.to_string()))?);
        }
        Ok(options)
    }

    fn settings(&self) -> serde_json::Value {
        let mut seller = serde_json::Map::new();
        for (k, v) in [
            ("name", &self.seller_name),
            ("company", &self.seller_company),
            ("pitch", &self.pitch),
        ] {
            if let Some(v) = v {
                seller.insert(k.into(), serde_json::Value::String(v.clone()));
            }
        }
        if seller.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::json!({ "seller": seller })
        }
    }

    fn budget_nano(&self) -> Result<Option<i64>, FormError> {
        let Some(text) = self.budget_usd.as_deref() else {
            return Ok(None);
        };
        let usd: f64 = text
            .trim_start_matches('$')
            .replace(',', "")
            .parse()
            .map_err(|_| {
                FormError(format!(
                    "The budget \"{text}\" is not an amount in dollars."
                ))
            })?;
        usd_to_nano(usd)
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| FormError("The budget must be zero or more dollars.".into()))
    }
}

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage {
    layout: Layout,
    error: Option<String>,
}

pub(crate) async fn page(Extension(session): Extension<Session>) -> Response {
    html(
        StatusCode::OK,
        &UploadPage {
            layout: Layout::new("New campaign", "upload", session),
            error: None,
        },
    )
}

pub(crate) struct MappingRow {
    pub header: String,
    /// What the importer uses the column for, in words.
    pub detected: String,
    pub options: Vec<MapOption>,
}

pub(crate) struct MapOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub(crate) struct IssueRow {
    pub line: String,
    pub column: String,
    pub value: String,
    pub reason: String,
}

pub(crate) struct SampleRow {
    pub line: u64,
    pub company: String,
    pub contact: String,
    pub email: String,
    pub website: String,
}

#[derive(Template)]
#[template(path = "preview.html")]
struct PreviewFragment {
    error: Option<String>,
    /// Whether the file can be started as it is.
    ready: bool,
    encoding: String,
    delimiter: String,
    header_line: u64,
    rows_read: String,
    targets: String,
    mapping: Vec<MappingRow>,
    rejected_count: String,
    rejected: Vec<IssueRow>,
    duplicates_count: String,
    duplicates: Vec<IssueRow>,
    warnings_count: String,
    warnings: Vec<IssueRow>,
    sample: Vec<SampleRow>,
    quote: Option<QuoteView>,
    budget: Option<String>,
    over_budget: bool,
}

fn field_label(f: Field) -> &'static str {
    match f {
        Field::CompanyName => "Company name",
        Field::ContactName => "Contact name",
        Field::FirstName => "First name",
        Field::LastName => "Last name",
        Field::ContactEmail => "Contact e-mail",
        Field::ContactTitle => "Contact title",
        Field::LinkedinUrl => "LinkedIn URL",
        Field::Website => "Website",
        Field::Domain => "Domain",
    }
}

fn mapping_rows(
    headers: &[String],
    mapped: &[(String, Field)],
    overrides: &[String],
) -> Vec<MappingRow> {
    headers
        .iter()
        .map(|h| {
            let field = mapped.iter().find(|(m, _)| m == h).map(|(_, f)| *f);
            let chosen = overrides
                .iter()
                .filter_map(|l| parse_column_map(l).ok())
                .find(|(mh, _)| mh == h.trim())
                .map(|(_, f)| f);
            let mut options = vec![MapOption {
                value: String::new(),
                label: "As detected".into(),
                selected: chosen.is_none(),
            }];
            options.extend(Field::ALL.iter().map(|f| MapOption {
                value: format!("{h}={}", f.as_str()),
                label: field_label(*f).into(),
                selected: chosen == Some(*f),
            }));
            MappingRow {
                header: h.clone(),
                detected: field.map_or_else(
                    || "kept as an extra column".into(),
                    |f| field_label(f).to_string(),
                ),
                options,
            }
        })
        .collect()
}

fn issue(line: u64, column: Option<&str>, value: Option<&str>, reason: &str) -> IssueRow {
    IssueRow {
        line: count(i128::from(line)),
        column: column.unwrap_or("").to_string(),
        value: value.unwrap_or("").to_string(),
        reason: reason.to_string(),
    }
}

/// The import's row issues (rejected rows, warnings) as table rows.
fn row_issues(issues: &[RowIssue]) -> Vec<IssueRow> {
    issues
        .iter()
        .map(|r| issue(r.line, r.column.as_deref(), r.value.as_deref(), &r.reason))
        .collect()
}

fn fragment_of(preview: &UploadPreview, form: &UploadForm, budget: Option<i64>) -> PreviewFragment {
    let s = &preview.summary;
    let mapped: Vec<(String, Field)> = s
        .mapping
        .iter()
        .map(|m| (m.header.clone(), m.field))
        .collect();
    let quote = preview.quote.as_ref().map(quote_view);
    let over_budget = match (&quote, budget) {
        (Some(q), Some(b)) => q.high_nano > b,
        _ => false,
    };
    PreviewFragment {
        error: (s.targets == 0).then(|| {
            "No row of this file can be imported: every row was rejected (see below).".into()
        }),
        ready: s.targets > 0,
        encoding: s.encoding.to_string(),
        delimiter: match s.delimiter {
            '\t' => "tab".into(),
            ',' => "comma (,)".into(),
            ';' => "semicolon (;)".into(),
            '|' => "pipe (|)".into(),
            c => format!("“{c}”"),
        },
        header_line: s.header_line,
        rows_read: count(i128::from(s.rows_read)),
        targets: count(i128::from(s.targets)),
        mapping: mapping_rows(&s.headers, &mapped, &form.map),
        rejected_count: count(i128::from(s.rejected_count)),
        rejected: row_issues(&s.rejected),
        duplicates_count: count(i128::from(s.duplicates)),
        duplicates: s
            .duplicate_rows
            .iter()
            .map(|d| {
                issue(
                    d.line,
                    None,
                    Some(&d.company_name),
                    &format!(
                        "same company as line {}: merged into it",
                        d.merged_into_line
                    ),
                )
            })
            .collect(),
        warnings_count: count(i128::from(s.warning_count)),
        warnings: row_issues(&s.warnings),
        sample: preview
            .sample
            .iter()
            .map(|t| SampleRow {
                line: t.row_number,
                company: t.company_name.clone(),
                contact: t.contact_name.clone().unwrap_or_default(),
                email: t.contact_email.clone().unwrap_or_default(),
                website: t.website.clone().unwrap_or_default(),
            })
            .collect(),
        quote,
        budget: budget.map(nano_usd),
        over_budget,
    }
}

fn error_fragment(message: String, headers: &[String], form: &UploadForm) -> PreviewFragment {
    PreviewFragment {
        error: Some(message),
        ready: false,
        encoding: String::new(),
        delimiter: String::new(),
        header_line: 0,
        rows_read: String::new(),
        targets: String::new(),
        mapping: mapping_rows(headers, &[], &form.map),
        rejected_count: "0".into(),
        rejected: Vec::new(),
        duplicates_count: "0".into(),
        duplicates: Vec::new(),
        warnings_count: "0".into(),
        warnings: Vec::new(),
        sample: Vec::new(),
        quote: None,
        budget: None,
        over_budget: false,
    }
}

/// A refused file in the words the importer wrote for its uploader.
fn refusal(e: AppError) -> (String, Vec<String>) {
    match e {
        AppError::Import(ImportError::NoCompanyColumn { headers }) => (
            "No column of this file was recognised as the company name. Pick it in the \
             mapping below, then preview again."
                .into(),
            headers,
        ),
        AppError::Import(e) => (format!("This file cannot be imported: {e}."), Vec::new()),
        AppError::NoTargets { .. } => (
            "No row of this file can be imported: every row was rejected.".into(),
            Vec::new(),
        ),
        other => (ApiError::from(other).message, Vec::new()),
    }
}

/// `POST /upload/preview`: the preview fragment (nothing is stored).
pub(crate) async fn preview(
    State(state): State<ApiState>,
    Extension(_session): Extension<Session>,
    multipart: Multipart,
) -> Response {
    let form = match read_form(multipart).await {
        Ok(f) => f,
        Err(FormError(m)) => {
            return fragment(
                StatusCode::UNPROCESSABLE_ENTITY,
                error_fragment(m, &[], &UploadForm::default()),
            );
        }
    };
    let result = async {
        let Some((bytes, _)) = &form.file else {
            return Err(FormError("Choose a CSV file first.".into()));
        };
        let budget = form.budget_nano()?;
        let request = PreviewRequest {
            options: form.options()?,
            settings: form.settings(),
        };
        let providers = state.ctx.providers.as_deref();
        match preview_csv(&state.ctx.store, providers, bytes, &request).await {
            Ok(p) => Ok(fragment_of(&p, &form, budget)),
            Err(e) => {
                let (message, headers) = refusal(e);
                Ok(error_fragment(message, &headers, &form))
            }
        }
    }
    .await;
    match result {
        Ok(f) => {
            let status = if f.ready {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            fragment(status, f)
        }
        Err(FormError(m)) => fragment(
            StatusCode::UNPROCESSABLE_ENTITY,
            error_fragment(m, &[], &form),
        ),
    }
}

fn fragment(status: StatusCode, f: PreviewFragment) -> Response {
    html(status, &f)
}

/// `POST /upload`: import the file as a campaign and start it.
pub(crate) async fn create(
    State(state): State<ApiState>,
    Extension(session): Extension<Session>,
    multipart: Multipart,
) -> Response {
    let refused = |message: String| {
        html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &UploadPage {
                layout: Layout::new("New campaign", "upload", session),
                error: Some(message),
            },
        )
    };
    let form = match read_form(multipart).await {
        Ok(f) => f,
        Err(FormError(m)) => return refused(m),
    };
    let Some((bytes, file_name)) = form.file.clone() else {
        return refused("Choose a CSV file first.".into());
    };
    let (options, budget) = match (form.options(), form.budget_nano()) {
        (Ok(o), Ok(b)) => (o, b),
        (Err(FormError(m)), _) | (_, Err(FormError(m))) => return refused(m),
    };
    let outcome = import_csv(
        &state.ctx.store,
        bytes,
        ImportRequest {
            team_id: session.team.0,
            name: form.name.clone(),
            file_name,
            options,
            settings: form.settings(),
            budget_nano_usd: budget,
        },
    )
    .await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return refused(refusal(e).0),
    };
    if let Err(e) = state
        .ctx
        .store
        .start_campaign_with(outcome.campaign_id, &start_plan(&state))
        .await
    {
        return super::page::api_error_page(e.into());
    }
    Redirect::to(&format!("/campaigns/{}", outcome.campaign_id)).into_response()
}
