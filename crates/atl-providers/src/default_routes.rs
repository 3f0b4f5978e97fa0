//! The route chains the sub-agents start from (configuration may replace any of them).

use crate::route::Route;

/// The sub-agents that have default routes. Routes are keyed by name, so configuration
/// may add others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Agent {
    Research,
    Intel,
    Enrichment,
    Voice,
}

impl Agent {
    pub const ALL: [Agent; 4] = [
        Agent::Research,
        Agent::Intel,
        Agent::Enrichment,
        Agent::Voice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Agent::Research => "research",
            Agent::Intel => "intel",
            Agent::Enrichment => "enrichment",
            Agent::Voice => "voice",
        }
    }
}

/// Default chains. DeepSeek retired `deepseek-chat` on 2026-07-24, so research and intel
/// use `deepseek-flash`, its successor at the same tier; enrichment uses Claude Sonnet
/// 5.5; voice uses Cerebras' `gpt-oss-120b` (the live fast model). The OpenRouter
/// fallback is `openai/gpt-oss-120b`, a slug listed with a price.
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
