//! Webhook endpoints and their delivery queue. An event is queued in the transaction that
//! causes it — one row per subscribed endpoint, whose id every attempt carries as its
//! `webhook-id` — so an event is never lost nor sent for something that was rolled back.
//! [`crate::webhooks`] sends what is due. Every query of the webhooks and
//! webhook_deliveries tables is here.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::{Duration, OffsetDateTime};

use super::staff::{next_number, uuid_v4};
use super::Store;
use crate::error::{Error, Result};
use parley_protocol::Timestamp;

/// What a webhook endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventType {
    /// A person's message was stored; carries it verbatim, signed.
    #[serde(rename = "message.received")]
    MessageReceived,
    /// An alert rule matched a new case.
    #[serde(rename = "alert.raised")]
    AlertRaised,
    /// A case changed state, priority or owner.
    #[serde(rename = "case.updated")]
    CaseUpdated,
    /// A person's consent was agreed.
    #[serde(rename = "consent.agreed")]
    ConsentAgreed,
    /// A person revoked a consent; carries the ids of every message deleted.
    #[serde(rename = "consent.revoked")]
    ConsentRevoked,
    /// A person's app pulled a reply or offer.
    #[serde(rename = "reply.pulled")]
    ReplyPulled,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 6] = [
        Self::MessageReceived,
        Self::AlertRaised,
        Self::CaseUpdated,
        Self::ConsentAgreed,
        Self::ConsentRevoked,
        Self::ReplyPulled,
    ];

    /// Its wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::MessageReceived => "message.received",
            Self::AlertRaised => "alert.raised",
            Self::CaseUpdated => "case.updated",
            Self::ConsentAgreed => "consent.agreed",
            Self::ConsentRevoked => "consent.revoked",
            Self::ReplyPulled => "reply.pulled",
        }
    }

    /// Whether its payload carries what a person wrote: delivering it is a read of their
    /// message, and revoking the consent deletes it from the queue.
    pub fn carries_content(&self) -> bool {
        matches!(self, Self::MessageReceived | Self::AlertRaised)
    }
}

impl FromStr for EventType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL.iter().copied().find(|e| e.as_str() == s.trim()).ok_or_else(|| {
            let all: Vec<_> = Self::ALL.iter().map(EventType::as_str).collect();
            Error::Invalid(format!("events: {s:?} is not one of {}", all.join(", ")))
        })
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// An event to queue, in the transaction that causes it.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub kind: EventType,
    pub data: Value,
    /// The consent whose data it carries.
    pub consent_id: Option<String>,
    /// The person whose message it carries, and which message: for the access log.
    pub read: Option<(String, String)>,
}

impl Event {
    /// A person's message was stored.
    pub fn message_received(
        document: &str,
        id: &str,
        sender: &str,
        consent: Option<&str>,
        case: Option<&str>,
    ) -> Self {
        let message: Value = serde_json::from_str(document).unwrap_or(Value::Null);
        Self {
            kind: EventType::MessageReceived,
            data: json!({ "message": message, "caseId": case }),
            consent_id: consent.map(str::to_owned),
            read: Some((id.to_owned(), sender.to_owned())),
        }
    }
}

/// A webhook endpoint, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Stable id.
    pub id: String,
    /// Its number: what people whose messages it carries see ("webhook 1").
    pub number: i64,
    /// The name the admin gave it ("Zammad").
    pub name: String,
    /// Where deliveries go.
    pub url: String,
    /// What it receives.
    pub events: Vec<EventType>,
    /// When it was added.
    pub created: String,
    /// When it was disabled (it kept failing, or an admin did); nothing is sent until it
    /// is enabled again.
    pub disabled: Option<String>,
    /// Why.
    pub disabled_reason: Option<String>,
    /// The first failure since the last success.
    pub failing_since: Option<String>,
    /// The last failure's reason.
    pub last_error: Option<String>,
    /// The last delivery that succeeded.
    pub last_success: Option<String>,
}

