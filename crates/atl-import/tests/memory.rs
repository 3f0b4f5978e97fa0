//! Memory and speed of a realistic 2 MB, 10,000-row upload.
//!
//! Its own test binary because it installs a counting global allocator, which must not
//! see the allocations of other tests running in parallel.

use atl_import::{ImportOptions, Importer, RowOutcome, decode};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: delegates to the system allocator and only adds bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// About 2 MB: 10,000 rows in a HubSpot/Apollo-like layout with a long notes column.
fn upload() -> String {
    let mut text = String::from(
        "First Name,Last Name,Title,Company,Email,Person Linkedin Url,Website,# Employees,Industry,Notes\r\n",
    );
    for i in 0..10_000 {
        text.push_str(&format!(
            "Jo{i},Smith,VP Sales,\"Acme {i}, Inc.\",jo{i}@acme{i}.com,https://www.linkedin.com/in/jo{i},https://www.acme{i}.com,{},Software,\"{}\"\r\n",
            i * 7 % 5000,
            "Met at the SaaStr booth; follow up about renewal. ".repeat(2)
        ));
    }
    text
}

#[test]
fn streaming_import_holds_keys_not_targets() {
    let text = upload();
    assert!(text.len() > 1_900_000, "{}", text.len());
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);

    let started = std::time::Instant::now();
    let decoded = decode(text.as_bytes()).unwrap();
    let mut importer = Importer::new(&decoded.text, &ImportOptions::default()).unwrap();
    let mut targets = 0;
    for outcome in importer.by_ref() {
        if let RowOutcome::Target(t) = outcome.unwrap() {
            targets += 1;
            drop(t); // a caller would hand it to the store here
        }
    }
    let elapsed = started.elapsed();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert_eq!(targets, 10_000);
    assert_eq!(importer.summary().warning_count, 0);

    // Dedup keys are ~40 bytes each plus hash map overhead: well under half the file.
    // A copy of the text, or keeping the targets, would exceed it.
    // Time is printed for a human, never asserted: speed lives in the benchmarks
    // (crates/atl-app/benches/import.rs), where it is compared in one run.
    eprintln!(
        "import of {} bytes: {elapsed:?}, peak heap {peak} bytes",
        text.len()
    );
    assert!(
        peak < text.len() / 2,
        "peak heap {peak} for a {} byte file",
        text.len()
    );
}
