//! The voice sub-agent's output: a cold-call script and, when rendered, its audio.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objection {
    pub objection: String,
    pub response: String,
}

/// The rendered audio of a script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Audio {
    /// Relative to the data directory (`audio/target-12-a1.wav`).
    pub path: String,
    pub seconds: f64,
    pub tts_provider: String,
}

/// A personalised cold-call script.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallScript {
    pub opener: String,
    pub reason: String,
    /// The URL the reason rests on (a fresh news item or signal); `None` for a generic
    /// reason.
    #[serde(default)]
    pub reason_source: Option<String>,
    #[serde(default)]
    pub questions: Vec<String>,
    #[serde(default)]
    pub objections: Vec<Objection>,
    pub close: String,
    /// What is spoken: opener, reason, questions, close (objections are notes for the rep).
    pub text: String,
    /// Written without research: the reason is general, not about this account.
    #[serde(default)]
    pub generic: bool,
    /// The name the opener greets, when a contact is known.
    #[serde(default)]
    pub greeting_name: Option<String>,
    /// The audio, once rendered (on demand by default).
    #[serde(default)]
    pub audio: Option<Audio>,
}
