//! Voice: a short cold-call script grounded in research, addressed to the contact, and
//! its audio.
//!
//! Reads research and enrichment from `input.prior` (either may be absent: research
//! absent → a generic but honest script, no invented facts, and lower confidence), asks
//! the `voice` route for the script (the reason must cite one research source URL, from
//! an enum of them), makes sure the opener greets the contact by first name when it is
//! known, and speaks `text` (opener, reason, the two questions and the close: objections
//! are notes for the rep, not spoken) through the toolkit's TTS into
//! `{data_dir}/audio/target-{target_id}.wav`. The audio is written under a name of the
//! run's own (`target-{id}.run{attempt}.tmp.wav`) and reported as an artefact: the engine
//! moves it into place only once the run's result has committed under its lease, so a run
//! that lost its lease can never replace committed audio.

use crate::agent::{AgentError, AgentInput, CostEstimate, SubAgent};
use crate::confidence::{self, VoiceEvidence};
use crate::estimate::{self, LlmShape};
use crate::prompts::{self, VOICE_VERSION, clip, fence};
use crate::schemas;
use crate::sources::Sources;
use crate::spend::{Finish, RecordingChat, Spend};
use atl_domain::{AgentResult, Artefact, SubAgentKind};
use atl_providers::llm::{ChatRequest, JsonSchemaFormat, Message, Role};
use atl_providers::structured::chat_json_with;
use atl_providers::toolkit::Toolkit;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

pub const PROMPT_VERSION: &str = VOICE_VERSION;
const ROUTE: &str = "voice";

#[derive(Debug, Clone)]
pub struct VoiceOptions {
    pub max_tokens: u32,
}

impl Default for VoiceOptions {
    fn default() -> Self {
        VoiceOptions { max_tokens: 900 }
    }
}

pub struct VoiceAgent {
    toolkit: Arc<Toolkit>,
    options: VoiceOptions,
}

impl VoiceAgent {
    pub fn new(toolkit: Arc<Toolkit>) -> Self {
        Self::with_options(toolkit, VoiceOptions::default())
    }

    pub fn with_options(toolkit: Arc<Toolkit>, options: VoiceOptions) -> Self {
        VoiceAgent { toolkit, options }
    }

    /// `{data_dir}/audio/target-{id}.wav`, with the input's data dir when it has one.
    pub fn audio_path(&self, input: &AgentInput) -> PathBuf {
        let dir = if input.data_dir.as_os_str().is_empty() {
            self.toolkit.data_dir.clone()
        } else {
            input.data_dir.clone()
        };
        dir.join("audio")
            .join(format!("target-{}.wav", input.target_id))
    }

    /// Where this run writes the audio before the engine moves it to [`Self::audio_path`]:
    /// beside it, named after the run, so two runs of one job never share a file.
    pub fn run_audio_path(&self, input: &AgentInput) -> PathBuf {
        let out = self.audio_path(input);
        out.with_file_name(format!(
            "target-{}.run{}.tmp.wav",
            input.target_id, input.attempt
        ))
    }
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
}

/// The contact's name and title: the input's, else what enrichment found.
fn contact(input: &AgentInput) -> (Option<String>, Option<String>) {
    let enriched = input
        .prior_of(SubAgentKind::Enrichment)
        .and_then(|e| e.get("contact"))
        .filter(|c| c.is_object());
    let name = input
        .contact_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .or_else(|| enriched.and_then(|c| s(c, "name")));
    let title = enriched
        .and_then(|c| s(c, "title"))
        .or_else(|| input.contact_title.clone());
    (name, title)
}

fn research_facts(research: &Value) -> String {
    let mut out = String::new();
    for key in ["overview", "industry", "market_position"] {
        if let Some(t) = s(research, key) {
            out.push_str(&format!("{key}: {}\n", clip(&t, 600)));
        }
    }
    if let Some(signals) = research.get("signals") {
        for key in ["hiring", "funding", "launches"] {
            if let Some(t) = s(signals, key) {
                out.push_str(&format!("signal {key}: {}\n", clip(&t, 300)));
            }
        }
    }
    for n in research
        .get("recent_news")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(4)
    {
        out.push_str(&format!(
            "news: {} — {} (source: {})\n",
            s(n, "title").unwrap_or_default(),
            s(n, "summary").map(|x| clip(&x, 300)).unwrap_or_default(),
            s(n, "url").unwrap_or_default()
        ));
    }
    if let Some(src) = research.get("sources").and_then(Value::as_array) {
        let list: Vec<&str> = src.iter().filter_map(Value::as_str).collect();
        out.push_str(&format!("sources: {}\n", list.join(", ")));
    }
    out
}

fn user_prompt(
    input: &AgentInput,
    name: Option<&str>,
    title: Option<&str>,
    research: Option<&Value>,
) -> String {
    let mut p = format!("Company: {}\n", input.company_name.trim());
    match name {
        Some(n) => p.push_str(&format!("Contact: {n}\n")),
        None => p.push_str("The contact's name is not known: greet without a name.\n"),
    }
    if let Some(t) = title {
        p.push_str(&format!("Contact title: {t}\n"));
    }
    let seller = &input.seller;
    p.push_str(&format!(
        "Rep: {} from {}\nWhat we sell: {}\n\n",
        seller.name.as_deref().unwrap_or("the rep"),
        seller.company.as_deref().unwrap_or("our company"),
        seller
            .pitch
            .as_deref()
            .filter(|x| !x.trim().is_empty())
            .unwrap_or("(no pitch given: keep the offer general)")
    ));
    match research {
        Some(r) => {
            p.push_str("Research on the account (from web pages):\n");
            p.push_str(&fence("untrusted_research", "", &research_facts(r)));
            p.push_str("\n\n");
        }
        None => p.push_str(
            "No research is available: write a generic, honest reason for the call and set reason_source to null.\n\n",
        ),
    }
    p.push_str("Write the call script as JSON.");
    p
}

