//! The console's integrations, for admins: webhook endpoints (with their deliveries, to
//! replay, and the reason one was disabled) and API tokens — as pages under
//! `/console/admin/` and as JSON under `/console/api/`. A new secret is shown once.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Redirect;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{Body, Params};
use super::auth::{AsAdmin, Caller, Staff};
use super::frame::{framed, html, when, Frame, PageResult};
use crate::pipeline::Endpoint;
use crate::problem::Problem;
use crate::store::tokens::ApiToken;
use crate::store::webhooks::{Delivery, EventType, Webhook};

type Shared = Arc<Endpoint>;
type ApiResult<T> = Result<Json<T>, Problem>;

framed! {
    #[derive(Template)]
    #[template(path = "integrations.html")]
    struct IntegrationsPage {
        webhooks: Vec<Webhook>,
        tokens: Vec<ApiToken>,
        events: Vec<(&'static str, bool)>,
        notice: Option<String>,
        secret: Option<(String, String)>
    }
}

framed! {
    #[derive(Template)]
    #[template(path = "webhook.html")]
    struct WebhookPage { hook: Webhook, deliveries: Vec<Delivery>, notice: Option<String> }
}

async fn integrations_page(
    e: &Endpoint,
    staff: &Staff<AsAdmin>,
    notice: Option<String>,
    secret: Option<(String, String)>,
) -> PageResult {
    html(IntegrationsPage::framed(
        Frame::new(e, staff, "admin"),
        e.store.webhooks().await?,
        e.store.tokens().await?,
        // Each event's name, and whether a new endpoint starts subscribed to it.
        EventType::ALL.iter().map(|e| (e.as_str(), *e == EventType::MessageReceived)).collect(),
        notice,
        secret,
    ))
}

async fn webhook_page(e: &Endpoint, staff: &Staff<AsAdmin>, id: &str, notice: Option<String>) -> PageResult {
    let hook = e.store.webhook(id).await?;
    let deliveries = e.store.deliveries(id, 100).await?;
    html(WebhookPage::framed(Frame::new(e, staff, "admin"), hook, deliveries, notice))
}

/// `GET /console/admin/integrations`.
pub async fn page(State(e): State<Shared>, staff: Staff<AsAdmin>) -> PageResult {
    integrations_page(&e, &staff, None, None).await
}

/// The form fields of a posted form, repeated names kept (the events' checkboxes).
fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

fn events_of<'a>(names: impl Iterator<Item = &'a str>) -> Result<Vec<EventType>, Problem> {
    Ok(names.map(str::parse).collect::<Result<Vec<EventType>, _>>()?)
}

/// `POST /console/admin/webhooks`: name, url, events (checkboxes).
pub async fn add_webhook_form(State(e): State<Shared>, staff: Staff<AsAdmin>, body: Bytes) -> PageResult {
    let fields = form_fields(&body);
    let events = events_of(fields.iter().filter(|(k, _)| k == "events").map(|(_, v)| v.as_str()))?;
    let (hook, secret) = e.store.add_webhook(field(&fields, "name"), field(&fields, "url"), &events).await?;
    let label = format!("The signing secret of {} (webhook {})", hook.name, hook.number);
    integrations_page(&e, &staff, Some(format!("Added {}.", hook.name)), Some((label, secret))).await
}

/// `POST /console/admin/tokens`: name, role.
pub async fn add_token_form(State(e): State<Shared>, staff: Staff<AsAdmin>, body: Bytes) -> PageResult {
    let fields = form_fields(&body);
    let (token, secret) = e.store.add_token(field(&fields, "name"), field(&fields, "role").parse()?).await?;
    let label = format!("The token {:?} ({})", token.name, token.role);
    integrations_page(&e, &staff, Some(format!("Made {}.", token.name)), Some((label, secret))).await
}

/// `POST /console/admin/tokens/revoke`: name.
pub async fn revoke_token_form(State(e): State<Shared>, staff: Staff<AsAdmin>, body: Bytes) -> PageResult {
    let fields = form_fields(&body);
    let token = e.store.revoke_token(field(&fields, "name")).await?;
    integrations_page(&e, &staff, Some(format!("Revoked {}: it is refused from now on.", token.name)), None)
        .await
}

/// `GET /console/admin/webhooks/{id}`: an endpoint and its deliveries.
pub async fn webhook(State(e): State<Shared>, staff: Staff<AsAdmin>, Path(id): Path<String>) -> PageResult {
    webhook_page(&e, &staff, &id, None).await
}

