//! Cartesia: WAV length follows the text; a stream cut halfway.

use super::*;

sandbox_test!(cartesia_wav_duration_scales_with_text, |sb, c| {
    let r = c.post_with("/tts/bytes", &[], &tts_body("hello")).await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await?;
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("Cartesia-Version"))
    );

    let mut secs = Vec::new();
    for text in [
        "Hi Jane, a quick note.",
        &"Hi Jane, a quick note about your pipeline. ".repeat(4),
    ] {
        let r = speak(&c, text).await?;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()
                .get("content-type")
                .and_then(|h| h.to_str().ok()),
            Some("audio/wav")
        );
        let bytes = r.bytes().await?;
        let reader = hound::WavReader::new(std::io::Cursor::new(bytes.to_vec()))?;
        let spec = reader.spec();
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (1, 24000, 16)
        );
        let s = f64::from(reader.duration()) / 24000.0;
        let expected = text.chars().count() as f64 * 0.060;
        assert!((s - expected).abs() < 0.01, "{s} vs {expected}");
        secs.push(s);
    }
    assert!(secs[1] > secs[0] * 4.0);
});

#[tokio::test]
async fn truncated_audio_claims_more_than_it_sends() -> TestResult {
    let mut config = SandboxConfig::default();
    config.cartesia.faults.truncated_audio = Trigger::every(1);
    let (sb, c) = start(config).await?;
    let text = "Hi Jane, a quick note about your pipeline and the quarter ahead.";
    let mut r = speak(&c, text).await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers().get("content-length").is_none(),
        "streamed, length unknown up front"
    );
    let mut body = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = r.chunk().await? {
        chunks += 1;
        body.extend_from_slice(&chunk);
    }
    assert!(chunks >= 1);
    assert_eq!(&body[..4], b"RIFF");
    let claimed = u32::from_le_bytes([body[40], body[41], body[42], body[43]]) as usize;
    let sent = body.len() - 44;
    let full = text.chars().count() * 60 * 24 * 2;
    assert_eq!(claimed, full, "the header claims the whole clip");
    assert!(
        sent < claimed * 6 / 10 && sent > claimed * 3 / 10,
        "about half: {sent} of {claimed}"
    );
    sb.shutdown().await;
    Ok(())
}
