//! The statuses every operation can answer, added to the generated document in one place
//! so that no route's annotation can forget one: what the front door (403, 429), the key
//! check (401, 429), the extractors (400 for a path or query value that does not parse),
//! the store (404 for a path id, 503 when the database does not answer) say for any route.
//! Every response gets a description (the document is invalid without one).

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::SchemaType;
use utoipa::openapi::{ContentBuilder, Object, OpenApi, Ref, RefOr, Schema, Type};

/// Adds the shared error answers to every operation of `openapi`.
pub(crate) fn complete(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        for op in [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            complete_operation(path, op);
        }
    }
}

/// A header either comes with a value or not at all: an optional header parameter is
/// not nullable (the generator makes `Option<T>` headers `[T, null]`, and a client would
/// then send the text `null`).
fn headers_not_nullable(op: &mut Operation) {
    for p in op.parameters.iter_mut().flatten() {
        if let RefOr::T(p) = p
            && p.parameter_in == ParameterIn::Header
            && let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut()
            && let SchemaType::Array(types) = &o.schema_type
            && let [one] = types
                .iter()
                .filter(|t| **t != Type::Null)
                .cloned()
                .collect::<Vec<_>>()
                .as_slice()
        {
            o.schema_type = SchemaType::Type(one.clone());
        }
    }
}

fn complete_operation(path: &str, op: &mut Operation) {
    headers_not_nullable(op);
    // An empty requirement is "callable without a key" (`/healthz` only).
    let public = op
        .security
        .as_ref()
        .is_some_and(|s| s.iter().all(|r| r == &Default::default()));
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_path_id = params
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    let has_params = !params.is_empty();
    let mut add = |status: &str, description: &str, retry: bool| {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(error_response(description, retry)));
    };
    if !public {
        add("401", "no key, or an unknown or revoked one", false);
        add("403", "the Host or Origin header names another site", false);
    }
    add(
        "429",
        "over a request budget (this key's, this address's, or its failed sign-ins); \
         Retry-After says when to try again",
        true,
    );
    if has_params {
        add(
            "400",
            "a path, query or header value that does not parse",
            false,
        );
    }
    if has_path_id {
        add("404", "no such id for this key's team", false);
    }
    if path != "/openapi.json" && path != "/docs" {
        add(
            "503",
            "the database (or what the route needs) is unavailable; Retry-After says when to \
             try again",
            true,
        );
    }
    for (status, response) in op.responses.responses.iter_mut() {
        if let RefOr::T(r) = response
            && r.description.trim().is_empty()
        {
            r.description = status_text(status).to_string();
        }
    }
}

fn error_response(description: &str, retry_after: bool) -> Response {
    let body = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    let mut r = ResponseBuilder::new()
        .description(description)
        .content("application/json", body);
    if retry_after {
        r = r.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(Object::with_type(Type::Integer)))
                .description(Some("seconds to wait"))
                .build(),
        );
    }
    r.build()
}

fn status_text(status: &str) -> &'static str {
    status
        .parse::<u16>()
        .ok()
        .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
        .and_then(|s| s.canonical_reason())
        .unwrap_or("the answer")
}
