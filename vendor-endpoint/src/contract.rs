//! The OpenAPI document as served at `/parley/v1/openapi.json`: utoipa's, from the
//! handlers' own annotations, completed with what holds for every route (the request
//! time limit, the store's outages, the body checks every JSON body goes through), the
//! RFC 9457 problem schema, and the message schemas of `parley_protocol::schema`, so a
//! client generated from it, or a fuzzer driven by it, is refused only for reasons it
//! states. The vendor's tests check every answer they receive against it.

use std::sync::OnceLock;

use parley_protocol::schema::{message_schema_name, schemas};
use parley_protocol::MessageType;
use serde_json::{json, Map, Value};
use utoipa::OpenApi;

use crate::problem::ProblemKind;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The document, built once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT
        .get_or_init(|| complete(serde_json::to_value(crate::routes::ApiDoc::openapi()).unwrap_or_default()))
}

/// Whether the document lists `status` for `method` on the route `path` (its pattern,
/// `/console/api/cases/{id}`): `None` when it has no such operation.
pub fn lists(method: &str, path: &str, status: u16) -> Option<bool> {
    let operation = document()["paths"].get(path)?.get(method.to_ascii_lowercase())?;
    Some(operation["responses"].get(status.to_string()).is_some())
}

/// Whether the document describes any operation on the route `path`.
pub fn has_path(path: &str) -> bool {
    document()["paths"].get(path).is_some()
}

fn complete(mut doc: Value) -> Value {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return doc };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            if let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) {
                complete_operation(path, method, operation);
            }
        }
    }
    let all = &mut doc["components"]["schemas"];
    if !all.is_object() {
        *all = json!({});
    }
    if let Some(all) = all.as_object_mut() {
        all.extend(schemas());
        all.insert("Problem".into(), problem_schema());
    }
    doc
}

fn complete_operation(path: &str, method: &str, operation: &mut Map<String, Value>) {
    let has_body = operation.contains_key("requestBody");
    let has_query = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    let responses = operation.entry("responses").or_insert_with(|| json!({}));
    // Every request is bounded in time, and any may meet the store down.
    add(responses, ProblemKind::Timeout, "the request took longer than the endpoint's limit");
    add(responses, ProblemKind::Unavailable, "the vendor's side failed; nothing was stored, retry later");
    if has_body {
        add(responses, ProblemKind::TooLarge, "a body may be at most 64 KiB");
        add(responses, ProblemKind::UnsupportedMediaType, "the body is not of the type listed");
        add(responses, ProblemKind::MalformedJson, "the body is not JSON (or not I-JSON)");
    }
    // The console's bodies and query strings are read into typed requests: a member
    // missing or of the wrong type is an invalid request.
    if path.starts_with("/console/") && (has_body || has_query) {
        add(responses, ProblemKind::InvalidRequest, "a member is missing or of the wrong type");
    }
    if let Some(responses) = responses.as_object_mut() {
        for (status, response) in responses.iter_mut() {
            if status.starts_with('4') || status.starts_with('5') {
                problem_content(response);
            }
        }
    }
    let messages = |kinds: &[MessageType]| -> Value {
        let refs: Vec<Value> = kinds
            .iter()
            .map(|k| json!({ "$ref": format!("#/components/schemas/{}", message_schema_name(*k)) }))
            .collect();
        if refs.len() == 1 {
            refs.into_iter().next().unwrap_or_default()
        } else {
            json!({ "oneOf": refs })
        }
    };
    let (request, answer) = match (method, path) {
        ("post", "/parley/v1/messages") => {
            use MessageType::*;
            let taken = [
                ConsentGrant,
                ConsentRevocation,
                Intent,
                Feedback,
                SupportRequest,
                OfferAcceptance,
                IntentWithdrawal,
            ];
            let answer = json!({ "type": "object", "additionalProperties": false, "required": ["receipt"],
                "properties": { "receipt": messages(&[Receipt]), "answer": messages(&[ConsentAgreement, DeletionReceipt]) } });
            (messages(&taken), answer)
        }
        ("post", "/parley/v1/inbox") => {
            use MessageType::*;
            let answer = json!({ "type": "object", "additionalProperties": false, "required": ["messages"],
                "properties": { "messages": { "type": "array", "items": messages(&[Offer, Reply, Order]) } } });
            (messages(&[InboxQuery]), answer)
        }
        ("post", "/parley/v1/access-log") => {
            (messages(&[MessageType::AccessLogQuery]), messages(&[MessageType::AccessLog]))
        }
        _ => return,
    };
    // What the schemas cannot say, the 422 says in words.
    let unstated = parley_protocol::schema::UNSTATED_RULES.join("; ");
    if let Some(invalid) = operation["responses"].get_mut("422") {
        let description = invalid["description"].as_str().unwrap_or_default();
        invalid["description"] = json!(format!(
            "{description}. Beyond the schema, a message must also meet these rules: {unstated}"
        ));
    }
    operation["requestBody"]["content"]["application/json"]["schema"] = request;
    operation["responses"]["200"]["content"]["application/json"]["schema"] = answer;
}

/// Lists `kind` under its status: a new response, or its slug added to the description
/// of the one there.
fn add(responses: &mut Value, kind: ProblemKind, why: &str) {
    let status = kind.status().as_u16().to_string();
    let slug = kind.slug();
    match responses.get_mut(&status) {
        Some(response) => {
            let description = response["description"].as_str().unwrap_or_default();
            if !description.contains(slug) {
                response["description"] = json!(format!("{description}; {slug}: {why}"));
            }
        }
        None => responses[status] = json!({ "description": format!("{slug}: {why}") }),
    }
}

/// An error response's body: an RFC 9457 problem document (but for the sign-in page,
/// which answers a browser in HTML).
fn problem_content(response: &mut Value) {
    let html = response["content"].get("text/html").is_some();
    if !html {
        response["content"] =
            json!({ "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } });
    }
}

fn problem_schema() -> Value {
    let kinds: Vec<String> = ProblemKind::ALL.iter().map(|k| k.type_uri()).collect();
    json!({
        "type": "object",
        "description": "RFC 9457 problem details; `type` names the kind, `detail` says what exactly was wrong",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": { "enum": kinds },
            "title": { "type": "string" },
            "status": { "type": "integer", "minimum": 400, "maximum": 599 },
            "detail": { "type": "string" },
        },
    })
}
