//! Signing in: the team's API key, kept by the browser in a cookie.
//!
//! The cookie holds the key itself rather than a server-side session id. The key is the
//! credential the API already checks (hashed in the store, cached for two seconds), so
//! the dashboard adds no session table, a restart or a second `atl serve` on the same
//! PostgreSQL signs nobody out, and revoking the key (`atl keys revoke`) ends every
//! dashboard session that uses it. The cookie is `HttpOnly` (no script can read it),
//! `Secure`, `SameSite=Strict` (no other site's page can make the browser send it) and
//! expires after a working day; the key never appears in a URL, a page or a log line.
//!
//! A request from another site's page (a foreign `Origin`) or for a foreign `Host` never
//! gets here: the server's front door (`guard`) refuses it for the dashboard and the API
//! alike.

use std::net::{IpAddr, SocketAddr};

use axum::Extension;
use axum::extract::{ConnectInfo, Form, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{Layout, Session, error_page, html};
use crate::ApiState;
use crate::auth::{self, Caller};
use askama::Template;

/// The cookie's name.
pub(crate) const COOKIE: &str = "atl_session";
/// How long a sign-in lasts (a working day).
const MAX_AGE_SECS: u64 = 8 * 60 * 60;
/// Longest key accepted in the form (real keys are far shorter).
const MAX_KEY_CHARS: usize = 256;

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Whether a key can be held in a cookie unchanged: API keys are ASCII letters, digits,
/// `_` and `-`; anything else is not one of ours.
fn cookie_safe(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY_CHARS
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn session_cookie(key: &str) -> String {
    format!("{COOKIE}={key}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={MAX_AGE_SECS}")
}

fn cleared_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// The team of the request's key, `Ok(None)` when the key is wrong or missing.
async fn team_of(
    state: &ApiState,
    ip: Option<IpAddr>,
    key: Option<&str>,
) -> Result<Option<Caller>, crate::ApiError> {
    let header = match key {
        Some(k) if cookie_safe(k) => HeaderValue::from_str(&format!("Bearer {k}")).ok(),
        Some(_) => return Ok(None),
        None => None,
    };
    match auth::resolve(state, ip, header.as_ref()).await {
        Ok(caller) => Ok(Some(caller)),
        Err(e) if e.status == StatusCode::UNAUTHORIZED => Ok(None),
        Err(e) => Err(e),
    }
}

/// Puts the caller's [`Session`] (and [`Team`], which the API handlers read) on the
/// request, or sends them to sign in.
pub(crate) async fn require_session(
    State(state): State<ApiState>,
    mut request: Request,
    next: Next,
) -> Response {
    let key = cookie(request.headers(), COOKIE).map(str::to_string);
    let ip = auth::client_ip(&request);
    let caller = match team_of(&state, ip, key.as_deref()).await {
        Ok(caller) => caller,
        Err(e) => return super::page::api_error_page(e),
    };
    let Some(caller) = caller else {
        return to_sign_in(&request, key.is_some());
    };
    let team = caller.team;
    request.extensions_mut().insert(team);
    request.extensions_mut().insert(caller);
    request.extensions_mut().insert(Session {
        team,
        signed_in: key.is_some(),
    });
    next.run(request).await
}

/// Pages go to the sign-in page (and come back after); anything a script asked for gets
/// a plain 401.
fn to_sign_in(request: &Request, had_cookie: bool) -> Response {
    let path = request.uri().path();
    let wants_page = request.method() == Method::GET
        && !path.ends_with("/live")
        && !path.ends_with("/targets")
        && !path.ends_with("/audio")
        && !path.ends_with("/export");
    let mut response = if wants_page {
        let next = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let mut to = format!("/sign-in?next={}", encode_query(&next));
        if had_cookie {
            to.push_str("&expired=1");
        }
        Redirect::to(&to).into_response()
    } else {
        error_page(
            StatusCode::UNAUTHORIZED,
            "Your session has ended: sign in again.",
        )
    };
    if had_cookie && let Ok(v) = HeaderValue::from_str(&cleared_cookie()) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// Percent-encodes a query value (the path to return to).
fn encode_query(s: &str) -> String {
    super::format::percent_encode(s, b"-_.~/")
}

/// Where to go after signing in: a path on this server, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/campaigns".to_string(),
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    next: String,
    error: Option<String>,
    notice: Option<String>,
    /// The server has no key: pages open without signing in.
    open: bool,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SignInQuery {
    next: Option<String>,
    expired: Option<String>,
    signed_out: Option<String>,
}

/// Whether this server serves pages without a key (started with `no_auth`).
fn is_open(state: &ApiState) -> bool {
    state.ctx.options.no_auth
}

pub(crate) async fn sign_in_page(
    State(state): State<ApiState>,
    Query(q): Query<SignInQuery>,
) -> Response {
    let notice = if q.expired.is_some() {
        Some("Your session has ended: sign in again.".to_string())
    } else if q.signed_out.is_some() {
        Some("You are signed out.".to_string())
    } else {
        None
    };
    html(
        StatusCode::OK,
        &SignInPage {
            layout: Layout::signed_out("Sign in"),
            next: safe_next(q.next.as_deref()),
            error: None,
            notice,
            open: is_open(&state),
        },
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    key: String,
    next: Option<String>,
}

pub(crate) async fn sign_in(
    State(state): State<ApiState>,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<SignInForm>,
) -> Response {
    let key = form.key.trim();
    let next = safe_next(form.next.as_deref());
    let refused = |message: &str| {
        html(
            StatusCode::UNAUTHORIZED,
            &SignInPage {
                layout: Layout::signed_out("Sign in"),
                next: next.clone(),
                error: Some(message.to_string()),
                notice: None,
                open: false,
            },
        )
    };
    if key.is_empty() {
        return refused("Enter your team's API key.");
    }
    if !cookie_safe(key) {
        return refused(
            "That is not an ATL API key: keys contain only letters, digits, '_' and '-'.",
        );
    }
    let ip = client.map(|c| c.0.0.ip());
    match team_of(&state, ip, Some(key)).await {
        Ok(Some(_)) => {
            let mut response = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&session_cookie(key)) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response
        }
        Ok(None) => refused(
            "That key was not accepted: it is unknown or has been revoked. \
             Ask your admin for a key (atl keys create --team NAME).",
        ),
        Err(e) => super::page::api_error_page(e),
    }
}

pub(crate) async fn sign_out() -> Response {
    let mut response = Redirect::to("/sign-in?signed_out=1").into_response();
    if let Ok(v) = HeaderValue::from_str(&cleared_cookie()) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name_and_keys_checked_before_use() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; atl_session=atl_abc-9; b=2"),
        );
        assert_eq!(cookie(&h, COOKIE), Some("atl_abc-9"));
        assert_eq!(cookie(&h, "missing"), None);
        assert!(cookie_safe("atl_abc-9"));
        assert!(!cookie_safe("a;b"));
        assert!(!cookie_safe("a b"));
        assert!(!cookie_safe(""));
        let set = session_cookie("k");
        for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(set.contains(flag), "{set}");
        }
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/campaigns/3")), "/campaigns/3");
        assert_eq!(safe_next(Some("//evil.example/")), "/campaigns");
        assert_eq!(safe_next(Some("https://evil.example/")), "/campaigns");
        assert_eq!(safe_next(Some("/\\evil.example")), "/campaigns");
        assert_eq!(safe_next(None), "/campaigns");
        assert_eq!(encode_query("/a?b=c&d"), "/a%3Fb%3Dc%26d");
    }
}
