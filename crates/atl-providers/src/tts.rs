//! Text to speech behind [`TtsEngine`]: Cartesia (`POST /tts/bytes`), espeak-ng (offline,
//! a local process) and [`SilentTts`] (a deterministic fake for tests). Every engine
//! writes a 16-bit PCM WAV file and reports its duration read back from the WAV header.

use crate::http::{self, Auth, Vendor};
use crate::{ProviderError, Usage};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::json;
use std::io::Cursor;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use url::Url;

pub const CARTESIA_BASE_URL: &str = "https://api.cartesia.ai";
pub const CARTESIA_VERSION: &str = "2026-03-01";
pub const CARTESIA_MODEL: &str = "sonic-3.5";
/// A stock English voice from Cartesia's documentation; configure your own.
pub const CARTESIA_VOICE: &str = "694f9389-aac1-45b6-b726-9d9369183238";
pub const SAMPLE_RATE: u32 = 22_050;
/// A cold-call script is a minute or two of audio: a few MB of WAV at 22 kHz.
const MAX_AUDIO_BYTES: usize = 64 * 1024 * 1024;

/// The written file: length in seconds and size in bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioInfo {
    pub seconds: f64,
    pub bytes: u64,
}

#[async_trait::async_trait]
pub trait TtsEngine: Send + Sync {
    /// `cartesia`, `espeak`, `silent`: the result's `tts_provider`.
    fn name(&self) -> &str;
    /// Speaks `text` into a WAV file at `out` (its directory is created if needed).
    /// Usage: `tts_characters` = characters of `text`.
    async fn synthesize(&self, text: &str, out: &Path)
    -> Result<(AudioInfo, Usage), ProviderError>;
}

fn usage_for(text: &str) -> Usage {
    Usage {
        tts_characters: text.chars().count() as u64,
        ..Usage::default()
    }
}

fn reject_empty(provider: &str, text: &str) -> Result<(), ProviderError> {
    if text.trim().is_empty() {
        return Err(ProviderError::bad_request(
            provider,
            400,
            "nothing to speak: the text is empty",
        ));
    }
    Ok(())
}

fn write_error(provider: &str, out: &Path, e: std::io::Error) -> ProviderError {
    // A path we cannot write is a deployment problem, not something a retry fixes.
    ProviderError::not_configured(
        provider,
        format!("cannot write audio to {}: {e}", out.display()),
    )
}

/// Creates the directory `out` goes in, if it has one.
async fn create_parent(provider: &str, out: &Path) -> Result<(), ProviderError> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| write_error(provider, out, e))?;
    }
    Ok(())
}

async fn write_file(provider: &str, out: &Path, bytes: &[u8]) -> Result<(), ProviderError> {
    create_parent(provider, out).await?;
    tokio::fs::write(out, bytes)
        .await
        .map_err(|e| write_error(provider, out, e))
}

/// What every engine answers for `text` rendered as the WAV `audio`: its length and size,
/// and the usage billed. A WAV whose header cannot be read is the provider's fault.
fn describe(provider: &str, audio: &[u8], text: &str) -> Result<(AudioInfo, Usage), ProviderError> {
    let seconds =
        wav_seconds(audio).map_err(|message| ProviderError::invalid_response(provider, message))?;
    Ok((
        AudioInfo {
            seconds,
            bytes: audio.len() as u64,
        },
        usage_for(text),
    ))
}

/// Duration of a WAV held in memory, read by hound from its header.
pub fn wav_seconds(bytes: &[u8]) -> Result<f64, String> {
    let reader = hound::WavReader::new(Cursor::new(bytes))
        .map_err(|e| format!("not a readable WAV: {e}"))?;
    let spec = reader.spec();
    if spec.sample_rate == 0 {
        return Err("WAV with a sample rate of 0".to_string());
    }
    Ok(f64::from(reader.duration()) / f64::from(spec.sample_rate))
}

/// What is wrong with a WAV body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavProblem {
    /// Not a RIFF/WAVE file at all.
    NotWav,
    /// The header declares more audio than the body holds: the answer was cut mid-stream.
    Truncated { declared: usize, received: usize },
}

/// A data size that a streaming encoder writes before it knows the length.
fn is_placeholder(size: usize) -> bool {
    size == 0 || size == u32::MAX as usize
}

