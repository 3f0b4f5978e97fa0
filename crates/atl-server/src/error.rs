//! One error shape for every failure: `{"error": {"code", "message", "details"}}`.
//!
//! Handlers return [`ApiError`]; axum's own rejections (bad JSON, a path id that is not a
//! number, an unknown query value, a body over the limit) are converted through the
//! `Api*` extractors below; anything else that leaves the router without a JSON body (405,
//! a layer's 413 or 408) is rewritten by [`json_errors`]. Internal errors are logged with
//! their cause and answered with a generic message: no SQL, path or secret reaches a client.

use atl_app::AppError;
use atl_import::ImportError;
use atl_store::{ConstraintKind, StoreError};
use axum::extract::FromRequestParts;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

/// An error answer. `code` is a stable machine-readable word; `message` is for people.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Always a JSON object (empty when there is nothing to add).
    pub details: Value,
    /// Sent as `Retry-After` (whole seconds, rounded up): on 429s and 503s.
    pub retry_after: Option<std::time::Duration>,
}

/// The body of every error response (for the OpenAPI document).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// e.g. `not_found`, `invalid_input`, `conflict`, `unauthorized`, `too_large`.
    pub code: String,
    pub message: String,
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: json!({}),
            retry_after: None,
        }
    }

    /// Adds `details`; anything but an object is wrapped as `{"value": …}` so the
    /// documented shape holds.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = match details {
            Value::Object(_) => details,
            Value::Null => json!({}),
            other => json!({ "value": other }),
        };
        self
    }

    pub fn with_retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn too_large(limit_bytes: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            ImportError::TooLarge { limit_bytes }.to_string(),
        )
        .with_details(json!({ "limit_bytes": limit_bytes }))
    }

    /// A failure that is our fault: logged with its cause, answered without it.
    pub fn internal(context: &str, cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(context, error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the server log has the details",
        )
    }

    fn body(&self) -> Value {
        json!({ "error": { "code": self.code, "message": self.message, "details": self.details } })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        let retry_after = self.retry_after.or_else(|| {
            (self.status == StatusCode::SERVICE_UNAVAILABLE)
                .then_some(std::time::Duration::from_secs(1))
        });
        if let Some(wait) = retry_after {
            let secs = retry_after_secs(wait);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::not_found("not found"),
            // The store's conflicts are refused transitions ("campaign 3 is completed: …")
            // and duplicate keys: both are the caller's to resolve.
            StoreError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
            }
            StoreError::InvalidInput(message) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
            }
            // The database's own words name tables and constraints: logged, not answered.
            StoreError::Constraint { kind, ref detail } => {
                tracing::warn!(%kind, detail, "write refused by a database constraint");
                let (status, code, message) = match kind {
                    ConstraintKind::Unique => (
                        StatusCode::CONFLICT,
                        "conflict",
                        "the request conflicts with data already stored",
                    ),
                    _ => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_input",
                        "the request was refused by a consistency rule of the database",
                    ),
                };
                ApiError::new(status, code, message)
            }
            StoreError::Unavailable(ref cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is unavailable; try again shortly",
                )
            }
            other => ApiError::internal("store", &other),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Import(e) => from_import(e),
            AppError::NoTargets { rejected, report } => {
                let message = AppError::NoTargets {
                    rejected,
                    report: report.clone(),
                }
                .to_string();
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_targets", message)
                    .with_details(json!({ "rows_rejected": rejected, "report": report }))
            }
            AppError::CampaignNotFound(id) => {
                ApiError::not_found(format!("campaign {id} not found"))
            }
            AppError::Store(e) => e.into(),
            AppError::InvalidInput(message) => ApiError::bad_request(message),
            AppError::TargetNotFound(id) => ApiError::not_found(format!("target {id} not found")),
            AppError::NotReady(message) => {
                ApiError::new(StatusCode::CONFLICT, "not_ready", message)
            }
            AppError::Provider(message) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "provider_failed", message)
            }
            other => ApiError::internal("app", &other),
        }
    }
}

fn from_import(e: ImportError) -> ApiError {
    let message = e.to_string();
    match e {
        ImportError::TooLarge { limit_bytes } => ApiError::too_large(limit_bytes),
        ImportError::TooManyTargets { limit, line } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_targets",
            message,
        )
        .with_details(json!({ "limit": limit, "line": line })),
        ImportError::NoCompanyColumn { headers } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_company_column",
            message,
        )
        .with_details(json!({ "headers": headers })),
        ImportError::Empty => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "empty_file", message)
        }
        ImportError::NotText => {
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_csv", message)
        }
        ImportError::BadColumnMap(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_column_map", message)
        }
        ImportError::Csv { line, .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_csv", message)
                .with_details(json!({ "line": line }))
        }
        ImportError::ControlCharacter {
            line,
            column,
            code_point,
        } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "control_character",
            message,
        )
        .with_details(json!({ "line": line, "column": column, "code_point": code_point })),
    }
}

fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_input",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "error",
    }
}

/// A rejection's status with its text as the message.
fn rejection(status: StatusCode, text: String) -> ApiError {
    // axum reports an unparsable path id as 400 and a failed JSON deserialisation as 422;
    // both are kept, only the shape changes.
    ApiError::new(status, code_for(status), text)
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        rejection(r.status(), r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        // A path value that does not parse (`/campaigns/abc`) is a bad request.
        rejection(StatusCode::BAD_REQUEST, r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        rejection(StatusCode::BAD_REQUEST, r.body_text())
    }
}

/// `Path<T>` with our error shape.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `Query<T>` with our error shape.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Rewrites any error response that is not already ours (axum's 405, a layer's 413/408,
/// a caught panic) into the one error shape, keeping its status.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed on this path".to_string(),
        StatusCode::PAYLOAD_TOO_LARGE => "request body too large".to_string(),
        s => s.canonical_reason().unwrap_or("error").to_ascii_lowercase(),
    };
    let mut out = ApiError::new(status, code_for(status), message).into_response();
    // Keep what the client needs from the original (Allow on 405, Retry-After).
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = response.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

/// The router's fallback: an unknown path.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

/// A known path with a method it does not serve.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this path",
    )
}

/// A handler panicked: answer 500 in our shape, log the panic, never its payload to the
/// client.
pub fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(non-string panic)");
    ApiError::internal("handler panicked", &what).into_response()
}

/// A wait as `Retry-After` seconds: rounded up, at least one.
pub(crate) fn retry_after_secs(wait: std::time::Duration) -> u64 {
    u64::try_from(wait.as_millis().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
    }

    #[test]
    fn constraint_violations_answer_without_the_databases_words() {
        for (kind, status) in [
            (ConstraintKind::Unique, StatusCode::CONFLICT),
            (ConstraintKind::ForeignKey, StatusCode::UNPROCESSABLE_ENTITY),
            (ConstraintKind::Check, StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let err = ApiError::from(StoreError::Constraint {
                kind,
                detail: "duplicate key value violates unique constraint \"atl_api_keys_hash\""
                    .into(),
            });
            assert_eq!(err.status, status);
            let body = err.body().to_string();
            assert!(!body.contains("atl_api_keys"), "{body}");
            assert!(!body.contains("constraint \\\""), "{body}");
        }
        // The store's own refusals are meant for the caller and keep their words.
        let err = ApiError::from(StoreError::Conflict("campaign 3 is completed".into()));
        assert_eq!(err.status, StatusCode::CONFLICT);
        assert!(err.message.contains("campaign 3 is completed"));
    }
}
