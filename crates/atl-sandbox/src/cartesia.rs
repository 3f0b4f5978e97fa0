//! Cartesia TTS `POST /tts/bytes`: a real, playable WAV (or headerless PCM) whose length
//! follows the transcript (~60 ms per character), containing a quiet tone so players and
//! duration checks have something to work with.
//!
//! Cartesia streams the audio with chunked encoding as it is generated, so the WAV
//! header is written before the length is final, and a generation that fails midway
//! ends the stream early. The `truncated_audio` knob does that: the header claims the
//! whole clip and the body stops about halfway, in a response that otherwise completes.
//! Limits are on requests in flight and on characters a month (the billing unit).

use crate::config::Family;
use crate::provider::Provider;
use crate::ratelimit::Weight;
use crate::resp::{self, ErrKind};
use crate::state::{AppState, Extra};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

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
        let required = ErrKind::bad("Cartesia-Version header is required");
        return state.refuse(Family::Cartesia, &required, error);
    }
    let (req, encoding) = match parse(&body) {
        Ok(x) => x,
        Err(e) => return state.refuse(Family::Cartesia, &e, error),
    };
    let chars = req.transcript.chars().count() as u64;
    let weight = Weight {
        tokens: 0,
        units: chars,
    };
    let admit = match state
        .admit_as(Family::Cartesia, Provider::Cartesia, weight)
        .await
    {
        Ok(a) => a,
        Err(e) => return error(&e),
    };
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
    if admit.extras.has(Extra::TruncatedAudio) {
        return truncated(content_type, audio);
    }
    resp::ok_body(admit.malformed, content_type, audio)
}

/// The first half of the audio, sent in two chunks with no `Content-Length`, then a
/// clean end of stream: nothing in the HTTP exchange says the clip is short, only the
/// WAV header's data length does.
fn truncated(content_type: &'static str, mut audio: Vec<u8>) -> Response {
    let half = audio.len() / 2;
    audio.truncate(half);
    let rest = audio.split_off(half / 2);
    let chunks = [Bytes::from(audio), Bytes::from(rest)]
        .into_iter()
        .map(Ok::<Bytes, std::io::Error>);
    let mut r = Response::new(Body::from_stream(futures::stream::iter(chunks)));
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(content_type),
    );
    r
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
///
/// One second holds exactly 220 periods, so the sandbox computes one second of the tone
/// and repeats it: a 30-second script costs one second of `sin` instead of thirty. The
/// server shares its cores with whatever it stands in front of (the benchmarks run the
/// engine beside it), so the stand-in for a remote TTS must stay cheap.
fn unfaded(i: usize, rate: u32) -> f32 {
    let t = (i % rate as usize) as f32 / rate as f32;
    0.03 * (std::f32::consts::TAU * 220.0 * t).sin()
}

fn tone_at(i: usize, frames: usize, rate: u32) -> f32 {
    let s = unfaded(i, rate);
    let fade = (rate / 100).max(1) as usize;
    let edge = i.min(frames - 1 - i);
    if edge < fade {
        s * edge as f32 / fade as f32
    } else {
        s
    }
}

fn encode(s: f32, encoding: Encoding, out: &mut Vec<u8>) {
    match encoding {
        Encoding::S16 => out.extend_from_slice(&((s * f32::from(i16::MAX)) as i16).to_le_bytes()),
        Encoding::F32 => out.extend_from_slice(&s.to_le_bytes()),
        // G.711 silence codes: the tone is too quiet to matter at 8 bits.
        Encoding::MuLaw => out.push(0xFF),
        Encoding::ALaw => out.push(0xD5),
    }
}

/// The canonical 44-byte RIFF header of a mono PCM (format 1) or float (format 3) WAV.
fn wav_header(data_len: usize, rate: u32, encoding: Encoding) -> Result<Vec<u8>, String> {
    let (format, bytes_per_sample): (u16, u16) = match encoding {
        Encoding::F32 => (3, 4),
        _ => (1, 2),
    };
    let data = u32::try_from(data_len).map_err(|_| "audio too long for a WAV".to_string())?;
    let mut h = Vec::with_capacity(44);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(36 + data).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&format.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // mono
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&(rate * u32::from(bytes_per_sample)).to_le_bytes());
    h.extend_from_slice(&bytes_per_sample.to_le_bytes()); // block align
    h.extend_from_slice(&(bytes_per_sample * 8).to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data.to_le_bytes());
    Ok(h)
}

