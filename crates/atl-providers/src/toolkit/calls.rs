//! The toolkit's governed, priced calls: every non-chat call a caller makes goes through
//! one of these, so it is admitted by its provider's governor and comes back [`Metered`]
//! exactly as a chat does from the router.

use super::Toolkit;
use crate::apollo::{
    ApolloClient, ApolloOrganization, ApolloPerson, BULK_ENRICH_MAX, BULK_MATCH_MAX, PeoplePage,
    PeopleSearch, PersonMatch,
};
use crate::catalogue::{FETCH_PROVIDER, endpoint};
use crate::fetch::FetchedPage;
use crate::governor::CallStats;
use crate::hunter::{FoundEmail, HunterClient, Verification};
use crate::router::fails_over;
use crate::search::SearchHit;
use crate::tts::{AudioInfo, TtsEngine};
use crate::{Metered, ProviderError, Usage};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use time::OffsetDateTime;

impl Toolkit {
    /// Run `f` (one request) under the governor of `provider`/`model`.
    pub async fn governed<T, F, Fut>(
        &self,
        provider: &str,
        model: &str,
        f: F,
    ) -> Result<(T, CallStats), ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        self.governors.get(provider, model).call(0, f).await
    }

    /// USD for `usage` on `provider`/`endpoint` made now (`None` when the price is
    /// unknown).
    pub fn price(&self, provider: &str, endpoint: &str, usage: &Usage) -> Option<f64> {
        let cost = self
            .prices
            .cost_at(provider, endpoint, usage, OffsetDateTime::now_utc());
        if cost.is_none() {
            tracing::warn!(
                provider,
                endpoint,
                "no price configured; cost reported as unknown"
            );
        }
        cost
    }

    fn metered<T>(
        &self,
        provider: &str,
        endpoint: &str,
        value: T,
        usage: Usage,
        stats: CallStats,
    ) -> Metered<T> {
        Metered {
            value,
            usage,
            cost_usd: self.price(provider, endpoint, &usage),
            provider: provider.to_string(),
            model: endpoint.to_string(),
            latency: stats.latency,
        }
    }

    /// `call` (one request answering its value and usage) governed as `provider`'s
    /// `endpoint`, its value metered and priced.
    async fn metered_call<T, F, Fut>(
        &self,
        provider: &str,
        endpoint: &str,
        call: F,
    ) -> Result<Metered<T>, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Usage), ProviderError>>,
    {
        let ((value, usage), stats) = self.governed(provider, endpoint, call).await?;
        Ok(self.metered(provider, endpoint, value, usage, stats))
    }

    /// One web search on the cheapest configured provider, failing over to the next
    /// (by price) when one cannot serve: a retryable error, a bad key, no quota, or an
    /// endpoint the base does not have.
    pub async fn web_search(
        &self,
        query: &str,
        max_results: u32,
    ) -> Result<Metered<Vec<SearchHit>>, ProviderError> {
        let mut last = None;
        for client in &self.searches {
            let name = client.name().to_string();
            let outcome = self
                .governed(&name, endpoint::SEARCH, || {
                    client.search(query, max_results)
                })
                .await;
            match outcome {
                Ok(((hits, usage), stats)) => {
                    return Ok(self.metered(&name, endpoint::SEARCH, hits, usage, stats));
                }
                Err(e) if fails_over(&e) => {
                    tracing::warn!(provider = %name, error = %e, "search failed; trying the next");
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            ProviderError::not_configured(
                "search",
                "no web search configured (set SERPER_API_KEY, BRAVE_API_KEY or TAVILY_API_KEY)",
            )
        }))
    }

    fn apollo_client(&self) -> Result<&Arc<ApolloClient>, ProviderError> {
        self.apollo
            .as_ref()
            .ok_or_else(|| ProviderError::not_configured("apollo", "set APOLLO_API_KEY"))
    }

    fn hunter_client(&self) -> Result<&Arc<HunterClient>, ProviderError> {
        self.hunter
            .as_ref()
            .ok_or_else(|| ProviderError::not_configured("hunter", "set HUNTER_API_KEY"))
    }

    /// Apollo people match (one credit on a hit, nothing on a miss).
    pub async fn apollo_match(
        &self,
        query: &PersonMatch,
    ) -> Result<Metered<Option<ApolloPerson>>, ProviderError> {
        let client = self.apollo_client()?;
        self.metered_call("apollo", endpoint::PEOPLE_MATCH, || {
            client.match_person(query)
        })
        .await
    }

    /// Apollo bulk people match: up to ten people (by details, or by the `id` a search
    /// returned) in one call, the answers aligned with `details` (`None` for a miss).
    /// Charged on a hit: the credits Apollo reports, or one per person found.
    pub async fn apollo_bulk_match(
        &self,
        details: &[PersonMatch],
    ) -> Result<Metered<Vec<Option<ApolloPerson>>>, ProviderError> {
        let client = self.apollo_client()?;
        if details.len() > BULK_MATCH_MAX {
            return Err(ProviderError::bad_request(
                "apollo",
                400,
                format!("at most {BULK_MATCH_MAX} people per bulk match"),
            ));
        }
        self.metered_call("apollo", endpoint::PEOPLE_BULK_MATCH, || {
            client.bulk_match(details)
        })
        .await
    }

    /// Apollo organization enrich (one credit on a hit).
    pub async fn apollo_organization(
        &self,
        domain: &str,
    ) -> Result<Metered<Option<ApolloOrganization>>, ProviderError> {
        let client = self.apollo_client()?;
        self.metered_call("apollo", endpoint::ORGANIZATION_ENRICH, || {
            client.enrich_organization(domain)
        })
        .await
    }

    /// Apollo bulk organization enrich: the organizations Apollo knows among up to ten
    /// domains (one credit each; unknown domains are free).
    pub async fn apollo_bulk_organizations(
        &self,
        domains: &[String],
    ) -> Result<Metered<Vec<ApolloOrganization>>, ProviderError> {
        let client = self.apollo_client()?;
        if domains.len() > BULK_ENRICH_MAX {
            return Err(ProviderError::bad_request(
                "apollo",
                400,
                format!("at most {BULK_ENRICH_MAX} domains per bulk enrich"),
            ));
        }
        self.metered_call("apollo", endpoint::ORGANIZATION_BULK_ENRICH, || {
            client.bulk_enrich_organizations(domains)
        })
        .await
    }

    /// Apollo people search (free: no credits, no e-mails, obfuscated last names).
    pub async fn apollo_people_search(
        &self,
        query: &PeopleSearch,
    ) -> Result<Metered<PeoplePage>, ProviderError> {
        let client = self.apollo_client()?;
        self.metered_call("apollo", endpoint::PEOPLE_SEARCH, || {
            client.search_people(query)
        })
        .await
    }

    /// Hunter e-mail finder (one credit per address found, nothing on a miss).
    pub async fn hunter_find(
        &self,
        domain: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<Metered<Option<FoundEmail>>, ProviderError> {
        let client = self.hunter_client()?;
        self.metered_call("hunter", endpoint::EMAIL_FINDER, || {
            client.find_email(domain, first_name, last_name)
        })
        .await
    }

    /// Hunter e-mail verifier (Hunter's raw verdict).
    pub async fn hunter_verify(&self, email: &str) -> Result<Metered<Verification>, ProviderError> {
        let client = self.hunter_client()?;
        self.metered_call("hunter", endpoint::EMAIL_VERIFIER, || {
            client.verify_email(email)
        })
        .await
    }

    /// Fetch a page through the SSRF guard, governed per site (the URL's registrable
    /// domain). Our own GET is free: the cost is a known zero, not an unknown.
    pub async fn fetch(&self, url: &str) -> Result<Metered<FetchedPage>, ProviderError> {
        let fetcher = &self.fetcher;
        // Per site: a dead site opens its own breaker, not everyone's.
        let (page, stats) = self
            .governors
            .site(&self.fetch_site(url))
            .call(0, || fetcher.fetch_text(url))
            .await?;
        Ok(Metered {
            value: page,
            usage: Usage::default(),
            cost_usd: Some(0.0),
            provider: FETCH_PROVIDER.to_string(),
            model: endpoint::PAGE.to_string(),
            latency: stats.latency,
        })
    }

    /// Speak `text` into a WAV at `out` with the configured engine, governed and priced
    /// per character. Local engines (espeak-ng, silent) are free; a priced engine without
    /// a price entry is unknown.
    pub async fn synthesize(
        &self,
        text: &str,
        out: &Path,
    ) -> Result<Metered<AudioInfo>, ProviderError> {
        self.synthesize_with(self.tts.as_ref(), text, out).await
    }

    /// Speak `text` with another engine (the local one), governed and priced the same way.
    pub async fn synthesize_with(
        &self,
        tts: &dyn TtsEngine,
        text: &str,
        out: &Path,
    ) -> Result<Metered<AudioInfo>, ProviderError> {
        let name = tts.name().to_string();
        let ((info, usage), stats) = self
            .governed(&name, endpoint::TTS, || tts.synthesize(text, out))
            .await?;
        let cost_usd = match name.as_str() {
            "silent" => Some(0.0),
            _ => self.price(&name, endpoint::TTS, &usage),
        };
        Ok(Metered {
            value: info,
            usage,
            cost_usd,
            provider: name,
            model: endpoint::TTS.to_string(),
            latency: stats.latency,
        })
    }
}
