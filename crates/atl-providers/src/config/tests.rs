//! Configuration resolved from an environment map and the text of `atl.toml`.

use super::*;
use crate::limits::Measure;
use crate::testing::chains;
use std::time::Duration;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_without_keys_are_unusable_but_have_documented_bases() {
    let c = ProvidersConfig::from_sources(&HashMap::new(), None, &chains()).unwrap();
    let d = c.provider("deepseek").unwrap();
    assert!(!d.is_usable());
    assert_eq!(
        d.endpoint("chat/completions").unwrap().as_str(),
        "https://api.deepseek.com/chat/completions"
    );
    let cb = c.provider("cerebras").unwrap();
    assert_eq!(
        cb.endpoint("/chat/completions").unwrap().as_str(),
        "https://api.cerebras.ai/v1/chat/completions"
    );
    assert_eq!(
        c.provider("openrouter")
            .unwrap()
            .endpoint("chat/completions")
            .unwrap()
            .as_str(),
        "https://openrouter.ai/api/v1/chat/completions"
    );
    assert_eq!(
        c.provider("apollo")
            .unwrap()
            .endpoint("/api/v1/people/match")
            .unwrap()
            .as_str(),
        "https://api.apollo.io/api/v1/people/match"
    );
    assert_eq!(
        c.provider("anthropic").unwrap().kind,
        ProviderKind::Anthropic
    );
    assert!(c.provider("ollama").is_none());
    let rpm = |p: &str| c.provider(p).unwrap().limits.per_minute(Measure::Requests);
    assert_eq!(rpm("apollo"), Some(50));
    assert_eq!(rpm("deepseek"), None);
    assert_eq!(
        c.provider("cerebras")
            .unwrap()
            .limits
            .per_minute(Measure::Tokens),
        Some(60_000)
    );
}

#[test]
fn env_keys_and_base_urls() {
    let e = env(&[
        ("DEEPSEEK_API_KEY", "sk-ds"),
        ("CEREBRAS_API_KEY", "  "),
        ("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"),
        ("OLLAMA_BASE_URL", "http://localhost:11434/v1"),
    ]);
    let c = ProvidersConfig::from_sources(&e, None, &chains()).unwrap();
    assert_eq!(
        c.provider("deepseek")
            .unwrap()
            .api_key
            .as_ref()
            .unwrap()
            .expose(),
        "sk-ds"
    );
    assert!(
        !c.provider("cerebras").unwrap().is_usable(),
        "blank key counts as absent"
    );
    assert_eq!(
        c.provider("openai").unwrap().base_url.as_str(),
        "http://127.0.0.1:8000/v1"
    );
    let o = c.provider("ollama").unwrap();
    assert!(o.is_usable() && o.keyless && o.kind == ProviderKind::OpenAiCompatible);
    assert!(
        !format!("{c:?}").contains("sk-ds"),
        "config Debug must not leak keys"
    );
}

#[test]
fn toml_overrides_env() {
    let e = env(&[
        ("DEEPSEEK_API_KEY", "from-env"),
        ("DEEPSEEK_BASE_URL", "http://env.example"),
    ]);
    let t = r#"
        [server]
        port = 8080

        [providers.deepseek]
        api_key = "from-file"
        base_url = "http://file.example/v1"
        rpm = 10
        tpm = 0
        max_concurrency = 3
        timeout_secs = 2.5
        max_admission_wait_secs = 0.5

        [providers.cerebras]
        rpm = 0

        [providers.vllm]
        base_url = "http://10.0.0.5:8000/v1"

        [routes]
        research = ["vllm:llama-3", "deepseek:deepseek-flash"]

        [pricing.deepseek."deepseek-flash"]
        input = 0.2

        [pricing.vllm."llama-3"]
        input = 0.0
        output = 0.0
    "#;
    let c = ProvidersConfig::from_sources(&e, Some(t), &chains()).unwrap();
    let d = c.provider("deepseek").unwrap();
    assert_eq!(d.api_key.as_ref().unwrap().expose(), "from-file");
    assert_eq!(d.base_url.as_str(), "http://file.example/v1");
    assert_eq!(d.limits.per_minute(Measure::Requests), Some(10));
    assert_eq!(d.limits.per_minute(Measure::Tokens), None);
    assert_eq!(d.limits.max_concurrency, 3);
    assert_eq!(d.limits.timeout, Duration::from_millis(2500));
    assert_eq!(d.limits.max_admission_wait, Duration::from_millis(500));
    assert_eq!(
        c.provider("cerebras")
            .unwrap()
            .limits
            .per_minute(Measure::Requests),
        None
    );
    let v = c.provider("vllm").unwrap();
    assert!(v.keyless && v.kind == ProviderKind::OpenAiCompatible);
    assert_eq!(c.routes_for("research")[0], Route::new("vllm", "llama-3"));
    // Other agents keep their defaults.
    assert_eq!(c.routes_for("enrichment")[0].provider, "anthropic");
    assert_eq!(
        c.prices.get("deepseek", "deepseek-flash").unwrap().input,
        0.2
    );
    // What the file does not name keeps its default.
    assert_eq!(
        c.prices.get("deepseek", "deepseek-flash").unwrap().output,
        0.60
    );
    assert!(c.prices.get("vllm", "llama-3").is_some());
}

