//! Apollo calls shared by concurrent jobs: people matches go out ten to a bulk call, and
//! executive searches ten domains to a call, so a campaign makes about one Apollo request
//! per ten targets for each.
//!
//! Each job asks for its own person or domain and awaits its own answer; a collector task
//! gathers requests until it has ten or the batching window has passed since the first,
//! then sends one call (on a task of its own, so the next batch forms meanwhile) and
//! hands every job its share. A bulk call's cost is shared among the people it found
//! (Apollo charges per hit); a failed call fails every job of the batch with the same
//! error, and each job's retry policy decides what comes next.

use atl_domain::domain_name;
use atl_providers::apollo::{ApolloPerson, PeopleSearch, PersonMatch};
use atl_providers::toolkit::Toolkit;
use atl_providers::{ProviderError, Usage};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Apollo's limit per bulk call (people or domains).
pub const BATCH_MAX: usize = 10;
/// People asked of one search page, and pages read per batch at most.
const SEARCH_PER_PAGE: u32 = 100;
const SEARCH_MAX_PAGES: u32 = 3;

/// One job's share of a batched call.
#[derive(Debug, Clone)]
pub(crate) struct Share<T> {
    pub value: T,
    pub usage: Usage,
    pub cost_usd: Option<f64>,
    pub provider: String,
    pub model: String,
}

type Reply<T> = oneshot::Sender<Result<Share<T>, ProviderError>>;
type Queue<Req, T> = mpsc::UnboundedSender<(Req, Reply<T>)>;

struct Lane<Req, T> {
    tx: Mutex<Option<Queue<Req, T>>>,
    /// Batches of this lane waiting for our own limiter's rate slot. While one waits,
    /// the next cannot go sooner, so it keeps filling instead of leaving half empty.
    queued: Arc<AtomicUsize>,
}

impl<Req, T> Default for Lane<Req, T> {
    fn default() -> Self {
        Lane {
            tx: Mutex::new(None),
            queued: Arc::default(),
        }
    }
}

pub(crate) struct ApolloBatcher {
    toolkit: Arc<Toolkit>,
    window: Duration,
    matches: Lane<PersonMatch, Option<ApolloPerson>>,
    searches: Lane<(String, Vec<String>), Vec<ApolloPerson>>,
}

impl std::fmt::Debug for ApolloBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApolloBatcher")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

fn gone() -> ProviderError {
    ProviderError::connection("apollo", "the batching task stopped")
}

impl ApolloBatcher {
    pub(crate) fn new(toolkit: Arc<Toolkit>, window: Duration) -> Self {
        ApolloBatcher {
            toolkit,
            window,
            matches: Lane::default(),
            searches: Lane::default(),
        }
    }

    /// Match one person (batched with others' up to ten per call).
    pub(crate) async fn person(
        &self,
        query: PersonMatch,
    ) -> Result<Share<Option<ApolloPerson>>, ProviderError> {
        let toolkit = Arc::clone(&self.toolkit);
        let window = self.window;
        let queued = Arc::clone(&self.matches.queued);
        submit(&self.matches, query, move |rx| {
            let waiting = Arc::clone(&queued);
            collect(rx, window, queued, move |batch| {
                let (t, waiting) = (Arc::clone(&toolkit), Arc::clone(&waiting));
                async move { run_matches(&t, batch, &waiting).await }
            })
        })
        .await
    }

    /// The executives Apollo's free search lists at `domain` (batched by domain).
    pub(crate) async fn executives(
        &self,
        domain: String,
        seniorities: Vec<String>,
    ) -> Result<Share<Vec<ApolloPerson>>, ProviderError> {
        let toolkit = Arc::clone(&self.toolkit);
        let window = self.window;
        let queued = Arc::clone(&self.searches.queued);
        submit(&self.searches, (domain, seniorities), move |rx| {
            let waiting = Arc::clone(&queued);
            collect(rx, window, queued, move |batch| {
                let (t, waiting) = (Arc::clone(&toolkit), Arc::clone(&waiting));
                async move { run_searches(&t, batch, &waiting).await }
            })
        })
        .await
    }
}

/// Send a request into a lane, starting its collector when there is none (or the last
/// one stopped with its runtime).
async fn submit<Req, T, S, F>(
    lane: &Lane<Req, T>,
    req: Req,
    spawn: S,
) -> Result<Share<T>, ProviderError>
where
    Req: Send + 'static,
    T: Send + 'static,
    S: FnOnce(mpsc::UnboundedReceiver<(Req, Reply<T>)>) -> F,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let mut item = Some((req, reply));
    {
        let mut guard = lane.tx.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = guard.as_ref() {
            match tx.send(item.take().ok_or_else(gone)?) {
                Ok(()) => {}
                Err(mpsc::error::SendError(back)) => item = Some(back),
            }
        }
        if let Some(back) = item.take() {
            let (tx, rx) = mpsc::unbounded_channel();
            tx.send(back).map_err(|_| gone())?;
            *guard = Some(tx);
            tokio::spawn(spawn(rx));
        }
    }
    answer.await.map_err(|_| gone())?
}

