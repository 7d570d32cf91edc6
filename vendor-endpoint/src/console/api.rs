//! The console's JSON API under `/console/api/`: everything the pages do, for scripts,
//! tests and integrations. Signed-in sessions send the CSRF token (`X-CSRF-Token`) on
//! every write; programs send an API token (`Authorization: Bearer`) instead; refusals are RFC 9457 problem documents like the
//! endpoint's own — 401 when not signed in, 403 for a role that may not, 422 for a
//! value that breaks a rule.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::Json;
use parley_protocol::{AgreementId, Money};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::answer::OrderRequest;
use super::auth::{AsAdmin, AsAgent, AsViewer, Caller, Who};
use super::pages::{CaseQuery, NpsQuery};
use crate::pipeline::Endpoint;
use crate::problem::{Problem, ProblemKind};
use crate::store::cases::{CaseChanges, CaseDetail};
use crate::store::insights::{AlertRule, Dashboard};
use crate::store::staff::StaffMember;

type Shared = Arc<Endpoint>;
type ApiResult<T> = Result<Json<T>, Problem>;

/// A JSON body whose refusal is a problem document.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(Problem::new(ProblemKind::UnsupportedMediaType, "send application/json"))
            }
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(Problem::new(ProblemKind::TooLarge, e.body_text()))
            }
            Err(JsonRejection::JsonSyntaxError(e)) => {
                Err(Problem::new(ProblemKind::MalformedJson, e.body_text()))
            }
            Err(e) => Err(Problem::new(ProblemKind::InvalidRequest, e.body_text())),
        }
    }
}

/// A query string whose refusal is a problem document.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Problem> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Self(v))
            .map_err(|e| Problem::new(ProblemKind::InvalidRequest, e.body_text()))
    }
}

/// `GET /console/api/me`: who is signed in, and the token writes must carry.
#[utoipa::path(get, path = "/console/api/me", tag = "console",
    description = "Role: viewer or above.",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "{email, role, csrfToken}: who is signed in, and the token every write carries", body = Object),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn me(caller: Caller<AsViewer>) -> Json<Value> {
    Json(match &caller.who {
        Who::Member(m) => json!({ "email": m.email, "role": m.role, "csrfToken": caller.csrf }),
        Who::Token(t) => json!({ "token": t.name, "role": t.role, "csrfToken": null }),
    })
}

