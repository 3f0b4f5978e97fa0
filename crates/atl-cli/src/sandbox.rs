//! `atl sandbox`: the provider sandbox as a standalone server.

use anyhow::{Context, Result};
use atl_sandbox::{Family, Latency, Sandbox, SandboxConfig};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

pub async fn serve(
    port: u16,
    config: Option<PathBuf>,
    latency_ms: Option<u64>,
) -> Result<ExitCode> {
    let mut cfg = match &config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_str::<SandboxConfig>(&text)
                .with_context(|| format!("{} is not a sandbox configuration", path.display()))?
        }
        None => SandboxConfig::default(),
    };
    if let Some(ms) = latency_ms {
        for family in Family::ALL {
            cfg.family_mut(family).latency = Latency::Fixed { ms };
        }
    }
    // Loopback only: the sandbox is a test double, never a service for other machines.
    let sandbox = Sandbox::start(SocketAddr::from((Ipv4Addr::LOCALHOST, port)), cfg)
        .await
        .context("cannot start the sandbox")?;
    println!(
        "atl sandbox: serving synthetic provider APIs on {}",
        sandbox.base_url()
    );
    println!(
        "point ATL at it with: export ATL_SANDBOX_URL={}",
        sandbox.base_url()
    );
    println!("press Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    sandbox.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
