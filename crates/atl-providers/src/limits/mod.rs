//! How hard the governor may drive one provider: rate limits as the provider counts them
//! (per key and per bucket of endpoints, from the documented tier's table in [`tiers`]),
//! the concurrency ceiling, the per-attempt timeout and the circuit breaker's thresholds.
//! `atl.toml` picks a tier and overrides any figure.

mod tiers;

use crate::catalogue;
use ring::digest;
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

const MINUTE: Duration = Duration::from_secs(60);

impl Rate {
    pub const fn per(measure: Measure, units: u64, window: Duration) -> Rate {
        Rate {
            measure,
            units,
            window,
        }
    }

    pub const fn per_minute(measure: Measure, units: u64) -> Rate {
        Rate::per(measure, units, MINUTE)
    }
}

/// The rates of one bucket: the endpoints that count together under them.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketRates {
    pub name: String,
    /// Empty: every endpoint no other bucket names.
    pub endpoints: Vec<String>,
    /// Counted per endpoint (a model each) rather than across them.
    pub per_endpoint: bool,
    /// Its per-minute request limit is the main bucket's divided by this.
    pub share_of_main: Option<u64>,
    pub rates: Vec<Rate>,
}

/// How hard the governor may drive one provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// The documented tier the rates come from (`None`: the vendor has no table).
    pub tier: Option<String>,
    /// The vendor's buckets, its main one first.
    pub buckets: Vec<BucketRates>,
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
    /// No rates (one catch-all bucket without any), 16 in flight, a 60 s timeout.
    fn default() -> Self {
        Limits {
            tier: None,
            buckets: vec![catch_all()],
            max_concurrency: 16,
            timeout: Duration::from_secs(60),
            max_admission_wait: Duration::from_secs(2),
            breaker_failures: 5,
            breaker_cooldown: Duration::from_secs(30),
            recover_after: 10,
        }
    }
}

fn catch_all() -> BucketRates {
    BucketRates {
        name: "default".into(),
        endpoints: Vec::new(),
        per_endpoint: false,
        share_of_main: None,
        rates: Vec::new(),
    }
}

/// A fingerprint of an API key that names its rate counters: the first 8 bytes of its
/// SHA-256, in hex. Two keys of one vendor count apart; the key itself is never stored
/// or shared. `keyless` for servers without one.
pub fn key_fingerprint(key: Option<&str>) -> String {
    match key.map(str::trim).filter(|k| !k.is_empty()) {
        None => "keyless".into(),
        Some(k) => {
            let d = digest::digest(&digest::SHA256, k.as_bytes());
            d.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
        }
    }
}

impl Limits {
    /// Defaults per provider: its default (lowest) tier's rates and the settings below.
    pub fn for_provider(name: &str) -> Limits {
        // The default tier always exists when a vendor has a table.
        Self::for_tier(name, None).unwrap_or_else(|_| base(name))
    }

