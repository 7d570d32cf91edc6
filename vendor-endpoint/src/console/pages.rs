//! The console's pages: server-rendered HTML from templates compiled into the binary
//! (`templates/`), escaped by default, with forms that post back here — no script at
//! all, so the strict CSP allows none. Every handler names the role it needs.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use parley_protocol::{AgreementId, Money};
use serde::Deserialize;
use serde_json::Value;

use super::answer::OrderRequest;
use super::auth::{AsAdmin, AsAgent, AsViewer, Staff};
use super::chart::nps_svg;
use super::frame::{framed, html, when, Frame, PageError, PageResult};
use crate::pipeline::Endpoint;
use crate::problem::{Problem, ProblemKind};
use crate::store::access::Reader;
use crate::store::cases::{Case, CaseChanges, CaseConsent, CaseDetail, CaseFilter};
use crate::store::insights::{AlertRule, Dashboard, NpsPoint, Period};
use crate::store::orders::{cited_purchase, purchase_in_words, OfferState};
use crate::store::staff::{Role, StaffMember};

type Shared = Arc<Endpoint>;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    message: Option<&'a str>,
}

/// The sign-in page, with a message when a sign-in failed.
pub fn sign_in_page(message: Option<&str>, status: StatusCode) -> Response {
    (status, Html(SignInPage { message }.render().unwrap_or_default())).into_response()
}

/// `GET /console/login`.
pub async fn sign_in() -> Response {
    sign_in_page(None, StatusCode::OK)
}

framed! {
    #[derive(Template)]
    #[template(path = "dashboard.html")]
    struct DashboardPage { dashboard: Dashboard, median: String, loops_7: String, loops_30: String, chart: String }
}

fn share(v: Option<f64>) -> String {
    v.map(|v| format!("{:.0}%", v * 100.0)).unwrap_or_else(|| "–".into())
}

/// `GET /console/`: open alerts, what is overdue, response times, loops closed, NPS.
pub async fn dashboard(State(e): State<Shared>, staff: Staff<AsViewer>) -> PageResult {
    let dashboard = e.store.dashboard().await?;
    let twelve_weeks_ago = (time::OffsetDateTime::now_utc() - time::Duration::weeks(12)).date().to_string();
    let points = e.store.nps_series(Period::Week, None, Some(&twelve_weeks_ago), None).await?;
    let median = match dashboard.median_first_response_minutes {
        None => "–".to_owned(),
        Some(m) if m < 120 => format!("{m} min"),
        Some(m) => format!("{:.1} h", m as f64 / 60.0),
    };
    let (loops_7, loops_30) = (share(dashboard.loops_closed_7_days), share(dashboard.loops_closed_30_days));
    let chart = nps_svg(&points, "Weekly NPS, last 12 weeks");
    html(DashboardPage::framed(
        Frame::new(&e, &staff, "dashboard"),
        dashboard,
        median,
        loops_7,
        loops_30,
        chart,
    ))
}