const WEBHOOK_COLUMNS: &str =
    "id, number, name, url, events, created, disabled, disabled_reason, failing_since, last_error, last_success";

fn webhook_row(r: &AnyRow) -> Result<Webhook> {
    Ok(Webhook {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        name: r.try_get("name")?,
        url: r.try_get("url")?,
        events: r.try_get::<String, _>("events")?.split(',').map(str::parse).collect::<Result<_>>()?,
        created: r.try_get("created")?,
        disabled: r.try_get("disabled")?,
        disabled_reason: r.try_get("disabled_reason")?,
        failing_since: r.try_get("failing_since")?,
        last_error: r.try_get("last_error")?,
        last_success: r.try_get("last_success")?,
    })
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The `webhook-id` every attempt carries.
    pub id: String,
    /// The event type.
    pub event: String,
    /// When the event happened.
    pub created: String,
    /// `pending`, `delivered`, `failed` (given up) or `purged` (the person's data in it
    /// was deleted before it could be sent).
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// When the next attempt is due, while pending.
    pub next_attempt: Option<String>,
    /// The last answer's HTTP status.
    pub last_status: Option<i64>,
    /// The last failure's reason.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered: Option<String>,
    /// Whether its payload is still held (it goes when the person's data does).
    pub has_payload: bool,
}

fn delivery_row(r: &AnyRow) -> Result<Delivery> {
    Ok(Delivery {
        id: r.try_get("id")?,
        event: r.try_get("event")?,
        created: r.try_get("created")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        next_attempt: r.try_get("next_attempt")?,
        last_status: r.try_get("last_status")?,
        last_error: r.try_get("last_error")?,
        delivered: r.try_get("delivered")?,
        has_payload: r.try_get::<Option<String>, _>("payload")?.is_some(),
    })
}

/// A delivery a sender has claimed, with what it needs to send it.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    pub id: String,
    pub lease: String,
    pub webhook_id: String,
    pub webhook_number: i64,
    pub webhook_name: String,
    pub url: String,
    pub secret: String,
    pub payload: String,
    pub created: OffsetDateTime,
    /// Attempts before this one.
    pub attempts: u32,
    /// (message id, its sender) when delivering it is a read of a person's message.
    pub read: Option<(String, String)>,
}

/// Checks a target URL: `https://`, or `http://` to this machine only (a receiver on
/// the same host); no credentials in it.
pub fn check_url(url: &str) -> Result<String> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| Error::Invalid(format!("url: {e}")))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::Invalid(
                "url: plain http:// only to this machine (127.0.0.1, ::1, localhost); use https://".into(),
            ))
        }
        other => return Err(Error::Invalid(format!("url: {other}:// is not http(s)"))),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::Invalid("url: no credentials in the URL; deliveries are signed instead".into()));
    }
    Ok(parsed.to_string())
}

fn parse_events(events: &[EventType]) -> Result<String> {
    if events.is_empty() {
        return Err(Error::Invalid("events: name at least one".into()));
    }
    let mut names: Vec<&str> = events.iter().map(EventType::as_str).collect();
    names.sort_unstable();
    names.dedup();
    Ok(names.join(","))
}

/// A new signing secret, `whsec_` and 32 random bytes in base64, as Standard Webhooks
/// libraries read it.
fn new_secret() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The enabled webhooks and the events each receives, read in the writer's transaction:
/// a batch asks once, and builds no event that no webhook receives.
pub(crate) struct Subscriptions(Vec<(String, Vec<EventType>)>);

impl Subscriptions {
    pub(crate) async fn read_in(conn: &mut sqlx::AnyConnection) -> Result<Self> {
        let rows = sqlx::query("SELECT id, events FROM webhooks WHERE disabled IS NULL")
            .fetch_all(&mut *conn)
            .await?;
        let mut hooks = Vec::with_capacity(rows.len());
        for row in rows {
            let (id, events): (String, String) = (row.try_get("id")?, row.try_get("events")?);
            let events = EventType::ALL.into_iter().filter(|e| events.split(',').any(|s| s == e.as_str()));
            hooks.push((id, events.collect()));
        }
        Ok(Self(hooks))
    }

