//! Run the sandbox in the foreground: `cargo run -p atl-sandbox --example sandbox_serve [port]`.

use atl_sandbox::{Sandbox, SandboxConfig};
use std::net::SocketAddr;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args()
        .nth(1)
        .map(|p| p.parse())
        .transpose()?
        .unwrap_or(0);
    let sb = Sandbox::start(
        SocketAddr::from(([127, 0, 0, 1], port)),
        SandboxConfig::default(),
    )
    .await?;
    println!("{}", sb.base_url());
    tokio::signal::ctrl_c().await?;
    sb.shutdown().await;
    Ok(())
}
