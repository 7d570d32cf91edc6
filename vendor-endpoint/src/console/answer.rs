//! Answering: a signed `Reply` to a support request, feedback or intent, or a signed
//! `Offer` for an intent, held for the person's next inbox query. The same for the CLI,
//! the console's pages and its API; an answer from the console names its author, and
//! every answer is the case's response (its first one closes the case's alerts).

use parley_protocol::{Body, Did, Message, MessageId, MessageType, Money, Offer, Reply, SecretKey};

use crate::error::{Error, Result};
use crate::store::Store;

/// Sends a signed `Reply` to the person who sent `message_id`; returns the document.
pub async fn reply(
    store: &Store,
    key: &SecretKey,
    message_id: &str,
    text: &str,
) -> Result<serde_json::Value> {
    reply_as(store, key, message_id, text, None).await
}

/// [`reply`], by a member of staff (their id).
pub async fn reply_as(
    store: &Store,
    key: &SecretKey,
    message_id: &str,
    text: &str,
    author: Option<&str>,
) -> Result<serde_json::Value> {
    if text.trim().is_empty() {
        return Err(Error::Invalid("text: a reply says something".into()));
    }
    let original = store.message(&normalise(message_id)).await?;
    let kind: MessageType = original.kind.parse().map_err(Error::Refused)?;
    if !matches!(kind, MessageType::SupportRequest | MessageType::Feedback | MessageType::Intent) {
        return Err(Error::Invalid(format!("{kind} {} cannot be replied to", original.id)));
    }
    answer(store, key, &original, Body::Reply(Reply { text: text.to_owned() }), author).await
}

/// Sends a signed `Offer` answering the intent `intent_id`; returns the document.
pub async fn offer(
    store: &Store,
    key: &SecretKey,
    intent_id: &str,
    price: Money,
    text: &str,
    valid_until: Option<String>,
) -> Result<serde_json::Value> {
    offer_as(store, key, intent_id, price, text, valid_until, None).await
}

/// [`offer`], by a member of staff (their id).
pub async fn offer_as(
    store: &Store,
    key: &SecretKey,
    intent_id: &str,
    price: Money,
    text: &str,
    valid_until: Option<String>,
    author: Option<&str>,
) -> Result<serde_json::Value> {
    let original = store.message(&normalise(intent_id)).await?;
    if original.kind != "Intent" {
        return Err(Error::Invalid(format!(
            "{} is a {}, not an Intent: only an intent is answered with an offer",
            original.id, original.kind
        )));
    }
    let intent: MessageId = original.id.parse().map_err(|e| Error::Refused(format!("{e}")))?;
    answer(
        store,
        key,
        &original,
        Body::Offer(Offer { intent, price, text: text.to_owned(), valid_until }),
        author,
    )
    .await
}

/// Accepts ids with or without the `urn:uuid:` prefix.
fn normalise(id: &str) -> String {
    if id.starts_with("urn:uuid:") {
        id.to_owned()
    } else {
        format!("urn:uuid:{id}")
    }
}

async fn answer(
    store: &Store,
    key: &SecretKey,
    original: &crate::store::StoredMessage,
    body: Body,
    author: Option<&str>,
) -> Result<serde_json::Value> {
    let to: Did = original.sender.parse().map_err(|e| Error::Refused(format!("stored sender: {e}")))?;
    let id: MessageId = original.id.parse().map_err(|e| Error::Refused(format!("{e}")))?;
    let mut m = Message::new(Did::from_public_key(&key.to_public()), to.clone(), body);
    m.in_reply_to = Some(id);
    m.thread = Some(
        original.document.get("thread").and_then(|t| t.as_str()).and_then(|t| t.parse().ok()).unwrap_or(id),
    );
    m.consent = original.consent_id.as_deref().and_then(|c| c.parse().ok());
    let kind = m.message_type();
    // A body that breaks a rule (an empty text, a bad price) is the caller's mistake.
    let signed = m.sign(key).map_err(|e| Error::Invalid(e.to_string()))?;
    store
        .add_outgoing(
            &signed.id.to_string(),
            kind,
            &to,
            original.consent_id.as_deref(),
            Some(&original.id),
            signed.canonical(),
            author,
        )
        .await?;
    if let Some(case) = store.case_of(&original.id).await? {
        store.answered(&case).await?;
    }
    Ok(signed.document().clone())
}
