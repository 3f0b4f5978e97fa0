//! `/openapi.json` (generated from the handlers by utoipa, serialised once at start) and
//! `/docs`: one self-contained HTML page (no CDN, the document embedded, so a saved copy
//! works offline) that lists every path, method, parameter, request body, response and
//! schema. Both need a key like every route but `/healthz`; in a terminal:
//! `curl -H "Authorization: Bearer $KEY" http://HOST/docs > atl-api.html`.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::ApiState;

/// Adds the routes outside `/api/atl` to the generated document and serialises it.
pub(crate) fn finish(mut openapi: utoipa::openapi::OpenApi) -> String {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::{ResponseBuilder, security::SecurityRequirement};
    // (path, summary, response description, content type, callable without a key)
    let service = [
        (
            "/healthz",
            "Liveness: `ok` when the database answers, 503 otherwise.",
            "the text `ok`",
            "text/plain",
            true,
        ),
        (
            "/metrics",
            "Prometheus metrics (text format).",
            "jobs, campaigns, HTTP requests, provider calls and cost",
            "text/plain",
            false,
        ),
        (
            "/openapi.json",
            "This document.",
            "This document.",
            "application/json",
            false,
        ),
        (
            "/docs",
            "A readable page of this document (self-contained: save it to read offline).",
            "the page",
            "text/html",
            false,
        ),
    ];
    for (path, summary, description, content_type, public) in service {
        let mut op = OperationBuilder::new()
            .summary(Some(summary))
            .tag("service")
            .response(
                "200",
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        content_type,
                        utoipa::openapi::content::ContentBuilder::new().build(),
                    )
                    .build(),
            );
        if public {
            // An empty requirement: callable without a key.
            op = op.security(SecurityRequirement::default());
        }
        openapi
            .paths
            .paths
            .insert(path.to_string(), PathItem::new(HttpMethod::Get, op.build()));
    }
    crate::contract::complete(&mut openapi);
    openapi.to_pretty_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "serialising the OpenAPI document");
        "{}".to_string()
    })
}