/// `POST /console/admin/webhooks/{id}/{enable,disable,remove}`.
pub async fn webhook_action(
    State(e): State<Shared>,
    staff: Staff<AsAdmin>,
    Path((id, action)): Path<(String, String)>,
) -> PageResult {
    let notice = match action.as_str() {
        "enable" => {
            format!("Enabled {}: what was pending goes now.", e.store.enable_webhook(&id).await?.name)
        }
        "disable" => {
            let reason = format!("disabled by {}", staff.member.email);
            format!("Disabled {}.", e.store.disable_webhook(&id, &reason).await?.name)
        }
        "remove" => {
            e.store.remove_webhook(&id).await?;
            return Ok(axum::response::IntoResponse::into_response(Redirect::to(
                "/console/admin/integrations",
            )));
        }
        other => {
            return Err(
                Problem::new(crate::problem::ProblemKind::NotFound, format!("no action {other:?}")).into()
            )
        }
    };
    webhook_page(&e, &staff, &id, Some(notice)).await
}

/// `POST /console/admin/webhooks/{id}/deliveries/{delivery}/replay`.
pub async fn replay_form(
    State(e): State<Shared>,
    staff: Staff<AsAdmin>,
    Path((id, delivery)): Path<(String, String)>,
) -> PageResult {
    let d = e.store.replay_delivery(&id, &delivery).await?;
    webhook_page(&e, &staff, &id, Some(format!("{} is due again, with the same webhook-id.", d.id))).await
}

// ---- JSON ------------------------------------------------------------------------------

/// `{name?, url, events}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    name: Option<String>,
    url: String,
    events: Vec<String>,
}

#[utoipa::path(get, path = "/console/api/webhooks", tag = "console", description = "Role: admin.",
    security(("session" = [])),
    responses(
        (status = 200, description = "[{id, number, name, url, events, created, disabled, disabledReason, failingSince, lastError, lastSuccess}]", body = Object),
        (status = 401, description = "not-signed-in", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden", body = Object, content_type = "application/problem+json"),
    ))]
/// `GET /console/api/webhooks`.
pub async fn list_webhooks(State(e): State<Shared>, _c: Caller<AsAdmin>) -> ApiResult<Vec<Webhook>> {
    Ok(Json(e.store.webhooks().await?))
}

#[utoipa::path(post, path = "/console/api/webhooks", tag = "console", description = "Role: admin.",
    request_body(content = Object, content_type = "application/json", description = "{name?, url: https:// (or http:// to this machine), events: [message.received, alert.raised, case.updated, consent.agreed, consent.revoked, reply.pulled]}"),
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "{webhook, secret}: the whsec_… signing secret, shown this once", body = Object),
        (status = 401, description = "not-signed-in", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden, csrf", body = Object, content_type = "application/problem+json"),
        (status = 422, description = "invalid-request: a URL or event that is not allowed", body = Object, content_type = "application/problem+json"),
    ))]
/// `POST /console/api/webhooks`.
pub async fn add_webhook(
    State(e): State<Shared>,
    _c: Caller<AsAdmin>,
    Body(b): Body<NewWebhook>,
) -> ApiResult<Value> {
    let events = events_of(b.events.iter().map(String::as_str))?;
    let name = b.name.unwrap_or_else(|| {
        reqwest::Url::parse(&b.url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default()
    });
    let (webhook, secret) = e.store.add_webhook(&name, &b.url, &events).await?;
    Ok(Json(json!({ "webhook": webhook, "secret": secret })))
}

#[utoipa::path(delete, path = "/console/api/webhooks/{id}", tag = "console", description = "Role: admin.",
    params(("id" = String, Path, description = "the endpoint")),
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "The endpoint removed, with its queue", body = Object),
        (status = 401, description = "not-signed-in", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden, csrf", body = Object, content_type = "application/problem+json"),
        (status = 404, description = "not-found", body = Object, content_type = "application/problem+json"),
    ))]
/// `DELETE /console/api/webhooks/{id}`.
pub async fn remove_webhook(
    State(e): State<Shared>,
    _c: Caller<AsAdmin>,
    Path(id): Path<String>,
) -> ApiResult<Webhook> {
    Ok(Json(e.store.remove_webhook(&id).await?))
}

#[utoipa::path(post, path = "/console/api/webhooks/{id}/enable", tag = "console", description = "Role: admin.",
    params(("id" = String, Path, description = "the endpoint")),
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "The endpoint, enabled: what is pending is due now", body = Object),
        (status = 401, description = "not-signed-in", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden, csrf", body = Object, content_type = "application/problem+json"),
        (status = 404, description = "not-found", body = Object, content_type = "application/problem+json"),
    ))]
