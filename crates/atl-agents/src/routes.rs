//! The sub-agents' default model routes: which provider and model each step tries first,
//! and the failover chain after it. Chosen per step from the price table: a small fast
//! model for extraction and scripts. Enrichment has no route: it makes no model call.
//!
//! Prices per million tokens (input / output) when these were chosen: OpenRouter's
//! `openai/gpt-oss-120b` from 0.039 / 0.18, DeepSeek `deepseek-flash` 0.15 / 0.60 off-peak,
//! Cerebras `gpt-oss-120b` 0.35 / 0.75. The cheapest leads; the others stand in when it
//! fails. Configuration (`atl.toml` `[routes]`) overrides any chain.

use atl_providers::router::Route;

pub fn default_routes() -> Vec<(&'static str, Vec<Route>)> {
    let openrouter = || Route::new("openrouter", "openai/gpt-oss-120b");
    let deepseek = || Route::new("deepseek", "deepseek-flash");
    let cerebras = || Route::new("cerebras", "gpt-oss-120b");
    vec![
        ("research", vec![openrouter(), deepseek(), cerebras()]),
        ("intel", vec![openrouter(), deepseek(), cerebras()]),
        ("voice", vec![openrouter(), cerebras(), deepseek()]),
    ]
}
