//! `GET /campaigns/{id}/events`: Server-Sent Events from the `atl_events` table.
//!
//! The table is the source (invariant 1): any process (this one's workers, `atl worker`s
//! elsewhere) writes events in the transaction that causes them, and every SSE `id` is the
//! row's id, so a client that reconnects with `Last-Event-ID` (or `?after=`) gets exactly
//! the later events. The stream reads the table in pages, then waits [`AppContext::event_poll`]
//! before looking again. Keep-alive comments go out every 15 s. Every stream ends when the
//! server shuts down (`take_until`), or an open stream would hold the graceful drain
//! forever (axum #2673).
//!
//! [`AppContext::event_poll`]: crate::AppContext::event_poll

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use atl_engine::ProgressEvent;
use atl_store::{Event as StoredEvent, Store};
use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast;
use utoipa::IntoParams;

use crate::campaigns::campaign_of;
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::{ApiState, Team};

const PAGE: u32 = 500;
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventsQuery {
    /// Only events with a larger id (what `Last-Event-ID` does for reconnecting clients).
    pub after: Option<i64>,
}

struct Cursor {
    store: Store,
    campaign_id: i64,
    last_id: i64,
    buffered: VecDeque<StoredEvent>,
    poll: Duration,
    /// The first look at the table happens at once; later empty looks wait `poll`.
    first: bool,
    /// The in-process engine's progress: a finished job of this campaign means new rows.
    wake: Option<broadcast::Receiver<ProgressEvent>>,
}

impl Cursor {
    /// Waits for the poll interval, or less when the engine says this campaign moved.
    async fn wait(&mut self) {
        let campaign_id = self.campaign_id;
        let Some(rx) = self.wake.as_mut() else {
            tokio::time::sleep(self.poll).await;
            return;
        };
        let woken = async {
            loop {
                match rx.recv().await {
                    Ok(ProgressEvent::JobFinished { campaign_id: c, .. }) if c == campaign_id => {
                        return true;
                    }
                    Ok(ProgressEvent::Snapshot(p)) if p.campaign_id == campaign_id => return true,
                    Ok(_) => {}
                    // Missed some: there may be new rows, look.
                    Err(broadcast::error::RecvError::Lagged(_)) => return true,
                    Err(broadcast::error::RecvError::Closed) => return false,
                }
            }
        };
        tokio::select! {
            () = tokio::time::sleep(self.poll) => {}
            open = woken => if !open { self.wake = None },
        }
    }
}

fn to_sse(e: &StoredEvent) -> Event {
    let data = serde_json::json!({
        "id": e.id,
        "campaign_id": e.campaign_id,
        "kind": e.kind,
        "payload": e.payload,
        "created_at": crate::campaigns::rfc3339(e.created_at),
    });
    Event::default()
        .id(e.id.to_string())
        .event(e.kind.clone())
        .data(data.to_string())
}

fn event_stream(cursor: Cursor) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(e) = c.buffered.pop_front() {
                c.last_id = e.id;
                return Some((Ok(to_sse(&e)), c));
            }
            if !c.first {
                c.wait().await;
            }
            c.first = false;
            match c.store.events_since(c.campaign_id, c.last_id, PAGE).await {
                Ok(events) => c.buffered.extend(events),
                Err(e) => {
                    // A database hiccup should not end the stream: log, wait, look again.
                    tracing::warn!(campaign_id = c.campaign_id, error = %e, "reading events");
                }
            }
        }
    })
}

/// Where to resume: `Last-Event-ID` (what browsers send when they reconnect), else `?after`.
fn resume_point(headers: &HeaderMap, after: Option<i64>) -> Result<i64, ApiError> {
    match headers.get("last-event-id") {
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .ok_or_else(|| ApiError::bad_request("Last-Event-ID must be an event id (a number)")),
        None => Ok(after.unwrap_or(0)),
    }
}

/// Progress and per-target completion as Server-Sent Events (event name = kind, id = the
/// event's id, data = JSON), resumable with `Last-Event-ID`.
#[utoipa::path(get, path = "/campaigns/{id}/events", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id"), EventsQuery,
        ("Last-Event-ID" = Option<i64>, Header, description = "resume after this event")),
    responses((status = 200, content_type = "text/event-stream", description = "the event stream"),
        (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn events(
    State(state): State<ApiState>,
    Extension(team): Extension<Team>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<EventsQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let last_id = resume_point(&headers, q.after)?;
    campaign_of(&state.ctx.store, team, id).await?;
    let cursor = Cursor {
        store: state.ctx.store.clone(),
        campaign_id: id,
        last_id,
        buffered: VecDeque::new(),
        poll: state.ctx.event_poll,
        first: true,
        wake: state.ctx.coordinator.as_ref().map(|c| c.subscribe()),
    };
    let shutdown = state.ctx.shutdown.clone().cancelled_owned();
    let stream = event_stream(cursor).take_until(shutdown);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
