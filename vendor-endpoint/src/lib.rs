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
pub mod contract;
pub mod error;
pub mod metrics;
pub mod pipeline;
pub mod problem;
mod receipts;
pub mod routes;
pub mod server;
pub mod store;
pub mod webhooks;

use std::sync::Arc;

use parley_protocol::{Endpoints, MessageType, Timestamp, VendorDescriptor, PROTOCOL_V1};

pub use config::{Vendor, VendorConfig};
pub use error::{Error, Result};
pub use pipeline::Endpoint;
pub use server::Limits;
pub use store::Store;

/// Builds the endpoint state over `store`, for people who reach it at `public_url`
/// (e.g. `https://acme.example`; the descriptor's endpoint URLs start with it).
pub fn endpoint(vendor: Vendor, store: Store, public_url: &str) -> Result<Arc<Endpoint>> {
    let metrics = Arc::new(metrics::Metrics::default());
    let endpoint = Endpoint {
        public_url: public_url.trim_end_matches('/').to_owned(),
        started: Timestamp::now(),
        config: vendor.config,
        key: Arc::new(vendor.key),
        writer: store::writer::Writer::start(store.clone(), metrics.clone()),
        metrics,
        store,
        request_timeout: routes::REQUEST_TIMEOUT,
        limits: Limits::default(),
        sessions: store::staff::SessionLimits::default(),
        webhooks: webhooks::WebhookPolicy::default(),
    };
    // Signed once now, so a key that cannot sign is found at start-up.
    endpoint.sign_descriptor(&endpoint.config.agreements)?;
    Ok(Arc::new(endpoint))
}

impl Endpoint {
    /// The signed descriptor, with the agreements the vendor accepts now.
    pub(crate) fn sign_descriptor(&self, agreements: &[parley_protocol::AgreementId]) -> Result<String> {
        let base = &self.public_url;
        let descriptor = VendorDescriptor {
            protocol: PROTOCOL_V1.into(),
            name: self.config.name.clone(),
            did: self.config.did.clone(),
            endpoints: Endpoints {
                messages: format!("{base}/parley/v1/messages"),
                inbox: format!("{base}/parley/v1/inbox"),
                access_log: Some(format!("{base}/parley/v1/access-log")),
            },
            accepts: MessageType::ALL
                .iter()
                .copied()
                .filter(|t| t.direction() == parley_protocol::Direction::ToVendor)
                .collect(),
            agreements: agreements.to_vec(),
            terms: self.config.terms.clone(),
            created: Timestamp::now(),
        }
        .sign(&self.key)
        .map_err(|e| Error::Config(format!("cannot sign the descriptor: {e}")))?;
        Ok(descriptor.canonical().to_owned())
    }

    /// The agreements the vendor accepts, in order of preference: as an admin set them
    /// in the console (shared by every instance), else the configuration's.
    pub async fn agreements(&self) -> Result<Vec<parley_protocol::AgreementId>> {
        Ok(self.store.accepted_agreements().await?.unwrap_or_else(|| self.config.agreements.clone()))
    }
}

/// Serves the API on `listener` until `shutdown` completes (within the endpoint's
/// [`Limits`]), deleting data past its retention period once an hour meanwhile (and
/// then refreshing the query planner's statistics), and sending webhook deliveries.
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
            match store.sweep_expired_alone(Timestamp::now()).await {
                Ok(None) => tracing::debug!("another instance is sweeping expired data"),
                Ok(Some(0)) => {}
                Ok(Some(n)) => tracing::info!(deleted = n, "deleted messages past their retention period"),
                Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
            }
            if let Err(e) = store.refresh_statistics().await {
                tracing::warn!(error = %e, "refreshing the query planner's statistics failed");
            }
        }
    });
    let sender = tokio::spawn(webhooks::run(endpoint.clone()));
    let result = server::run(listener, endpoint, shutdown).await;
    sweeper.abort();
    sender.abort();
    result
}