/// `POST /console/api/webhooks/{id}/enable`.
pub async fn enable_webhook(
    State(e): State<Shared>,
    _c: Caller<AsAdmin>,
    Path(id): Path<String>,
) -> ApiResult<Webhook> {
    Ok(Json(e.store.enable_webhook(&id).await?))
}

/// `?limit=`.
#[derive(Deserialize)]
pub struct Limit {
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/console/api/webhooks/{id}/deliveries", tag = "console", description = "Role: admin.",
    params(("id" = String, Path, description = "the endpoint"), ("limit" = Option<u32>, Query, description = "at most this many, 50 by default")),
    security(("session" = [])),
    responses(
        (status = 200, description = "[{id (the webhook-id), event, created, state: pending|delivered|failed|purged, attempts, nextAttempt, lastStatus, lastError, delivered, hasPayload}] newest first", body = Object),
        (status = 401, description = "not-signed-in", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden", body = Object, content_type = "application/problem+json"),
        (status = 404, description = "not-found", body = Object, content_type = "application/problem+json"),
    ))]
/// `GET /console/api/webhooks/{id}/deliveries`.
pub async fn deliveries(
    State(e): State<Shared>,
    _c: Caller<AsAdmin>,
    Path(id): Path<String>,
    Params(q): Params<Limit>,
) -> ApiResult<Vec<Delivery>> {
    Ok(Json(e.store.deliveries(&id, q.limit.unwrap_or(50)).await?))
}

#[utoipa::path(post, path = "/console/api/webhooks/{id}/deliveries/{delivery}/replay", tag = "console", description = "Role: admin.",
    params(("id" = String, Path, description = "the endpoint"), ("delivery" = String, Path, description = "the delivery (msg_…)")),
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "The delivery, due again with the same webhook-id", body = Object),
        (status = 401, description = "not-signed-in", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden, csrf", body = Object, content_type = "application/problem+json"),
        (status = 404, description = "not-found", body = Object, content_type = "application/problem+json"),
        (status = 422, description = "invalid-request: its content was deleted with the person's data", body = Object, content_type = "application/problem+json"),
    ))]
/// `POST /console/api/webhooks/{id}/deliveries/{delivery}/replay`.
pub async fn replay(
    State(e): State<Shared>,
    _c: Caller<AsAdmin>,
    Path((id, delivery)): Path<(String, String)>,
) -> ApiResult<Delivery> {
    Ok(Json(e.store.replay_delivery(&id, &delivery).await?))
}

/// `{name, role}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
    role: String,
}

#[utoipa::path(get, path = "/console/api/tokens", tag = "console", description = "Role: admin.",
    security(("session" = [])),
    responses(
        (status = 200, description = "[{id, number, name, role, created, lastUsed, revoked}]: never the secrets", body = Object),
        (status = 401, description = "not-signed-in", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden", body = Object, content_type = "application/problem+json"),
    ))]
/// `GET /console/api/tokens`.
pub async fn list_tokens(State(e): State<Shared>, _c: Caller<AsAdmin>) -> ApiResult<Vec<ApiToken>> {
    Ok(Json(e.store.tokens().await?))
}

#[utoipa::path(post, path = "/console/api/tokens", tag = "console", description = "Role: admin.",
    request_body(content = Object, content_type = "application/json", description = "{name, role: agent|viewer}"),
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "{token, secret}: the pvt_… secret, shown this once (only its hash is kept)", body = Object),
        (status = 401, description = "not-signed-in", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden, csrf", body = Object, content_type = "application/problem+json"),
        (status = 422, description = "invalid-request: a name taken, or the admin role", body = Object, content_type = "application/problem+json"),
    ))]
/// `POST /console/api/tokens`.
pub async fn add_token(
    State(e): State<Shared>,
    _c: Caller<AsAdmin>,
    Body(b): Body<NewToken>,
) -> ApiResult<Value> {
    let (token, secret) = e.store.add_token(&b.name, b.role.parse()?).await?;
    Ok(Json(json!({ "token": token, "secret": secret })))
}

#[utoipa::path(delete, path = "/console/api/tokens/{name}", tag = "console", description = "Role: admin.",
    params(("name" = String, Path, description = "the token's name")),
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "The token, revoked: refused from now on", body = Object),
        (status = 401, description = "not-signed-in", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden, csrf", body = Object, content_type = "application/problem+json"),
        (status = 404, description = "not-found", body = Object, content_type = "application/problem+json"),
    ))]
/// `DELETE /console/api/tokens/{name}`.
pub async fn revoke_token(
    State(e): State<Shared>,
    _c: Caller<AsAdmin>,
    Path(name): Path<String>,
) -> ApiResult<ApiToken> {
    Ok(Json(e.store.revoke_token(&name).await?))
}
