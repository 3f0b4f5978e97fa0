//! `GET /campaigns/{id}/export?format=csv|jsonl&kind=targets|contacts`: the shared
//! `atl_app::Exporter`, streamed.
//!
//! Everything that can fail for a reason the caller should see (unknown campaign, bad
//! format) fails before the first byte, with a proper status. A database error in the
//! middle of the stream can no longer change the status: it is logged and the body is
//! cut short, which the client sees as an incomplete transfer rather than a silently
//! truncated file.

use atl_app::{ExportFormat, ExportKind, Exporter};
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::Team;
use crate::auth::IdRoute;
use crate::error::{ApiError, ApiQuery};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportQuery {
    /// `csv` (default) or `jsonl`.
    #[param(pattern = "^(csv|jsonl)?$")]
    pub format: Option<String>,
    /// `targets` (default: one row per target) or `contacts` (one row per person: the
    /// contact and every executive, the shape a CRM import wants).
    #[param(pattern = "^(targets|contacts)?$")]
    pub kind: Option<String>,
}

fn parse_kind(kind: Option<&str>) -> Result<ExportKind, ApiError> {
    match kind.map(str::trim).filter(|k| !k.is_empty()) {
        None => Ok(ExportKind::Targets),
        Some(k) if k.eq_ignore_ascii_case("targets") => Ok(ExportKind::Targets),
        Some(k) if k.eq_ignore_ascii_case("contacts") => Ok(ExportKind::Contacts),
        Some(other) => Err(ApiError::bad_request(format!(
            "unknown export kind `{other}` (use targets or contacts)"
        ))),
    }
}

/// One row per target: input columns, the file's other columns, then enriched fields; or,
/// with `kind=contacts`, one row per person found (CSV cells that would start a formula
/// are prefixed with `'`).
#[utoipa::path(get, path = "/campaigns/{id}/export", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id"), ExportQuery),
    responses((status = 200, description = "CSV, or JSONL with format=jsonl",
            content((String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 400, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn export(
    IdRoute(state, team, id): IdRoute<Team>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format: ExportFormat = q
        .format
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .unwrap_or("csv")
        .parse()
        .map_err(|e: atl_app::UnknownFormat| ApiError::bad_request(e.to_string()))?;
    let kind = parse_kind(q.kind.as_deref())?;
    let exporter = Exporter::of_kind(&state.ctx.store, Some(team.0), id, format, kind).await?;
    let stream = futures::stream::unfold(Some(exporter), |exporter| async move {
        let mut exporter = exporter?;
        match exporter.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(bytes::Bytes::from(chunk)), Some(exporter))),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(campaign_id = exporter.campaign().id, error = %e, "export failed mid-stream");
                Some((Err(std::io::Error::other("export failed")), None))
            }
        }
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"campaign-{id}{}.{}\"",
        if kind == ExportKind::Contacts {
            "-contacts"
        } else {
            ""
        },
        format.extension()
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
