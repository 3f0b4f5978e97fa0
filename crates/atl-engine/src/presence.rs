//! This coordinator's row in `atl_workers`: registered while at least one of its loops
//! runs, its heartbeat stamped (by the database's clock) every `worker_heartbeat_every`,
//! removed on a graceful stop. Several loops of one coordinator (a worker loop and a
//! campaign run in `atl serve`) share the one row, so the last to stop deregisters.

use atl_store::{Store, WorkerInfo};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::job::SharedContext;

#[derive(Default)]
pub(crate) struct Presence {
    inner: Mutex<State>,
}

#[derive(Default)]
struct State {
    loops: usize,
    heartbeat: Option<CancellationToken>,
}

impl Presence {
    /// Registers the worker if no loop of this coordinator is running yet.
    pub(crate) async fn enter(&self, ctx: &SharedContext, worker: &WorkerInfo, every: Duration) {
        let store = &ctx.store;
        let mut state = self.inner.lock().await;
        state.loops += 1;
        if state.loops > 1 {
            return;
        }
        match store.register_worker(worker).await {
            Ok(freed) if freed > 0 => tracing::info!(
                freed,
                "resumed: took back leases left by a process that is gone"
            ),
            Ok(_) => {}
            Err(e) => ctx.health.failed("registering the worker", &e),
        }
        let stop = CancellationToken::new();
        state.heartbeat = Some(stop.clone());
        let store = store.clone();
        let worker = worker.clone();
        let ctx = Arc::clone(ctx);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(every) => {}
                }
                match store.worker_heartbeat(&worker).await {
                    Ok(()) => ctx.health.ok(),
                    Err(e) => ctx.health.failed("stamping the worker's heartbeat", &e),
                }
            }
        });
    }

    /// Deregisters the worker when its last loop stops.
    pub(crate) async fn leave(&self, store: &Store, worker_id: &str) {
        let mut state = self.inner.lock().await;
        state.loops = state.loops.saturating_sub(1);
        if state.loops > 0 {
            return;
        }
        if let Some(stop) = state.heartbeat.take() {
            stop.cancel();
        }
        if let Err(e) = store.deregister_worker(worker_id).await {
            tracing::warn!(error = %e, "cannot deregister the worker; its row ages out");
        }
    }
}
