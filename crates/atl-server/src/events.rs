//! `GET /campaigns/{id}/events`: Server-Sent Events from the `atl_events` table.
//!
//! The table is the source (invariant 1): any process (this one's workers, `atl worker`s
//! elsewhere) writes events in the transaction that causes them, and every SSE `id` is the
//! row's id, so a client that reconnects with `Last-Event-ID` (or `?after=`) gets exactly
//! the later events. The stream reads the table in pages, then waits [`AppContext::event_poll`]
//! before looking again. Keep-alive comments go out every [`AppContext::keep_alive`]
//! (15 s by default). Every stream ends when the
//! server shuts down (an open stream would otherwise hold the graceful drain forever,
//! axum #2673) and when its key is revoked; a key holds a bounded number of streams
//! (`guard::streams`).
//!
//! Between them come `progress` events: the campaign's status view (the
//! body of `GET /status`), once when the stream opens and then after new events, at most
//! every [`PROGRESS_EVERY`]. They carry no `id`: they are a view of the campaign row, not
//! rows of the table, so they never move a client's `Last-Event-ID`.
//!
//! [`AppContext::event_poll`]: crate::AppContext::event_poll
//! [`AppContext::keep_alive`]: crate::AppContext::keep_alive

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use atl_engine::ProgressEvent;
use atl_store::{Event as StoredEvent, Store};
use axum::Extension;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use tokio::sync::broadcast;
use utoipa::IntoParams;

use crate::auth::{Caller, IdRoute};
use crate::campaigns::{Tallies, campaign_of};
use crate::error::{ApiError, ApiQuery};
use crate::guard::streams;
use crate::{ApiState, Team};

const PAGE: u32 = 500;
/// A busy campaign finishes hundreds of jobs a second; one status a few times a second is
/// what a progress bar can show.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventsQuery {
    /// Only events with a larger id (what `Last-Event-ID` does for reconnecting clients).
    pub after: Option<i64>,
}

/// A reader of one campaign's events and status, shared by the API's stream and the
/// dashboard's (which renders the same items as HTML).
pub(crate) struct Cursor {
    store: Store,
    /// Status reads shared with the `/status` polls of the same campaign.
    tallies: Arc<Tallies>,
    team: Team,
    campaign_id: i64,
    last_id: i64,
    buffered: VecDeque<StoredEvent>,
    poll: Duration,
    /// The first look at the table happens at once; later empty looks wait `poll`.
    first: bool,
    /// The in-process engine's progress: a finished job of this campaign means new rows.
    wake: Option<broadcast::Receiver<ProgressEvent>>,
    /// New rows (or the start) since the last `progress` event.
    progress_due: bool,
    last_progress: Option<Instant>,
}

/// What a [`Cursor`] yields: the stored events it read (in id order), or the campaign's
/// status after them.
pub(crate) enum Item {
    Events(Vec<StoredEvent>),
    Progress(Box<atl_app::StatusView>),
}

impl Cursor {
    /// A cursor on the team's campaign `campaign_id`, after event `last_id`.
    pub(crate) fn new(state: &ApiState, team: Team, campaign_id: i64, last_id: i64) -> Cursor {
        Cursor {
            store: state.ctx.store.clone(),
            tallies: Arc::clone(&state.tallies),
            team,
            campaign_id,
            last_id,
            buffered: VecDeque::new(),
            poll: state.ctx.event_poll,
            first: true,
            wake: state.ctx.coordinator.as_ref().map(|c| c.subscribe()),
            progress_due: true,
            last_progress: None,
        }
    }

