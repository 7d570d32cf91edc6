//! Sending webhook deliveries, as the Standard Webhooks specification lays them out:
//! `webhook-id` (the same on every attempt), `webhook-timestamp` (this attempt's time),
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the
//! endpoint's `whsec_` secret. Every instance of `serve` runs one sender; deliveries are
//! claimed with a lease in the store, so two instances never send the same attempt.
//!
//! A failed attempt is retried with exponential backoff and jitter; a delivery older
//! than [`WebhookPolicy::give_up_after`] is given up; an endpoint failing for longer than
//! [`WebhookPolicy::disable_after`] is disabled, with the reason, for an admin to see.

use std::sync::Arc;

use base64::Engine;
use time::{Duration, OffsetDateTime};
use tokio::task::JoinSet;

use crate::error::{Error, Result};
use crate::pipeline::Endpoint;
use crate::store::webhooks::Claimed;
use crate::store::Store;

/// How deliveries are sent and retried.
#[derive(Debug, Clone)]
pub struct WebhookPolicy {
    /// The wait after a first failure; it doubles with each attempt …
    pub first_retry: Duration,
    /// … up to this.
    pub max_retry: Duration,
    /// A delivery not through after this long is given up.
    pub give_up_after: Duration,
    /// An endpoint failing for this long (no success in between) is disabled.
    pub disable_after: Duration,
    /// One attempt's time limit, connection to last byte.
    pub timeout: std::time::Duration,
    /// The most of an answer's body read (for the error shown to admins).
    pub max_response: usize,
    /// How often the queue is looked at.
    pub poll: std::time::Duration,
    /// How long a claimed delivery is reserved for its sender.
    pub lease: Duration,
    /// Most deliveries sent at once.
    pub batch: u32,
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        Self {
            first_retry: Duration::seconds(5),
            max_retry: Duration::minutes(30),
            give_up_after: Duration::days(5),
            disable_after: Duration::days(5),
            timeout: std::time::Duration::from_secs(10),
            max_response: 64 * 1024,
            poll: std::time::Duration::from_secs(1),
            lease: Duration::seconds(60),
            batch: 32,
        }
    }
}

impl WebhookPolicy {
    /// The wait before attempt `attempts + 1`, after `attempts` failures: doubling from
    /// [`Self::first_retry`], capped, with ±20 % jitter so endpoints that came back do
    /// not get every retry at the same instant.
    pub fn backoff(&self, attempts: u32) -> Duration {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let doubled = self.first_retry * 2f64.powi(attempts.saturating_sub(1).min(30) as i32);
        let capped = doubled.min(self.max_retry);
        let jitter = 0.8 + (OsRng.next_u32() % 401) as f64 / 1000.0;
        capped * jitter
    }
}

/// The `webhook-signature` value for one attempt.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| Error::Refused(format!("a stored webhook secret is not base64: {e}")))?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let tag = ring::hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(tag.as_ref())))
}

/// Sends what is due until the process ends.
pub async fn run(endpoint: Arc<Endpoint>) {
    let policy = endpoint.webhooks.clone();
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(policy.timeout)
        .connect_timeout(policy.timeout.min(std::time::Duration::from_secs(5)))
        .user_agent(concat!("Parley-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot make the webhook client: no webhooks will be sent");
            return;
        }
    };
    loop {
        match endpoint.store.claim_due(policy.batch, policy.lease).await {
            Ok(due) if !due.is_empty() => {
                let mut sending = JoinSet::new();
                for claimed in due {
                    let (store, client, policy) = (endpoint.store.clone(), client.clone(), policy.clone());
                    sending.spawn(async move { attempt(&store, &client, &policy, claimed).await });
                }
                while let Some(done) = sending.join_next().await {
                    if let Ok(Err(e)) = done {
                        tracing::warn!(error = %e, "recording a webhook delivery failed");
                    }
                }
                // More may be due already: look again at once.
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reading the webhook queue failed"),
        }
        tokio::time::sleep(policy.poll).await;
    }
}

/// One attempt at one delivery, and its outcome recorded.
async fn attempt(store: &Store, client: &reqwest::Client, policy: &WebhookPolicy, c: Claimed) -> Result<()> {
    let timestamp = OffsetDateTime::now_utc().unix_timestamp();
    let signature = sign(&c.secret, &c.id, timestamp, &c.payload)?;
    let sent = client
        .post(&c.url)
        .header("content-type", "application/json")
        .header("webhook-id", &c.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(c.payload.clone())
        .send()
        .await;
    let (status, error) = match sent {
        Ok(mut response) => {
            let status = response.status();
            let mut body = Vec::new();
            // Read a bounded part of the answer: enough to show an admin what went wrong.
            while body.len() < policy.max_response {
                match response.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            if status.is_success() {
                return store.delivered(&c, status.as_u16()).await;
            }
            let said: String = String::from_utf8_lossy(&body).chars().take(200).collect();
            let why = if status.is_redirection() {
                let to = response.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("?");
                format!("HTTP {status}: redirects are not followed (to {to})")
            } else if said.trim().is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status}: {}", said.trim())
            };
            (Some(status.as_u16()), why)
        }
        Err(e) if e.is_timeout() => (None, format!("no answer within {} s", policy.timeout.as_secs())),
        Err(e) if e.is_connect() => (None, format!("cannot connect: {}", root_cause(&e))),
        Err(e) => (None, root_cause(&e)),
    };
    let now = OffsetDateTime::now_utc();
    let retry_at = (now - c.created < policy.give_up_after).then(|| now + policy.backoff(c.attempts + 1));
    store.failed(&c, status, &error, retry_at, now - policy.disable_after).await
}

/// The innermost error's words: "connection refused" rather than reqwest's outer layers.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
