//! Campaign control: pause, resume, cancel, retry the failed jobs. Each is one transaction
//! that checks the current status first, so an invalid transition is a clear
//! [`StoreError::Conflict`] naming both states, and returns the campaign as stored.

use atl_domain::CampaignStatus;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::db::DbTime;
use crate::db::args;
use crate::ledger::bookkeeping::{event, freeze_campaign, settle_all, settle_campaign};
use crate::ledger::sql::{CAMPAIGN_STATUS, REFRESH_COUNTERS, SKIP_PENDING};
use crate::ledger::tx::{Sql, Tx, retry_transient};
use crate::model::{Campaign, CampaignRow, campaign_columns, parse_status};
use crate::{Store, StoreError};

const SET_STATUS: &str = concat!(
    "UPDATE atl_campaigns SET status = $2, updated_at = $3 WHERE id = $1 RETURNING ",
    campaign_columns!()
);
const CANCEL: &str = concat!(
    "UPDATE atl_campaigns SET status = 'cancelled', completed_at = $2, updated_at = $2 \
     WHERE id = $1 RETURNING ",
    campaign_columns!()
);
const SELECT_CAMPAIGN: &str = concat!(
    "SELECT ",
    campaign_columns!(),
    " FROM atl_campaigns WHERE id = $1"
);
/// Failed and skipped jobs (what makes a target partial or failed) run again from
/// scratch: attempts and patience reset, `runs` kept (it numbers every run ever made).
/// Completed jobs and their results are untouched.
const RETRY_JOBS: &str = "UPDATE sub_agent_executions SET status = 'pending', attempts = 0, \
    run_after = $2, finished_at = NULL, lease_owner = NULL, lease_token = NULL, \
    lease_expires_at = NULL, reserved_nano_usd = 0, waiting_since = NULL, updated_at = $2 \
    WHERE campaign_id = $1 AND status IN ('failed', 'skipped')";
/// Every failed and skipped job is retried, so no target keeps one on record.
const CLEAR_FAILED_SUB_AGENTS: &str = "UPDATE atl_targets SET failed_sub_agents = NULL, \
    updated_at = $2 WHERE campaign_id = $1 AND failed_sub_agents IS NOT NULL";
const REOPEN_TARGETS: &str = "UPDATE atl_targets SET enrichment_status = 'processing', \
    updated_at = $2 WHERE campaign_id = $1 \
    AND enrichment_status IN ('completed', 'partial', 'failed', 'cancelled') \
    AND EXISTS (SELECT 1 FROM sub_agent_executions j WHERE j.target_id = atl_targets.id \
                AND j.status = 'pending')";
/// The budget stop is lifted too: it is taken again if the retried jobs do not fit.
const REOPEN_CAMPAIGN: &str = "UPDATE atl_campaigns SET status = 'processing', \
    completed_at = NULL, budget_exhausted = FALSE, updated_at = $2 WHERE id = $1";

async fn current_status(tx: &mut Tx, campaign_id: i64) -> Result<CampaignStatus, StoreError> {
    let row: Option<(String,)> = tx
        .fetch_optional(Sql::Both(CAMPAIGN_STATUS), &args![campaign_id])
        .await?;
    let (status,) = row.ok_or(StoreError::NotFound)?;
    parse_status("atl_campaigns.status", &status)
}

fn refuse(campaign_id: i64, status: CampaignStatus, what: &str) -> StoreError {
    StoreError::Conflict(format!("campaign {campaign_id} is {status}: {what}"))
}

/// Ends a control operation: records its event (`kind`, `payload`), commits, and returns
/// the campaign as `row` has it.
async fn commit_control(
    mut tx: Tx,
    campaign_id: i64,
    kind: &str,
    payload: Value,
    at: OffsetDateTime,
    row: CampaignRow,
) -> Result<Campaign, StoreError> {
    event(&mut tx, campaign_id, kind, payload, at).await?;
    tx.commit().await?;
    Campaign::try_from(row)
}

impl Store {
    /// Opens a control operation's transaction, refused with `rule` unless the campaign's
    /// status is `allowed`; also returns the transaction's clock.
    async fn begin_control(
        &self,
        campaign_id: i64,
        allowed: impl Fn(CampaignStatus) -> bool,
        rule: &str,
    ) -> Result<(Tx, OffsetDateTime), StoreError> {
        let mut tx = Tx::begin(&self.db).await?;
        let at = tx.now();
        let status = current_status(&mut tx, campaign_id).await?;
        if !allowed(status) {
            return Err(refuse(campaign_id, status, rule));
        }
        Ok((tx, at))
    }

