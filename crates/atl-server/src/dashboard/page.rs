//! What every page shares: the layout's data, rendering a template into a response, the
//! error page, and the headers every dashboard response carries.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::assets;
use crate::ApiError;

/// The policy every dashboard response carries: nothing from another origin, no inline
/// script or style, no framing, forms post only here.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; media-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The layout around every page.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub title: String,
    /// Which main navigation entry is the current page (`campaigns`, `upload`, or empty).
    pub active: &'static str,
    /// Signed in with a key (a sign-out button is shown).
    pub signed_in: bool,
    /// Served without a key: the server has none and listens on loopback only.
    pub anonymous: bool,
    pub asset_version: &'static str,
}

impl Layout {
    pub(crate) fn new(title: impl Into<String>, active: &'static str, session: Session) -> Layout {
        Layout {
            title: title.into(),
            active,
            signed_in: session.signed_in,
            anonymous: !session.signed_in,
            asset_version: assets::version(),
        }
    }

    /// For the pages shown before signing in.
    pub(crate) fn signed_out(title: impl Into<String>) -> Layout {
        Layout {
            title: title.into(),
            active: "",
            signed_in: false,
            anonymous: false,
            asset_version: assets::version(),
        }
    }
}

/// Who is looking: set by the session layer on every page behind it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Session {
    pub team: crate::Team,
    /// False when the page is served without a key (loopback, no key in the store).
    pub signed_in: bool,
}

/// A rendered template as an HTML response.
pub(crate) fn html<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(body) => {
            let mut r = (status, body).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "dashboard template failed");
            plain_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; the server log has the details",
            )
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    message: String,
}

/// A full error page with the message in words.
pub(crate) fn error_page(status: StatusCode, message: impl Into<String>) -> Response {
    let title = status.canonical_reason().unwrap_or("Error").to_string();
    html(
        status,
        &ErrorPage {
            layout: Layout::signed_out(title),
            status: status.as_u16(),
            message: message.into(),
        },
    )
}

/// An error as a page: the API's error (its message is written for people) with its status.
pub(crate) fn api_error_page(e: ApiError) -> Response {
    error_page(e.status, e.message)
}

fn plain_error(status: StatusCode, message: &'static str) -> Response {
    let mut r = (status, message).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The result type of page handlers: a page, or an error page.
pub(crate) type PageResult = Result<Response, PageError>;

/// An error on its way to becoming an error page.
pub(crate) struct PageError(pub ApiError);

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        api_error_page(self.0)
    }
}

/// Headers on every dashboard response: the policy above, no sniffing, no referrer sent
/// to the sources a page links to, and pages (customer data) never stored by a cache.
pub(crate) async fn security_headers(mut response: Response) -> Response {
    let is_asset = response
        .headers()
        .get(header::CACHE_CONTROL)
        .is_some_and(|v| v.as_bytes().starts_with(b"public"));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    // `same-origin`: the sources a page links to learn nothing of it, and the browser
    // still names this origin on its own form posts (`no-referrer` makes that `null`).
    crate::headers::insert_common(h, "same-origin");
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A handler panicked: a plain error page, the panic logged, never shown.
pub(crate) fn panic_page(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(non-string panic)");
    tracing::error!(panic = what, "dashboard handler panicked");
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side; the server log has the details.",
    )
}
