//! The guard layers: what every request passes before any route sees it.
//!
//! | layer | where | refuses |
//! |---|---|---|
//! | `front_door` | every route, API and dashboard | a foreign `Host` or `Origin` (403), an address over its request budget (429) |
//! | CORS (`tower-http`) | inside it, only when origins are configured | answers preflights and adds the CORS headers for those origins |
//! | `auth::require_team`, `dashboard::session` | per route | no key / a wrong key (401), an address over its failed-auth budget or a key over its request budget (429) |
//! | [`streams`] | event streams | one stream over the key's cap (429); closes a stream whose key was revoked |
//!
//! The refusals answer in the shape of what was asked for: the API's JSON error, or the
//! dashboard's error page.

pub(crate) mod host_origin;
pub(crate) mod rate_limit;
pub(crate) mod streams;
