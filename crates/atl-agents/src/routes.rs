//! The route chains the four sub-agents start from; configuration (`ATL_ROUTE_<AGENT>`,
//! `[routes]` in `atl.toml`) may replace any of them.
//!
//! Each step lists the models that can do its job, and the chain is those models
//! **cheapest first by the default price table**, for the call the step makes (its
//! typical prompt, the part of it a provider's prompt cache serves, its answer). The
//! rest of the list stays behind the first as failover. Every step here extracts or
//! writes from material it is given (a brief from a pack of evidence, a script from a
//! brief), which small fast models do well; no step needs a large model, so none is in
//! a default chain. A price change in the table reorders the chains; a configured price
//! (`[pricing]`) does not, since the defaults must not depend on one installation.

use atl_providers::pricing::PriceTable;
use atl_providers::route::Route;
use atl_providers::usage::Usage;

/// The call a step makes, in tokens.
struct Shape {
    prompt: u64,
    /// The stable head of the prompt (system prompt and schema) that a provider's prompt
    /// cache serves after the first call.
    cached: u64,
    output: u64,
}

/// DeepSeek retired `deepseek-chat` on 2026-07-24: `deepseek-flash` is its successor at
/// the same tier. `openai/gpt-oss-120b` is OpenRouter's slug for the model Cerebras
/// serves as `gpt-oss-120b`.
const DEEPSEEK: Model = ("deepseek", "deepseek-flash");
const OPENROUTER: Model = ("openrouter", "openai/gpt-oss-120b");
const CEREBRAS: Model = ("cerebras", "gpt-oss-120b");
const HAIKU: Model = ("anthropic", "claude-haiku-5-5");

/// A model: (provider, model).
type Model = (&'static str, &'static str);

/// (step, its call, the models that can make it).
const STEPS: &[(&str, Shape, &[Model])] = &[
    (
        "research",
        Shape {
            prompt: 2_600,
            cached: 700,
            output: 600,
        },
        &[DEEPSEEK, OPENROUTER, CEREBRAS],
    ),
    (
        "intel",
        Shape {
            prompt: 2_400,
            cached: 600,
            output: 500,
        },
        &[DEEPSEEK, OPENROUTER, CEREBRAS],
    ),
    // The waterfall calls no model today; a judgment call (which evidenced person fits
    // a persona) would be one short prompt.
    (
        "enrichment",
        Shape {
            prompt: 800,
            cached: 300,
            output: 60,
        },
        &[HAIKU, DEEPSEEK, OPENROUTER],
    ),
    (
        "voice",
        Shape {
            prompt: 1_500,
            cached: 400,
            output: 450,
        },
        &[CEREBRAS, DEEPSEEK, OPENROUTER],
    ),
];

/// Default chains, by the sub-agent's name.
pub fn default_routes() -> Vec<(&'static str, Vec<Route>)> {
    chains(&PriceTable::defaults())
}

/// The chains as `prices` order them (a model without a price goes last, the listed
/// order breaking ties).
fn chains(prices: &PriceTable) -> Vec<(&'static str, Vec<Route>)> {
    STEPS
        .iter()
        .map(|(step, shape, models)| {
            let usage = Usage {
                input_tokens: shape.prompt,
                cached_input_tokens: shape.cached,
                output_tokens: shape.output,
                ..Usage::default()
            };
            let mut priced: Vec<(f64, Route)> = models
                .iter()
                .map(|(p, m)| {
                    let cost = prices.cost(p, m, &usage).unwrap_or(f64::INFINITY);
                    (cost, Route::new(*p, *m))
                })
                .collect();
            priced.sort_by(|a, b| a.0.total_cmp(&b.0));
            (*step, priced.into_iter().map(|(_, r)| r).collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use atl_providers::pricing::Price;

    fn first(chains: &[(&str, Vec<Route>)], step: &str) -> String {
        let (_, c) = chains.iter().find(|(s, _)| *s == step).expect("step");
        format!("{}:{}", c[0].provider, c[0].model)
    }

    #[test]
    fn every_step_starts_with_its_cheapest_model_and_keeps_the_others_behind() {
        let prices = PriceTable::defaults();
        let routes = default_routes();
        assert_eq!(routes.len(), 4);
        for (step, chain) in &routes {
            let (_, shape, models) = STEPS.iter().find(|(s, ..)| s == step).expect("step");
            assert_eq!(chain.len(), models.len(), "{step}: failover kept");
            let usage = Usage {
                input_tokens: shape.prompt,
                cached_input_tokens: shape.cached,
                output_tokens: shape.output,
                ..Usage::default()
            };
            let costs: Vec<f64> = chain
                .iter()
                .map(|r| prices.cost(&r.provider, &r.model, &usage).expect("priced"))
                .collect();
            assert!(
                costs.windows(2).all(|w| w[0] <= w[1]),
                "{step}: cheapest first: {chain:?} {costs:?}"
            );
        }
    }

    #[test]
    fn a_price_change_reorders_the_chain() {
        let mut prices = PriceTable::defaults();
        // Make every other model of the step dearer than DeepSeek.
        for (p, m) in [OPENROUTER, CEREBRAS] {
            prices.set(p, m, Price::tokens(50.0, None, 50.0));
        }
        assert_eq!(first(&chains(&prices), "voice"), "deepseek:deepseek-flash");
        prices.set(DEEPSEEK.0, DEEPSEEK.1, Price::tokens(90.0, None, 90.0));
        assert_ne!(first(&chains(&prices), "voice"), "deepseek:deepseek-flash");
    }
}