/// The case list's filters, as a query string.
#[derive(Debug, Default, Deserialize)]
pub struct CaseQuery {
    state: Option<String>,
    kind: Option<String>,
    band: Option<String>,
    product: Option<String>,
    assignee: Option<String>,
    overdue: Option<String>,
    q: Option<String>,
    limit: Option<u32>,
    after: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl CaseQuery {
    /// The store's filter.
    pub fn filter(&self) -> Result<CaseFilter, Problem> {
        Ok(CaseFilter {
            state: nonempty(&self.state).map(|s| s.parse()).transpose()?,
            kind: nonempty(&self.kind),
            band: nonempty(&self.band).map(|b| b.parse()).transpose()?,
            product: nonempty(&self.product),
            assignee: nonempty(&self.assignee),
            overdue: self.overdue.as_deref().is_some_and(|o| o == "1" || o == "true"),
            text: nonempty(&self.q),
            limit: self.limit.unwrap_or(50),
            after: nonempty(&self.after),
        })
    }

    fn next_page(&self, last: &Case) -> String {
        let mut pairs = Vec::new();
        for (k, v) in [
            ("state", &self.state),
            ("kind", &self.kind),
            ("band", &self.band),
            ("product", &self.product),
            ("assignee", &self.assignee),
            ("overdue", &self.overdue),
            ("q", &self.q),
        ] {
            if let Some(v) = nonempty(v) {
                pairs.push(format!("{k}={}", urlencode(&v)));
            }
        }
        pairs.push(format!("after={}", urlencode(&last.id)));
        format!("/console/cases?{}", pairs.join("&"))
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

framed! {
    #[derive(Template)]
    #[template(path = "cases.html")]
    struct CasesPage { cases: Vec<Case>, query: CaseQuery, next: Option<String> }
}

/// `GET /console/cases`: filters, keyset paging, text search.
pub async fn cases(
    State(e): State<Shared>,
    staff: Staff<AsViewer>,
    Query(query): Query<CaseQuery>,
) -> PageResult {
    let filter = query.filter()?;
    let cases = e.store.cases(&filter).await?;
    let limit = match filter.limit {
        0 => 50,
        n => n.min(200),
    } as usize;
    let next = (cases.len() == limit).then(|| cases.last().map(|c| query.next_page(c))).flatten();
    html(CasesPage::framed(Frame::new(&e, &staff, "cases"), cases, query, next))
}

framed! {
    #[derive(Template)]
    #[template(path = "case.html")]
    struct CasePage {
        detail: CaseDetail,
        staff: Vec<StaffMember>,
        can_answer: bool,
        receipt: Option<String>,
        offers: Vec<OfferState>,
        purchase: Option<String>,
    }
}

/// The fields of a message body, in words, for the thread.
fn body_lines(document: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(body) = document["body"].as_object() else { return out };
    for (key, value) in body {
        if key == "product" {
            continue;
        }
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned).unwrap_or_else(|| i.to_string()))
                .collect::<Vec<_>>()
                .join("; "),
            Value::Object(o) if o.contains_key("amount") => {
                format!("{} {}", o["amount"].as_str().unwrap_or(""), o["currency"].as_str().unwrap_or(""))
            }
            other => other.to_string(),
        };
        out.push((key.clone(), text));
    }
    out
}

fn product_lines(product: &Value) -> Vec<(String, String)> {
    body_lines(&serde_json::json!({ "body": product }))
}

fn pretty(document: &Value) -> String {
    serde_json::to_string_pretty(document).unwrap_or_default()
}

/// The consent, in plain words.
fn consent_words(c: &CaseConsent) -> String {
    let revoked = match (&c.revoked, c.state.as_str()) {
        (Some(at), _) => format!(" Revoked on {at}."),
        (None, "agreed") => String::new(),
        (None, state) => format!(" It is {state}."),
    };
    format!(
        "Agreed under {} for {}: the person shares {} and you may keep it {} days.{revoked}",
        c.agreement,
        c.purpose,
        c.categories.join(", "),
        c.retention_days
    )
}

/// `GET /console/cases/{id}`: the whole thread, the consent, the product, notes.
pub async fn case(State(e): State<Shared>, staff: Staff<AsViewer>, Path(id): Path<String>) -> PageResult {
    let detail = e.store.case_detail(&id).await?;
    // Logged before it is shown: a read the log cannot record is not served.
    e.store.log_reads(&Reader::staff(&staff.member), &detail.person_reads()).await?;
    let receipt = match detail.case.deleted_by.as_deref() {
        Some(revocation) if revocation != "retention" => e.store.deletion_receipt_of(revocation).await?,
        _ => None,
    };
    let members = e.store.staff().await?.into_iter().filter(|s| s.disabled.is_none()).collect();
    let can_answer = staff.member.role >= Role::Agent && detail.case.deleted.is_none();
    let offers =
        if detail.case.kind == "Intent" { e.store.offers_for(&detail.case.id).await? } else { Vec::new() };
    // A warranty claim or return: checked again on the vendor's own signature.
    let purchase = detail
        .thread
        .first()
        .and_then(|m| cited_purchase(&m.document, &e.config.did))
        .map(|c| purchase_in_words(&c));
    let frame = Frame::new(&e, &staff, "cases");
    html(CasePage::framed(frame, detail, members, can_answer, receipt, offers, purchase))
}

/// A reply, from the case page.
#[derive(Deserialize)]
pub struct ReplyForm {
    text: String,
}

fn back_to(id: &str) -> Response {
    Redirect::to(&format!("/console/cases/{}", urlencode(id))).into_response()
}

/// `POST /console/cases/{id}/reply`.
pub async fn reply(
    State(e): State<Shared>,
    staff: Staff<AsAgent>,
    Path(id): Path<String>,
    Form(form): Form<ReplyForm>,
) -> PageResult {
    super::answer::reply_as(&e.store, &e.key, &id, &form.text, Some(&staff.member.id)).await?;
    Ok(back_to(&id))
}

/// An offer, from an intent's case page.
#[derive(Deserialize)]
pub struct OfferForm {
    price: String,
    currency: String,
    text: String,
    valid_until: Option<String>,
}