/// `GET /console/api/cases`: `{cases, next}`, `next` being the `after` of the next page.
#[utoipa::path(get, path = "/console/api/cases", tag = "console",
    description = "Role: viewer or above.",
    params(
        ("state" = Option<String>, Query, description = "new, open, waiting, resolved or deleted (stubs are listed only when asked for)"),
        ("kind" = Option<String>, Query, description = "SupportRequest, Feedback or Intent"),
        ("band" = Option<String>, Query, description = "detractor (0–6), passive (7–8) or promoter (9–10)"),
        ("product" = Option<String>, Query, description = "a product model"),
        ("assignee" = Option<String>, Query, description = "a staff email; empty for unassigned"),
        ("overdue" = Option<bool>, Query, description = "past the first-response target and unanswered"),
        ("q" = Option<String>, Query, description = "words the case's text contains"),
        ("limit" = Option<u32>, Query, description = "page size, 50 by default, 200 at most"),
        ("after" = Option<String>, Query, description = "the `next` of the previous page"),
    ),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "{cases: [case…] newest first, next: the `after` of the next page, or null}", body = Object),
        (status = 422, description = "invalid-request: a filter value that is not one of its choices, or an unknown `after`", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn cases(
    State(e): State<Shared>,
    _staff: Caller<AsViewer>,
    Params(q): Params<CaseQuery>,
) -> ApiResult<Value> {
    let filter = q.filter()?;
    let cases = e.store.cases(&filter).await?;
    let limit = if filter.limit == 0 { 50 } else { filter.limit.min(200) } as usize;
    let next = (cases.len() == limit).then(|| cases.last().map(|c| c.id.clone())).flatten();
    Ok(Json(json!({ "cases": cases, "next": next })))
}

/// `GET /console/api/cases/{id}`.
#[utoipa::path(get, path = "/console/api/cases/{id}", tag = "console",
    description = "Role: viewer or above.",
    params(("id" = String, Path, description = "the case: the id of the message that opened it")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The case with its thread (the person's signed messages, the answers and when each was pulled), notes, the consent it rests on in plain words, and the product details shared", body = Object),
        (status = 404, description = "not-found", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn case(
    State(e): State<Shared>,
    caller: Caller<AsViewer>,
    Path(id): Path<String>,
) -> ApiResult<CaseDetail> {
    let detail = e.store.case_detail(&id).await?;
    // Logged before it is shown: a read the log cannot record is not served.
    e.store.log_reads(&caller.who.reader(), &detail.person_reads()).await?;
    Ok(Json(detail))
}

/// `PATCH /console/api/cases/{id}`: `{state?, priority?, assignee?}` (`assignee` an
/// email, or `null` for nobody).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasePatch {
    state: Option<String>,
    priority: Option<String>,
    #[serde(default, with = "double_option")]
    assignee: Option<Option<String>>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
        Ok(Some(Option::deserialize(d)?))
    }
}

/// `PATCH /console/api/cases/{id}`.
#[utoipa::path(patch, path = "/console/api/cases/{id}", tag = "console",
    description = "Role: agent or above.",
    params(("id" = String, Path, description = "the case: the id of the message that opened it")),
    request_body(content = Object, content_type = "application/json", description = "{state?: new|open|waiting|resolved, priority?: low|normal|high|urgent, assignee?: an email, or null for nobody}"),
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The case as changed", body = Object),
        (status = 404, description = "not-found", body = Object, content_type = "application/problem+json"),
        (status = 422, description = "invalid-request: an unknown state, priority or staff email", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn update_case(
    State(e): State<Shared>,
    _staff: Caller<AsAgent>,
    Path(id): Path<String>,
    Body(patch): Body<CasePatch>,
) -> ApiResult<Value> {
    let changes = CaseChanges {
        state: patch.state.map(|s| s.parse()).transpose()?,
        priority: patch.priority.map(|p| p.parse()).transpose()?,
        assignee: patch.assignee,
    };
    Ok(Json(json!(e.store.update_case(&id, &changes).await?)))
}

/// `{text}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    text: String,
}

/// `POST /console/api/cases/{id}/reply`: signs and queues a reply; `{message}`.
#[utoipa::path(post, path = "/console/api/cases/{id}/reply", tag = "console",
    description = "Role: agent or above.",
    params(("id" = String, Path, description = "the case: the id of the message that opened it")),
    request_body(content = Object, content_type = "application/json", description = "{text}"),
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "{message}: the signed Reply, queued for the person's next inbox query", body = Object),
        (status = 404, description = "not-found", body = Object, content_type = "application/problem+json"),
        (status = 422, description = "invalid-request: empty text, a deleted case, or a revoked consent", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn reply(
    State(e): State<Shared>,
    staff: Caller<AsAgent>,
    Path(id): Path<String>,
    Body(body): Body<Text>,
) -> ApiResult<Value> {
    let message = super::answer::reply_as(&e.store, &e.key, &id, &body.text, Some(staff.who.id())).await?;
    Ok(Json(json!({ "message": message })))
}

/// `{price, currency, text, validUntil?}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OfferBody {
    price: String,
    currency: String,
    text: String,
    valid_until: Option<String>,
}

/// `POST /console/api/cases/{id}/offer`: signs and queues an offer; `{message}`.
#[utoipa::path(post, path = "/console/api/cases/{id}/offer", tag = "console",
    description = "Role: agent or above.",
    params(("id" = String, Path, description = "the case: the id of the message that opened it")),
    request_body(content = Object, content_type = "application/json", description = "{price: decimal string, currency: ISO 4217, text, validUntil?: RFC 3339}"),
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "{message}: the signed Offer, queued for the person's next inbox query", body = Object),
        (status = 404, description = "not-found", body = Object, content_type = "application/problem+json"),
        (status = 422, description = "invalid-request: not an intent, a bad price or currency, a validity in the past", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn offer(
    State(e): State<Shared>,
    staff: Caller<AsAgent>,
    Path(id): Path<String>,
    Body(b): Body<OfferBody>,
) -> ApiResult<Value> {
    let price = Money { amount: b.price, currency: b.currency.to_ascii_uppercase() };
    let message =
        super::answer::offer_as(&e.store, &e.key, &id, price, &b.text, b.valid_until, Some(staff.who.id()))
            .await?;
    Ok(Json(json!({ "message": message })))
}

/// `POST /console/api/cases/{id}/order`: signs and queues an order update; `{message}`.
#[utoipa::path(post, path = "/console/api/cases/{id}/order", tag = "console",
    description = "Role: agent or above. An update on the order an accepted offer in this intent's case became: the first makes the order (its id, its line from the offer); each later one must follow the last (confirmed → shipped → delivered; cancelled before delivery; refunded after it).",
    params(("id" = String, Path, description = "the case: the id of the intent that opened it")),
    request_body(content = Object, content_type = "application/json", description = "{offer: the offer's id, status: confirmed|shipped|delivered|cancelled|refunded, tracking?: https URL, serial?, warrantyUntil?: YYYY-MM-DD, model?}"),
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "{message}: the signed Order update, queued for the person's next inbox query", body = Object),
        (status = 404, description = "not-found: no such offer", body = Object, content_type = "application/problem+json"),
        (status = 422, description = "invalid-request: the offer is not this case's or was not accepted, a status that cannot follow the last, a bad URL or date", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn order(
    State(e): State<Shared>,
    staff: Caller<AsAgent>,
    Path(id): Path<String>,
    Body(b): Body<OrderRequest>,
) -> ApiResult<Value> {
    let message = super::answer::order_in_case(&e.store, &e.key, &id, b, Some(staff.who.id())).await?;
    Ok(Json(json!({ "message": message })))
}

/// `POST /console/api/cases/{id}/notes`.
#[utoipa::path(post, path = "/console/api/cases/{id}/notes", tag = "console",
    description = "Role: agent or above.",
    params(("id" = String, Path, description = "the case: the id of the message that opened it")),
    request_body(content = Object, content_type = "application/json", description = "{text}"),
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The note: internal, never sent to the person", body = Object),
        (status = 404, description = "not-found", body = Object, content_type = "application/problem+json"),
        (status = 422, description = "invalid-request", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn add_note(
    State(e): State<Shared>,
    staff: Caller<AsAgent>,
    Path(id): Path<String>,
    Body(body): Body<Text>,
) -> ApiResult<Value> {
    Ok(Json(json!(e.store.add_note(&id, staff.who.id(), &body.text).await?)))
}

/// `GET /console/api/alerts`: the dashboard's figures, open alerts first.
#[utoipa::path(get, path = "/console/api/alerts", tag = "console",
    description = "Role: viewer or above.",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "{openAlerts, overdue, openCases, medianFirstResponseMinutes, loopsClosed7Days, loopsClosed30Days}", body = Object),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn alerts(State(e): State<Shared>, _staff: Caller<AsViewer>) -> ApiResult<Dashboard> {
    Ok(Json(e.store.dashboard().await?))
}

/// `GET /console/api/nps?period=week|month&product=&from=&to=`.
#[utoipa::path(get, path = "/console/api/nps", tag = "console",
    description = "Role: viewer or above.",
    params(
        ("period" = Option<String>, Query, description = "week (from Monday, the default) or month"),
        ("product" = Option<String>, Query, description = "a product model"),
        ("from" = Option<String>, Query, description = "first day, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "last day, YYYY-MM-DD"),
    ),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "{period, points: [{start, promoters, passives, detractors, count, score}] oldest first}", body = Object),
        (status = 422, description = "invalid-request: a period other than week or month, or a date that is not YYYY-MM-DD", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn nps(
    State(e): State<Shared>,
    _staff: Caller<AsViewer>,
    Params(q): Params<NpsQuery>,
) -> ApiResult<Value> {
    Ok(Json(json!({ "period": q.period()?, "points": q.series(&e).await? })))
}

/// `GET /console/api/staff`.
#[utoipa::path(get, path = "/console/api/staff", tag = "console",
    description = "Role: admin or above.",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "[{email, role, disabled, created}]", body = Object),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn staff(State(e): State<Shared>, _staff: Caller<AsAdmin>) -> ApiResult<Vec<StaffMember>> {
    Ok(Json(e.store.staff().await?))
}

/// `{email, role, password}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    email: String,
    role: String,
    password: String,
}