/// A WAV streamed with chunked encoding may carry placeholder sizes (0 or 0xFFFFFFFF) in
/// its RIFF and data headers: rewrites them to the real sizes so every player, and hound,
/// reads the file. A real declared size larger than the body is not fixed but refused:
/// it is audio cut off mid-stream, and rewriting the header would pass half a script off
/// as a whole one.
pub fn fix_streamed_wav_sizes(bytes: &mut [u8]) -> Result<(), WavProblem> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(WavProblem::NotWav);
    }
    let riff_size = u32::try_from(bytes.len() - 8).unwrap_or(u32::MAX);
    bytes[4..8].copy_from_slice(&riff_size.to_le_bytes());
    let mut pos = 12usize;
    while pos + 8 <= bytes.len() {
        let id = [bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]];
        let declared = u32::from_le_bytes([
            bytes[pos + 4],
            bytes[pos + 5],
            bytes[pos + 6],
            bytes[pos + 7],
        ]) as usize;
        let start = pos + 8;
        let available = bytes.len() - start;
        if &id == b"data" {
            if is_placeholder(declared) {
                // Whole 16-bit frames only.
                let real = u32::try_from(available & !1).unwrap_or(u32::MAX);
                bytes[pos + 4..pos + 8].copy_from_slice(&real.to_le_bytes());
            } else if declared > available {
                return Err(WavProblem::Truncated {
                    declared,
                    received: available,
                });
            }
            return Ok(());
        }
        // Chunks are padded to even sizes.
        pos = start.saturating_add(declared + (declared & 1));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Cartesia
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct CartesiaTts {
    vendor: Vendor,
    model_id: String,
    voice_id: String,
    version: String,
    language: Option<String>,
}

impl CartesiaTts {
    pub fn new(base_url: Url, key: SecretString, http: reqwest::Client) -> Self {
        let vendor = Vendor::new("cartesia", base_url, Some(key), Auth::Bearer, http)
            .max_body(MAX_AUDIO_BYTES);
        CartesiaTts {
            vendor,
            model_id: CARTESIA_MODEL.to_string(),
            voice_id: CARTESIA_VOICE.to_string(),
            version: CARTESIA_VERSION.to_string(),
            language: Some("en".to_string()),
        }
    }

    pub fn with_voice(mut self, voice_id: impl Into<String>) -> Self {
        self.voice_id = voice_id.into();
        self
    }
}

#[async_trait::async_trait]
impl TtsEngine for CartesiaTts {
    fn name(&self) -> &str {
        "cartesia"
    }

    async fn synthesize(
        &self,
        text: &str,
        out: &Path,
    ) -> Result<(AudioInfo, Usage), ProviderError> {
        const PROVIDER: &str = "cartesia";
        reject_empty(PROVIDER, text)?;
        let mut body = json!({
            "model_id": self.model_id,
            "transcript": text,
            "voice": {"mode": "id", "id": self.voice_id},
            "output_format": {"container": "wav", "encoding": "pcm_s16le", "sample_rate": SAMPLE_RATE},
        });
        if let Some(language) = &self.language {
            body["language"] = json!(language);
        }
        let build = |b: reqwest::RequestBuilder| {
            b.header("Cartesia-Version", self.version.as_str())
                .json(&body)
        };
        let (audio, answer) = self
            .vendor
            .call(Method::POST, "tts/bytes", build, |raw| {
                let mut audio = raw.body.to_vec();
                match fix_streamed_wav_sizes(&mut audio) {
                    Ok(()) => {}
                    Err(WavProblem::NotWav) => {
                        return Err(ProviderError::invalid_response(
                            PROVIDER,
                            format!(
                                "expected a WAV body, got {} bytes without a RIFF header",
                                audio.len()
                            ),
                        ));
                    }
                    Err(WavProblem::Truncated { declared, received }) => {
                        return Err(ProviderError::invalid_response(
                            PROVIDER,
                            format!(
                                "audio cut off: the WAV header declares {declared} bytes of \
                                 audio, {received} arrived"
                            ),
                        ));
                    }
                }
                let answer = describe(PROVIDER, &audio, text)?;
                Ok((audio, answer))
            })
            .await?;
        write_file(PROVIDER, out, &audio).await?;
        Ok(answer)
    }
}

// ---------------------------------------------------------------------------------------
// espeak-ng
// ---------------------------------------------------------------------------------------

/// Offline speech through the `espeak-ng` binary (16-bit mono WAV at 22,050 Hz).
#[derive(Debug, Clone)]
pub struct EspeakTts {
    program: String,
    voice: String,
    words_per_minute: u32,
    timeout: Duration,
}

impl Default for EspeakTts {
    fn default() -> Self {
        EspeakTts {
            program: "espeak-ng".to_string(),
            voice: "en-us".to_string(),
            words_per_minute: 165,
            timeout: Duration::from_secs(60),
        }
    }
}

impl EspeakTts {
    pub fn new() -> Self {
        Self::default()
    }

    /// Another binary name or path (tests use a missing one).
    pub fn with_program(mut self, program: impl Into<String>) -> Self {
        self.program = program.into();
        self
    }
}

#[async_trait::async_trait]
impl TtsEngine for EspeakTts {
    fn name(&self) -> &str {
        "espeak"
    }

