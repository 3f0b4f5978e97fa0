//! The route chains the four sub-agents start from; configuration (`ATL_ROUTE_<AGENT>`,
//! `[routes]` in `atl.toml`) may replace any of them.

use atl_providers::route::Route;

/// Default chains, by the sub-agent's name. DeepSeek retired `deepseek-chat` on
/// 2026-07-24, so research and intel use `deepseek-flash`, its successor at the same
/// tier; enrichment uses Claude Sonnet 5.5; voice uses Cerebras' `gpt-oss-120b` (the live
/// fast model). The OpenRouter fallback is `openai/gpt-oss-120b`, a slug listed with a
/// price.
pub fn default_routes() -> Vec<(&'static str, Vec<Route>)> {
    let deepseek = || Route::new("deepseek", "deepseek-flash");
    let openrouter = || Route::new("openrouter", "openai/gpt-oss-120b");
    let cerebras = || Route::new("cerebras", "gpt-oss-120b");
    vec![
        ("research", vec![deepseek(), openrouter(), cerebras()]),
        ("intel", vec![deepseek(), openrouter(), cerebras()]),
        (
            "enrichment",
            vec![
                Route::new("anthropic", "claude-sonnet-5-5"),
                openrouter(),
                deepseek(),
            ],
        ),
        ("voice", vec![cerebras(), deepseek()]),
    ]
}
