//! An adaptive concurrency cap: the working limit halves on a 429 (min 1) and grows back
//! by one every `recover_after` successes, up to the configured cap (AIMD, as TCP does).
//!
//! The semaphore holds `cap` permits at most. Lowering the limit removes idle permits at
//! once and records the rest as a debt paid by the next permits to come back, so calls
//! already in flight are never interrupted.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{AcquireError, Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// A burst of 429s from calls that were all in flight together says one thing once:
/// cut at most once per this interval (TCP cuts once per round trip).
const MIN_CUT_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct State {
    effective: u32,
    /// Permits still to be removed as they come back.
    debt: u32,
    successes: u32,
    last_cut: Option<Instant>,
}

#[derive(Debug)]
pub(crate) struct Adaptive {
    sem: Semaphore,
    cap: u32,
    recover_after: u32,
    /// `effective < cap`: the only case where successes and returned permits need the lock.
    reduced: AtomicBool,
    state: Mutex<State>,
}

/// A concurrency slot; releasing it pays the debt first.
pub(crate) struct Slot<'a> {
    permit: Option<SemaphorePermit<'a>>,
    owner: &'a Adaptive,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        if !self.owner.reduced.load(Ordering::Acquire) {
            return; // permit goes back
        }
        let mut s = self.owner.lock();
        if s.debt > 0 {
            s.debt -= 1;
            permit.forget();
        }
    }
}

impl Adaptive {
    pub(crate) fn new(cap: u32, recover_after: u32) -> Self {
        let cap = cap.max(1);
        Adaptive {
            sem: Semaphore::new(cap as usize),
            cap,
            recover_after: recover_after.max(1),
            reduced: AtomicBool::new(false),
            state: Mutex::new(State {
                effective: cap,
                debt: 0,
                successes: 0,
                last_cut: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent under every panic point (plain integer updates), so
        // a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) async fn acquire(&self) -> Result<Slot<'_>, AcquireError> {
        let permit = self.sem.acquire().await?;
        Ok(Slot {
            permit: Some(permit),
            owner: self,
        })
    }

    pub(crate) fn effective(&self) -> u32 {
        self.lock().effective
    }

    /// A 429: halve the working limit.
    pub(crate) fn on_rate_limited(&self, now: Instant) {
        let mut s = self.lock();
        s.successes = 0;
        if s.last_cut
            .is_some_and(|t| now.saturating_duration_since(t) < MIN_CUT_INTERVAL)
        {
            return;
        }
        s.last_cut = Some(now);
        let new = (s.effective / 2).max(1);
        let cut = s.effective - new;
        if cut == 0 {
            return;
        }
        s.effective = new;
        let removed = self.sem.forget_permits(cut as usize) as u32;
        s.debt += cut - removed;
        self.reduced.store(true, Ordering::Release);
    }

    pub(crate) fn on_success(&self) {
        if !self.reduced.load(Ordering::Acquire) {
            return;
        }
        let mut s = self.lock();
        if s.effective >= self.cap {
            return;
        }
        s.successes += 1;
        if s.successes < self.recover_after {
            return;
        }
        s.successes = 0;
        s.effective += 1;
        if s.debt > 0 {
            s.debt -= 1;
        } else {
            self.sem.add_permits(1);
        }
        if s.effective >= self.cap {
            self.reduced.store(false, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn halves_with_debt_and_recovers() {
        let a = Adaptive::new(8, 2);
        let held: Vec<_> = {
            let mut v = Vec::new();
            for _ in 0..6 {
                v.push(a.acquire().await.unwrap());
            }
            v
        };
        a.on_rate_limited(Instant::now());
        assert_eq!(a.effective(), 4);
        // 2 idle permits removed now, 2 owed by the calls in flight.
        assert_eq!(a.sem.available_permits(), 0);
        assert_eq!(a.lock().debt, 2);
        drop(held);
        assert_eq!(a.sem.available_permits(), 4);
        // A second 429 inside the cut interval is the same burst.
        a.on_rate_limited(Instant::now());
        assert_eq!(a.effective(), 4);
        tokio::time::advance(Duration::from_secs(2)).await;
        a.on_rate_limited(Instant::now());
        assert_eq!(a.effective(), 2);
        for _ in 0..12 {
            a.on_success();
        }
        assert_eq!(a.effective(), 8);
        assert_eq!(a.sem.available_permits(), 8);
        assert!(!a.reduced.load(Ordering::Acquire));
    }
}
