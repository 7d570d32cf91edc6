//! The HTTP API: `router(endpoint) -> Router`, its handlers, the raw-JSON extractor and
//! the OpenAPI document. Handlers are a few lines each: the work is in
//! [`crate::pipeline`].

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{BoxError, Json, Router};
use parley_protocol::DEFAULT_MAX_BYTES;
use serde_json::{json, Value};
use tower::ServiceBuilder;
use utoipa::OpenApi;

use crate::console;
use crate::pipeline::Endpoint;
use crate::problem::{Problem, ProblemKind};

/// How long one request may take by default, body included: bounds slow clients.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

type Shared = Arc<Endpoint>;

/// The whole API over `endpoint`.
pub fn router(endpoint: Shared) -> Router {
    let timeout = endpoint.request_timeout;
    Router::new()
        .route("/.well-known/parley", get(descriptor))
        .route("/.well-known/myterms.json", get(myterms))
        .route("/parley/v1/messages", post(messages))
        .route("/parley/v1/inbox", post(inbox))
        .route("/parley/v1/access-log", post(access_log))
        .route("/parley/v1/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(crate::console::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(endpoint.clone(), count))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(move |e: BoxError| timed_out(e, timeout)))
                .timeout(timeout)
                // One byte over the message limit is enough to refuse; the extractor
                // reports it as a problem document.
                .layer(axum::extract::DefaultBodyLimit::max(DEFAULT_MAX_BYTES)),
        )
        .with_state(endpoint)
}

/// Counts each request by route (the route's pattern, not the URL asked: a bounded set
/// of labels), status and latency, and each refusal by kind.
async fn count(
    State(e): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let method = request.method().as_str().to_owned();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    e.metrics.request(&method, &route, response.status().as_u16(), started.elapsed());
    if let Some(refusal) = response.extensions().get::<crate::metrics::Refusal>() {
        e.metrics.refusal(refusal.0);
    }
    response
}

/// Prometheus' text format; for the operator's scraper, not for people's agents (keep
/// it off the public load balancer).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Counters in Prometheus' text exposition format", body = String, content_type = "text/plain; version=0.0.4")))]
async fn metrics(State(e): State<Shared>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], e.metrics.render())
}

async fn timed_out(e: BoxError, limit: Duration) -> Problem {
    if e.is::<tower::timeout::error::Elapsed>() {
        Problem::new(ProblemKind::Timeout, format!("the request took longer than {limit:?}"))
    } else {
        Problem::new(ProblemKind::Unavailable, e.to_string())
    }
}

async fn not_found() -> Problem {
    Problem::new(ProblemKind::NotFound, "no such resource; see /parley/v1/openapi.json")
}

async fn method_not_allowed() -> Problem {
    Problem::new(ProblemKind::MethodNotAllowed, "this resource does not take that method")
}

/// The body of a POST: `application/json`, at most 64 KiB, as raw bytes (proofs are
/// checked on exactly what was sent).
pub struct RawJson(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawJson {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let content_type =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if essence != "application/json" {
            return Err(Problem::new(
                ProblemKind::UnsupportedMediaType,
                format!("Content-Type is {content_type:?}; send application/json"),
            ));
        }
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(Problem::new(
                ProblemKind::TooLarge,
                format!("a message may be at most {DEFAULT_MAX_BYTES} bytes"),
            )),
            Err(e) => Err(Problem::new(ProblemKind::MalformedJson, format!("cannot read the body: {e}"))),
        }
    }
}

/// Sends a JSON text the pipeline already serialised.
fn json_text(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[utoipa::path(get, path = "/.well-known/parley", tag = "discovery",
    responses((status = 200, description = "The vendor descriptor, self-signed (eddsa-jcs-2022)", body = Object)))]
async fn descriptor(State(e): State<Shared>) -> Result<Response, Problem> {
    let agreements = e.agreements().await?;
    Ok(json_text(StatusCode::OK, e.sign_descriptor(&agreements)?))
}

#[utoipa::path(get, path = "/.well-known/myterms.json", tag = "discovery",
    responses((status = 200, description = "The MyTerms agreements accepted: {effective_date, agreements:[{id,url}]}", body = Object)))]
async fn myterms(State(e): State<Shared>) -> Result<Json<Value>, Problem> {
    let agreements: Vec<Value> = e
        .agreements()
        .await?
        .iter()
        .map(|a| json!({ "id": a.as_str(), "url": format!("https://w3id.org/dpv/legal/p7012#{}", a.as_str()) }))
        .collect();
    let effective = e.store.agreements_effective().await?.unwrap_or_else(|| e.started.date());
    Ok(Json(json!({ "effective_date": effective, "agreements": agreements })))
}

#[utoipa::path(post, path = "/parley/v1/messages", tag = "messages",
    request_body(content = Object, content_type = "application/json",
        description = "One signed person→vendor message: ConsentGrant, ConsentRevocation, Intent, Feedback, SupportRequest, OfferAcceptance or IntentWithdrawal. A SupportRequest of kind warranty-claim or return-request carries body.purchase {order, signedOrder, digests}: the vendor's own signed Order update, which it checks was signed by its key and sent to this sender"),
    responses(
        (status = 200, description = "Stored durably (or redelivered): {receipt, answer?}; answer is the ConsentAgreement or DeletionReceipt", body = Object),
        (status = 400, description = "malformed-json, unknown-type, expired, not-yet-valid", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "bad-proof", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "no-consent, consent-revoked, consent-not-agreed, consent-scope", body = Object, content_type = "application/problem+json"),
        (status = 409, description = "replayed-id", body = Object, content_type = "application/problem+json"),
        (status = 413, description = "too-large", body = Object, content_type = "application/problem+json"),
        (status = 415, description = "unsupported-media-type", body = Object, content_type = "application/problem+json"),
        (status = 421, description = "wrong-recipient", body = Object, content_type = "application/problem+json"),
        (status = 422, description = "invalid-message; unverified-purchase: a claim citing an order this vendor did not sign for its sender", body = Object, content_type = "application/problem+json"),
        (status = 503, description = "unavailable: not stored, retry", body = Object, content_type = "application/problem+json"),
    ))]