fn render(frames: usize, rate: u32, encoding: Encoding, wav: bool) -> Result<Vec<u8>, String> {
    let width = match encoding {
        Encoding::S16 => 2,
        Encoding::F32 => 4,
        Encoding::MuLaw | Encoding::ALaw => 1,
    };
    let mut out = Vec::with_capacity(44 + frames * width);
    if wav {
        out.extend_from_slice(&wav_header(frames * width, rate, encoding)?);
    }
    let start = out.len();
    // One unfaded second, copied over and over; then the fades are written over both ends.
    let second = (rate as usize).min(frames);
    let mut period = Vec::with_capacity(second * width);
    for i in 0..second {
        encode(unfaded(i, rate), encoding, &mut period);
    }
    while out.len() - start < frames * width {
        let left = frames * width - (out.len() - start);
        out.extend_from_slice(&period[..left.min(period.len())]);
    }
    let fade = ((rate / 100).max(1) as usize).min(frames);
    let mut edge = Vec::with_capacity(fade * width);
    for range in [0..fade, frames - fade..frames] {
        edge.clear();
        let at = start + range.start * width;
        for i in range {
            encode(tone_at(i, frames, rate), encoding, &mut edge);
        }
        out[at..at + edge.len()].copy_from_slice(&edge);
    }
    Ok(out)
}

/// The `/tts/bytes` error body is not documented; this mirrors the fields of Cartesia's
/// WebSocket errors (`title`, `message`, `error_code`), the shape it does document.
fn error(e: &ErrKind) -> Response {
    resp::vendor_error(e, render_error)
}

fn render_error(e: &ErrKind) -> Response {
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
        ErrKind::RateLimited { .. } | ErrKind::Limited(_) => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            "concurrency_limited",
            "Concurrency limit reached: wait for a request to finish (sandbox)".into(),
        ),
        ErrKind::QuotaExhausted => (
            StatusCode::PAYMENT_REQUIRED,
            "Out of credits",
            "insufficient_credits",
            "Your plan has no credits left (sandbox fault)".into(),
        ),
        ErrKind::Overloaded | ErrKind::Unavailable | ErrKind::Outage { .. } | ErrKind::Reset => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            "service_unavailable",
            "Service unavailable (sandbox)".into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(i: usize, rate: u32) -> f32 {
        0.03 * (std::f32::consts::TAU * 220.0 * (i as f32 / rate as f32)).sin()
    }

    #[test]
    fn the_repeated_second_is_the_same_tone_and_fades_at_both_ends() {
        let rate = 8000;
        let frames = rate as usize * 3 + 123;
        let bytes = render(frames, rate, Encoding::F32, false).unwrap_or_default();
        let samples: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(samples.len(), frames);
        assert_eq!(samples[0], 0.0, "fades in from silence");
        assert_eq!(samples[frames - 1], 0.0, "fades out to silence");
        let fade = (rate / 100) as usize;
        assert!(
            samples[fade / 2].abs() <= 0.016,
            "half-way through the fade-in"
        );
        assert!((samples[fade / 2] - direct(fade / 2, rate) * 0.5).abs() < 1e-4);
        // Past the first second the tiled tone matches the computed one.
        for i in [rate as usize, rate as usize + 7, 2 * rate as usize + 1999] {
            assert!((samples[i] - direct(i, rate)).abs() < 1e-4, "sample {i}");
        }
    }

    #[test]
    fn wav_files_are_readable_at_their_length() -> Result<(), hound::Error> {
        for (encoding, bits) in [(Encoding::S16, 16), (Encoding::F32, 32)] {
            let frames = 24_000 * 2 + 5;
            let bytes = render(frames, 24_000, encoding, true)
                .map_err(|e| hound::Error::IoError(std::io::Error::other(e)))?;
            let reader = hound::WavReader::new(std::io::Cursor::new(bytes))?;
            assert_eq!(reader.spec().bits_per_sample, bits);
            assert_eq!(reader.spec().sample_rate, 24_000);
            assert_eq!(reader.duration() as usize, frames);
        }
        let raw = render(100, 8000, Encoding::MuLaw, false).unwrap_or_default();
        assert_eq!(raw, vec![0xFF; 100]);
        assert!(render(0, 8000, Encoding::S16, true).is_ok_and(|b| b.len() == 44));
        assert_eq!(render(1, 8000, Encoding::S16, false), Ok(vec![0, 0]));
        Ok(())
    }
}