/// `POST /console/api/staff`.
#[utoipa::path(post, path = "/console/api/staff", tag = "console",
    description = "Role: admin or above.",
    request_body(content = Object, content_type = "application/json", description = "{email, role: admin|agent|viewer, password (12 characters or more)}"),
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The new member of staff", body = Object),
        (status = 422, description = "invalid-request: a bad email or role, a short password, an email already taken", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn add_staff(
    State(e): State<Shared>,
    _staff: Caller<AsAdmin>,
    Body(b): Body<NewStaff>,
) -> ApiResult<StaffMember> {
    Ok(Json(e.store.add_staff(&b.email, b.role.parse()?, &b.password).await?))
}

/// `{email}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Email {
    email: String,
}

/// `POST /console/api/staff/disable`.
#[utoipa::path(post, path = "/console/api/staff/disable", tag = "console",
    description = "Role: admin or above.",
    request_body(content = Object, content_type = "application/json", description = "{email}"),
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The member, disabled; their sessions end", body = Object),
        (status = 404, description = "not-found", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn disable_staff(
    State(e): State<Shared>,
    _staff: Caller<AsAdmin>,
    Body(b): Body<Email>,
) -> ApiResult<StaffMember> {
    Ok(Json(e.store.disable_staff(&b.email).await?))
}

/// `GET /console/api/rules`.
#[utoipa::path(get, path = "/console/api/rules", tag = "console",
    description = "Role: admin or above.",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "[alert rule]", body = Object),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn rules(State(e): State<Shared>, _staff: Caller<AsAdmin>) -> ApiResult<Vec<AlertRule>> {
    Ok(Json(e.store.alert_rules().await?))
}

