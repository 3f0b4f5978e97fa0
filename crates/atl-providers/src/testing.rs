//! Fixtures this crate's unit and integration suites share (built for tests and behind
//! the `test-support` feature, never into a release build).

use crate::route::Route;

/// The chains the sub-agents use, as a caller of this crate would pass them.
pub fn chains() -> Vec<(&'static str, Vec<Route>)> {
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
