//! The dashboard's stylesheet and script, compiled into the binary (`include_bytes!`):
//! an installed `atl` serves its pages with nothing beside it on disk and nothing from
//! another origin. Pages link them as `/assets/{name}?v={version}`, where the version is
//! a digest of the files, so a browser may keep them for a year and still never runs an
//! old script against a new page.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("assets/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/app.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("assets/favicon.svg"),
    },
];

static VERSION: LazyLock<String> = LazyLock::new(|| {
    // FNV-1a: a fixed, dependency-free digest (not a security boundary, a cache key).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in ASSETS.iter().flat_map(|a| a.body.iter()) {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
});

/// A digest of every asset, for the `?v=` of their links.
pub(crate) fn version() -> &'static str {
    VERSION.as_str()
}

pub(crate) async fn serve(Path(name): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let mut r = asset.body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    r
}
