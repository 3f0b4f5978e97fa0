use atl_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("campaign {0} not found")]
    CampaignNotFound(i64),
    #[error("no sub-agent is registered")]
    NoAgents,
    /// The database kept failing; the campaign's state is intact and a later run resumes it.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}
