//! Audio on demand: a call script's WAV is rendered the first time someone asks for it
//! (the audio route, `atl export --with-audio`, the dashboard's play button) and then
//! kept, so nobody pays for audio nobody plays.
//!
//! A render writes a file whose name carries its own tag (`target-12-r1733050000000.wav`),
//! refuses audio that is not whole, and attaches itself to the stored voice result in one
//! transaction that also books the TTS cost. Two renders of one target racing each other
//! keep the first one committed; the loser deletes its file.

use crate::lookup::find_campaign;
use crate::{AppError, Providers};
use atl_agents::AudioMode;
use atl_agents::CampaignOptions;
use atl_agents::voice::audio::{audio_path, render};
use atl_domain::SubAgentKind;
use atl_domain::records::{self, Audio, CallScript};
use atl_store::Store;
use std::path::{Path, PathBuf};

/// A target's audio file, ready to serve.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioFile {
    pub path: PathBuf,
    pub audio: Audio,
    /// Rendered by this call (and paid for now), rather than found.
    pub rendered: bool,
}

/// Whether the stored audio's file is there, inside `data_dir`.
fn existing(data_dir: &Path, audio: &Audio) -> Option<PathBuf> {
    let p = data_dir.join(&audio.path);
    p.is_file().then_some(p)
}

/// The target's audio: the stored file when there is one, else rendered now.
pub async fn ensure_audio(
    store: &Store,
    providers: &Providers,
    data_dir: &Path,
    team_id: Option<i64>,
    target_id: i64,
) -> Result<AudioFile, AppError> {
    let target = store
        .get_target_for_team(team_id, target_id)
        .await?
        .ok_or(AppError::TargetNotFound(target_id))?;
    let campaign = find_campaign(store, None, target.campaign_id).await?;
    let options = CampaignOptions::from_settings(&campaign.settings);
    let script = read_script(store, target_id).await?;
    if let Some(a) = &script.audio
        && let Some(path) = existing(data_dir, a)
    {
        return Ok(AudioFile {
            path,
            audio: a.clone(),
            rendered: false,
        });
    }
    if options.audio == AudioMode::None {
        return Err(AppError::InvalidInput(
            "audio is switched off for this campaign (audio mode none)".into(),
        ));
    }
    let tag = format!(
        "r{}",
        time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000
    );
    let out = audio_path(data_dir, target_id, &tag);
    let t = &providers.toolkit;
    let local = (options.audio == AudioMode::Local).then(|| t.local_tts.as_ref());
    let (audio, spent) = match render(t, local, &script.text, &out, data_dir).await {
        Ok(ok) => ok,
        Err((e, spent)) => {
            if let Some(nanos) = spent
                .and_then(|m| m.cost_usd)
                .map(|c| atl_domain::Money::from_usd_saturating(c).nanos())
            {
                // The attempt was paid for even though its audio was refused.
                store.book_refused_audio(target_id, nanos).await?;
            }
            return Err(AppError::Provider(e.to_string()));
        }
    };
    let nanos = spent
        .cost_usd
        .map(atl_domain::Money::from_usd_saturating)
        .unwrap_or_default()
        .nanos();
    let value = serde_json::to_value(&audio).unwrap_or_default();
    if store.attach_voice_audio(target_id, &value, nanos).await? {
        return Ok(AudioFile {
            path: out,
            audio,
            rendered: true,
        });
    }
    // Another render committed first: keep its file, drop ours.
    let _ = tokio::fs::remove_file(&out).await;
    let winner = read_script(store, target_id).await?;
    match winner
        .audio
        .as_ref()
        .and_then(|a| existing(data_dir, a).map(|p| (p, a.clone())))
    {
        Some((path, audio)) => Ok(AudioFile {
            path,
            audio,
            rendered: false,
        }),
        None => Err(AppError::Provider("the audio file is missing".into())),
    }
}

async fn read_script(store: &Store, target_id: i64) -> Result<CallScript, AppError> {
    let results = store.results_for_target(target_id).await?;
    let voice = results
        .iter()
        .find(|r| r.kind == SubAgentKind::Voice)
        .ok_or_else(|| AppError::NotReady(format!("target {target_id} has no call script yet")))?;
    records::decode::<CallScript>(SubAgentKind::Voice, &voice.data)
        .map(|s| s.record)
        .map_err(|e| AppError::NotReady(format!("target {target_id}: {e}")))
}

/// What rendering a campaign's missing audio did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AudioSweep {
    pub rendered: u64,
    pub already: u64,
    pub failed: u64,
}

/// Renders the audio of every target of `campaign_id` that has a call script and no audio
/// yet (`atl export --with-audio`), a few at a time. A target whose render fails is
/// counted and logged; the others go on.
pub async fn render_missing_audio(
    store: &Store,
    providers: &Providers,
    data_dir: &Path,
    campaign_id: i64,
) -> Result<AudioSweep, AppError> {
    use futures::StreamExt;
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.targets_after(campaign_id, cursor, 500).await?;
        let full = page.len() == 500;
        cursor = page.last().map(atl_store::TargetCursor::after);
        ids.extend(page.iter().map(|t| t.id));
        if !full {
            break;
        }
    }
    let mut sweep = AudioSweep::default();
    let mut results = futures::stream::iter(ids)
        .map(|id| async move { (id, ensure_audio(store, providers, data_dir, None, id).await) })
        .buffer_unordered(4);
    while let Some((id, r)) = results.next().await {
        match r {
            Ok(f) if f.rendered => sweep.rendered += 1,
            Ok(_) => sweep.already += 1,
            Err(AppError::NotReady(_)) => {}
            Err(e) => {
                tracing::warn!(target_id = id, error = %e, "audio not rendered");
                sweep.failed += 1;
            }
        }
    }
    Ok(sweep)
}
