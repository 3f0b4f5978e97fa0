//! What a campaign's settings say to its agents: the seller, when audio is rendered,
//! whether cached evidence may be used, how old news may be and still be a reason to call.
//! Read from the campaign's settings JSON; anything missing takes its default and anything
//! malformed is ignored (a campaign must never fail because of a stray setting).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The seller on whose behalf a campaign runs; intel and voice use it to find angles and
/// write the pitch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Seller {
    pub name: Option<String>,
    pub company: Option<String>,
    /// One line: what the seller sells and to whom.
    pub pitch: Option<String>,
}

/// When the call script's audio is rendered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioMode {
    /// In the voice job, with the configured TTS (hosted, paid).
    Eager,
    /// When someone first asks for it (the audio route, an export with audio, the
    /// dashboard's play button), then kept. Nobody pays for audio nobody plays.
    #[default]
    OnDemand,
    /// In the voice job, with espeak-ng on this machine: no cost, robotic voice.
    Local,
    /// Never: scripts only.
    None,
}

impl AudioMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AudioMode::Eager => "eager",
            AudioMode::OnDemand => "on_demand",
            AudioMode::Local => "local",
            AudioMode::None => "none",
        }
    }

    /// `eager`, `on-demand`/`on_demand`, `local`, `none`.
    pub fn parse(s: &str) -> Option<AudioMode> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "eager" => Some(AudioMode::Eager),
            "on_demand" | "ondemand" => Some(AudioMode::OnDemand),
            "local" => Some(AudioMode::Local),
            "none" | "off" => Some(AudioMode::None),
            _ => None,
        }
    }

    /// Whether the voice job itself renders audio.
    pub fn renders_in_job(self) -> bool {
        matches!(self, AudioMode::Eager | AudioMode::Local)
    }
}

/// Default age after which a news item or signal is no reason to call.
pub const DEFAULT_NEWS_MAX_AGE_DAYS: u32 = 365;

/// A campaign's options for its agents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CampaignOptions {
    pub seller: Seller,
    pub audio: AudioMode,
    /// Buy every lookup again instead of using cached evidence.
    pub refresh: bool,
    /// News and signals older than this are kept for the record but never the reason
    /// for a call.
    pub news_max_age_days: u32,
    /// Look the organization up (one Apollo credit) when a people match did not
    /// describe it.
    pub firmographics: bool,
}

impl Default for CampaignOptions {
    fn default() -> Self {
        CampaignOptions {
            seller: Seller::default(),
            audio: AudioMode::default(),
            refresh: false,
            news_max_age_days: DEFAULT_NEWS_MAX_AGE_DAYS,
            firmographics: false,
        }
    }
}

impl CampaignOptions {
    /// The options in a campaign's settings (`{"seller": {…}, "audio": "eager",
    /// "refresh": true, …}`); each field on its own, so one bad value loses only itself.
    pub fn from_settings(settings: &Value) -> CampaignOptions {
        let d = CampaignOptions::default();
        let field = |k: &str| settings.get(k).filter(|v| !v.is_null());
        CampaignOptions {
            seller: field("seller")
                .and_then(|s| serde_json::from_value(s.clone()).ok())
                .unwrap_or(d.seller),
            audio: field("audio")
                .and_then(Value::as_str)
                .and_then(AudioMode::parse)
                .unwrap_or(d.audio),
            refresh: field("refresh")
                .and_then(Value::as_bool)
                .unwrap_or(d.refresh),
            news_max_age_days: field("news_max_age_days")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(d.news_max_age_days),
            firmographics: field("firmographics")
                .and_then(Value::as_bool)
                .unwrap_or(d.firmographics),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_are_read_field_by_field() {
        let o = CampaignOptions::from_settings(&json!({
            "seller": {"name": "Ana", "pitch": "We sell anvils"},
            "audio": "on-demand", "refresh": "yes", "news_max_age_days": 90
        }));
        assert_eq!(o.seller.name.as_deref(), Some("Ana"));
        assert_eq!(o.audio, AudioMode::OnDemand);
        assert!(!o.refresh, "a malformed value keeps the default");
        assert_eq!(o.news_max_age_days, 90);
        assert_eq!(
            CampaignOptions::from_settings(&json!(null)),
            CampaignOptions::default()
        );
        assert_eq!(AudioMode::parse("LOCAL"), Some(AudioMode::Local));
        assert!(AudioMode::Eager.renders_in_job() && !AudioMode::OnDemand.renders_in_job());
    }
}
