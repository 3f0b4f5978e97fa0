//! What one sub-agent produced for one target: the unit the job ledger commits.

use crate::SubAgentKind;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A file a run wrote under a name of its own (`temp_path`, which carries the run's
/// attempt) that belongs at `final_path` once the result is committed. The engine moves
/// it into place only after the completion that holds the job's lease has committed, and
/// deletes it when that completion is refused: a run that lost its lease can never
/// replace a committed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artefact {
    pub temp_path: PathBuf,
    pub final_path: PathBuf,
}

/// A finished sub-agent run, ready to be committed with its job. Money is integer
/// nano-dollars (1e-9 USD) so that a campaign's cost is an exact sum of its results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentResult {
    pub kind: SubAgentKind,
    /// The sub-agent's structured output: its record of the typed contract
    /// (`records::encode`), read back by field.
    pub data: serde_json::Value,
    /// Every URL the result rests on.
    pub sources: Vec<String>,
    /// 0–1, computed from evidence (sources, verification, completeness).
    pub confidence: f64,
    /// `None` when a provider's price was unknown: unknown is never reported as zero.
    pub cost_nano_usd: Option<i64>,
    pub latency_ms: i64,
    pub provider: String,
    pub model: String,
    pub tokens_in: i64,
    pub tokens_out: i64,
    /// True when any provider behind this result was the sandbox.
    pub synthetic: bool,
    /// Files to move into place when the result commits (never stored in the database;
    /// `data` names their final paths).
    #[serde(skip)]
    pub artefacts: Vec<Artefact>,
}