    /// The next item: stored events as soon as there are any, the status at most every
    /// [`PROGRESS_EVERY`] after new events (and once at the start).
    pub(crate) async fn next_item(&mut self) -> Item {
        loop {
            if !self.buffered.is_empty() {
                let events: Vec<StoredEvent> = self.buffered.drain(..).collect();
                if let Some(last) = events.last() {
                    self.last_id = last.id;
                }
                return Item::Events(events);
            }
            if self.progress_due
                && self
                    .last_progress
                    .is_none_or(|t| t.elapsed() >= PROGRESS_EVERY)
            {
                self.progress_due = false;
                self.last_progress = Some(Instant::now());
                if let Some(view) = progress_view(self).await {
                    return Item::Progress(Box::new(view));
                }
            }
            if !self.first {
                self.wait().await;
            }
            self.first = false;
            match self
                .store
                .events_since(self.campaign_id, self.last_id, PAGE)
                .await
            {
                Ok(events) => {
                    self.progress_due |= !events.is_empty();
                    self.buffered.extend(events);
                }
                Err(e) => {
                    // A database hiccup should not end the stream: log, wait, look again.
                    tracing::warn!(campaign_id = self.campaign_id, error = %e, "reading events");
                }
            }
        }
    }

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
    // The ledger stores exact nano-dollars; the API speaks USD everywhere, so the stream
    // adds `cost_usd` beside the stored figure.
    let mut payload = e.payload.clone();
    if let Some(nano) = payload
        .get("cost_nano_usd")
        .and_then(serde_json::Value::as_i64)
    {
        payload["cost_usd"] = serde_json::json!(atl_store::nano_to_usd(nano));
    }
    let data = serde_json::json!({
        "id": e.id,
        "campaign_id": e.campaign_id,
        "kind": e.kind,
        "payload": payload,
        "created_at": crate::campaigns::rfc3339(e.created_at),
    });
    Event::default()
        .id(e.id.to_string())
        .event(e.kind.clone())
        .data(data.to_string())
}

/// The campaign's status, or `None` (logged) when it cannot be read.
async fn progress_view(c: &Cursor) -> Option<atl_app::StatusView> {
    let tally = crate::campaigns::tally_of(&c.store, &c.tallies, c.team, c.campaign_id)
        .await
        .map_err(|e| tracing::warn!(campaign_id = c.campaign_id, error = %e.message, "progress"))
        .ok()?;
    atl_app::status_view(&c.store, &tally)
        .await
        .map_err(|e| tracing::warn!(campaign_id = c.campaign_id, error = %e, "progress"))
        .ok()
}

/// The `progress` event: the status view of `GET /status`, no id.
fn progress_event(view: &atl_app::StatusView) -> Option<Event> {
    let data = serde_json::to_string(view).ok()?;
    Some(Event::default().event("progress").data(data))
}

fn event_stream(cursor: Cursor) -> impl Stream<Item = Result<Event, Infallible>> {
    let pending: VecDeque<Event> = VecDeque::new();
    futures::stream::unfold((cursor, pending), |(mut c, mut pending)| async move {
        loop {
            if let Some(e) = pending.pop_front() {
                return Some((Ok(e), (c, pending)));
            }
            match c.next_item().await {
                Item::Events(events) => pending.extend(events.iter().map(to_sse)),
                Item::Progress(view) => pending.extend(progress_event(&view)),
            }
        }
    })
}

/// Where to resume: `Last-Event-ID` (what browsers send when they reconnect), else `?after`.
pub(crate) fn resume_point(headers: &HeaderMap, after: Option<i64>) -> Result<i64, ApiError> {
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
/// event's id, data = JSON), resumable with `Last-Event-ID`; between them, `progress`
/// events (no id) carry the campaign's status in the format of `GET /status`.
#[utoipa::path(get, path = "/campaigns/{id}/events", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id"), EventsQuery,
        ("Last-Event-ID" = Option<i64>, Header, description = "resume after this event")),
    responses((status = 200, content_type = "text/event-stream", description = "the event stream"),
        (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn events(
    IdRoute(state, team, id): IdRoute<Team>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<EventsQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    open_stream(&state, team, caller, id, q.after, &headers, event_stream).await
}

/// The team's campaign `id` as SSE, each event made by `render` from the stream's
/// cursor: the resume point read (`after` or `Last-Event-ID`), the campaign found (else
/// 404), a stream slot taken for the caller's key (else 429), and the stream ended with
/// the server or the key.
pub(crate) async fn open_stream<S, R>(
    state: &ApiState,
    team: Team,
    caller: Caller,
    id: i64,
    after: Option<i64>,
    headers: &HeaderMap,
    render: R,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<S, R>>, ApiError>
where
    S: Stream<Item = Result<Event, Infallible>> + Send + 'static,
    R: FnOnce(Cursor) -> S,
{
    let last_id = resume_point(headers, after)?;
    campaign_of(&state.ctx.store, team, id).await?;
    let slot = streams::open_slot(state, &caller)?;
    let cursor = Cursor::new(state, team, id, last_id);
    let stream = streams::guarded(state, caller, slot, render(cursor));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(state.ctx.keep_alive)))
}