async fn messages(State(e): State<Shared>, RawJson(body): RawJson) -> Result<Response, Problem> {
    Ok(json_text(StatusCode::OK, e.receive(&body).await?))
}

#[utoipa::path(post, path = "/parley/v1/inbox", tag = "messages",
    request_body(content = Object, content_type = "application/json", description = "A signed InboxQuery, created within 5 minutes"),
    responses(
        (status = 200, description = "{messages: [signed Offer, Reply and Order documents addressed to the query's sender]}", body = Object),
        (status = 400, description = "malformed-json, unknown-type, expired, not-yet-valid (not created within 5 minutes of now)", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "bad-proof", body = Object, content_type = "application/problem+json"),
        (status = 409, description = "replayed-id: this query was answered already", body = Object, content_type = "application/problem+json"),
        (status = 413, description = "too-large", body = Object, content_type = "application/problem+json"),
        (status = 415, description = "unsupported-media-type", body = Object, content_type = "application/problem+json"),
        (status = 421, description = "wrong-recipient", body = Object, content_type = "application/problem+json"),
        (status = 422, description = "invalid-message", body = Object, content_type = "application/problem+json"),
        (status = 503, description = "unavailable", body = Object, content_type = "application/problem+json"),
    ))]
async fn inbox(State(e): State<Shared>, RawJson(body): RawJson) -> Result<Json<Value>, Problem> {
    Ok(Json(e.inbox(&body).await?))
}

#[utoipa::path(post, path = "/parley/v1/access-log", tag = "messages",
    request_body(content = Object, content_type = "application/json", description = "A signed AccessLogQuery {after?}, created within 5 minutes"),
    responses(
        (status = 200, description = "A signed AccessLog to the query's sender, in reply to it: {entries: the reads of their messages after `after` (at most 500), head: {seq, hash} of their chain}", body = Object),
        (status = 400, description = "malformed-json, unknown-type, expired, not-yet-valid (not created within 5 minutes of now)", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "bad-proof", body = Object, content_type = "application/problem+json"),
        (status = 409, description = "replayed-id: this query was answered already", body = Object, content_type = "application/problem+json"),
        (status = 413, description = "too-large", body = Object, content_type = "application/problem+json"),
        (status = 415, description = "unsupported-media-type", body = Object, content_type = "application/problem+json"),
        (status = 421, description = "wrong-recipient", body = Object, content_type = "application/problem+json"),
        (status = 422, description = "invalid-message", body = Object, content_type = "application/problem+json"),
        (status = 503, description = "unavailable", body = Object, content_type = "application/problem+json"),
    ))]
async fn access_log(State(e): State<Shared>, RawJson(body): RawJson) -> Result<Response, Problem> {
    Ok(json_text(StatusCode::OK, e.access_log(&body).await?))
}

#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Up, and the store answers", body = Object),
              (status = 503, description = "The store does not answer", body = Object, content_type = "application/problem+json")))]
async fn healthz(State(e): State<Shared>) -> Result<Json<Value>, Problem> {
    e.store.ping().await?;
    Ok(Json(json!({ "status": "ok" })))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parley vendor endpoint",
        version = "1",
        description = "Receives signed, consented messages from people's Parley agents (protocol v1), and serves the vendor's staff their console (HTML pages under /console/, the same as JSON under /console/api/; the pages are for browsers and not described here). Errors are RFC 9457 problem documents whose type is urn:parley:problem:<kind>. Every operation lists every status it can answer; a path not listed answers 404, a method a path does not take 405."
    ),
    paths(
        descriptor, myterms, messages, inbox, access_log, healthz, metrics, openapi,
        console::auth::sign_in, console::auth::sign_out,
        console::api::me, console::api::cases, console::api::case, console::api::update_case,
        console::api::reply, console::api::offer, console::api::order, console::api::add_note, console::api::alerts,
        console::api::nps, console::api::staff, console::api::add_staff, console::api::disable_staff,
        console::api::rules, console::api::save_rule, console::api::agreements, console::api::set_agreements,
        console::integrations::list_webhooks, console::integrations::add_webhook,
        console::integrations::remove_webhook, console::integrations::enable_webhook,
        console::integrations::deliveries, console::integrations::replay,
        console::integrations::list_tokens, console::integrations::add_token, console::integrations::revoke_token,
    ),
    modifiers(&ConsoleSecurity)
)]
pub(crate) struct ApiDoc;

/// The console's two credentials: the session cookie set at sign-in, and the CSRF token
/// (from `GET /console/api/me`) that every write carries as a header.
struct ConsoleSecurity;

impl utoipa::Modify for ConsoleSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                console::auth::COOKIE,
                "Set by POST /console/login; idle and absolute expiry",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token (pvt_…) from `parley-vendor token add`: its role, no CSRF token",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The session's csrfToken from GET /console/api/me, on every write",
            ))),
        );
    }
}

#[utoipa::path(get, path = "/parley/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", body = Object)))]
async fn openapi() -> Json<&'static Value> {
    Json(crate::contract::document())
}
