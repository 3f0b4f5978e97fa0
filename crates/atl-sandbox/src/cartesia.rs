//! Cartesia TTS `POST /tts/bytes`: a real, playable WAV (or headerless PCM) whose length
//! follows the transcript (~60 ms per character), containing a quiet tone so players and
//! duration checks have something to work with.

use crate::config::Family;
use crate::resp::{self, ErrKind};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use std::io::Cursor;

const MS_PER_CHAR: u64 = 60;
/// Keeps one request from asking for gigabytes; long enough for any cold-call script.
const MAX_AUDIO_MS: u64 = 180_000;
const SAMPLE_RATES: &[u32] = &[8000, 16000, 22050, 24000, 44100, 48000];

#[derive(Deserialize)]
struct TtsRequest {
    transcript: String,
    output_format: OutputFormat,
}

#[derive(Deserialize)]
struct OutputFormat {
    container: String,
    #[serde(default)]
    encoding: Option<String>,
    sample_rate: u32,
}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    S16,
    F32,
    MuLaw,
    ALaw,
}

pub(crate) async fn tts_bytes(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if headers.get("cartesia-version").is_none_or(|v| v.is_empty()) {
        state.count_only(Family::Cartesia);
        return error(&ErrKind::bad("Cartesia-Version header is required"));
    }
    let (req, encoding) = match parse(&body) {
        Ok(x) => x,
        Err(e) => {
            state.count_only(Family::Cartesia);
            return error(&e);
        }
    };
    let admit = match state.admit(Family::Cartesia).await {
        Ok(a) => a,
        Err(e) => return error(&e),
    };
    let chars = req.transcript.chars().count() as u64;
    let ms = (chars * MS_PER_CHAR).min(MAX_AUDIO_MS);
    let rate = req.output_format.sample_rate;
    let frames = (u64::from(rate) * ms / 1000) as usize;
    let wav = req.output_format.container == "wav";
    let audio = match render(frames, rate, encoding, wav) {
        Ok(a) => a,
        Err(e) => return error(&ErrKind::bad(format!("could not encode audio: {e}"))),
    };
    let content_type = if wav {
        "audio/wav"
    } else {
        "application/octet-stream"
    };
    resp::ok_body(admit.malformed, content_type, audio)
}

fn parse(body: &[u8]) -> Result<(TtsRequest, Encoding), ErrKind> {
    let req: TtsRequest = serde_json::from_slice(body)
        .map_err(|e| ErrKind::bad(format!("invalid request body: {e}")))?;
    if req.transcript.trim().is_empty() {
        return Err(ErrKind::bad("transcript must not be empty"));
    }
    let f = &req.output_format;
    if !SAMPLE_RATES.contains(&f.sample_rate) {
        return Err(ErrKind::bad(format!(
            "unsupported sample_rate {}",
            f.sample_rate
        )));
    }
    let encoding = match f.encoding.as_deref() {
        Some("pcm_s16le") => Encoding::S16,
        Some("pcm_f32le") => Encoding::F32,
        Some("pcm_mulaw") => Encoding::MuLaw,
        Some("pcm_alaw") => Encoding::ALaw,
        Some(other) => return Err(ErrKind::bad(format!("unsupported encoding {other}"))),
        None => {
            return Err(ErrKind::bad(
                "output_format.encoding is required for raw and wav",
            ));
        }
    };
    match f.container.as_str() {
        "raw" => {}
        "wav" if matches!(encoding, Encoding::S16 | Encoding::F32) => {}
        "wav" => {
            return Err(ErrKind::bad(
                "the sandbox writes wav only as pcm_s16le or pcm_f32le",
            ));
        }
        "mp3" => {
            return Err(ErrKind::bad(
                "the sandbox cannot produce mp3; use wav or raw",
            ));
        }
        other => return Err(ErrKind::bad(format!("unsupported container {other}"))),
    }
    Ok((req, encoding))
}

/// A 220 Hz tone at about -30 dBFS with 10 ms fades (no clicks).
fn sample(i: usize, frames: usize, rate: u32) -> f32 {
    let t = i as f32 / rate as f32;
    let fade = (rate / 100).max(1) as usize;
    let edge = i.min(frames.saturating_sub(i + 1)).min(fade) as f32 / fade as f32;
    0.03 * edge * (std::f32::consts::TAU * 220.0 * t).sin()
}

fn render(
    frames: usize,
    rate: u32,
    encoding: Encoding,
    wav: bool,
) -> Result<Vec<u8>, hound::Error> {
    if wav {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: if encoding == Encoding::F32 { 32 } else { 16 },
            sample_format: if encoding == Encoding::F32 {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        };
        let mut cursor = Cursor::new(Vec::with_capacity(44 + frames * 4));
        {
            let mut w = hound::WavWriter::new(&mut cursor, spec)?;
            for i in 0..frames {
                let s = sample(i, frames, rate);
                if encoding == Encoding::F32 {
                    w.write_sample(s)?;
                } else {
                    w.write_sample((s * f32::from(i16::MAX)) as i16)?;
                }
            }
            w.finalize()?;
        }
        return Ok(cursor.into_inner());
    }
    let mut out = Vec::with_capacity(frames * 4);
    for i in 0..frames {
        let s = sample(i, frames, rate);
        match encoding {
            Encoding::S16 => {
                out.extend_from_slice(&((s * f32::from(i16::MAX)) as i16).to_le_bytes())
            }
            Encoding::F32 => out.extend_from_slice(&s.to_le_bytes()),
            // G.711 silence codes: the tone is too quiet to matter at 8 bits.
            Encoding::MuLaw => out.push(0xFF),
            Encoding::ALaw => out.push(0xD5),
        }
    }
    Ok(out)
}

/// The `/tts/bytes` error body is undocumented; this mirrors the WebSocket error fields
/// (`title`, `message`, `error_code`), as provider-apis.md §6 recommends.
fn error(e: &ErrKind) -> Response {
    let (status, title, code, message) = match e {
        ErrKind::BadRequest(m) => (
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "invalid_request",
            m.clone(),
        ),
        ErrKind::Unauthorized(m) => (
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "unauthorized",
            m.clone(),
        ),
        ErrKind::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            "concurrency_limited",
            "Concurrency limit reached (sandbox fault)".into(),
        ),
        ErrKind::QuotaExhausted => (
            StatusCode::PAYMENT_REQUIRED,
            "Out of credits",
            "insufficient_credits",
            "Your plan has no credits left (sandbox fault)".into(),
        ),
        ErrKind::Overloaded | ErrKind::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            "service_unavailable",
            "Service unavailable (sandbox fault)".into(),
        ),
        ErrKind::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "internal_error",
            "Internal server error (sandbox fault)".into(),
        ),
    };
    let r = resp::json(
        status,
        &json!({"title": title, "message": message, "error_code": code, "done": true}),
    );
    match e {
        ErrKind::RateLimited { retry_after_secs } => resp::retry_after(r, *retry_after_secs),
        _ => r,
    }
}
