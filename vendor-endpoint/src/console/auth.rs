//! Who may do what in the console.
//!
//! Every console handler names a [`Staff`] extractor with the role it needs
//! (`Staff<AsViewer>`, `Staff<AsAgent>`, `Staff<AsAdmin>`): a route without one does not
//! compile by accident, and the role is checked here, once. The same extractor checks
//! CSRF on every write — the `X-CSRF-Token` header (API), or the `csrf` query parameter
//! the console's own forms carry — so the pages and the JSON API share one gate.
//! Refusals are problem documents on `/console/api/`, and a page (or the sign-in page)
//! elsewhere.
//!
//! The JSON API's handlers name a [`Caller`] instead, which also takes an API token
//! (`Authorization: Bearer`), with the token's role and no CSRF check.
//!
//! Sessions are random tokens in an `HttpOnly`, `SameSite=Strict` cookie scoped to
//! `/console` (`Secure` when the public URL is https), kept in the store by their hash,
//! ended after 30 idle minutes or 12 hours. Sign-in is throttled per account and per
//! address after repeated failures.

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::pipeline::Endpoint;
use crate::problem::{Problem, ProblemKind};
use crate::store::access::Reader;
use crate::store::staff::{Role, Session, StaffMember, MAX_FAILURES};
use crate::store::tokens::ApiToken;

/// The session cookie's name.
pub const COOKIE: &str = "parley_session";

/// The role a handler needs.
pub trait Need: Send + Sync + 'static {
    /// The least role that may.
    const ROLE: Role;
}

/// Any member of staff: reading.
pub struct AsViewer;
/// An agent or admin: answering and changing cases.
pub struct AsAgent;
/// An admin: staff, rules, agreements.
pub struct AsAdmin;

impl Need for AsViewer {
    const ROLE: Role = Role::Viewer;
}
impl Need for AsAgent {
    const ROLE: Role = Role::Agent;
}
impl Need for AsAdmin {
    const ROLE: Role = Role::Admin;
}

/// A signed-in member of staff whose role is at least `R`'s; for writes, with the CSRF
/// token checked.
pub struct Staff<R: Need> {
    /// Who.
    pub member: StaffMember,
    /// Their session's CSRF token, for the forms a page shows.
    pub csrf: String,
    _role: PhantomData<R>,
}

/// Why a request does not get through, shaped for where it came from.
#[derive(Debug)]
pub struct Refusal {
    problem: Problem,
    page: bool,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        if !self.page {
            return self.problem.into_response();
        }
        match self.problem.kind {
            ProblemKind::SignInRequired => Redirect::to("/console/login").into_response(),
            _ => super::frame::refusal_page(&self.problem).into_response(),
        }
    }
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[derive(Deserialize)]
struct CsrfQuery {
    csrf: Option<String>,
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl<R: Need> FromRequestParts<Arc<Endpoint>> for Staff<R> {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, endpoint: &Arc<Endpoint>) -> Result<Self, Refusal> {
        let page = !parts.uri.path().starts_with("/console/api/");
        let refuse = |kind, detail: &str| Refusal { problem: Problem::new(kind, detail), page };
        let session: Option<Session> = match cookie_value(&parts.headers, COOKIE) {
            Some(token) => endpoint
                .store
                .session(token, endpoint.sessions)
                .await
                .map_err(|e| Refusal { problem: e.into(), page })?,
            None => None,
        };
        let Some(session) = session else {
            return Err(refuse(ProblemKind::SignInRequired, "sign in to the console first"));
        };
        if session.staff.role < R::ROLE {
            return Err(refuse(
                ProblemKind::Forbidden,
                &format!(
                    "this takes the role {} (or more); {} is {}",
                    R::ROLE,
                    session.staff.email,
                    session.staff.role
                ),
            ));
        }
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let header = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
            let query = Query::<CsrfQuery>::try_from_uri(&parts.uri).ok().and_then(|q| q.0.csrf);
            let given = header.or(query).unwrap_or_default();
            if !constant_time_eq(&given, &session.csrf) {
                return Err(refuse(
                    ProblemKind::Csrf,
                    "this change needs the session's CSRF token (X-CSRF-Token)",
                ));
            }
        }
        Ok(Self { member: session.staff, csrf: session.csrf, _role: PhantomData })
    }
}