async fn collect<Req, T, R, Fut>(
    mut rx: mpsc::UnboundedReceiver<(Req, Reply<T>)>,
    window: Duration,
    queued: Arc<AtomicUsize>,
    run: R,
) where
    Req: Send + 'static,
    T: Send + 'static,
    R: Fn(Vec<(Req, Reply<T>)>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let mut deadline = tokio::time::Instant::now() + window;
        while batch.len() < BATCH_MAX {
            tokio::select! {
                next = rx.recv() => match next {
                    Some(x) => batch.push(x),
                    None => break,
                },
                () = tokio::time::sleep_until(deadline) => {
                    if queued.load(Ordering::Relaxed) == 0 {
                        break;
                    }
                    deadline = tokio::time::Instant::now() + window;
                }
            }
        }
        tokio::spawn(run(batch));
    }
}

/// How long a batch waits, in all, for our own limiter's rate slot before its jobs are
/// told to come back later.
const QUEUE_PATIENCE: Duration = Duration::from_secs(120);

/// Send a batched call, waiting for our own limiter's rate slot when it is not free yet:
/// a full batch that went back to its jobs would return as several small ones, each
/// a request of its own under the same limit.
async fn queued<T, F, Fut>(waiting: &AtomicUsize, call: F) -> Result<T, ProviderError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let mut waited = Duration::ZERO;
    loop {
        match call().await {
            Err(e) if e.is_queued() && waited < QUEUE_PATIENCE => {
                let wait = e.retry_after().unwrap_or(Duration::from_secs(1));
                waiting.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(wait).await;
                waiting.fetch_sub(1, Ordering::Relaxed);
                waited += wait;
            }
            other => return other,
        }
    }
}

async fn run_matches(
    t: &Toolkit,
    batch: Vec<(PersonMatch, Reply<Option<ApolloPerson>>)>,
    waiting: &AtomicUsize,
) {
    let (queries, replies): (Vec<PersonMatch>, Vec<_>) = batch.into_iter().unzip();
    match queued(waiting, || t.apollo_bulk_match(&queries)).await {
        Ok(m) => {
            let hits = m.value.iter().filter(|p| p.is_some()).count() as u64;
            let per_hit = m
                .cost_usd
                .map(|c| if hits > 0 { c / hits as f64 } else { 0.0 });
            let credits_per_hit = m.usage.lookups.checked_div(hits).unwrap_or(0);
            for (person, reply) in m.value.into_iter().zip(replies) {
                let hit = person.is_some();
                let _ = reply.send(Ok(Share {
                    value: person,
                    usage: Usage {
                        lookups: if hit { credits_per_hit.max(1) } else { 0 },
                        ..Usage::default()
                    },
                    cost_usd: per_hit.map(|c| if hit { c } else { 0.0 }),
                    provider: m.provider.clone(),
                    model: m.model.clone(),
                }));
            }
        }
        Err(e) => {
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}

type SearchReq = (String, Vec<String>);

async fn run_searches(
    t: &Toolkit,
    batch: Vec<(SearchReq, Reply<Vec<ApolloPerson>>)>,
    waiting: &AtomicUsize,
) {
    let mut domains: Vec<String> = Vec::new();
    let mut seniorities: Vec<String> = Vec::new();
    for ((d, s), _) in &batch {
        if !domains.contains(d) {
            domains.push(d.clone());
        }
        for x in s {
            if !seniorities.contains(x) {
                seniorities.push(x.clone());
            }
        }
    }
    let mut found: HashMap<String, Vec<ApolloPerson>> = HashMap::new();
    let mut provider = ("apollo".to_string(), "people_search".to_string());
    let mut outcome = Ok(());
    for page in 1..=SEARCH_MAX_PAGES {
        let query = PeopleSearch {
            q_organization_domains_list: domains.clone(),
            person_seniorities: seniorities.clone(),
            page,
            per_page: SEARCH_PER_PAGE,
            ..PeopleSearch::default()
        };
        match queued(waiting, || t.apollo_people_search(&query)).await {
            Ok(m) => {
                provider = (m.provider.clone(), m.model.clone());
                let n = m.value.people.len();
                for p in m.value.people {
                    let own = p
                        .organization
                        .as_ref()
                        .and_then(|o| o.primary_domain.as_deref().or(o.website_url.as_deref()))
                        .and_then(domain_name::registrable_domain)
                        .or_else(|| (domains.len() == 1).then(|| domains[0].clone()));
                    if let Some(d) = own {
                        found.entry(d).or_default().push(p);
                    }
                }
                if n < SEARCH_PER_PAGE as usize || page >= m.value.total_pages {
                    break;
                }
            }
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    for ((domain, _), reply) in batch {
        let answer = match &outcome {
            // A later page failing still leaves what the first pages found.
            Err(e) if found.is_empty() => Err(e.clone()),
            _ => Ok(Share {
                value: found.get(&domain).cloned().unwrap_or_default(),
                usage: Usage::default(),
                cost_usd: Some(0.0),
                provider: provider.0.clone(),
                model: provider.1.clone(),
            }),
        };
        let _ = reply.send(answer);
    }
}
