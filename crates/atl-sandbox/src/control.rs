//! Sandbox-only routes: health, stats and runtime config.

use crate::config::SandboxConfig;
use crate::resp;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

pub(crate) async fn healthz() -> Response {
    resp::json(StatusCode::OK, &json!({"status": "ok", "synthetic": true}))
}

pub(crate) async fn stats(State(state): State<AppState>) -> Response {
    resp::json(StatusCode::OK, &json!(state.stats()))
}

pub(crate) async fn get_config(State(state): State<AppState>) -> Response {
    resp::json(StatusCode::OK, &json!(state.config()))
}

/// Replace the whole config (omitted fields take their defaults) and echo it back.
pub(crate) async fn set_config(State(state): State<AppState>, body: Bytes) -> Response {
    match serde_json::from_slice::<SandboxConfig>(&body)
        .map_err(|e| e.to_string())
        .and_then(|c| c.validate().map(|()| c))
    {
        Ok(config) => {
            state.set_config(config);
            resp::json(StatusCode::OK, &json!(state.config()))
        }
        Err(e) => resp::json(
            StatusCode::BAD_REQUEST,
            &json!({"error": {"message": format!("invalid sandbox config: {e}"), "type": "invalid_request_error"}}),
        ),
    }
}
