//! Import benchmark: a generated 10,000-row, ~2 MB CSV parsed, validated and
//! committed on SQLite and PostgreSQL, with peak heap, compared in the same run against
//! each database's own bulk loader (`sqlite3 .import`, PostgreSQL `COPY`) loading the
//! same file into a table of the file's shape.
//!
//! Run: `cargo bench -p atl-app --bench import` (scripts/bench-import.sh wraps it).

use atl_app::{ImportRequest, import_csv};
use atl_import::ImportOptions;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes and their high-water mark, so "peak memory < 3x the file" is
/// measured on what the import itself holds, not on the process' baseline RSS.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size > layout.size() {
                let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const ROWS: usize = 10_000;
const RUNS: usize = 5;
const HEADER: &str = "Company Name,First Name,Last Name,Email,Job Title,Website,Person Linkedin Url,Industry,City,Notes";

/// A deterministic file that looks like a CRM export: quoted commas, accents, entities.
fn generate(path: &Path) -> usize {
    let industries = [
        "Software",
        "Food, Beverages & Tobacco",
        "Retailing",
        "Health Care",
    ];
    let titles = [
        "VP Sales",
        "Chief Revenue Officer",
        "Head of RevOps",
        "Director of Marketing",
    ];
    let first = ["Ana", "José", "Mei", "Olu", "Sven", "Priya", "Chloé", "Tom"];
    let last = [
        "García",
        "Smith",
        "Okafor",
        "Lindqvist",
        "Patel",
        "Dubois",
        "Chen",
        "Long",
    ];
    let mut out = String::with_capacity(ROWS * 220);
    out.push_str(HEADER);
    out.push('\n');
    for i in 0..ROWS {
        let f = first[i % first.len()];
        let l = last[(i / 8) % last.len()];
        let company = if i % 97 == 0 {
            format!("Lowe&#8217;s Holdings {i}")
        } else {
            format!("Company {i} Inc")
        };
        out.push_str(&format!(
            "{company},{f},{l},{}.{}{i}@company{i}.example,{},https://www.company{i}.example,https://www.linkedin.com/in/{}-{}-{i},\"{}\",City {},\"Met at conference {i}, follow up in Q{}\"\n",
            f.to_lowercase(),
            l.to_lowercase(),
            titles[i % titles.len()],
            f.to_lowercase(),
            l.to_lowercase(),
            industries[i % industries.len()],
            i % 300,
            i % 4 + 1,
        ));
    }
    std::fs::write(path, out.as_bytes()).expect("write bench file");
    out.len()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn bench_store(store: &atl_store::Store, file: &Path, size: usize) -> (Duration, f64) {
    let team_id = store.team_id("bench").await.expect("team");
    let mut times = Vec::new();
    let mut peak_ratio: f64 = 0.0;
    for run in 0..RUNS {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let t = Instant::now();
        let bytes =
            atl_app::read_upload_file(file, atl_domain::limits::MAX_FILE_BYTES).expect("read");
        let outcome = import_csv(
            store,
            bytes,
            ImportRequest {
                team_id,
                name: Some(format!("bench {run}")),
                file_name: Some("bench.csv".into()),
                options: ImportOptions::default(),
                settings: serde_json::json!({}),
                budget_nano_usd: None,
            },
        )
        .await
        .expect("import");
        times.push(t.elapsed());
        assert_eq!(outcome.total_targets as usize, ROWS);
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
        peak_ratio = peak_ratio.max(peak as f64 / size as f64);
    }
    (median(times), peak_ratio)
}

/// The file's columns quoted for SQL, each followed by `suffix`:
/// `"Company Name" TEXT, "First Name" TEXT, …` for " TEXT".
fn header_columns(suffix: &str) -> String {
    HEADER
        .split(',')
        .map(|h| format!("\"{h}\"{suffix}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn timed_command(cmd: &mut Command) -> Duration {
    let t = Instant::now();
    let out = cmd.output().expect("run baseline tool");
    let d = t.elapsed();
    assert!(
        out.status.success(),
        "baseline failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    d
}

/// `sqlite3 .import` of the same file into a fresh table of the file's shape (ten TEXT
/// columns: the raw bulk path, with none of our validation, mapping or indexes).
fn sqlite_baseline(file: &Path, dir: &Path) -> Option<Duration> {
    which("sqlite3")?;
    let cols = header_columns(" TEXT");
    let mut times = Vec::new();
    for run in 0..RUNS {
        let db = dir.join(format!("baseline-{run}.db"));
        let _ = std::fs::remove_file(&db);
        let script = format!(
            "PRAGMA journal_mode=WAL;\nCREATE TABLE t ({cols});\n.import --csv --skip 1 {} t\n",
            file.display()
        );
        let script_path = dir.join("baseline.sql");
        std::fs::write(&script_path, script).ok()?;
        times.push(timed_command(
            Command::new("sqlite3")
                .arg(&db)
                .arg(format!(".read {}", script_path.display())),
        ));
    }
    Some(median(times))
}

/// PostgreSQL `COPY ... FROM STDIN` (through psql's `\copy`) of the same file.
fn postgres_baseline(file: &Path, url: &str) -> Option<Duration> {
    which("psql")?;
    let cols = header_columns(" TEXT");
    let setup = format!(
        "DROP TABLE IF EXISTS atl_bench_copy; CREATE TABLE atl_bench_copy (id BIGSERIAL PRIMARY KEY, {cols});"
    );
    let mut times = Vec::new();
    for _ in 0..RUNS {
        timed_command(Command::new("psql").args([url, "-qAtc", &setup]));
        let copy = format!(
            "\\copy atl_bench_copy ({}) FROM '{}' WITH (FORMAT csv, HEADER true)",
            header_columns(""),
            file.display()
        );
        times.push(timed_command(
            Command::new("psql").args([url, "-qAtc", &copy]),
        ));
    }
    timed_command(Command::new("psql").args([url, "-qAtc", "DROP TABLE IF EXISTS atl_bench_copy"]));
    Some(median(times))
}

/// One backend's line: our median time and peak heap, then the bulk loader's time (`base`,
/// `None` when the tool is `missing`) beside ours.
fn report(
    backend: &str,
    (t, peak): (Duration, f64),
    loader: &str,
    base: Option<Duration>,
    missing: &str,
) {
    let versus = base.map_or_else(
        || format!("n/a ({missing})"),
        |b| {
            format!(
                "{:.1} ms -> ours/theirs = {:.2}",
                ms(b),
                t.as_secs_f64() / b.as_secs_f64()
            )
        },
    );
    println!(
        "{backend:<8} import (median of {RUNS}): {:>8.1} ms   peak heap {peak:.2}x file   {loader} {versus}",
        ms(t)
    );
}

fn which(tool: &str) -> Option<()> {
    Command::new(tool)
        .arg("--version")
        .output()
        .ok()
        .map(|_| ())
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("import-bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let file = dir.join("targets-10k.csv");
    let size = generate(&file);
    println!(
        "file: {} rows, {:.2} MB ({size} bytes)",
        ROWS,
        size as f64 / 1e6
    );

    let bytes = std::fs::read(&file).expect("read");
    let mut parse = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let (targets, _) =
            atl_import::import_all(&bytes, &ImportOptions::default()).expect("parse");
        parse.push(t.elapsed());
        assert_eq!(targets.len(), ROWS);
    }
    println!(
        "parse + validate only:        {:>8.1} ms",
        ms(median(parse))
    );
    drop(bytes);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let sqlite = atl_testkit::sqlite_store().await;
        let ours = bench_store(&sqlite, &file, size).await;
        let base = sqlite_baseline(&file, &dir);
        report("SQLite", ours, "sqlite3 .import", base, "no sqlite3");
        match atl_testkit::postgres_store().await {
            Some(pg) => {
                let ours = bench_store(&pg, &file, size).await;
                let url = std::env::var("ATL_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
                let base = postgres_baseline(&file, &url);
                report("Postgres", ours, "COPY", base, "no psql");
            }
            None => println!("Postgres: SKIPPED (no server)"),
        }
    });
}
