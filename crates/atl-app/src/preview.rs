//! An upload looked at before anything is stored: what the importer would make of the
//! file (encoding, delimiter, header mapping, rejected rows with their lines and reasons,
//! duplicates) and what running the four sub-agents on its targets would cost.
//!
//! The file goes through the same `decode` and `Importer` as [`crate::import_csv`], with
//! the same options, so what the preview shows is what the import does; nothing touches
//! the store. The quote is the agents' own estimate for each parsed target.

use crate::itemised::{ItemisedQuote, QuoteBuilder};
use crate::{AppError, Providers};
use atl_agents::{AgentInput, CampaignOptions};
use atl_domain::{NewTarget, SubAgentKind};
use atl_import::{ImportOptions, ImportSummary, Importer, RowOutcome};
use atl_store::Store;

/// Targets shown as they would be imported.
pub const PREVIEW_SAMPLE: usize = 10;

/// What a preview is asked for.
#[derive(Debug, Clone, Default)]
pub struct PreviewRequest {
    /// Column overrides and limits, exactly as the import will get them.
    pub options: ImportOptions,
    /// The campaign's settings (seller, pitch …): the prompts, so the quote, depend on them.
    pub settings: serde_json::Value,
}

/// What importing the file would do, and cost.
#[derive(Debug, Clone)]
pub struct UploadPreview {
    /// The importer's report: encoding, delimiter, headers, mapping, rejected rows,
    /// warnings, duplicates.
    pub summary: ImportSummary,
    /// The first [`PREVIEW_SAMPLE`] targets as they would be stored.
    pub sample: Vec<NewTarget>,
    /// The four sub-agents on every target. `None` without providers to quote with.
    pub quote: Option<ItemisedQuote>,
}

fn input_of(t: &NewTarget, options: &CampaignOptions) -> AgentInput {
    AgentInput {
        company_name: t.company_name.clone(),
        contact_name: t.contact_name.clone(),
        contact_email: t.contact_email.clone(),
        contact_title: t.contact_title.clone(),
        linkedin_url: t.linkedin_url.clone(),
        website: t.website.clone(),
        domain: t.domain.clone(),
        extra: serde_json::from_str(&t.extra).unwrap_or(serde_json::Value::Null),
        options: options.clone(),
        ..AgentInput::default()
    }
}

/// Parses `bytes` as [`crate::import_csv`] would and quotes the result; stores nothing.
/// A file the import would refuse as a whole (too large, not text, no company column,
/// control characters, too many targets) is the same error here.
pub async fn preview_csv(
    store: &Store,
    providers: Option<&Providers>,
    bytes: &[u8],
    request: &PreviewRequest,
) -> Result<UploadPreview, AppError> {
    if bytes.len() as u64 > request.options.max_bytes {
        return Err(atl_import::ImportError::TooLarge {
            limit_bytes: request.options.max_bytes,
        }
        .into());
    }
    let decoded = atl_import::decode(bytes)?;
    let mut importer =
        Importer::new(&decoded.text, &request.options)?.with_encoding(decoded.encoding);
    let options = CampaignOptions::from_settings(&request.settings);
    let mut quote = providers.map(|p| QuoteBuilder::new(store, p));
    let mut sample = Vec::new();
    for outcome in importer.by_ref() {
        // Duplicates merge into their first row, which is already quoted.
        if let RowOutcome::Target(t) = outcome? {
            if let Some(q) = quote.as_mut() {
                q.add(&input_of(&t, &options), SubAgentKind::ALL);
            }
            if sample.len() < PREVIEW_SAMPLE {
                sample.push(t);
            }
        }
    }
    Ok(UploadPreview {
        summary: importer.finish(),
        sample,
        quote: quote.map(QuoteBuilder::finish),
    })
}