    /// Whether any webhook receives `kind`.
    pub(crate) fn want(&self, kind: EventType) -> bool {
        self.0.iter().any(|(_, events)| events.contains(&kind))
    }

    /// Queues `events` for the webhooks subscribed to them, in the caller's transaction.
    pub(crate) async fn queue_in(&self, conn: &mut sqlx::AnyConnection, events: &[Event]) -> Result<()> {
        let now = Timestamp::now();
        for (id, subscribed) in &self.0 {
            for event in events.iter().filter(|e| subscribed.contains(&e.kind)) {
                let payload =
                    json!({ "type": event.kind.as_str(), "timestamp": now.to_string(), "data": event.data });
                sqlx::query(
                    "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, consent_id, person, message_id,
                     created, state, attempts, next_attempt) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $8)",
                )
                .bind(format!("msg_{}", uuid::Uuid::new_v4().simple()))
                .bind(id)
                .bind(event.kind.as_str())
                .bind(payload.to_string())
                .bind(&event.consent_id)
                .bind(event.read.as_ref().map(|(_, person)| person))
                .bind(event.read.as_ref().map(|(message, _)| message))
                .bind(now.to_string())
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok(())
    }
}

/// Queues `events` for the webhooks subscribed to them, in the caller's transaction.
pub(crate) async fn queue_in(conn: &mut sqlx::AnyConnection, events: &[Event]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    Subscriptions::read_in(conn).await?.queue_in(conn, events).await
}

