//! What the suites that run `atl` against a store share.

use atl_store::Store;

/// Starts the campaign imported last (every sub-agent, three attempts), as `atl run`
/// would, so that workers find its jobs; its id.
pub async fn start_newest_campaign(store: &Store) -> i64 {
    let id = store.list_campaigns(None, 1, 0).await.unwrap()[0].id;
    store
        .start_campaign(id, atl_domain::SubAgentKind::ALL, 3)
        .await
        .unwrap();
    id
}
