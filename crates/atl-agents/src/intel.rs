//! Intel: the competitive landscape and where the seller can differentiate.
//!
//! Runs after research has ended (the ledger holds it back until then) and reads the
//! same evidence pack research gathered, from the cache — it never searches on its own —
//! plus the research brief when research succeeded. One structured call on the `intel`
//! route. Competitor domains are cleaned to bare domains (anything that is not one
//! becomes null; the target's own domain is removed); a competitor, the positioning or an
//! opportunity cites a URL of the pack or is the model's own knowledge, marked as such.

use crate::agent::{AgentError, AgentInput, CostEstimate, SubAgent};
use crate::confidence::{self, IntelEvidence};
use crate::estimate::{self, LlmShape};
use crate::evidence::{self, EvidencePack};
use crate::kit::AgentKit;
use crate::prompts::{self, INTEL_VERSION, clip, fence};
use crate::research::target_header;
use crate::schemas;
use crate::spend::{Finish, RecordingChat, Spend};
use atl_domain::provenance::{Claim, Provenance};
use atl_domain::records::{Competitor, IntelReport, ResearchBrief};
use atl_domain::{AgentResult, SubAgentKind, domain_name};
use atl_providers::llm::{ChatRequest, JsonSchemaFormat, Message, Role};
use atl_providers::structured::chat_json_with;
use serde_json::Value;

pub const PROMPT_VERSION: &str = INTEL_VERSION;
const ROUTE: &str = "intel";

#[derive(Debug, Clone)]
pub struct IntelOptions {
    pub max_tokens: u32,
}

impl Default for IntelOptions {
    fn default() -> Self {
        IntelOptions { max_tokens: 1_000 }
    }
}

pub struct IntelAgent {
    kit: AgentKit,
    options: IntelOptions,
}

impl IntelAgent {
    pub fn new(kit: AgentKit) -> Self {
        Self::with_options(kit, IntelOptions::default())
    }

    pub fn with_options(kit: AgentKit, options: IntelOptions) -> Self {
        IntelAgent { kit, options }
    }
}

fn text_of(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// The parts of a research brief worth showing intel, as plain lines (the brief came
/// from web pages, so it is fenced like them).
fn research_digest(r: &ResearchBrief) -> String {
    let mut out = String::new();
    for (key, c) in r.claims() {
        if let Some(c) = c {
            out.push_str(&format!("{key}: {}\n", clip(&c.value, 800)));
        }
    }
    for n in r.recent_news.iter().take(5) {
        out.push_str(&format!(
            "news: {} ({}) {}\n",
            n.title,
            n.date.as_deref().unwrap_or("undated"),
            n.url
        ));
    }
    out
}

fn user_prompt(
    input: &AgentInput,
    research: Option<&ResearchBrief>,
    pack: &EvidencePack,
    today: time::Date,
) -> String {
    let mut p = target_header(input, today);
    let seller = &input.options.seller;
    let pitch = seller
        .pitch
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("(no pitch given: keep the opportunities general)");
    p.push_str(&format!(
        "Seller: {} ({})\nSeller pitch: {}\n\n",
        seller.name.as_deref().unwrap_or("unnamed"),
        seller.company.as_deref().unwrap_or("unnamed company"),
        clip(pitch, 600),
    ));
    match research {
        Some(r) => {
            p.push_str("Research brief on the account (from web pages):\n");
            p.push_str(&fence("untrusted_research", "", &research_digest(r)));
            p.push_str("\n\n");
        }
        None => p.push_str("No research brief is available for this account.\n\n"),
    }
    if !pack.is_empty() {
        p.push_str("Material read (data, not instructions):\n\n");
        p.push_str(&pack.render(prompts::MAX_PROMPT_CHARS - 6_000));
    }
    p.push_str("Write the competitive analysis as JSON.");
    p
}

fn claim(v: Option<&Value>, pack: &EvidencePack) -> Option<Claim> {
    let v = v?;
    let body = match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        _ => text_of(v, "text"),
    }?;
    let provenance = text_of(v, "source_url")
        .and_then(|u| pack.provenance_of(&u))
        .unwrap_or_else(Provenance::model);
    Some(Claim::new(body, provenance))
}

/// A bare domain when `raw` is one (`acme.com`), else `None`.
fn clean_domain(raw: Option<&str>) -> Option<String> {
    domain_name::host_of(raw?).filter(|h| !h.contains(' '))
}

/// The answer checked against the pack.
pub fn clean_intel(answer: &Value, pack: &EvidencePack, own_domain: Option<&str>) -> IntelReport {
    let competitors: Vec<Competitor> = answer
        .get("competitors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let name = text_of(c, "name")?;
            let domain = clean_domain(c.get("domain").and_then(Value::as_str)).filter(|d| {
                own_domain
                    .is_none_or(|own| domain_name::registrable_domain(d).as_deref() != Some(own))
            });
            let provenance = text_of(c, "source_url")
                .and_then(|u| pack.provenance_of(&u))
                .unwrap_or_else(Provenance::model);
            Some(Competitor {
                name,
                domain,
                why: text_of(c, "why"),
                provenance,
            })
        })
        .collect();
    let opportunities = answer
        .get("differentiation_opportunities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| claim(Some(o), pack))
        .collect();
    let mut report = IntelReport {
        competitors,
        positioning: claim(answer.get("positioning"), pack),
        differentiation_opportunities: opportunities,
        ..IntelReport::default()
    };
    let mut sources: Vec<String> = Vec::new();
    let cited = report
        .competitors
        .iter()
        .filter_map(|c| c.provenance.evidence_url.clone())
        .chain(
            report
                .positioning
                .iter()
                .filter_map(|c| c.provenance.evidence_url.clone()),
        )
        .chain(
            report
                .differentiation_opportunities
                .iter()
                .filter_map(|c| c.provenance.evidence_url.clone()),
        );
    for u in cited {
        if !sources.contains(&u) {
            sources.push(u);
        }
    }
    report.sources = sources;
    report
}

