//! Event streams that end when their key does, and a cap on how many one key holds.
//!
//! An SSE stream is authenticated once, when it opens, and may then stay open for hours.
//! So every stream re-checks its key every [`ServerOptions::stream_key_recheck`] and
//! ends when the key no longer authenticates (revoked). And each key may hold at most
//! [`ServerOptions::max_streams_per_key`] streams at once: each one holds a database
//! poll and a connection, and one key must not take the server's share of them.
//!
//! [`ServerOptions::stream_key_recheck`]: crate::ServerOptions::stream_key_recheck
//! [`ServerOptions::max_streams_per_key`]: crate::ServerOptions::max_streams_per_key

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;

use crate::ApiState;
use crate::auth::Caller;
use crate::error::ApiError;

/// Open streams per key (the key's text, in memory only; `None` = served without a key).
#[derive(Default)]
pub(crate) struct StreamCounts {
    open: Mutex<HashMap<Option<String>, usize>>,
}

/// One open stream; dropping it (the stream ended or the client went away) frees the slot.
pub(crate) struct StreamSlot {
    counts: Arc<StreamCounts>,
    key: Option<String>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.counts.open.lock()
            && let Some(n) = open.get_mut(&self.key)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Takes a stream slot for the caller's key, or answers 429 when it holds `cap` already.
pub(crate) fn open_slot(state: &ApiState, caller: &Caller) -> Result<StreamSlot, ApiError> {
    let cap = state.ctx.options.max_streams_per_key;
    let key = caller.key.as_deref().map(str::to_string);
    let counts = Arc::clone(&state.streams);
    let mut open = counts
        .open
        .lock()
        .map_err(|_| ApiError::internal("stream counts", &"lock poisoned"))?;
    let n = open.entry(key.clone()).or_insert(0);
    if *n >= cap {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_streams",
            format!("this key already holds {cap} open event streams; close one first"),
        )
        .with_details(serde_json::json!({ "limit": cap }))
        .with_retry_after(std::time::Duration::from_secs(5)));
    }
    *n += 1;
    drop(open);
    Ok(StreamSlot { counts, key })
}

/// Resolves when the caller's key stops authenticating (or never, for a stream served
/// without a key). A database that does not answer is not a revocation: the stream stays.
pub(crate) async fn key_revoked(state: ApiState, caller: Caller) {
    let Some(key) = caller.key.clone() else {
        return std::future::pending().await;
    };
    let every = state.ctx.options.stream_key_recheck;
    loop {
        tokio::time::sleep(every).await;
        match crate::auth::lookup(&state, &key).await {
            Ok(Some(team)) if team == caller.team.0 => {}
            Ok(_) => {
                tracing::info!(
                    team = caller.team.0,
                    "event stream closed: its key was revoked"
                );
                return;
            }
            Err(e) => tracing::warn!(error = %e.message, "re-checking a stream's key"),
        }
    }
}

/// `stream`, ended when the server shuts down or the caller's key is revoked, holding its
/// slot for as long as it lives.
pub(crate) fn guarded<S: futures::Stream>(
    state: &ApiState,
    caller: Caller,
    slot: StreamSlot,
    stream: S,
) -> impl futures::Stream<Item = S::Item> + use<S> {
    use futures::StreamExt;
    let shutdown = state.ctx.shutdown.clone().cancelled_owned();
    let revoked = key_revoked(state.clone(), caller);
    let stop = async move {
        tokio::select! {
            () = shutdown => {}
            () = revoked => {}
        }
    };
    stream.take_until(stop).map(move |item| {
        // The slot lives (and counts) exactly as long as the stream.
        let _slot = &slot;
        item
    })
}