    async fn synthesize(
        &self,
        text: &str,
        out: &Path,
    ) -> Result<(AudioInfo, Usage), ProviderError> {
        const PROVIDER: &str = "espeak";
        reject_empty(PROVIDER, text)?;
        create_parent(PROVIDER, out).await?;
        // The text goes on stdin, never in argv: no user text in `ps` or in an argument
        // espeak could read as an option.
        let mut child = tokio::process::Command::new(&self.program)
            .arg("-v")
            .arg(&self.voice)
            .arg("-s")
            .arg(self.words_per_minute.to_string())
            .arg("--stdin")
            .arg("-w")
            .arg(out)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                let message = match e.kind() {
                    std::io::ErrorKind::NotFound => format!(
                        "{} is not installed or not on PATH (apt-get install espeak-ng)",
                        self.program
                    ),
                    _ => format!("cannot start {}: {e}", self.program),
                };
                ProviderError::not_configured(PROVIDER, message)
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            let text = text.to_string();
            // Written concurrently with waiting, so a long text cannot deadlock on a full pipe.
            tokio::spawn(async move {
                let _ = stdin.write_all(text.as_bytes()).await;
                let _ = stdin.shutdown().await;
            });
        }
        let output = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(Ok(output)) => output,
            Ok(Err(e)) => {
                return Err(ProviderError::connection(
                    PROVIDER,
                    format!("espeak-ng: {e}"),
                ));
            }
            // Dropping the future kills the child (kill_on_drop).
            Err(_) => return Err(ProviderError::timeout(PROVIDER, self.timeout)),
        };
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(ProviderError::server(
                PROVIDER,
                500,
                format!(
                    "espeak-ng exited with {}: {}",
                    output.status,
                    http::truncate(stderr.trim(), 300)
                ),
                None,
            ));
        }
        let audio = tokio::fs::read(out)
            .await
            .map_err(|e| write_error(PROVIDER, out, e))?;
        describe(PROVIDER, &audio, text)
    }
}

// ---------------------------------------------------------------------------------------
// Silent fake
// ---------------------------------------------------------------------------------------

/// Writes silence whose length follows the text (~14 characters a second, roughly
/// espeak-ng at 165 wpm): deterministic audio for tests and the sandbox.
#[derive(Debug, Clone, Default)]
pub struct SilentTts;

impl SilentTts {
    pub const SECONDS_PER_CHAR: f64 = 0.07;

    /// The WAV bytes [`TtsEngine::synthesize`] writes for `text`.
    pub fn render(text: &str) -> Result<Vec<u8>, hound::Error> {
        let chars = text.chars().count() as f64;
        let frames = (chars * Self::SECONDS_PER_CHAR * f64::from(SAMPLE_RATE)).round() as u64;
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut cursor = Cursor::new(Vec::new());
        {
            let mut writer = hound::WavWriter::new(&mut cursor, spec)?;
            let mut samples = writer.get_i16_writer(u32::try_from(frames).unwrap_or(u32::MAX));
            for _ in 0..frames {
                samples.write_sample(0i16);
            }
            samples.flush()?;
            writer.finalize()?;
        }
        Ok(cursor.into_inner())
    }
}

#[async_trait::async_trait]
impl TtsEngine for SilentTts {
    fn name(&self) -> &str {
        "silent"
    }

    async fn synthesize(
        &self,
        text: &str,
        out: &Path,
    ) -> Result<(AudioInfo, Usage), ProviderError> {
        const PROVIDER: &str = "silent";
        reject_empty(PROVIDER, text)?;
        let audio = SilentTts::render(text).map_err(|e| {
            ProviderError::invalid_response(PROVIDER, format!("cannot render silence: {e}"))
        })?;
        let answer = describe(PROVIDER, &audio, text)?;
        write_file(PROVIDER, out, &audio).await?;
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_wav_sizes_are_fixed() {
        let mut wav = SilentTts::render("hello there").unwrap();
        let good = wav_seconds(&wav).unwrap();
        // Simulate a streamed header: unknown sizes.
        wav[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let data_at = wav.windows(4).position(|w| w == b"data").unwrap();
        wav[data_at + 4..data_at + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(fix_streamed_wav_sizes(&mut wav), Ok(()));
        assert!((wav_seconds(&wav).unwrap() - good).abs() < 1e-9);
        assert_eq!(
            fix_streamed_wav_sizes(&mut b"ID3 not a wav".to_vec()),
            Err(WavProblem::NotWav)
        );
        // A real size larger than the body: cut mid-stream, refused, never "fixed".
        let mut whole = SilentTts::render("hello there, this is long enough").unwrap();
        let half = whole.len() / 2;
        whole.truncate(half);
        assert!(matches!(
            fix_streamed_wav_sizes(&mut whole),
            Err(WavProblem::Truncated { .. })
        ));
    }

    #[test]
    fn silence_length_follows_text() {
        let wav = SilentTts::render(&"a".repeat(100)).unwrap();
        assert!((wav_seconds(&wav).unwrap() - 7.0).abs() < 0.01);
    }
}
