//! Voice: a short cold-call script grounded in research, addressed to the contact, and —
//! when the campaign renders audio in the job — its audio.
//!
//! Reads research and enrichment from the earlier results (either may be absent: with no
//! research the script is generic and says so, with no invented facts). The reason for
//! the call rests on one fresh, sourced news item or signal of the brief (the schema
//! allows only their URLs); stale news is never the reason. The opener greets the
//! contact by the name a caller says ("C. Douglas McMillon" → "Douglas"); with no input
//! contact nobody is greeted by name. Audio is rendered on demand by default (see
//! [`audio`]); in `eager` and `local` modes the job renders it and refuses audio that is
//! not whole.

pub mod audio;
mod greeting;

pub use greeting::ensure_greeting;

use crate::agent::{AgentError, AgentInput, CostEstimate};
use crate::confidence::{self, VoiceEvidence};
use crate::declare::{model_options, sub_agent};
use crate::estimate::{self, LlmShape};
use crate::options::AudioMode;
use crate::prompts::{self, clip, fence};
use crate::schemas::{self, text_of};
use crate::spend::{ModelCall, Outcome, Run, Spend};
use atl_domain::records::{CallScript, ContactOutcome, EnrichmentRecord, Objection, ResearchBrief};
use atl_domain::{Artefact, SubAgentKind};
use serde_json::Value;

/// A spoken script runs about this many characters.
pub const TYPICAL_SCRIPT_CHARS: u64 = 650;

model_options!(VoiceOptions, 800);
sub_agent!(VoiceAgent, VoiceOptions, SubAgentKind::Voice);
const CALL: ModelCall = ModelCall::new("voice", "call_script", prompts::voice_system);

/// The contact's name and title: enrichment's contact (the input's person as found or as
/// given), else the input's; nobody when the input named no contact.
fn contact(
    input: &AgentInput,
    enrichment: Option<&EnrichmentRecord>,
) -> (Option<String>, Option<String>) {
    if let Some(e) = enrichment {
        if e.contact_outcome == ContactOutcome::NoInputContact {
            return (None, None);
        }
        if let Some(c) = &e.contact {
            return (
                Some(c.name.clone()),
                c.title.as_ref().map(|t| t.value.clone()),
            );
        }
    }
    (
        input.contact().map(String::from),
        input.contact_title.clone().filter(|t| !t.trim().is_empty()),
    )
}

/// The research facts a script may use, and the URLs of its fresh reasons.
fn research_facts(r: &ResearchBrief) -> (String, Vec<String>) {
    let mut out = String::new();
    for (key, c) in r.claims().iter().take(3) {
        if let Some(c) = c {
            out.push_str(&format!("{key}: {}\n", clip(&c.value, 500)));
        }
    }
    let mut urls = Vec::new();
    for (text, url, date) in r.fresh_reasons().take(4) {
        out.push_str(&format!(
            "reason: {} ({date}; source: {url})\n",
            clip(text, 300)
        ));
        if !urls.iter().any(|u| u == url) {
            urls.push(url.to_string());
        }
    }
    (out, urls)
}

fn user_prompt(
    input: &AgentInput,
    name: Option<&str>,
    title: Option<&str>,
    research: Option<&(String, Vec<String>)>,
) -> String {
    let mut p = format!("Company: {}\n", input.company());
    match name {
        Some(n) => p.push_str(&format!("Contact: {}\n", clip(n, 200))),
        None => p.push_str("The contact's name is not known: greet without a name.\n"),
    }
    if let Some(t) = title {
        p.push_str(&format!("Contact title: {}\n", clip(t, 200)));
    }
    let seller = &input.options.seller;
    p.push_str(&format!(
        "Rep: {} from {}\nWhat we sell: {}\n\n",
        seller.name.as_deref().unwrap_or("the rep"),
        seller.company.as_deref().unwrap_or("our company"),
        clip(
            seller
                .pitch
                .as_deref()
                .filter(|x| !x.trim().is_empty())
                .unwrap_or("(no pitch given: keep the offer general)"),
            600
        )
    ));
    match research {
        Some((facts, urls)) => {
            p.push_str("Research on the account (from web pages):\n");
            p.push_str(&fence("untrusted_research", "", facts));
            p.push_str("\n\n");
            if urls.is_empty() {
                p.push_str("No fresh news or signal is known: base the reason on the overview and set reason_source to null.\n\n");
            }
        }
        None => p.push_str(
            "No research is available: write a generic, honest reason for the call and set reason_source to null.\n\n",
        ),
    }
    p.push_str("Write the call script as JSON.");
    p
}