/// Deletes the person's data from the queue, in the transaction that deletes it from the
/// store (a revocation, or retention's end for what was received before `before`):
/// undelivered events carrying it are never sent, and no payload carrying it is kept
/// for replay. `consent.revoked` itself stays: it tells receivers what to delete.
pub(crate) async fn purge_in(
    conn: &mut sqlx::AnyConnection,
    consent_id: &str,
    before: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET payload = NULL,
             state = CASE WHEN state = 'pending' THEN 'purged' ELSE state END, next_attempt = NULL
         WHERE consent_id = $1 AND ($2 IS NULL OR created < $2) AND event IN ('message.received', 'alert.raised')",
    )
    .bind(consent_id)
    .bind(before)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// Adds an endpoint; returns it with its signing secret, shown this once.
    pub async fn add_webhook(
        &self,
        name: &str,
        url: &str,
        events: &[EventType],
    ) -> Result<(Webhook, String)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(Error::Invalid("name: 1 to 80 printable characters".into()));
        }
        let url = check_url(url)?;
        let events_text = parse_events(events)?;
        let secret = new_secret();
        let mut tx = self.write_tx(self.pool()).await?;
        let id = uuid_v4();
        let number = next_number(&mut tx, "webhooks").await?;
        sqlx::query(
            "INSERT INTO webhooks (id, number, name, url, events, secret, created) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(number)
        .bind(name)
        .bind(&url)
        .bind(&events_text)
        .bind(&secret)
        .bind(Timestamp::now().to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::Invalid("another endpoint was added at the same moment: try again".into())
            }
            _ => e.into(),
        })?;
        tx.commit().await?;
        Ok((self.webhook(&id).await?, secret))
    }

    /// Every endpoint, in the order they were added.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>> {
        let rows = sqlx::query(&format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY number"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(webhook_row).collect()
    }

    /// One endpoint.
    pub async fn webhook(&self, id: &str) -> Result<Webhook> {
        let row = sqlx::query(&format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(webhook_row).transpose()?.ok_or(Error::NotFound { kind: "webhook", id: id.into() })
    }

    /// Removes an endpoint and its queue.
    pub async fn remove_webhook(&self, id: &str) -> Result<Webhook> {
        let hook = self.webhook(id).await?;
        let mut tx = self.write_tx(self.pool()).await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(hook)
    }

    /// Enables an endpoint again: what is pending is due now.
    pub async fn enable_webhook(&self, id: &str) -> Result<Webhook> {
        self.webhook(id).await?;
        let now = Timestamp::now().to_string();
        let mut tx = self.write_tx(self.pool()).await?;
        sqlx::query(
            "UPDATE webhooks SET disabled = NULL, disabled_reason = NULL, failing_since = NULL WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET next_attempt = $1 WHERE webhook_id = $2 AND state = 'pending'",
        )
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.webhook(id).await
    }

    /// Disables an endpoint: nothing is sent to it until it is enabled again.
    pub async fn disable_webhook(&self, id: &str, reason: &str) -> Result<Webhook> {
        self.webhook(id).await?;
        sqlx::query("UPDATE webhooks SET disabled = $1, disabled_reason = $2 WHERE id = $3")
            .bind(Timestamp::now().to_string())
            .bind(reason)
            .bind(id)
            .execute(self.pool())
            .await?;
        self.webhook(id).await
    }

    /// An endpoint's deliveries, newest first.
    pub async fn deliveries(&self, webhook_id: &str, limit: u32) -> Result<Vec<Delivery>> {
        self.webhook(webhook_id).await?;
        let rows = sqlx::query(&format!(
            "SELECT * FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created DESC, id DESC LIMIT {}",
            limit.clamp(1, 500)
        ))
        .bind(webhook_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(delivery_row).collect()
    }

    /// Sends a delivery again, with the same `webhook-id` (a receiver that keeps what it
    /// got by id sees it once), due now.
    pub async fn replay_delivery(&self, webhook_id: &str, delivery_id: &str) -> Result<Delivery> {
        let row = sqlx::query("SELECT * FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2")
            .bind(delivery_id)
            .bind(webhook_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(Error::NotFound { kind: "delivery", id: delivery_id.into() })?;
        if !delivery_row(&row)?.has_payload {
            return Err(Error::Invalid(format!(
                "delivery {delivery_id}: its content was deleted at the person's request or at the end of retention"
            )));
        }
        sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt = $1, lease = NULL,
             lease_until = NULL WHERE id = $2",
        )
        .bind(Timestamp::now().to_string())
        .bind(delivery_id)
        .execute(self.pool())
        .await?;
        let row = sqlx::query("SELECT * FROM webhook_deliveries WHERE id = $1")
            .bind(delivery_id)
            .fetch_one(self.pool())
            .await?;
        delivery_row(&row)
    }

    /// Claims up to `limit` deliveries that are due, for `lease_for`: another sender (on
    /// this instance or another) skips them until the lease ends.
    pub(crate) async fn claim_due(&self, limit: u32, lease_for: Duration) -> Result<Vec<Claimed>> {
        let now = OffsetDateTime::now_utc();
        let now_text = Timestamp::from(now).to_string();
        let until = Timestamp::from(now + lease_for).to_string();
        let lease = uuid_v4();
        let free = "(d.lease_until IS NULL OR d.lease_until < $1)";
        let due = sqlx::query(&format!(
            "SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
             WHERE d.state = 'pending' AND d.next_attempt <= $1 AND {free} AND w.disabled IS NULL
             ORDER BY d.next_attempt LIMIT {limit}"
        ))
        .bind(&now_text)
        .fetch_all(self.pool())
        .await?;
        let mut claimed = Vec::new();
        for row in due {
            let id: String = row.try_get("id")?;
            // Taken only if still free: of two senders, one updates the row.
            let taken = sqlx::query(
                "UPDATE webhook_deliveries SET lease = $2, lease_until = $3
                 WHERE id = $4 AND state = 'pending' AND (lease_until IS NULL OR lease_until < $1)",
            )
            .bind(&now_text)
            .bind(&lease)
            .bind(&until)
            .bind(&id)
            .execute(self.pool())
            .await?
            .rows_affected();
            if taken == 0 {
                continue;
            }
            let r = sqlx::query(
                "SELECT d.id, d.payload, d.created, d.attempts, d.person, d.message_id, d.event, w.id AS webhook_id,
                        w.number, w.name, w.url, w.secret
                 FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1 AND d.lease = $2",
            )
            .bind(&id)
            .bind(&lease)
            .fetch_optional(self.pool())
            .await?;
            let Some(r) = r else { continue };
            let Some(payload) = r.try_get::<Option<String>, _>("payload")? else { continue };
            let event: EventType = r.try_get::<String, _>("event")?.parse()?;
            let read = match (
                r.try_get::<Option<String>, _>("message_id")?,
                r.try_get::<Option<String>, _>("person")?,
            ) {
                (Some(m), Some(p)) if event.carries_content() => Some((m, p)),
                _ => None,
            };
            let created: Timestamp = r
                .try_get::<String, _>("created")?
                .parse()
                .map_err(|e| Error::Refused(format!("stored delivery time: {e}")))?;
            claimed.push(Claimed {
                id,
                lease: lease.clone(),
                webhook_id: r.try_get("webhook_id")?,
                webhook_number: r.try_get("number")?,
                webhook_name: r.try_get("name")?,
                url: r.try_get("url")?,
                secret: r.try_get("secret")?,
                payload,
                created: created.get(),
                attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                read,
            });
        }
        Ok(claimed)
    }

    /// Records a delivery the endpoint took (a 2xx).
    pub(crate) async fn delivered(&self, c: &Claimed, status: u16) -> Result<()> {
        let now = Timestamp::now().to_string();
        let mut tx = self.write_tx(self.pool()).await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'delivered', delivered = $1, attempts = attempts + 1,
             last_status = $2, last_error = NULL, next_attempt = NULL, lease = NULL, lease_until = NULL
             WHERE id = $3 AND lease = $4",
        )
        .bind(&now)
        .bind(i64::from(status))
        .bind(&c.id)
        .bind(&c.lease)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE webhooks SET last_success = $1, failing_since = NULL, last_error = NULL WHERE id = $2",
        )
        .bind(&now)
        .bind(&c.webhook_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if done == 1 {
            if let Some(read) = &c.read {
                let reader = super::access::Reader::webhook(c.webhook_number, &c.webhook_name);
                self.log_reads(&reader, std::slice::from_ref(read)).await?;
            }
        }
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at`, or given up (`None`); the
    /// endpoint is disabled when it has been failing since before `disable_if_failing_since`.
    pub(crate) async fn failed(
        &self,
        c: &Claimed,
        status: Option<u16>,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        disable_if_failing_since: OffsetDateTime,
    ) -> Result<()> {
        let now = Timestamp::now().to_string();
        let mut tx = self.write_tx(self.pool()).await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $1, last_error = $2,
             state = $3, next_attempt = $4, lease = NULL, lease_until = NULL WHERE id = $5 AND lease = $6",
        )
        .bind(status.map(i64::from))
        .bind(error)
        .bind(if retry_at.is_some() { "pending" } else { "failed" })
        .bind(retry_at.map(|t| Timestamp::from(t).to_string()))
        .bind(&c.id)
        .bind(&c.lease)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE webhooks SET failing_since = COALESCE(failing_since, $1), last_error = $2 WHERE id = $3",
        )
        .bind(&now)
        .bind(error)
        .bind(&c.webhook_id)
        .execute(&mut *tx)
        .await?;
        let cutoff = Timestamp::from(disable_if_failing_since).to_string();
        sqlx::query(
            "UPDATE webhooks SET disabled = $1,
                 disabled_reason = 'failing since ' || failing_since || ': ' || last_error
             WHERE id = $2 AND disabled IS NULL AND failing_since < $3",
        )
        .bind(&now)
        .bind(&c.webhook_id)
        .bind(&cutoff)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
