//! Suites that run a built binary (`atl`, a browser driver): a free local port, a child
//! process that is killed when dropped, and `atl sandbox` and `atl` commands set up the
//! way a user would run them.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free local port")
        .local_addr()
        .expect("the bound address")
        .port()
}

/// A child process, killed (and reaped) when dropped, so a failed test leaves none behind.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `atl sandbox` (the binary at `atl`) on a free port, every route answering after
/// `latency_ms`, with the fault config file at `config` when given; returned once it
/// accepts connections, with its origin.
pub fn atl_sandbox(atl: &str, latency_ms: u64, config: Option<&Path>) -> (Killed, String) {
    let port = free_port();
    let mut cmd = Command::new(atl);
    cmd.args([
        "sandbox",
        "--port",
        &port.to_string(),
        "--latency-ms",
        &latency_ms.to_string(),
    ]);
    if let Some(path) = config {
        cmd.arg("--config").arg(path);
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("atl sandbox starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the sandbox did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (Killed(child), format!("http://127.0.0.1:{port}"))
}

/// `program` (the `atl` binary, or a wrapper that runs it) started in `dir` against the
/// database `db` and the sandbox at `sandbox`, its data under `dir/data`, stderr piped.
pub fn atl_command(program: &str, dir: &Path, db: &str, sandbox: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env("ATL_DATABASE_URL", db)
        .env("ATL_SANDBOX_URL", sandbox)
        .env("ATL_DATA_DIR", dir.join("data"))
        .stderr(Stdio::piped());
    cmd
}