/// The first name, for the greeting.
fn first_name(name: &str) -> Option<&str> {
    name.split_whitespace().next().filter(|f| !f.is_empty())
}

/// Make sure the opener greets the contact by first name (models sometimes forget).
pub(crate) fn ensure_greeting(opener: &str, name: Option<&str>) -> String {
    match name.and_then(first_name) {
        Some(first) if !opener.to_lowercase().contains(&first.to_lowercase()) => {
            format!("Hi {first}, {}", opener.trim())
        }
        _ => opener.trim().to_string(),
    }
}

/// What is spoken: opener, reason, the two questions, close.
pub(crate) fn spoken_text(script: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    parts.extend(s(script, "opener"));
    parts.extend(s(script, "reason"));
    for q in script
        .get("questions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(q) = q.as_str().map(str::trim).filter(|q| !q.is_empty()) {
            parts.push(q.to_string());
        }
    }
    parts.extend(s(script, "close"));
    parts.join(" ")
}

#[async_trait::async_trait]
impl SubAgent for VoiceAgent {
    fn kind(&self) -> SubAgentKind {
        SubAgentKind::Voice
    }

    fn estimate(&self, _input: &AgentInput) -> CostEstimate {
        let t = &self.toolkit;
        estimate::llm(
            t,
            ROUTE,
            LlmShape {
                prompt_tokens_low: 600,
                prompt_tokens_high: 1_800,
                max_output_tokens: u64::from(self.options.max_tokens),
                calls_low: 1,
                calls_high: 2,
            },
        )
        // A spoken script is ~500–1,200 characters.
        .add(estimate::tts(t, 500, 1_200))
        .into_estimate()
    }

    async fn run(&self, input: &AgentInput) -> Result<AgentResult, AgentError> {
        let spend = Spend::start(&input.meter);
        let t = &self.toolkit;
        if input.company_name.trim().is_empty() {
            return Err(spend.final_error("voice needs a company name"));
        }
        let research = input.prior_of(SubAgentKind::Research);
        if research.is_none() {
            spend.warn("no research result: the script is generic");
        }
        let mut sources = Sources::default();
        for u in research
            .and_then(|r| r.get("sources"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            sources.add_prior_url(u);
        }
        let urls = sources.urls();
        let (name, title) = contact(input);
        let request = ChatRequest {
            system: Some(prompts::voice_system()),
            messages: vec![Message::Text {
                role: Role::User,
                text: user_prompt(input, name.as_deref(), title.as_deref(), research),
            }],
            json_schema: Some(JsonSchemaFormat {
                name: "call_script".into(),
                schema: schemas::voice(&urls),
            }),
            max_tokens: self.options.max_tokens,
            ..ChatRequest::default()
        };
        let chat = RecordingChat {
            router: &t.router,
            agent: ROUTE,
            spend: &spend,
        };
        let answer = chat_json_with::<Value, _>(&chat, request)
            .await
            .map_err(|e| spend.fail(e))?;
        let mut script = answer.value.value;
        let opener = ensure_greeting(&s(&script, "opener").unwrap_or_default(), name.as_deref());
        script["opener"] = json!(opener);
        let reason_source = s(&script, "reason_source").and_then(|u| sources.cite(&u));
        script["reason_source"] = json!(reason_source);
        let text = spoken_text(&script);

        let out = self.audio_path(input);
        let written = self.run_audio_path(input);
        let audio = t
            .synthesize(&text, &written)
            .await
            .map_err(|e| spend.fail(e))?;
        spend.record(&audio);

        let evidence = VoiceEvidence {
            research_present: research.is_some(),
            reason_cites_source: reason_source.is_some(),
            contact_name_known: name.is_some(),
            audio_produced: audio.value.seconds > 0.0,
        };
        let result_sources: Vec<String> = reason_source.iter().cloned().collect();
        let data = json!({
            "script": script,
            "text": text,
            "audio_path": out.display().to_string(),
            "audio_seconds": audio.value.seconds,
            "audio_bytes": audio.value.bytes,
            "tts_provider": audio.provider,
            "contact_name": name,
            "research_used": research.is_some(),
            "sources": result_sources,
        });
        let mut result = Finish {
            kind: SubAgentKind::Voice,
            prompt_version: PROMPT_VERSION,
            synthetic: t.synthetic,
            sources: result_sources,
            confidence: confidence::voice(&evidence),
            main: (answer.provider, answer.model),
        }
        .into_result(data, &spend);
        result.artefacts.push(Artefact {
            temp_path: written,
            final_path: out,
        });
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_and_spoken_text() {
        assert_eq!(
            ensure_greeting("Hi Ada, this is Bo.", Some("Ada Lovelace")),
            "Hi Ada, this is Bo."
        );
        assert_eq!(
            ensure_greeting("Good morning.", Some("Ada Lovelace")),
            "Hi Ada, Good morning."
        );
        assert_eq!(ensure_greeting(" Hello there. ", None), "Hello there.");
        let script = json!({"opener": "Hi.", "reason": "Because.", "questions": ["Q1?", "Q2?"],
            "objections": [{"objection": "No", "response": "Ok"}], "close": "Tuesday?"});
        assert_eq!(spoken_text(&script), "Hi. Because. Q1? Q2? Tuesday?");
    }
}
