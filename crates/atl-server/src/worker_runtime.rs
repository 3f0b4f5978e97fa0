//! A tokio runtime for the workers, apart from the one that serves requests.
//!
//! Tokio schedules tasks cooperatively: on one runtime, a status request that becomes
//! ready waits in the same run queues as 64 jobs' tasks (and, in sandbox mode, the
//! in-process providers). On a runtime of their own the workers' threads are just more
//! threads to the OS, whose scheduler lets a request thread that wakes from a socket in
//! promptly. Measured with `scripts/bench-api.sh` on PostgreSQL: see BENCHMARKS.md.

use std::future::Future;
use tokio::runtime::{Builder, Handle, Runtime};
use tokio::task::JoinHandle;

/// Owns the workers' runtime. Dropping it (even inside the server's async context, where
/// dropping a plain `Runtime` panics) abandons what still runs there without waiting:
/// [`crate::serve_on`] has already waited for the worker loop to hand its leases back.
pub struct WorkerRuntime {
    runtime: Option<Runtime>,
    handle: Handle,
}

impl WorkerRuntime {
    /// As many threads as the machine has cores, like the server's own runtime.
    pub fn new() -> std::io::Result<Self> {
        let runtime = Builder::new_multi_thread()
            .thread_name("atl-worker")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(WorkerRuntime {
            runtime: Some(runtime),
            handle,
        })
    }

    /// For [`crate::AppContext::worker_runtime`].
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Runs `future` on the workers' runtime. Build there what the workers own (their
    /// database pool, an in-process sandbox), so its sockets and background tasks live
    /// on the workers' threads too.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }
}

impl Drop for WorkerRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for WorkerRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerRuntime").finish_non_exhaustive()
    }
}