#[test]
fn env_route_override() {
    let e = env(&[(
        "ATL_ROUTE_VOICE",
        "deepseek:deepseek-flash, cerebras:gpt-oss-120b",
    )]);
    let c = ProvidersConfig::from_sources(&e, None, &chains()).unwrap();
    assert_eq!(
        c.routes_for("voice"),
        &[
            Route::new("deepseek", "deepseek-flash"),
            Route::new("cerebras", "gpt-oss-120b")
        ]
    );
}

#[test]
fn mistakes_are_reported_not_ignored() {
    let none = HashMap::new();
    let bad = |t: &str| ProvidersConfig::from_sources(&none, Some(t), &chains()).unwrap_err();
    let is_kind = |e: &ConfigError, kind: &str| match kind {
        "toml" => matches!(e, ConfigError::Toml(_)),
        "provider" => matches!(e, ConfigError::Provider { .. }),
        "route" => matches!(e, ConfigError::Route { .. }),
        "base_url" => matches!(e, ConfigError::BaseUrl { .. }),
        "price" => matches!(e, ConfigError::Price { .. }),
        _ => false,
    };
    for (text, kind) in [
        ("[providers.deepseek]\nrmp = 10\n", "toml"),
        ("[providers.deepseek]\nmax_retries = 3\n", "toml"),
        ("[providers.vllm]\nrpm = 10\n", "provider"),
        ("[routes]\nresearch = [\"nobody:x\"]\n", "route"),
        ("[routes]\nresearch = [\"deepseek\"]\n", "route"),
        ("[providers.deepseek]\nbase_url = \"ftp://x\"\n", "base_url"),
        ("[pricing.deepseek.x]\ninput = -1.0\n", "price"),
        ("[providers.deepseek]\nmax_concurrency = 0\n", "provider"),
    ] {
        let e = bad(text);
        assert!(is_kind(&e, kind), "{text:?}: {e:?}");
    }
    let e = env(&[("APOLLO_BASE_URL", "not a url")]);
    assert!(matches!(
        ProvidersConfig::from_sources(&e, None, &chains()),
        Err(ConfigError::BaseUrl { .. })
    ));
}

#[test]
fn sandbox_points_everything_at_one_origin() {
    let c = ProvidersConfig::sandbox(Url::parse("http://127.0.0.1:4010").unwrap(), &chains());
    for p in c.providers.values() {
        assert!(p.is_usable(), "{}", p.name);
        assert!(
            p.base_url.as_str().starts_with("http://127.0.0.1:4010"),
            "{}",
            p.base_url
        );
    }
    assert_eq!(
        c.provider("deepseek")
            .unwrap()
            .endpoint("chat/completions")
            .unwrap()
            .as_str(),
        "http://127.0.0.1:4010/v1/chat/completions"
    );
    assert_eq!(
        c.provider("anthropic")
            .unwrap()
            .endpoint("/v1/messages")
            .unwrap()
            .as_str(),
        "http://127.0.0.1:4010/v1/messages"
    );
    assert_eq!(
        c.provider("tavily")
            .unwrap()
            .endpoint("/search")
            .unwrap()
            .as_str(),
        "http://127.0.0.1:4010/search"
    );
    assert_eq!(
        c.provider("apollo")
            .unwrap()
            .limits
            .per_minute(Measure::Requests),
        None
    );
}

#[test]
fn chains_are_the_callers() {
    // No chains given: none invented.
    let c = ProvidersConfig::from_sources(&HashMap::new(), None, &[]).unwrap();
    assert!(c.routes.is_empty());
    // Any name works, with its environment override.
    let scoring = [(
        "lead-scoring",
        vec![Route::new("deepseek", "deepseek-flash")],
    )];
    let e = env(&[("ATL_ROUTE_LEAD_SCORING", "cerebras:gpt-oss-120b")]);
    let c = ProvidersConfig::from_sources(&e, None, &scoring).unwrap();
    assert_eq!(
        c.routes_for("lead-scoring"),
        &[Route::new("cerebras", "gpt-oss-120b")]
    );
    let c = ProvidersConfig::sandbox(Url::parse("http://127.0.0.1:1").unwrap(), &scoring);
    assert_eq!(c.routes_for("lead-scoring").len(), 1);
    assert!(c.routes_for("research").is_empty());
}

#[test]
fn tiers_select_documented_limits_and_explicit_figures_win() {
    let t = r#"
        [providers.apollo]
        tier = "basic"
        [providers.cerebras]
        tier = "paygo"
        rpm = 500
        [providers.anthropic]
        output_tpm = 32000
    "#;
    let c = ProvidersConfig::from_sources(&HashMap::new(), Some(t), &chains()).unwrap();
    let apollo = &c.provider("apollo").unwrap().limits;
    assert_eq!(apollo.tier.as_deref(), Some("basic"));
    assert_eq!(apollo.per_minute(Measure::Requests), Some(1_000));
    let cerebras = &c.provider("cerebras").unwrap().limits;
    assert_eq!(
        cerebras.per_minute(Measure::Requests),
        Some(500),
        "rpm beats the tier"
    );
    assert_eq!(
        cerebras.per_minute(Measure::Tokens),
        Some(1_000_000),
        "the tier's tokens stay"
    );
    let anthropic = &c.provider("anthropic").unwrap().limits;
    assert_eq!(anthropic.per_minute(Measure::OutputTokens), Some(32_000));
    assert_eq!(anthropic.per_minute(Measure::InputTokens), Some(80_000));
    let e = ProvidersConfig::from_sources(
        &HashMap::new(),
        Some("[providers.apollo]\ntier = \"gold\"\n"),
        &chains(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("unknown tier \"gold\" for apollo"),
        "{e}"
    );
}
