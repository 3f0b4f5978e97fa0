//! The web dashboard at `/`: a sales team's window on its campaigns, rendered by the
//! server from the typed records (`atl_app::record::TargetRecord`, the status view, the
//! importer's report, the agents' quotes), never from JSON keys.
//!
//! | module | pages |
//! |---|---|
//! | [`session`] | `/sign-in`, `/sign-out`: the API key in an HttpOnly cookie |
//! | [`upload`] | `/upload`: pick a CSV, preview (nothing stored), quote, start |
//! | [`campaigns`] | `/campaigns`: newest first, progress, counts, cost against budget |
//! | [`campaign`] | `/campaigns/{id}`: live progress, controls, the targets table (paged by the server) |
//! | [`live`] | `/campaigns/{id}/live`: SSE of rendered progress, resumable with `Last-Event-ID` |
//! | [`target`] | `/targets/{id}`: brief, intel, contact, executives, script, audio, costs |
//! | [`executives`] | `/campaigns/{id}/executives`: the whole list's executives by seniority |
//!
//! Templates (askama, compiled and type-checked with the crate) live in `templates/`;
//! the one stylesheet and the one script in `assets/`, embedded in the binary
//! ([`assets`]). No page loads anything from another origin, and no page has inline
//! script or style, so the Content-Security-Policy is `'self'` only.
//!
//! The export and audio routes are the API's own handlers behind the session cookie, so
//! the dashboard and the API can never disagree on what a file contains.

mod assets;
mod campaign;
mod campaigns;
mod executives;
mod format;
mod live;
mod page;
mod progress;
mod session;
mod target;
mod upload;
mod words;

pub(crate) use page::error_page;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::ApiState;

/// The dashboard's routes, with their session layer.
pub(crate) fn router(state: &ApiState, upload_limit: usize) -> Router<ApiState> {
    let pages = Router::new()
        .route("/", get(campaigns::home))
        .route("/campaigns", get(campaigns::list))
        .route("/campaigns/{id}", get(campaign::page))
        .route("/campaigns/{id}/targets", get(campaign::targets_fragment))
        .route("/campaigns/{id}/live", get(live::stream))
        .route("/campaigns/{id}/start", post(campaign::start))
        .route("/campaigns/{id}/pause", post(campaign::pause))
        .route("/campaigns/{id}/resume", post(campaign::resume))
        .route("/campaigns/{id}/cancel", post(campaign::cancel))
        .route(
            "/campaigns/{id}/retry-failed",
            get(campaign::retry_page).post(campaign::retry),
        )
        .route("/campaigns/{id}/executives", get(executives::page))
        .route("/campaigns/{id}/export", get(crate::export::export))
        .route("/targets/{id}", get(target::page))
        .route("/targets/{id}/audio", get(crate::targets::audio))
        .route("/upload", get(upload::page))
        .route(
            "/upload",
            post(upload::create).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/upload/preview",
            post(upload::preview).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/sign-out", post(session::sign_out))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::require_session,
        ));
    Router::new()
        .merge(pages)
        .route(
            "/sign-in",
            get(session::sign_in_page).post(session::sign_in),
        )
        .route("/assets/{name}", get(assets::serve))
        .layer(axum::middleware::map_response(page::security_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            page::panic_page,
        ))
}