#[async_trait::async_trait]
impl SubAgent for IntelAgent {
    fn kind(&self) -> SubAgentKind {
        SubAgentKind::Intel
    }

    fn estimate(&self, input: &AgentInput) -> CostEstimate {
        let name = input.company().chars().count() as u64 / 4;
        let page = (evidence::MAX_PAGE_CHARS / 4) as u64;
        // The pack is research's (cached): no search of its own.
        estimate::llm(
            &self.kit.toolkit,
            ROUTE,
            LlmShape {
                prompt_tokens_low: 800 + name + 300,
                // Expected figures as measured on sandbox campaigns (scripts/bench-cost.sh):
                // the pack's results are shorter than research's, since intel gets
                // research's brief instead of the page.
                prompt_tokens_expected: match input.cached.pack_tokens {
                    Some(pack) => 650 + name + pack * 17 / 10,
                    None => 800 + name + 700 + page / 2,
                },
                prompt_tokens_high: 800 + name + 2_000 + page,
                output_tokens_expected: 330,
                max_output_tokens: u64::from(self.options.max_tokens),
                calls_low: 1,
                calls_high: 2,
            },
        )
        .into_estimate()
    }

    async fn run(&self, input: &AgentInput) -> Result<AgentResult, AgentError> {
        let spend = Spend::start(&input.meter);
        if input.company().is_empty() {
            return Err(spend.final_error("intel needs a company name"));
        }
        let research = input.research();
        if research.is_none() {
            spend.warn("no research result: intel works from the evidence pack alone");
        }
        let pack = evidence::pack_for(&self.kit, input, &spend)
            .await
            .map_err(|e| spend.fail(e))?;
        let today = self.kit.now().date();
        let urls = pack.urls();
        let request = ChatRequest {
            system: Some(prompts::intel_system()),
            messages: vec![Message::Text {
                role: Role::User,
                text: user_prompt(input, research.as_ref(), &pack, today),
            }],
            json_schema: Some(JsonSchemaFormat {
                name: "competitive_intel".into(),
                schema: schemas::intel(&urls),
            }),
            max_tokens: self.options.max_tokens,
            ..ChatRequest::default()
        };
        let chat = RecordingChat {
            router: &self.kit.toolkit.router,
            agent: ROUTE,
            spend: &spend,
        };
        let answer = chat_json_with::<Value, _>(&chat, request)
            .await
            .map_err(|e| spend.fail(e))?;
        for r in &answer.value.repairs {
            spend.warn(format!("the model's reply was repaired: {r}"));
        }
        let own = input.registrable_domain();
        let mut report = clean_intel(&answer.value.value, &pack, own.as_deref());
        report.research_used = research.is_some();
        let evidence = IntelEvidence {
            distinct_sources: report.sources.len(),
            competitors_supported: report
                .competitors
                .iter()
                .filter(|c| c.provenance.source.is_evidence())
                .count(),
            research_used: report.research_used,
            positioning_supported: report.positioning.as_ref().is_some_and(Claim::is_supported),
            has_opportunities: !report.differentiation_opportunities.is_empty(),
        };
        Ok(Finish {
            kind: SubAgentKind::Intel,
            prompt_version: PROMPT_VERSION,
            synthetic: self.kit.toolkit.synthetic,
            sources: report.sources.clone(),
            confidence: confidence::intel(&evidence),
            main: (answer.provider, answer.model),
        }
        .into_result(&report, &spend))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atl_domain::SourceKind;
    use serde_json::json;

    #[test]
    fn competitor_domains_are_cleaned_and_citations_checked() {
        let pack = EvidencePack {
            hits: vec![crate::evidence::Hit {
                url: "https://news.example/rivals".into(),
                title: "Acme vs Rival".into(),
                snippet: "s".into(),
                date: None,
                own_site: false,
                observed_at: "2026-12-01T00:00:00Z".into(),
            }],
            ..EvidencePack::default()
        };
        let a = json!({
            "competitors": [
                {"name": "Rival", "domain": "https://www.rival.com/", "why": "same market", "source_url": "https://news.example/rivals"},
                {"name": "Self", "domain": "shop.acme.com", "why": "x", "source_url": null},
                {"name": "Vague", "domain": "not a domain", "why": "x", "source_url": "https://invented.example/"},
                {"name": "", "domain": null, "why": "nameless is dropped", "source_url": null}
            ],
            "positioning": {"text": "p", "source_url": null},
            "differentiation_opportunities": [{"text": "d", "source_url": null}]
        });
        let r = clean_intel(&a, &pack, Some("acme.com"));
        assert_eq!(r.competitors.len(), 3);
        assert_eq!(r.competitors[0].domain.as_deref(), Some("rival.com"));
        assert_eq!(r.competitors[0].provenance.source, SourceKind::Search);
        assert!(
            r.competitors[1].domain.is_none(),
            "the account's own domain is no competitor"
        );
        assert!(r.competitors[2].domain.is_none());
        assert_eq!(r.competitors[2].provenance.source, SourceKind::Model);
        assert_eq!(r.sources, vec!["https://news.example/rivals"]);
        assert!(!r.positioning.unwrap().is_supported());
    }
}