pub(crate) async fn openapi_json(State(state): State<ApiState>) -> Response {
    let mut response = state.openapi.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub(crate) async fn docs_page(State(state): State<ApiState>) -> Response {
    let mut response = Html(state.docs_page).into_response();
    if let Ok(v) = HeaderValue::from_str(&csp()) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

/// The docs page's policy: nothing from anywhere, but its own inline stylesheet and
/// script, named by their SHA-256 (the page must stay one self-contained file). The data
/// block holding the document is not a script a browser runs, so it needs no hash.
pub(crate) fn csp() -> String {
    let inline = |open: &str, close: &str| {
        let start = DOCS_HTML.rfind(open).map(|i| i + open.len()).unwrap_or(0);
        let end = DOCS_HTML[start..].find(close).map_or(start, |i| start + i);
        let digest = ring::digest::digest(&ring::digest::SHA256, &DOCS_HTML.as_bytes()[start..end]);
        format!("'sha256-{}'", STANDARD.encode(digest.as_ref()))
    };
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src 'self' data:; \
         base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
        inline("<script>", "</script>"),
        inline("<style>", "</style>")
    )
}

/// The page with `openapi_json` embedded as a JSON data block. Inside `<script>` only
/// `</script` could end the block early; escaping every `<` as `\u003c` (still the same
/// JSON) rules that out whatever the descriptions say.
pub(crate) fn page(openapi_json: &str) -> String {
    let embedded = openapi_json.replace('<', "\\u003c");
    DOCS_HTML.replace("/*SPEC*/", &embedded)
}

const DOCS_HTML: &str = r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ATL API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:980px;padding:1rem 1.5rem;color:#1d2330}
h1{margin-bottom:.2rem} .muted{color:#667} code,pre{font:13px ui-monospace,monospace}
pre{background:#f4f5f8;padding:.6rem;overflow:auto;border-radius:4px}
.op{border:1px solid #dde;border-radius:6px;margin:.6rem 0;padding:.5rem .8rem}
.m{display:inline-block;min-width:4.2rem;font-weight:700;text-transform:uppercase}
.get{color:#1565c0}.post{color:#2e7d32}.put,.patch{color:#ef6c00}.delete{color:#c62828}
table{border-collapse:collapse;margin:.3rem 0}td,th{border:1px solid #dde;padding:.2rem .5rem;text-align:left;vertical-align:top}
nav a{margin-right:.8rem}
</style></head><body>
<h1 id="title">ATL API</h1><p class="muted" id="desc"></p>
<nav><a href="#paths">Paths</a><a href="#schemas">Schemas</a></nav>
<h2 id="paths">Paths</h2><div id="ops"></div>
<h2 id="schemas">Schemas</h2><div id="schemas-list"></div>
<script type="application/json" id="spec">/*SPEC*/</script>
<script>
"use strict";
const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
const ref = r => r && r.$ref ? '<a href="#schema-' + esc(r.$ref.split("/").pop()) + '">' + esc(r.$ref.split("/").pop()) + "</a>" : "";
function typeOf(s) {
  if (!s) return "";
  if (s.$ref) return ref(s);
  if (s.type === "array") return "array of " + typeOf(s.items);
  if (s.oneOf || s.anyOf) return (s.oneOf || s.anyOf).map(typeOf).join(" | ");
  return esc(Array.isArray(s.type) ? s.type.join(" | ") : (s.type || "object")) + (s.format ? " (" + esc(s.format) + ")" : "");
}
function content(c) {
  if (!c) return "";
  return Object.entries(c).map(([ct, m]) => "<code>" + esc(ct) + "</code> " + typeOf(m.schema)).join("<br>");
}
try {
  const doc = JSON.parse(document.getElementById("spec").textContent);
  document.getElementById("title").textContent = (doc.info && doc.info.title) || "API";
  document.getElementById("desc").textContent = ((doc.info && doc.info.description) || "") + " (version " + ((doc.info && doc.info.version) || "?") + ")";
  let html = "";
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!["get","post","put","patch","delete"].includes(method)) continue;
      html += '<div class="op"><span class="m ' + method + '">' + method + "</span> <code>" + esc(path) + "</code>";
      if (op.summary || op.description) html += "<p>" + esc(op.summary || "") + (op.description && op.description !== op.summary ? " " + esc(op.description) : "") + "</p>";
      const params = op.parameters || [];
      if (params.length) {
        html += "<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th><th>description</th></tr>";
        for (const p of params) html += "<tr><td><code>" + esc(p.name) + "</code></td><td>" + esc(p.in) + "</td><td>" + typeOf(p.schema) + "</td><td>" + (p.required ? "yes" : "") + "</td><td>" + esc(p.description) + "</td></tr>";
        html += "</table>";
      }
      if (op.requestBody) html += "<p><b>Body:</b> " + content(op.requestBody.content) + "</p>";
      html += "<table><tr><th>status</th><th>description</th><th>body</th></tr>";
      for (const [code, resp] of Object.entries(op.responses || {})) html += "<tr><td>" + esc(code) + "</td><td>" + esc(resp.description) + "</td><td>" + content(resp.content) + "</td></tr>";
      html += "</table></div>";
    }
  }
  document.getElementById("ops").innerHTML = html;
  let sh = "";
  for (const [name, s] of Object.entries((doc.components && doc.components.schemas) || {})) {
    sh += '<div class="op" id="schema-' + esc(name) + '"><b>' + esc(name) + "</b>" + (s.description ? " — " + esc(s.description) : "");
    const props = s.properties || {};
    if (Object.keys(props).length) {
      sh += "<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>";
      for (const [f, p] of Object.entries(props)) sh += "<tr><td><code>" + esc(f) + "</code></td><td>" + typeOf(p) + "</td><td>" + ((s.required || []).includes(f) ? "yes" : "") + "</td><td>" + esc(p.description) + "</td></tr>";
      sh += "</table>";
    }
    sh += "</div>";
  }
  document.getElementById("schemas-list").innerHTML = sh;
} catch (e) { document.getElementById("desc").textContent = "Could not read the embedded document: " + e; }
</script></body></html>
"##;
