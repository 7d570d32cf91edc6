//! What every console page shares: the frame (vendor, who is signed in, the CSRF token
//! its forms carry, the section), rendering, and refusals shown as pages.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use super::auth::{Need, Staff};
use crate::pipeline::Endpoint;
use crate::problem::{Problem, ProblemKind};
use crate::store::staff::Role;

/// A page, or a refusal shown as one.
pub struct PageError(Problem);

impl<E: Into<Problem>> From<E> for PageError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        refusal_page(&self.0)
    }
}

pub type PageResult = Result<Response, PageError>;

pub(super) fn html(page: impl Template) -> PageResult {
    let body =
        page.render().map_err(|e| Problem::new(ProblemKind::Unavailable, format!("cannot render: {e}")))?;
    Ok(Html(body).into_response())
}

#[derive(Template)]
#[template(path = "refusal.html")]
struct RefusalPage<'a> {
    title: &'a str,
    detail: &'a str,
}

/// A refusal, as a page with its status.
pub fn refusal_page(problem: &Problem) -> Response {
    let page = RefusalPage { title: problem.kind.title(), detail: &problem.detail };
    (problem.kind.status(), Html(page.render().unwrap_or_default())).into_response()
}

/// What every page's frame shows.
pub(super) struct Frame {
    pub(super) vendor: String,
    pub(super) email: String,
    pub(super) role: Role,
    pub(super) csrf: String,
    pub(super) is_admin: bool,
    pub(super) section: &'static str,
}

impl Frame {
    pub(super) fn new<R: Need>(endpoint: &Endpoint, staff: &Staff<R>, section: &'static str) -> Self {
        Self {
            vendor: endpoint.config.name.clone(),
            email: staff.member.email.clone(),
            role: staff.member.role,
            csrf: staff.csrf.clone(),
            is_admin: staff.member.role >= Role::Admin,
            section,
        }
    }
}

/// A page struct with the frame's fields, and `framed(frame, …)` to make one.
macro_rules! framed {
    ($(#[$attr:meta])* struct $name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        $(#[$attr])*
        struct $name {
            vendor: String,
            email: String,
            role: crate::store::staff::Role,
            csrf: String,
            is_admin: bool,
            section: &'static str,
            $($field: $ty,)*
        }
        impl $name {
            // One argument per template field: the page's own data beside the frame.
            #[allow(clippy::too_many_arguments)]
            fn framed(frame: Frame, $($field: $ty),*) -> Self {
                Self {
                    vendor: frame.vendor,
                    email: frame.email,
                    role: frame.role,
                    csrf: frame.csrf,
                    is_admin: frame.is_admin,
                    section: frame.section,
                    $($field,)*
                }
            }
        }
    };
}
pub(super) use framed;

/// A stored time as people read it: `2026-12-03 08:39 UTC`.
pub(super) fn when(at: &str) -> String {
    match (at.get(..10), at.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => at.to_owned(),
    }
}