/// `POST /console/cases/{id}/offer`.
pub async fn offer(
    State(e): State<Shared>,
    staff: Staff<AsAgent>,
    Path(id): Path<String>,
    Form(form): Form<OfferForm>,
) -> PageResult {
    let price =
        Money { amount: form.price.trim().to_owned(), currency: form.currency.trim().to_ascii_uppercase() };
    let until = nonempty(&form.valid_until);
    super::answer::offer_as(&e.store, &e.key, &id, price, &form.text, until, Some(&staff.member.id)).await?;
    Ok(back_to(&id))
}

/// `POST /console/cases/{id}/order`.
pub async fn order(
    State(e): State<Shared>,
    staff: Staff<AsAgent>,
    Path(id): Path<String>,
    Form(form): Form<OrderRequest>,
) -> PageResult {
    super::answer::order_in_case(&e.store, &e.key, &id, form, Some(&staff.member.id)).await?;
    Ok(back_to(&id))
}

/// State, priority and owner, from the case page.
#[derive(Deserialize)]
pub struct CaseForm {
    state: Option<String>,
    priority: Option<String>,
    assignee: Option<String>,
}

/// `POST /console/cases/{id}`.
pub async fn update_case(
    State(e): State<Shared>,
    _staff: Staff<AsAgent>,
    Path(id): Path<String>,
    Form(form): Form<CaseForm>,
) -> PageResult {
    let changes = CaseChanges {
        state: nonempty(&form.state).map(|s| s.parse()).transpose()?,
        priority: nonempty(&form.priority).map(|p| p.parse()).transpose()?,
        assignee: form.assignee.as_ref().map(|a| nonempty(&Some(a.clone()))),
    };
    e.store.update_case(&id, &changes).await?;
    Ok(back_to(&id))
}

/// `POST /console/cases/{id}/notes`.
pub async fn add_note(
    State(e): State<Shared>,
    staff: Staff<AsAgent>,
    Path(id): Path<String>,
    Form(form): Form<ReplyForm>,
) -> PageResult {
    e.store.add_note(&id, &staff.member.id, &form.text).await?;
    Ok(back_to(&id))
}

/// NPS filters, as a query string.
#[derive(Debug, Default, Deserialize)]
pub struct NpsQuery {
    period: Option<String>,
    product: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl NpsQuery {
    /// The period asked for; weeks by default.
    pub fn period(&self) -> Result<Period, Problem> {
        Ok(nonempty(&self.period).map(|p| p.parse()).transpose()?.unwrap_or(Period::Week))
    }

    /// The series it asks for.
    pub async fn series(&self, e: &Endpoint) -> Result<Vec<NpsPoint>, Problem> {
        Ok(e.store
            .nps_series(
                self.period()?,
                nonempty(&self.product).as_deref(),
                nonempty(&self.from).as_deref(),
                nonempty(&self.to).as_deref(),
            )
            .await?)
    }
}

framed! {
    #[derive(Template)]
    #[template(path = "nps.html")]
    struct NpsPage {
        points: Vec<NpsPoint>,
        chart: String,
        models: Vec<String>,
        period: String,
        product: String,
        from: String,
        to: String,
        query: String,
    }
}

/// `GET /console/nps`: NPS per week or month, by product model, with the split.
pub async fn nps(State(e): State<Shared>, staff: Staff<AsViewer>, Query(q): Query<NpsQuery>) -> PageResult {
    let points = q.series(&e).await?;
    let period = match q.period()? {
        Period::Week => "week",
        Period::Month => "month",
    };
    let chart = nps_svg(&points, &format!("NPS per {period}"));
    let query = [
        ("period", Some(period.to_owned())),
        ("product", nonempty(&q.product)),
        ("from", nonempty(&q.from)),
        ("to", nonempty(&q.to)),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| format!("{k}={}", urlencode(&v))))
    .collect::<Vec<_>>()
    .join("&");
    let page = NpsPage::framed(
        Frame::new(&e, &staff, "nps"),
        points,
        chart,
        e.store.product_models().await?,
        period.to_owned(),
        nonempty(&q.product).unwrap_or_default(),
        nonempty(&q.from).unwrap_or_default(),
        nonempty(&q.to).unwrap_or_default(),
        query,
    );
    html(page)
}

