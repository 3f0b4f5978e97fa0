//! Rendering a script to audio, and refusing audio that is not whole.
//!
//! A TTS answer cut mid-stream still starts with a valid header, so a file that merely
//! parses is not enough: the audio must last at least a fair share of what its text
//! takes to say (speech runs at about 15 characters a second; anything faster than 40
//! was cut). Refused audio is deleted and the run fails as transient, so it is rendered
//! again — never stored as complete.

use atl_domain::FailureKind;
use atl_domain::records::Audio;
use atl_providers::toolkit::Toolkit;
use atl_providers::tts::TtsEngine;
use atl_providers::{Metered, ProviderError};
use std::path::{Path, PathBuf};

/// Faster than this many characters a second is not speech but a cut answer.
const MAX_CHARS_PER_SECOND: f64 = 40.0;

/// Why audio was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AudioError {
    #[error("{0}")]
    Provider(ProviderError),
    #[error(
        "audio refused: {seconds:.1} s for {chars} characters is too short to be whole (a cut answer)"
    )]
    TooShort { seconds: f64, chars: usize },
}

impl AudioError {
    pub fn kind(&self) -> FailureKind {
        match self {
            AudioError::Provider(e) => crate::agent::AgentError::from(e.clone()).kind,
            AudioError::TooShort { .. } => FailureKind::Transient,
        }
    }
}

/// Where a target's audio goes: `audio/target-{id}-{tag}.wav` under `data_dir`. The tag
/// (the job's attempt, or the render's number) keeps a late writer from overwriting a
/// committed file.
pub fn audio_path(data_dir: &Path, target_id: i64, tag: &str) -> PathBuf {
    data_dir
        .join("audio")
        .join(format!("target-{target_id}-{tag}.wav"))
}

/// Whether audio of `seconds` can be the whole of `text`.
pub fn is_whole(seconds: f64, text: &str) -> bool {
    let chars = text.chars().count();
    chars == 0 || seconds * MAX_CHARS_PER_SECOND >= chars as f64
}

/// Speak `text` into `out` with `engine` (through the toolkit's governor and prices),
/// refusing audio that is not whole. `data_dir` is stripped from the stored path.
pub async fn render(
    toolkit: &Toolkit,
    engine: Option<&dyn TtsEngine>,
    text: &str,
    out: &Path,
    data_dir: &Path,
) -> Result<(Audio, Metered<()>), (AudioError, Option<Metered<()>>)> {
    let m = match engine {
        Some(e) => toolkit.synthesize_with(e, text, out).await,
        None => toolkit.synthesize(text, out).await,
    }
    .map_err(|e| (AudioError::Provider(e), None))?;
    let spent = Metered {
        value: (),
        usage: m.usage,
        cost_usd: m.cost_usd,
        provider: m.provider.clone(),
        model: m.model.clone(),
        latency: m.latency,
    };
    if !is_whole(m.value.seconds, text) {
        let _ = tokio::fs::remove_file(out).await;
        return Err((
            AudioError::TooShort {
                seconds: m.value.seconds,
                chars: text.chars().count(),
            },
            Some(spent),
        ));
    }
    let rel = out
        .strip_prefix(data_dir)
        .unwrap_or(out)
        .to_string_lossy()
        .to_string();
    Ok((
        Audio {
            path: rel,
            seconds: m.value.seconds,
            tts_provider: m.provider,
        },
        spent,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_audio_is_not_whole() {
        let text = "x".repeat(480);
        assert!(is_whole(30.0, &text));
        assert!(
            !is_whole(5.0, &text),
            "480 characters in 5 s is a cut answer"
        );
        assert!(is_whole(0.0, ""));
        assert_eq!(
            audio_path(Path::new("/d"), 7, "a2"),
            PathBuf::from("/d/audio/target-7-a2.wav")
        );
    }
}
