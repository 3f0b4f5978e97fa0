//! How hard the governor may drive one provider: rate limits, the concurrency ceiling,
//! the per-attempt timeout and the circuit breaker's thresholds, with documented defaults
//! per vendor. `atl.toml` overrides any of them.

use std::fmt;
use std::time::Duration;

/// What a rate counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    Requests,
    /// Input and output tokens together (OpenAI, Cerebras: input estimate +
    /// `max_tokens`, checked before the call).
    Tokens,
    InputTokens,
    OutputTokens,
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Measure::Requests => "requests",
            Measure::Tokens => "tokens",
            Measure::InputTokens => "input_tokens",
            Measure::OutputTokens => "output_tokens",
        })
    }
}

/// At most `units` of `measure` in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub measure: Measure,
    pub units: u64,
    pub window: Duration,
}

impl Rate {
    pub const fn per(measure: Measure, units: u64, window: Duration) -> Rate {
        Rate {
            measure,
            units,
            window,
        }
    }

    pub const fn per_minute(measure: Measure, units: u64) -> Rate {
        Rate::per(measure, units, Duration::from_secs(60))
    }
}

/// How hard the governor may drive one provider/model.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Requests per minute; `None` = no limit.
    pub rpm: Option<u32>,
    /// Tokens per minute (input estimate + `max_tokens`, reserved up front); `None` = no
    /// limit.
    pub tpm: Option<u64>,
    /// The concurrency ceiling; the governor halves its working limit on 429s and climbs
    /// back to this.
    pub max_concurrency: u32,
    /// One attempt's time limit.
    pub timeout: Duration,
    /// The longest the governor waits for a rate slot; a slot further away fails the
    /// call at once with a rate-limit error carrying the wait (another route, or the job
    /// later, does better than a worker parked on a timer).
    pub max_admission_wait: Duration,
    /// Consecutive health failures (5xx, timeouts, connection errors) that open the breaker.
    pub breaker_failures: u32,
    /// How long an open breaker stays open before one probe is let through.
    pub breaker_cooldown: Duration,
    /// Successes needed to raise the working concurrency by one after a 429.
    pub recover_after: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rpm: None,
            tpm: None,
            max_concurrency: 16,
            timeout: Duration::from_secs(60),
            max_admission_wait: Duration::from_secs(2),
            breaker_failures: 5,
            breaker_cooldown: Duration::from_secs(30),
            recover_after: 10,
        }
    }
}

impl Limits {
    /// Defaults per provider, from provider-apis.md. They are deliberately the low end
    /// (free or entry tiers): a paid account raises them in `atl.toml`.
    pub fn for_provider(name: &str) -> Limits {
        let d = Limits::default();
        let llm = Limits {
            timeout: Duration::from_secs(120),
            ..d.clone()
        };
        match name {
            // §2: no RPM/TPM, a per-account concurrency cap (2,500 on Flash); 429 means
            // too many in flight. Under load DeepSeek holds the connection open, hence
            // the long timeout.
            "deepseek" => Limits {
                max_concurrency: 64,
                timeout: Duration::from_secs(180),
                ..llm
            },
            // §3: free tier ≈ 30 RPM / 60K TPM per model; tokens are checked up front
            // against input + max_completion_tokens.
            "cerebras" => Limits {
                rpm: Some(30),
                tpm: Some(60_000),
                max_concurrency: 8,
                ..llm
            },
            // §4: no fixed cap on paid models (`:free` variants: 20 RPM).
            "openrouter" => Limits {
                max_concurrency: 16,
                ..llm
            },
            // §1: the documented sample limits (60 RPM / 150K TPM); tier-dependent.
            "openai" => Limits {
                rpm: Some(60),
                tpm: Some(150_000),
                ..llm
            },
            // §5: captured limits 1,000 RPM and 96K tokens/min (input 80K + output 16K).
            "anthropic" => Limits {
                rpm: Some(1_000),
                tpm: Some(96_000),
                ..llm
            },
            // §7: enrichment bucket 50/min on the free plan (fixed windows; 1,000 on paid
            // plans).
            "apollo" => Limits {
                rpm: Some(50),
                max_concurrency: 8,
                timeout: Duration::from_secs(30),
                ..d
            },
            // §6: limits are concurrency (429), undocumented per plan; keep it small.
            "cartesia" => Limits {
                max_concurrency: 4,
                ..d
            },
            // §8.1: development key 100 RPM.
            "tavily" => Limits {
                rpm: Some(100),
                timeout: Duration::from_secs(30),
                ..d
            },
            // §8.2: the old free plan allowed 1 request/s.
            "brave" => Limits {
                rpm: Some(60),
                max_concurrency: 4,
                timeout: Duration::from_secs(30),
                ..d
            },
            // §9: Email Verifier 300/min (Finder 500/min); no Retry-After.
            "hunter" => Limits {
                rpm: Some(300),
                max_concurrency: 8,
                timeout: Duration::from_secs(30),
                ..d
            },
            "ollama" => Limits {
                max_concurrency: 4,
                timeout: Duration::from_secs(300),
                ..llm
            },
            _ => llm,
        }
    }

    /// Limits for the local sandbox: no rate limits (it injects its own 429s when asked),
    /// generous concurrency, a short breaker cool-down so fault tests run fast.
    pub fn sandbox() -> Limits {
        Limits {
            max_concurrency: 64,
            timeout: Duration::from_secs(30),
            breaker_cooldown: Duration::from_secs(5),
            ..Limits::default()
        }
    }

    /// The rates calls to `endpoint` are admitted under, each with the name of the
    /// bucket it counts in (empty: the endpoint's own).
    pub fn rates_for(&self, _endpoint: &str) -> Vec<(String, Rate)> {
        let mut rates = Vec::new();
        if let Some(rpm) = self.rpm {
            rates.push((
                String::new(),
                Rate::per_minute(Measure::Requests, rpm.into()),
            ));
        }
        if let Some(tpm) = self.tpm {
            rates.push((String::new(), Rate::per_minute(Measure::Tokens, tpm)));
        }
        rates
    }
}
