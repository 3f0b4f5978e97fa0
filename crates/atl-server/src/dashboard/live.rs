//! `GET /campaigns/{id}/live`: the campaign page's live feed, as Server-Sent Events.
//!
//! The same reader as the API's event stream (`events::Cursor`: the `atl_events` table,
//! woken by the in-process engine), rendered for the page:
//!
//! - `progress` (no id): the progress panel's HTML, rendered here like the page itself,
//!   at most four times a second;
//! - `changed` (id = the last stored event read): some targets moved; the page reloads
//!   the visible page of its table (it throttles that itself). Stored events are sent as
//!   one `changed` per read, not one each: a busy campaign writes hundreds a second.
//!
//! A browser that loses the connection reconnects by itself with `Last-Event-ID`, and
//! the script reconnects with `?after=` when the browser gives up; either way the stream
//! resumes after that event and opens with a fresh `progress`.

use std::convert::Infallible;

use askama::Template;
use axum::Extension;
use axum::extract::Query;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::response::sse::Event;
use futures::{Stream, StreamExt};

use super::page::{PageResult, Session};
use super::progress::ProgressPanel;
use crate::auth::{Caller, IdRoute};
use crate::events::{Cursor, EventsQuery, Item, open_stream};

/// How long a browser waits before reconnecting a dropped stream.
const RETRY: std::time::Duration = std::time::Duration::from_millis(1500);

fn live_stream(cursor: Cursor) -> impl Stream<Item = Result<Event, Infallible>> {
    let opening = futures::stream::once(async { Ok(Event::default().retry(RETRY)) });
    opening.chain(next_events(cursor))
}

fn next_events(cursor: Cursor) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(cursor, |mut c| async move {
        loop {
            match c.next_item().await {
                Item::Events(events) => {
                    if let Some(last) = events.last() {
                        let e = Event::default()
                            .event("changed")
                            .id(last.id.to_string())
                            .data(events.len().to_string());
                        return Some((Ok(e), c));
                    }
                }
                Item::Progress(view) => {
                    let panel = ProgressPanel::from_view(&view);
                    match panel.render() {
                        Ok(html) => {
                            return Some((Ok(Event::default().event("progress").data(html)), c));
                        }
                        Err(e) => tracing::warn!(error = %e, "live progress panel"),
                    }
                }
            }
        }
    })
}

pub(crate) async fn stream(
    IdRoute(state, session, id): IdRoute<Session>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<EventsQuery>,
    headers: HeaderMap,
) -> PageResult {
    let stream = open_stream(
        &state,
        session.team,
        caller,
        id,
        q.after,
        &headers,
        live_stream,
    );
    Ok(stream.await?.into_response())
}
