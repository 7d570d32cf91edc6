//! The vendor's signed answer to a message, applied only if it fits the question.
//!
//! A vendor's signature proves who wrote an answer, not that the answer is the one the
//! question allows: a hostile vendor could answer a revocation with "agreed" and so turn
//! the consent back on. An answer is applied only when its type fits the message (an
//! agreement answers a grant, a deletion receipt a revocation), its body names this
//! consent, and an acceptance names the agreement the person proffered.

use parley_protocol::{Body, ConsentAgreement, Decision, Message, MessageType, Verified};
use serde_json::json;
use sqlx::SqliteConnection;

use crate::audit::{append_in, Entry};
use crate::error::Result;
use crate::outbox::OutboxItem;
use crate::records::consents::{self, ConsentState};

/// The answer a message type must come back with, beside its receipt.
pub(crate) fn expected_answer(message_type: MessageType) -> Option<MessageType> {
    match message_type {
        MessageType::ConsentGrant => Some(MessageType::ConsentAgreement),
        MessageType::ConsentRevocation => Some(MessageType::DeletionReceipt),
        _ => None,
    }
}

/// Why a signed answer does not fit the message it claims to answer, if it does not.
pub(crate) async fn misfit(
    conn: &mut SqliteConnection,
    item: &OutboxItem,
    answer: &Verified<Message>,
) -> Result<Option<String>> {
    let Some(consent_id) = &item.consent_id else {
        return Ok(Some(format!("a {} names no consent to answer about", item.message_type)));
    };
    let consent_urn = consent_id.to_consent_id();
    Ok(match (&answer.body, item.message_type) {
        (Body::ConsentAgreement(a), MessageType::ConsentGrant) => {
            let Some(consent) = consents::get_in(conn, consent_id).await? else {
                return Ok(Some(format!(
                    "the agreement answers consent {consent_id}, which is not in the vault"
                )));
            };
            if a.grant != consent_urn {
                Some(format!("the agreement names grant {}, not {consent_urn}", a.grant))
            } else if consent.state != ConsentState::Proffered {
                Some(format!("consent {consent_id} is {}: an agreement cannot change it now", consent.state))
            } else {
                match (a.decision, a.agreement) {
                    (Decision::Accepted, Some(agreed)) if agreed != consent.agreement => Some(format!(
                        "the vendor says it accepted {}, but the person proffered {}",
                        agreed.as_str(),
                        consent.agreement.as_str()
                    )),
                    (Decision::Alternative, Some(alternative)) if alternative == consent.agreement => {
                        Some(format!(
                            "the alternative offered is {}, the agreement proffered",
                            alternative.as_str()
                        ))
                    }
                    (Decision::Alternative, Some(alternative)) if !alternative.fits(consent.purpose) => {
                        Some(format!(
                            "the alternative offered, {}, does not fit the consent's purpose",
                            alternative.as_str()
                        ))
                    }
                    _ => None,
                }
            }
        }
        (Body::DeletionReceipt(d), MessageType::ConsentRevocation) => (d.consent != consent_urn)
            .then(|| format!("the deletion receipt names consent {}, not {consent_urn}", d.consent)),
        (other, kind) => Some(format!("a {} does not answer a {kind}", other.message_type())),
    })
}

/// Applies a vendor's signed answer to a delivered message; [`misfit`] has passed.
pub(crate) async fn apply_answer(
    conn: &mut SqliteConnection,
    item: &OutboxItem,
    answer: &Verified<Message>,
) -> Result<()> {
    let Some(consent_id) = &item.consent_id else { return Ok(()) };
    let entry = match &answer.body {
        Body::ConsentAgreement(ConsentAgreement { decision, agreement, reason, .. }) => {
            let state: ConsentState = decision.consent_state().parse()?;
            let alternative = agreement.filter(|_| *decision == Decision::Alternative);
            consents::answered_in(
                conn,
                consent_id,
                state,
                Some(answer.canonical()),
                reason.as_deref(),
                alternative,
            )
            .await?;
            Entry::new(
                &format!("consent.{state}"),
                format!(
                    "{} answered the consent: {state}{}",
                    item.vendor,
                    agreement.map(|a| format!(" ({})", a.as_str())).unwrap_or_default()
                ),
            )
        }
        Body::DeletionReceipt(d) => {
            consents::deletion_receipt_in(conn, consent_id, answer.canonical()).await?;
            Entry::new(
                "consent.deletion-receipt",
                format!("{} deleted {} message(s) held under the consent", item.vendor, d.deleted.len()),
            )
        }
        other => {
            Entry::new("message.answer", format!("{} answered with {}", item.vendor, other.message_type()))
        }
    };
    let entry = entry
        .vendor(&item.vendor_id)
        .consent(consent_id)
        .detail(json!({"answer": answer.document(), "digest": answer.digest()}));
    append_in(conn, entry).await?;
    Ok(())
}