    /// processing → paused: no new jobs are handed out; running ones finish.
    pub async fn pause_campaign(&self, campaign_id: i64) -> Result<Campaign, StoreError> {
        self.simple_transition(
            campaign_id,
            CampaignStatus::Processing,
            CampaignStatus::Paused,
            "only a processing campaign can be paused",
            "campaign_paused",
        )
        .await
    }

    /// paused → processing.
    pub async fn resume_campaign(&self, campaign_id: i64) -> Result<Campaign, StoreError> {
        self.simple_transition(
            campaign_id,
            CampaignStatus::Paused,
            CampaignStatus::Processing,
            "only a paused campaign can be resumed",
            "campaign_resumed",
        )
        .await
    }

    async fn simple_transition(
        &self,
        campaign_id: i64,
        from: CampaignStatus,
        to: CampaignStatus,
        rule: &'static str,
        event_kind: &'static str,
    ) -> Result<Campaign, StoreError> {
        retry_transient(|| async {
            let (mut tx, at) = self.begin_control(campaign_id, |s| s == from, rule).await?;
            let row: CampaignRow = tx
                .fetch_one(
                    Sql::Both(SET_STATUS),
                    &args![campaign_id, to.as_str(), DbTime(at)],
                )
                .await?;
            commit_control(tx, campaign_id, event_kind, json!({}), at, row).await
        })
        .await
    }

    /// pending / processing / paused → cancelled: pending jobs are skipped ("cancelled"),
    /// targets with nothing left to run settle (those without any result become
    /// cancelled), running jobs may still finish and are recorded.
    pub async fn cancel_campaign(&self, campaign_id: i64) -> Result<Campaign, StoreError> {
        retry_transient(|| async {
            let rule = "only a pending, processing or paused campaign can be cancelled";
            let (mut tx, at) = self
                .begin_control(campaign_id, |s| !s.is_final(), rule)
                .await?;
            let skipped = tx
                .execute(
                    Sql::Both(SKIP_PENDING),
                    &args![campaign_id, "cancelled", DbTime(at)],
                )
                .await?;
            settle_all(&mut tx, campaign_id, at).await?;
            let row: CampaignRow = tx
                .fetch_one(Sql::Both(CANCEL), &args![campaign_id, DbTime(at)])
                .await?;
            let payload = json!({"skipped_jobs": skipped});
            commit_control(tx, campaign_id, "campaign_cancelled", payload, at, row).await
        })
        .await
    }

    /// Failed and skipped jobs go back to pending with their attempts reset; their targets
    /// (partial, failed, or cancelled by the budget) are processing again and the campaign
    /// too. Completed jobs and their results stay as they are. Allowed on a processing,
    /// paused, completed or failed campaign (a paused one becomes processing); with nothing
    /// to retry the campaign is settled again at once. See [`Store::retryable_jobs`] for
    /// what it would run.
    pub async fn retry_failed(&self, campaign_id: i64) -> Result<Campaign, StoreError> {
        retry_transient(|| async {
            let rule = "only a started, not cancelled campaign has failures to retry";
            let started = |s| !matches!(s, CampaignStatus::Pending | CampaignStatus::Cancelled);
            let (mut tx, at) = self.begin_control(campaign_id, started, rule).await?;
            let t = DbTime(at);
            let jobs = tx
                .execute(Sql::Both(RETRY_JOBS), &args![campaign_id, t])
                .await?;
            freeze_campaign(&mut tx, campaign_id).await?;
            tx.execute(Sql::Both(CLEAR_FAILED_SUB_AGENTS), &args![campaign_id, t])
                .await?;
            tx.execute(Sql::Both(REOPEN_TARGETS), &args![campaign_id, t])
                .await?;
            tx.execute(Sql::Both(REFRESH_COUNTERS), &args![campaign_id, t])
                .await?;
            tx.execute(Sql::Both(REOPEN_CAMPAIGN), &args![campaign_id, t])
                .await?;
            event(
                &mut tx,
                campaign_id,
                "retry_failed",
                json!({"jobs": jobs}),
                at,
            )
            .await?;
            // Nothing to retry: the campaign is complete again at once.
            settle_campaign(&mut tx, campaign_id, at).await?;
            let row: CampaignRow = tx
                .fetch_one(Sql::Both(SELECT_CAMPAIGN), &args![campaign_id])
                .await?;
            tx.commit().await?;
            Campaign::try_from(row)
        })
        .await
    }
}
