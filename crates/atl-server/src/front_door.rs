//! The server's front door: the first guard layer every request passes (see `guard` for
//! all of them). It answers in the shape of what was asked for: the API's JSON error, or
//! the dashboard's error page.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ApiState;
use crate::error::ApiError;

/// Paths that answer JSON (or other machine formats); everything else is the dashboard.
pub(crate) fn is_api_path(path: &str) -> bool {
    path.starts_with(crate::API_PREFIX)
        || matches!(path, "/healthz" | "/metrics" | "/openapi.json" | "/docs")
}

/// An error in the shape the path answers in.
pub(crate) fn refuse(path: &str, error: ApiError) -> Response {
    if is_api_path(path) {
        error.into_response()
    } else {
        let retry_after = error.retry_after;
        let mut page = crate::dashboard::error_page(error.status, error.message);
        if let Some(wait) = retry_after
            && let Ok(v) = crate::error::retry_after_secs(wait).to_string().parse()
        {
            page.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        page
    }
}

/// Host and Origin checks, then the client address's request budget.
pub(crate) async fn front_door(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    // Load balancers probe `/healthz` by whatever address they know the server by, and
    // it tells nothing about any team.
    if path != "/healthz"
        && let Err(refusal) = state.doors.check(request.headers(), request.uri())
    {
        tracing::info!(?refusal, path, "request refused at the front door");
        return refuse(
            path,
            ApiError::new(StatusCode::FORBIDDEN, "forbidden", refusal.message()),
        );
    }
    if let Some(ip) = crate::auth::client_ip(&request)
        && let Err(wait) = state.limits.per_address.take(&ip)
    {
        return refuse(
            path,
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests from this address; retry after the time in Retry-After",
            )
            .with_retry_after(wait),
        );
    }
    next.run(request).await
}