/// Who calls the JSON API: a signed-in member of staff (their session cookie, and the
/// CSRF token on writes), or a program with an API token (`Authorization: Bearer`, no
/// CSRF: no browser sends it by itself). Either way with a role at least `R`'s.
pub struct Caller<R: Need> {
    /// Who.
    pub who: Who,
    /// The session's CSRF token; `None` for a token.
    pub csrf: Option<String>,
    _role: PhantomData<R>,
}

/// A member of staff or an API token.
#[derive(Debug, Clone)]
pub enum Who {
    /// Signed in.
    Member(StaffMember),
    /// A program.
    Token(ApiToken),
}

impl Who {
    /// The id stored as the author of what they send or write.
    pub fn id(&self) -> &str {
        match self {
            Self::Member(m) => &m.id,
            Self::Token(t) => &t.id,
        }
    }

    /// Their role.
    pub fn role(&self) -> Role {
        match self {
            Self::Member(m) => m.role,
            Self::Token(t) => t.role,
        }
    }

    /// How the person whose messages they read sees them.
    pub fn reader(&self) -> Reader {
        match self {
            Self::Member(m) => Reader::staff(m),
            Self::Token(t) => Reader::token(t),
        }
    }

    /// How staff see them: an email, or the token's name.
    pub fn label(&self) -> String {
        match self {
            Self::Member(m) => m.email.clone(),
            Self::Token(t) => format!("token {}", t.name),
        }
    }
}

impl<R: Need> FromRequestParts<Arc<Endpoint>> for Caller<R> {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, endpoint: &Arc<Endpoint>) -> Result<Self, Refusal> {
        let bearer = match parts.headers.get(header::AUTHORIZATION) {
            None => None,
            Some(value) => {
                let value = value.to_str().unwrap_or("");
                match value.split_once(' ') {
                    Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                        Some(token.trim().to_owned())
                    }
                    _ => {
                        return Err(Refusal {
                            problem: Problem::new(
                                ProblemKind::SignInRequired,
                                "Authorization takes a bearer token: Authorization: Bearer pvt_…",
                            ),
                            page: false,
                        })
                    }
                }
            }
        };
        let Some(secret) = bearer else {
            let staff = Staff::<R>::from_request_parts(parts, endpoint).await?;
            return Ok(Self { who: Who::Member(staff.member), csrf: Some(staff.csrf), _role: PhantomData });
        };
        let refuse = |kind, detail: String| Refusal { problem: Problem::new(kind, detail), page: false };
        let token = endpoint
            .store
            .token_by_secret(&secret)
            .await
            .map_err(|e| Refusal { problem: e.into(), page: false })?
            .ok_or_else(|| {
                refuse(ProblemKind::SignInRequired, "the API token is unknown or was revoked".into())
            })?;
        if token.role < R::ROLE {
            return Err(refuse(
                ProblemKind::Forbidden,
                format!(
                    "this takes the role {} (or more); the token {:?} is {}",
                    R::ROLE,
                    token.name,
                    token.role
                ),
            ));
        }
        Ok(Self { who: Who::Token(token), csrf: None, _role: PhantomData })
    }
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct SignIn {
    email: String,
    password: String,
}

/// The cookie that carries a session, or ends one (`token` empty).
fn session_cookie(endpoint: &Endpoint, token: &str) -> String {
    let secure = if endpoint.public_url.starts_with("https://") { "; Secure" } else { "" };
    let age = if token.is_empty() { 0 } else { endpoint.sessions.absolute.whole_seconds() };
    format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/console; Max-Age={age}{secure}")
}

/// Whether a sign-in comes from the console's own page: a browser names the origin of
/// a cross-site form post, and it must be ours (a form on another site must not sign a
/// person into an account of the attacker's choosing).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    origin.split_once("://").is_some_and(|(_, rest)| rest == host)
}

