//! `POST /upload`: a multipart CSV → a pending campaign, through the same
//! `atl_app::import_csv` as `atl import`.
//!
//! The 50 MB limit is enforced while the body streams in: a declared Content-Length over
//! the limit is refused before a byte is read, and the file part is read chunk by chunk
//! and refused (413) as soon as more than the limit has arrived. axum's own body limit on
//! this route is set just above ours (it also counts the multipart framing), as a second
//! guard rather than the first.

use atl_app::{ImportRequest, import_csv};
use atl_domain::limits::MAX_FILE_BYTES;
use atl_import::{ImportOptions, parse_column_map};
use atl_store::usd_to_nano;
use axum::Extension;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::{ApiState, MULTIPART_SLACK, Team};

/// Largest text field (name, budget, settings, map).
const MAX_TEXT_FIELD: usize = 64 * 1024;

/// What an upload answers: `campaign_id`, `total_targets`, `status` first (as `atl
/// import` prints them), then the import's report.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UploadResponse {
    pub campaign_id: i64,
    pub total_targets: u64,
    /// Always `pending`: start it with `POST /campaigns/{id}/start`.
    pub status: String,
    pub rows_rejected: u64,
    pub duplicates_merged: u64,
    pub warnings: u64,
    /// Encoding, delimiter, headers and their mapping, the first rejected rows, warnings
    /// and duplicate rows (each with the line it was merged into).
    #[schema(value_type = Object)]
    pub report: Value,
}

/// The form of `POST /upload` (for the OpenAPI document).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // Documents the multipart form; the handler reads it field by field.
pub(crate) struct UploadForm {
    /// The CSV file (at most 50 MB, 10,000 targets).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The campaign's name (default: the file name).
    name: Option<String>,
    /// A hard budget in USD.
    budget_usd: Option<f64>,
    /// Campaign settings as a JSON object (seller name, pitch, route overrides, …).
    settings: Option<String>,
    /// Column overrides, one `Header Name=field` per line.
    map: Option<String>,
}

fn multipart_error(e: MultipartError) -> ApiError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::too_large(MAX_FILE_BYTES);
    }
    ApiError::new(status, "bad_multipart", e.body_text())
}

/// Reads a part with a byte cap, refusing as soon as the cap is crossed.
async fn read_capped(field: &mut Field<'_>, cap: u64) -> Result<Option<Vec<u8>>, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if (bytes.len() + chunk.len()) as u64 > cap {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

async fn read_text(field: &mut Field<'_>, name: &str) -> Result<String, ApiError> {
    let bytes = read_capped(field, MAX_TEXT_FIELD as u64)
        .await?
        .ok_or_else(|| ApiError::bad_request(format!("field `{name}` is too long")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request(format!("field `{name}` is not UTF-8 text")))?;
    // PostgreSQL stores no NUL in text or JSON (`\u0000` included); refuse it here, for
    // both backends, rather than fail in the database.
    if text.contains('\0') || text.contains("\\u0000") {
        return Err(ApiError::bad_request(format!(
            "field `{name}` contains a NUL character"
        )));
    }
    Ok(text)
}

/// Uploads a CSV of target accounts as a new pending campaign.
#[utoipa::path(post, path = "/upload", tag = "campaigns",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = UploadResponse),
        (status = 400, description = "no `file` field, or a malformed form", body = crate::ErrorBody),
        (status = 413, description = "more than 50 MB", body = crate::ErrorBody),
        (status = 415, description = "not a CSV text file", body = crate::ErrorBody),
        (status = 422, description = "empty, no company column (headers named), no usable row, over 10,000 targets", body = crate::ErrorBody),
    ))]
pub(crate) async fn upload(
    State(state): State<ApiState>,
    Extension(team): Extension<Team>,
    request: Request,
) -> Result<(StatusCode, axum::Json<UploadResponse>), ApiError> {
    // Refuse a declared oversize body before reading any of it.
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_FILE_BYTES + MULTIPART_SLACK) {
        return Err(ApiError::too_large(MAX_FILE_BYTES));
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    const MULTIPART: &str = "multipart/form-data";
    if !content_type
        .get(..MULTIPART.len())
        .is_some_and(|t| t.eq_ignore_ascii_case(MULTIPART))
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the CSV as multipart/form-data with a `file` field \
             (curl -F file=@targets.csv …)",
        )
        .with_details(serde_json::json!({ "content_type": content_type })));
    }
    let mut multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|r| ApiError::new(r.status(), "bad_multipart", r.body_text()))?;

    let mut file: Option<(Vec<u8>, Option<String>)> = None;
    let mut name = None;
    let mut budget_nano_usd = None;
    let mut settings = Value::Null;
    let mut options = ImportOptions::default();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let field_name = field.name().unwrap_or_default().to_string();
        match field_name.as_str() {
            "file" => {
                let file_name = field.file_name().map(str::to_string);
                let bytes = read_capped(&mut field, options.max_bytes)
                    .await?
                    .ok_or_else(|| ApiError::too_large(options.max_bytes))?;
                file = Some((bytes, file_name));
            }
            "name" => {
                let text = read_text(&mut field, "name").await?;
                name = Some(text.trim().to_string()).filter(|n| !n.is_empty());
            }
            "budget_usd" => {
                let text = read_text(&mut field, "budget_usd").await?;
                let usd: f64 = text.trim().parse().map_err(|_| {
                    ApiError::bad_request(format!("budget_usd `{}` is not a number", text.trim()))
                })?;
                budget_nano_usd = Some(
                    usd_to_nano(usd)
                        .filter(|n| *n >= 0)
                        .ok_or_else(|| ApiError::bad_request("budget_usd is out of range"))?,
                );
            }
            "settings" => {
                let text = read_text(&mut field, "settings").await?;
                settings = serde_json::from_str(&text).map_err(|e| {
                    ApiError::bad_request(format!("settings is not valid JSON: {e}"))
                })?;
                if !settings.is_object() {
                    return Err(ApiError::bad_request("settings must be a JSON object"));
                }
            }
            "map" => {
                let text = read_text(&mut field, "map").await?;
                for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                    options.column_map.push(parse_column_map(line).map_err(|e| {
                        ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "bad_column_map",
                            e.to_string(),
                        )
                    })?);
                }
            }
            // Unknown parts are drained and ignored, as HTML forms send extra fields.
            _ => while field.chunk().await.map_err(multipart_error)?.is_some() {},
        }
    }
    let (bytes, file_name) = file.ok_or_else(|| {
        ApiError::bad_request(
            "the form has no `file` field: send the CSV as multipart field `file`",
        )
    })?;
    let outcome = import_csv(
        &state.ctx.store,
        bytes,
        ImportRequest {
            team_id: team.0,
            name,
            file_name,
            options,
            settings,
            budget_nano_usd,
        },
    )
    .await?;
    let report = serde_json::to_value(&outcome.report).unwrap_or(Value::Null);
    Ok((
        StatusCode::CREATED,
        axum::Json(UploadResponse {
            campaign_id: outcome.campaign_id,
            total_targets: outcome.total_targets,
            status: outcome.status,
            rows_rejected: outcome.rows_rejected,
            duplicates_merged: outcome.duplicates_merged,
            warnings: outcome.warnings,
            report,
        }),
    ))
}
