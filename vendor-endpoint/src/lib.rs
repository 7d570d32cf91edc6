//! `parley-vendor`: the vendor's side of Parley, as a library.
//!
//! [`serve`] runs the HTTP endpoint over a [`Store`] (SQLite or PostgreSQL); [`console`]
//! holds what an operator does (reply, offer, NPS). The binary is a thin shell over both.
//! Received messages are verified by `parley-protocol` before anything touches the store,
//! and acknowledged only after a durable commit.
#![forbid(unsafe_code)]

pub mod config;
pub mod consent;
pub mod console;
pub mod error;
pub mod pipeline;
pub mod problem;
pub mod routes;
pub mod server;
pub mod store;

use std::sync::Arc;

use parley_protocol::{Endpoints, MessageType, Timestamp, VendorDescriptor, PROTOCOL_V1};

pub use config::{Vendor, VendorConfig};
pub use error::{Error, Result};
pub use pipeline::Endpoint;
pub use server::Limits;
pub use store::Store;

/// Builds the endpoint state: the store's writer and the signed descriptor, whose
/// endpoint URLs start with `public_url` (e.g. `https://acme.example`).
pub fn endpoint(vendor: Vendor, store: Store, public_url: &str) -> Result<Arc<Endpoint>> {
    let base = public_url.trim_end_matches('/');
    let descriptor = VendorDescriptor {
        protocol: PROTOCOL_V1.into(),
        name: vendor.config.name.clone(),
        did: vendor.config.did.clone(),
        endpoints: Endpoints {
            messages: format!("{base}/parley/v1/messages"),
            inbox: format!("{base}/parley/v1/inbox"),
        },
        accepts: MessageType::ALL
            .iter()
            .copied()
            .filter(|t| t.direction() == parley_protocol::Direction::ToVendor)
            .collect(),
        agreements: vendor.config.agreements.clone(),
        terms: vendor.config.terms.clone(),
        created: Timestamp::now(),
    }
    .sign(&vendor.key)
    .map_err(|e| Error::Config(format!("cannot sign the descriptor: {e}")))?;
    Ok(Arc::new(Endpoint {
        config: vendor.config,
        key: Arc::new(vendor.key),
        writer: store::writer::Writer::start(store.clone()),
        store,
        descriptor: descriptor.canonical().to_owned(),
        request_timeout: routes::REQUEST_TIMEOUT,
        limits: Limits::default(),
    }))
}

/// Serves the API on `listener` until `shutdown` completes (within the endpoint's
/// [`Limits`]), deleting data past its retention period once an hour meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    endpoint: Arc<Endpoint>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = endpoint.store.clone();
    let sweeper = tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match store.sweep_expired(Timestamp::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "deleted messages past their retention period"),
                Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
            }
        }
    });
    let result = server::run(listener, endpoint, shutdown).await;
    sweeper.abort();
    result
}

/// The descriptor's `created` date (`YYYY-MM-DD`), used as MyTerms' `effective_date`.
pub(crate) fn descriptor_date(descriptor: &str) -> String {
    serde_json::from_str::<serde_json::Value>(descriptor)
        .ok()
        .and_then(|d| d.get("created").and_then(|c| c.as_str()).map(|c| c.chars().take(10).collect()))
        .unwrap_or_default()
}
