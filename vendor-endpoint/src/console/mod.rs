//! The vendor console, served at `/console/` by `parley-vendor serve` itself: staff sign
//! in, see alerts on unhappy customers, work cases to a close, answer people, and follow
//! NPS over time — in HTML pages and in a JSON API under `/console/api/` that does
//! everything the pages do.
//!
//! [`auth`] holds who may do what: sessions in the store (so several instances serve one
//! console), roles checked in the extractor every handler names, CSRF checked in the same
//! place for every write. [`answer`] signs replies and offers as the CLI does. Pages are
//! templates compiled into the binary ([`pages`]); the NPS chart is an SVG made here
//! ([`chart`]); nothing on a page comes from a third party, and no script runs inline.

pub mod answer;
pub mod api;
pub mod auth;
pub mod chart;
pub mod frame;
pub mod integrations;
pub mod pages;

pub use answer::{offer, offer_as, order_as, order_in_case, reply, reply_as, OrderUpdate};

use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;

use crate::pipeline::Endpoint;

/// What every console response carries: no script, no frame, nothing from elsewhere; no
/// referrer to another site (a form's URL carries its CSRF token; `no-referrer` would
/// also blank the `Origin` the sign-in checks); nothing cached.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The console's routes, pages and API.
pub fn router() -> Router<Arc<Endpoint>> {
    Router::new()
        .route("/console", get(|| async { axum::response::Redirect::permanent("/console/") }))
        .route("/console/", get(pages::dashboard))
        .route("/console/login", get(pages::sign_in).post(auth::sign_in))
        .route("/console/logout", post(auth::sign_out))
        .route("/console/assets/console.css", get(pages::stylesheet))
        .route("/console/cases", get(pages::cases))
        .route("/console/cases/{id}", get(pages::case).post(pages::update_case))
        .route("/console/cases/{id}/reply", post(pages::reply))
        .route("/console/cases/{id}/offer", post(pages::offer))
        .route("/console/cases/{id}/order", post(pages::order))
        .route("/console/cases/{id}/notes", post(pages::add_note))
        .route("/console/nps", get(pages::nps))
        .route("/console/nps.csv", get(pages::nps_csv))
        .route("/console/admin", get(pages::admin))
        .route("/console/admin/staff", post(pages::add_staff))
        .route("/console/admin/staff/disable", post(pages::disable_staff))
        .route("/console/admin/rules", post(pages::save_rule))
        .route("/console/admin/agreements", post(pages::set_agreements))
        .route("/console/admin/integrations", get(integrations::page))
        .route("/console/admin/webhooks", post(integrations::add_webhook_form))
        .route("/console/admin/webhooks/{id}", get(integrations::webhook))
        .route("/console/admin/webhooks/{id}/deliveries/{delivery}/replay", post(integrations::replay_form))
        .route("/console/admin/webhooks/{id}/{action}", post(integrations::webhook_action))
        .route("/console/admin/tokens", post(integrations::add_token_form))
        .route("/console/admin/tokens/revoke", post(integrations::revoke_token_form))
        .route("/console/api/me", get(api::me))
        .route("/console/api/cases", get(api::cases))
        .route("/console/api/cases/{id}", get(api::case).patch(api::update_case))
        .route("/console/api/cases/{id}/reply", post(api::reply))
        .route("/console/api/cases/{id}/offer", post(api::offer))
        .route("/console/api/cases/{id}/order", post(api::order))
        .route("/console/api/cases/{id}/notes", post(api::add_note))
        .route("/console/api/alerts", get(api::alerts))
        .route("/console/api/nps", get(api::nps))
        .route("/console/api/staff", get(api::staff).post(api::add_staff))
        .route("/console/api/staff/disable", post(api::disable_staff))
        .route("/console/api/rules", get(api::rules).put(api::save_rule))
        .route("/console/api/agreements", get(api::agreements).put(api::set_agreements))
        .route("/console/api/webhooks", get(integrations::list_webhooks).post(integrations::add_webhook))
        .route("/console/api/webhooks/{id}", delete(integrations::remove_webhook))
        .route("/console/api/webhooks/{id}/enable", post(integrations::enable_webhook))
        .route("/console/api/webhooks/{id}/deliveries", get(integrations::deliveries))
        .route("/console/api/webhooks/{id}/deliveries/{delivery}/replay", post(integrations::replay))
        .route("/console/api/tokens", get(integrations::list_tokens).post(integrations::add_token))
        .route("/console/api/tokens/{name}", delete(integrations::revoke_token))
        .layer(axum::middleware::map_response(security_headers))
}