    /// `name`'s limits on `tier` (`None`: its default tier). `Err` names the tiers there
    /// are.
    pub fn for_tier(name: &str, tier: Option<&str>) -> Result<Limits, String> {
        let mut l = base(name);
        l.buckets = catalogue::buckets(name)
            .iter()
            .map(|b| BucketRates {
                name: b.name.into(),
                endpoints: b.endpoints.iter().map(|e| (*e).to_owned()).collect(),
                per_endpoint: b.per_endpoint,
                share_of_main: b.share_of_main,
                rates: Vec::new(),
            })
            .collect();
        if let Some((tier, table)) = tiers::rates(name, tier)? {
            l.tier = Some(tier.into());
            for (bucket, rates) in table {
                if let Some(b) = l.buckets.iter_mut().find(|b| b.name == *bucket) {
                    b.rates = rates.to_vec();
                }
            }
        }
        Ok(l)
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

    /// Set the main bucket's per-minute `measure` limit (`None` removes it); buckets that
    /// are a share of the main one follow its request limit.
    pub fn with_per_minute(mut self, measure: Measure, units: Option<u64>) -> Self {
        if self.buckets.is_empty() {
            self.buckets.push(catch_all());
        }
        set_per_minute(&mut self.buckets[0].rates, measure, units);
        if measure == Measure::Requests {
            for b in self.buckets.iter_mut().skip(1) {
                if let Some(share) = b.share_of_main {
                    let shared = units.map(|u| (u / share).max(1));
                    set_per_minute(&mut b.rates, Measure::Requests, shared);
                }
            }
        }
        self
    }

    /// Requests per minute of the main bucket.
    pub fn with_rpm(self, rpm: u64) -> Self {
        self.with_per_minute(Measure::Requests, Some(rpm))
    }

    /// Tokens per minute (input estimate + `max_tokens`) of the main bucket.
    pub fn with_tpm(self, tpm: u64) -> Self {
        self.with_per_minute(Measure::Tokens, Some(tpm))
    }

    /// The main bucket's per-minute limit of `measure`, when it has one.
    pub fn per_minute(&self, measure: Measure) -> Option<u64> {
        self.buckets.first().and_then(|b| {
            b.rates
                .iter()
                .find(|r| r.measure == measure && r.window == MINUTE)
                .map(|r| r.units)
        })
    }

    /// The rates calls to `endpoint` are admitted under, each with the name of the
    /// counter it counts in: the buckets that name the endpoint, or else the catch-all
    /// ones.
    pub fn rates_for(&self, endpoint: &str) -> Vec<(String, Rate)> {
        let named: Vec<&BucketRates> = self
            .buckets
            .iter()
            .filter(|b| b.endpoints.iter().any(|e| e == endpoint))
            .collect();
        let buckets = if named.is_empty() {
            self.buckets
                .iter()
                .filter(|b| b.endpoints.is_empty())
                .collect()
        } else {
            named
        };
        buckets
            .into_iter()
            .flat_map(|b| {
                let name = if b.per_endpoint {
                    format!("{}:{endpoint}", b.name)
                } else {
                    b.name.clone()
                };
                b.rates.iter().map(move |r| (name.clone(), *r))
            })
            .collect()
    }
}

fn set_per_minute(rates: &mut Vec<Rate>, measure: Measure, units: Option<u64>) {
    rates.retain(|r| !(r.measure == measure && r.window == MINUTE));
    if let Some(u) = units.filter(|u| *u > 0) {
        rates.push(Rate::per_minute(measure, u));
    }
}

/// Everything but the rates, per provider.
fn base(name: &str) -> Limits {
    let d = Limits::default();
    let llm = Limits {
        timeout: Duration::from_secs(120),
        ..d.clone()
    };
    match name {
        // DeepSeek caps requests in flight per account (2,500 on Flash); under load it
        // holds connections open, hence the long timeout.
        "deepseek" => Limits {
            max_concurrency: 64,
            timeout: Duration::from_secs(180),
            ..llm
        },
        "cerebras" => Limits {
            max_concurrency: 8,
            ..llm
        },
        "openrouter" | "openai" | "anthropic" => llm,
        "apollo" => Limits {
            max_concurrency: 8,
            timeout: Duration::from_secs(30),
            ..d
        },
        // Cartesia limits concurrency (429), undocumented per plan; keep it small.
        "cartesia" => Limits {
            max_concurrency: 4,
            ..d
        },
        "tavily" | "serper" => Limits {
            timeout: Duration::from_secs(30),
            ..d
        },
        "brave" => Limits {
            max_concurrency: 4,
            timeout: Duration::from_secs(30),
            ..d
        },
        "hunter" => Limits {
            max_concurrency: 8,
            timeout: Duration::from_secs(30),
            ..d
        },
        "ollama" => Limits {
            max_concurrency: 4,
            timeout: Duration::from_secs(300),
            ..llm
        },
        // The SSRF-guarded fetcher: per site, a few pages at a time.
        catalogue::FETCH_PROVIDER => Limits {
            max_concurrency: 4,
            timeout: Duration::from_secs(20),
            ..d
        },
        _ => llm,
    }
}

#[cfg(test)]
mod tests;