/// What is spoken: opener, reason, the two questions, close.
pub(crate) fn spoken_text(script: &CallScript) -> String {
    let mut parts: Vec<&str> = vec![script.opener.trim(), script.reason.trim()];
    parts.extend(script.questions.iter().map(|q| q.trim()));
    parts.push(script.close.trim());
    parts.retain(|p| !p.is_empty());
    parts.join(" ")
}

impl VoiceAgent {
    fn quote(&self, input: &AgentInput) -> CostEstimate {
        let t = &self.kit.toolkit;
        let shape = LlmShape {
            // Expected figures as measured on sandbox campaigns (scripts/bench-cost.sh).
            prompt_tokens: (500, 750, 1_600),
            output_tokens_expected: 250,
            max_output_tokens: self.options.max_tokens,
        };
        let mut q = estimate::llm(t, CALL.route, input, shape);
        if input.options.audio == AudioMode::Eager {
            q = q.add(estimate::tts(t, (400, TYPICAL_SCRIPT_CHARS, 1_200)));
        }
        q.into_estimate()
    }

    async fn work(&self, input: &AgentInput, spend: &Spend) -> Run<CallScript> {
        let t = &self.kit.toolkit;
        if input.company().is_empty() {
            return Err(spend.final_error("voice needs a company name"));
        }
        let research = input.research();
        let enrichment = input.enrichment();
        let generic = research.is_none();
        if generic {
            spend.warn("no research: generic script");
        }
        let facts = research.as_ref().map(research_facts);
        let urls = facts.as_ref().map(|f| f.1.clone()).unwrap_or_default();
        let (name, title) = contact(input, enrichment.as_ref());
        let prompt = user_prompt(input, name.as_deref(), title.as_deref(), facts.as_ref());
        let answer = CALL
            .ask(
                &self.kit,
                spend,
                prompt,
                schemas::voice(&urls),
                self.options.max_tokens,
            )
            .await?;
        let a = &answer.value;
        let reason_source = text_of(a, "reason_source").filter(|u| urls.contains(u));
        let mut script = CallScript {
            opener: ensure_greeting(&text_of(a, "opener").unwrap_or_default(), name.as_deref()),
            reason: text_of(a, "reason").unwrap_or_default(),
            reason_source: reason_source.clone(),
            questions: a
                .get("questions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|q| {
                    q.as_str()
                        .map(str::trim)
                        .filter(|q| !q.is_empty())
                        .map(String::from)
                })
                .collect(),
            objections: a
                .get("objections")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|o| {
                    Some(Objection {
                        objection: text_of(o, "objection")?,
                        response: text_of(o, "response")?,
                    })
                })
                .collect(),
            close: text_of(a, "close").unwrap_or_default(),
            generic,
            greeting_name: name
                .as_deref()
                .and_then(atl_domain::person_name::greeting_name),
            ..CallScript::default()
        };
        script.text = spoken_text(&script);

        let mode = input.options.audio;
        let mut artefact = None;
        if mode.renders_in_job() {
            let local = (mode == AudioMode::Local).then(|| t.local_tts.as_ref());
            // Written under a name of this run's own; the engine moves it to its final
            // name only once this run's result has committed under its lease.
            let tag = format!("a{}", input.attempt.max(1));
            let out = audio::audio_path(&input.data_dir, input.target_id, &tag);
            let temp = out.with_extension("tmp.wav");
            match audio::render(t, local, &script.text, &temp, &input.data_dir).await {
                Ok((mut a, spent)) => {
                    spend.record(&spent);
                    a.path = out
                        .strip_prefix(&input.data_dir)
                        .unwrap_or(&out)
                        .to_string_lossy()
                        .to_string();
                    script.audio = Some(a);
                    artefact = Some(Artefact {
                        temp_path: temp,
                        final_path: out,
                    });
                }
                Err((e, spent)) => {
                    if let Some(m) = &spent {
                        spend.record(m);
                    }
                    return Err(
                        AgentError::new(e.kind(), e.to_string()).with_spent(spend.known().nanos())
                    );
                }
            }
        }

        let evidence = VoiceEvidence {
            research_present: research.is_some(),
            reason_cites_source: reason_source.is_some(),
            contact_name_known: name.is_some(),
        };
        let sources: Vec<String> = reason_source.into_iter().collect();
        let confidence = confidence::voice(&evidence);
        let mut outcome = Outcome::new(script, sources, confidence, answer.main);
        outcome.artefacts.extend(artefact);
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spoken_text_leaves_objections_to_the_rep() {
        let script = CallScript {
            opener: "Hi.".into(),
            reason: "Because.".into(),
            questions: vec!["Q1?".into(), "Q2?".into()],
            objections: vec![Objection {
                objection: "No".into(),
                response: "Ok".into(),
            }],
            close: "Tuesday?".into(),
            ..CallScript::default()
        };
        assert_eq!(spoken_text(&script), "Hi. Because. Q1? Q2? Tuesday?");
    }
}
