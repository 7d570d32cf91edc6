//! The console's JSON API under `/console/api/`: everything the pages do, for scripts,
//! tests and the integrations that come next. Signed-in sessions send the CSRF token
//! (`X-CSRF-Token`) on every write; refusals are RFC 9457 problem documents like the
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

use super::auth::{AsAdmin, AsAgent, AsViewer, Staff};
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
            Err(e) => Err(Problem::new(ProblemKind::InvalidRequest, e.body_text())),
        }
    }
}

/// `GET /console/api/me`: who is signed in, and the token writes must carry.
pub async fn me(staff: Staff<AsViewer>) -> Json<Value> {
    Json(json!({ "email": staff.member.email, "role": staff.member.role, "csrfToken": staff.csrf }))
}

/// `GET /console/api/cases`: `{cases, next}`, `next` being the `after` of the next page.
pub async fn cases(
    State(e): State<Shared>,
    _staff: Staff<AsViewer>,
    Query(q): Query<CaseQuery>,
) -> ApiResult<Value> {
    let filter = q.filter()?;
    let cases = e.store.cases(&filter).await?;
    let limit = if filter.limit == 0 { 50 } else { filter.limit.min(200) } as usize;
    let next = (cases.len() == limit).then(|| cases.last().map(|c| c.id.clone())).flatten();
    Ok(Json(json!({ "cases": cases, "next": next })))
}

/// `GET /console/api/cases/{id}`.
pub async fn case(
    State(e): State<Shared>,
    _staff: Staff<AsViewer>,
    Path(id): Path<String>,
) -> ApiResult<CaseDetail> {
    Ok(Json(e.store.case_detail(&id).await?))
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
pub async fn update_case(
    State(e): State<Shared>,
    _staff: Staff<AsAgent>,
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
pub async fn reply(
    State(e): State<Shared>,
    staff: Staff<AsAgent>,
    Path(id): Path<String>,
    Body(body): Body<Text>,
) -> ApiResult<Value> {
    let message = super::answer::reply_as(&e.store, &e.key, &id, &body.text, Some(&staff.member.id)).await?;
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
pub async fn offer(
    State(e): State<Shared>,
    staff: Staff<AsAgent>,
    Path(id): Path<String>,
    Body(b): Body<OfferBody>,
) -> ApiResult<Value> {
    let price = Money { amount: b.price, currency: b.currency.to_ascii_uppercase() };
    let message =
        super::answer::offer_as(&e.store, &e.key, &id, price, &b.text, b.valid_until, Some(&staff.member.id))
            .await?;
    Ok(Json(json!({ "message": message })))
}

/// `POST /console/api/cases/{id}/notes`.
pub async fn add_note(
    State(e): State<Shared>,
    staff: Staff<AsAgent>,
    Path(id): Path<String>,
    Body(body): Body<Text>,
) -> ApiResult<Value> {
    Ok(Json(json!(e.store.add_note(&id, &staff.member.id, &body.text).await?)))
}

/// `GET /console/api/alerts`: the dashboard's figures, open alerts first.
pub async fn alerts(State(e): State<Shared>, _staff: Staff<AsViewer>) -> ApiResult<Dashboard> {
    Ok(Json(e.store.dashboard().await?))
}

/// `GET /console/api/nps?period=week|month&product=&from=&to=`.
pub async fn nps(
    State(e): State<Shared>,
    _staff: Staff<AsViewer>,
    Query(q): Query<NpsQuery>,
) -> ApiResult<Value> {
    Ok(Json(json!({ "period": q.period()?, "points": q.series(&e).await? })))
}

/// `GET /console/api/staff`.
pub async fn staff(State(e): State<Shared>, _staff: Staff<AsAdmin>) -> ApiResult<Vec<StaffMember>> {
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
pub async fn add_staff(
    State(e): State<Shared>,
    _staff: Staff<AsAdmin>,
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
pub async fn disable_staff(
    State(e): State<Shared>,
    _staff: Staff<AsAdmin>,
    Body(b): Body<Email>,
) -> ApiResult<StaffMember> {
    Ok(Json(e.store.disable_staff(&b.email).await?))
}

/// `GET /console/api/rules`.
pub async fn rules(State(e): State<Shared>, _staff: Staff<AsAdmin>) -> ApiResult<Vec<AlertRule>> {
    Ok(Json(e.store.alert_rules().await?))
}

/// `PUT /console/api/rules`: adds a rule, or replaces the one with its id.
pub async fn save_rule(
    State(e): State<Shared>,
    _staff: Staff<AsAdmin>,
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
pub async fn agreements(State(e): State<Shared>, _staff: Staff<AsAdmin>) -> ApiResult<Value> {
    Ok(Json(json!({ "agreements": e.agreements().await? })))
}

/// `PUT /console/api/agreements`.
pub async fn set_agreements(
    State(e): State<Shared>,
    _staff: Staff<AsAdmin>,
    Body(b): Body<Agreements>,
) -> ApiResult<Value> {
    e.store.set_accepted_agreements(&b.agreements).await?;
    Ok(Json(json!({ "agreements": b.agreements })))
}