#[utoipa::path(post, path = "/console/login", tag = "console",
    description = "The sign-in form. A browser's cross-site post is refused (its Origin must be this host). After 5 failures in 15 minutes for the account or from the address, sign-in waits.",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "email, password"),
    responses(
        (status = 303, description = "Signed in: Set-Cookie parley_session (HttpOnly, SameSite=Strict, Path=/console; Secure behind https), Location /console/"),
        (status = 401, description = "The sign-in page, saying: wrong email or password", content_type = "text/html"),
        (status = 403, description = "The sign-in page: posted from another site", content_type = "text/html"),
        (status = 415, description = "unsupported-media-type: not a form post", body = Object, content_type = "application/problem+json"),
        (status = 422, description = "invalid-request: the form lacks email or password", body = Object, content_type = "application/problem+json"),
        (status = 429, description = "The sign-in page: too many failures, try again in 15 minutes", content_type = "text/html"),
    ))]
/// `POST /console/login`: signs in, sets the session cookie and goes to the dashboard;
/// a wrong email or password says so, and repeated failures wait.
pub async fn sign_in(
    State(endpoint): State<Arc<Endpoint>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<SignIn>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(e) => {
            let kind = match e.status() {
                StatusCode::UNSUPPORTED_MEDIA_TYPE => ProblemKind::UnsupportedMediaType,
                StatusCode::PAYLOAD_TOO_LARGE => ProblemKind::TooLarge,
                _ => ProblemKind::InvalidRequest,
            };
            return Problem::new(kind, format!("send the sign-in form (email, password): {}", e.body_text()))
                .into_response();
        }
    };
    if !same_origin(&headers) {
        return super::pages::sign_in_page(
            Some("Sign in from the console's own page."),
            StatusCode::FORBIDDEN,
        );
    }
    let account = format!("account:{}", form.email.trim().to_ascii_lowercase());
    let address = format!("address:{}", peer.ip());
    let keys = [account.as_str(), address.as_str()];
    let outcome = async {
        if endpoint.store.recent_failures(&keys).await? >= MAX_FAILURES {
            return Ok::<_, crate::Error>(Err(StatusCode::TOO_MANY_REQUESTS));
        }
        match endpoint.store.check_password(&form.email, &form.password).await? {
            Some(member) => Ok(Ok(endpoint.store.open_session(&member).await?.0)),
            None => {
                endpoint.store.record_failure(&keys).await?;
                Ok(Err(StatusCode::UNAUTHORIZED))
            }
        }
    }
    .await;
    match outcome {
        Ok(Ok(token)) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, "/console/".to_owned()),
                (header::SET_COOKIE, session_cookie(&endpoint, &token)),
            ],
        )
            .into_response(),
        Ok(Err(StatusCode::TOO_MANY_REQUESTS)) => super::pages::sign_in_page(
            Some("Too many failed sign-ins for this account or from this address: try again in 15 minutes."),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Ok(Err(status)) => super::pages::sign_in_page(Some("Wrong email or password."), status),
        Err(e) => Problem::from(e).into_response(),
    }
}

#[utoipa::path(post, path = "/console/logout", tag = "console",
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 303, description = "Signed out: the session is closed in the store (on every instance), the cookie cleared, Location /console/login"),
        (status = 401, description = "not-signed-in", body = Object, content_type = "application/problem+json"),
        (status = 403, description = "csrf: without the session's token", body = Object, content_type = "application/problem+json"),
    ))]
/// `POST /console/logout`: ends the session.
pub async fn sign_out(
    State(endpoint): State<Arc<Endpoint>>,
    _staff: Staff<AsViewer>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = cookie_value(&headers, COOKIE) {
        if let Err(e) = endpoint.store.close_session(token).await {
            return Problem::from(e).into_response();
        }
    }
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/console/login".to_owned()),
            (header::SET_COOKIE, session_cookie(&endpoint, "")),
        ],
    )
        .into_response()
}