/// `GET /console/nps.csv`: the same series as CSV.
pub async fn nps_csv(
    State(e): State<Shared>,
    _staff: Staff<AsViewer>,
    Query(q): Query<NpsQuery>,
) -> Result<Response, PageError> {
    let mut csv = String::from("start,nps,responses,promoters,passives,detractors\n");
    for p in q.series(&e).await? {
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            p.start, p.score, p.count, p.promoters, p.passives, p.detractors
        ));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"nps.csv\""),
        ],
        csv,
    )
        .into_response())
}

framed! {
    #[derive(Template)]
    #[template(path = "admin.html")]
    struct AdminPage { staff: Vec<StaffMember>, rules: Vec<AlertRule>, agreements: String, notice: Option<String> }
}

async fn admin_page(e: &Endpoint, staff: &Staff<AsAdmin>, notice: Option<String>) -> PageResult {
    let agreements = e.agreements().await?.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ");
    let page = AdminPage::framed(
        Frame::new(e, staff, "admin"),
        e.store.staff().await?,
        e.store.alert_rules().await?,
        agreements,
        notice,
    );
    html(page)
}

/// `GET /console/admin`: staff, alert rules, agreements.
pub async fn admin(State(e): State<Shared>, staff: Staff<AsAdmin>) -> PageResult {
    admin_page(&e, &staff, None).await
}

/// A new member of staff.
#[derive(Deserialize)]
pub struct StaffForm {
    email: String,
    role: String,
    password: String,
}

/// `POST /console/admin/staff`.
pub async fn add_staff(
    State(e): State<Shared>,
    staff: Staff<AsAdmin>,
    Form(f): Form<StaffForm>,
) -> PageResult {
    let member = e.store.add_staff(&f.email, f.role.parse()?, &f.password).await?;
    admin_page(&e, &staff, Some(format!("Added {} ({}).", member.email, member.role))).await
}

/// One account.
#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
}

/// `POST /console/admin/staff/disable`.
pub async fn disable_staff(
    State(e): State<Shared>,
    staff: Staff<AsAdmin>,
    Form(f): Form<EmailForm>,
) -> PageResult {
    let member = e.store.disable_staff(&f.email).await?;
    admin_page(&e, &staff, Some(format!("Disabled {}; their sessions ended.", member.email))).await
}

/// An alert rule, from the admin page.
#[derive(Deserialize)]
pub struct RuleForm {
    id: Option<String>,
    name: String,
    kind: Option<String>,
    score_min: Option<String>,
    score_max: Option<String>,
    keyword: Option<String>,
    first_response_hours: String,
    enabled: Option<String>,
}

fn number(field: &str, v: &Option<String>) -> Result<Option<i64>, Problem> {
    nonempty(v)
        .map(|n| {
            n.parse::<i64>().map_err(|_| {
                Problem::new(ProblemKind::InvalidRequest, format!("{field}: {n:?} is not a number"))
            })
        })
        .transpose()
}

/// `POST /console/admin/rules`.
pub async fn save_rule(
    State(e): State<Shared>,
    staff: Staff<AsAdmin>,
    Form(f): Form<RuleForm>,
) -> PageResult {
    let rule = AlertRule {
        id: nonempty(&f.id).unwrap_or_default(),
        name: f.name,
        kind: nonempty(&f.kind),
        score_min: number("scoreMin", &f.score_min)?,
        score_max: number("scoreMax", &f.score_max)?,
        keyword: nonempty(&f.keyword),
        first_response_hours: number("firstResponseHours", &Some(f.first_response_hours))?.unwrap_or(24),
        enabled: f.enabled.is_some(),
    };
    let saved = e.store.save_alert_rule(&rule).await?;
    admin_page(&e, &staff, Some(format!("Saved rule {} ({}).", saved.name, saved.id))).await
}

/// The agreements accepted, comma-separated.
#[derive(Deserialize)]
pub struct AgreementsForm {
    agreements: String,
}

/// Parses `SD-BASE, SD-BASE-DP` into roster ids.
pub fn parse_agreements(text: &str) -> Result<Vec<AgreementId>, Problem> {
    text.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse::<AgreementId>().map_err(|e| Problem::new(ProblemKind::InvalidRequest, e.to_string()))
        })
        .collect()
}

/// `POST /console/admin/agreements`.
pub async fn set_agreements(
    State(e): State<Shared>,
    staff: Staff<AsAdmin>,
    Form(f): Form<AgreementsForm>,
) -> PageResult {
    e.store.set_accepted_agreements(&parse_agreements(&f.agreements)?).await?;
    admin_page(&e, &staff, Some("Saved: the descriptor now names these agreements.".into())).await
}

/// `GET /console/assets/console.css`.
pub async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")],
        include_str!("../../assets/console.css"),
    )
        .into_response()
}