/// `PUT /console/api/rules`: adds a rule, or replaces the one with its id.
#[utoipa::path(put, path = "/console/api/rules", tag = "console",
    description = "Role: admin or above.",
    request_body(content = Object, content_type = "application/json", description = "{id? (to replace that rule), name, kind?: a message type, scoreMin?, scoreMax?, keyword?, firstResponseHours, enabled}"),
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The rule as saved", body = Object),
        (status = 422, description = "invalid-request", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn save_rule(
    State(e): State<Shared>,
    _staff: Caller<AsAdmin>,
    Body(rule): Body<AlertRule>,
) -> ApiResult<AlertRule> {
    Ok(Json(e.store.save_alert_rule(&rule).await?))
}

/// `{agreements: ["SD-BASE", …]}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agreements {
    agreements: Vec<AgreementId>,
}

/// `GET /console/api/agreements`.
#[utoipa::path(get, path = "/console/api/agreements", tag = "console",
    description = "Role: admin or above.",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "{agreements: [MyTerms agreement id]} in order of preference", body = Object),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn agreements(State(e): State<Shared>, _staff: Caller<AsAdmin>) -> ApiResult<Value> {
    Ok(Json(json!({ "agreements": e.agreements().await? })))
}

/// `PUT /console/api/agreements`.
#[utoipa::path(put, path = "/console/api/agreements", tag = "console",
    description = "Role: admin or above.",
    request_body(content = Object, content_type = "application/json", description = "{agreements: [SD-BASE, …]}"),
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "{agreements}: as accepted from now on, by every instance", body = Object),
        (status = 422, description = "invalid-request: an unknown agreement id, or none", body = Object, content_type = "application/problem+json"),
        (status = 401, description = "not-signed-in: no session, or it ended", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "forbidden: the role may not; csrf: a write without X-CSRF-Token", body = Object, content_type = "application/problem+json"),
    ))]
pub async fn set_agreements(
    State(e): State<Shared>,
    _staff: Caller<AsAdmin>,
    Body(b): Body<Agreements>,
) -> ApiResult<Value> {
    e.store.set_accepted_agreements(&b.agreements).await?;
    Ok(Json(json!({ "agreements": b.agreements })))
}
