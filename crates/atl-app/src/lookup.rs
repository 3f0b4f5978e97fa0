//! The look-ups every call starts with, failing with the not-found error a user sees.

use crate::AppError;
use atl_store::{Campaign, Store};

/// The team's campaign (any team's with `None`), or [`AppError::CampaignNotFound`].
pub(crate) async fn find_campaign(
    store: &Store,
    team_id: Option<i64>,
    campaign_id: i64,
) -> Result<Campaign, AppError> {
    store
        .get_campaign(team_id, campaign_id)
        .await?
        .ok_or(AppError::CampaignNotFound(campaign_id))
}
