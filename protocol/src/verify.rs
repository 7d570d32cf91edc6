//! The single entry point for received messages: [`verify`] turns raw bytes into a
//! [`Verified<Message>`] or says, with a typed [`VerifyError`], which check failed.
//!
//! Checks run cheapest first — size, JSON, shape, recipient, time window — so that the
//! signature, the expensive part, is only checked on messages that could be accepted.
//! Stateful checks (replay, consent) belong to the receiver's store, not here.

use serde_json::Value;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::did::Did;
use crate::jcs::{self, JcsError};
use crate::message::{Direction, Message, MessageError};
use crate::proof::{format_datetime, verify_proof, ProofError, ASSERTION_METHOD};
use crate::Invalid;

/// A value whose proof has been checked, with the exact signed document it came from.
///
/// The only ways to get one are [`verify`], [`crate::verify_descriptor`] and signing
/// (`Message::sign`), so code that takes a `Verified<…>` never handles unchecked input.
#[derive(Debug, Clone)]
pub struct Verified<T> {
    value: T,
    document: Value,
    signer: Did,
    canonical: String,
}

impl<T> Verified<T> {
    pub(crate) fn new(value: T, document: Value, signer: Did) -> Self {
        let canonical = jcs::canonicalize(&document);
        Self { value, document, signer, canonical }
    }

    /// The verified value.
    pub fn get(&self) -> &T {
        &self.value
    }

    /// The signed JSON document, proof included.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The RFC 8785 canonical form of the signed document: the bytes to send and store.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// `sha256:` + hex SHA-256 of [`Self::canonical`], the digest receipts name.
    pub fn digest(&self) -> String {
        digest_of(self.canonical.as_bytes())
    }

    /// Who signed it.
    pub fn signer(&self) -> &Did {
        &self.signer
    }

    /// The verified value, dropping the document.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> std::ops::Deref for Verified<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// `sha256:` followed by the lowercase hex SHA-256 of `bytes`.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// What a receiver expects of a message besides a valid proof.
#[derive(Debug, Clone)]
pub struct VerifyPolicy {
    /// The receiver's clock.
    pub now: OffsetDateTime,
    /// Largest message accepted, in bytes.
    pub max_bytes: usize,
    /// How far in the future `created` may be (clock skew).
    pub max_skew: Duration,
    /// The receiver's DID: `to` must equal it. `None` skips the check.
    pub recipient: Option<Did>,
    /// Which direction of traffic this receiver accepts.
    pub direction: Direction,
}

/// Default largest message: 64 KiB.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024;

impl VerifyPolicy {
    /// A vendor's policy: messages from persons to `vendor`, 64 KiB, 5 minutes of skew.
    pub fn for_vendor(vendor: Did, now: OffsetDateTime) -> Self {
        Self::new(vendor, Direction::ToVendor, now)
    }

    /// A person's policy: messages from a vendor to `person`.
    pub fn for_person(person: Did, now: OffsetDateTime) -> Self {
        Self::new(person, Direction::ToPerson, now)
    }

    fn new(recipient: Did, direction: Direction, now: OffsetDateTime) -> Self {
        Self {
            now,
            max_bytes: DEFAULT_MAX_BYTES,
            max_skew: Duration::minutes(5),
            recipient: Some(recipient),
            direction,
        }
    }
}

/// Why a received message was refused. Each variant maps to one stable problem `type`
/// (see [`VerifyError::kind`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Larger than the policy allows.
    #[error("message is {size} bytes, at most {max} accepted")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Not JSON, or JSON outside the I-JSON data model.
    #[error("malformed JSON: {0}")]
    Malformed(#[from] JcsError),
    /// `type` names no v1 message, or one this receiver does not take.
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    /// A field is missing, malformed or breaks a rule.
    #[error("invalid message: {0}")]
    Invalid(Invalid),
    /// `to` is someone else.
    #[error("message is addressed to {found}, not to {expected}")]
    WrongRecipient {
        /// This receiver.
        expected: String,
        /// The message's `to`.
        found: String,
    },
    /// `expires` is past.
    #[error("message expired at {0}")]
    Expired(String),
    /// `created` is further in the future than clock skew explains.
    #[error("message is created at {0}, in the future")]
    NotYetValid(String),
    /// The proof is missing, malformed, not by `from`, or does not verify.
    #[error("bad proof: {0}")]
    BadProof(String),
}

impl VerifyError {
    /// A stable, short name of the failure, used as the last segment of problem `type`
    /// URIs (`https://parley.example/problems/{kind}` style) and in logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too-large",
            Self::Malformed(_) => "malformed-json",
            Self::UnknownType(_) => "unknown-type",
            Self::Invalid(_) => "invalid-message",
            Self::WrongRecipient { .. } => "wrong-recipient",
            Self::Expired(_) => "expired",
            Self::NotYetValid(_) => "not-yet-valid",
            Self::BadProof(_) => "bad-proof",
        }
    }
}

impl From<MessageError> for VerifyError {
    fn from(e: MessageError) -> Self {
        match e {
            MessageError::UnknownType(t) => Self::UnknownType(t),
            MessageError::Invalid(i) => Self::Invalid(i),
        }
    }
}

impl From<ProofError> for VerifyError {
    fn from(e: ProofError) -> Self {
        Self::BadProof(e.to_string())
    }
}

/// Verifies one received message: size, strict JSON, v1 shape and rules, direction,
/// recipient, time window, and an `eddsa-jcs-2022` proof by the `from` DID's own key.
pub fn verify(raw: &[u8], policy: &VerifyPolicy) -> Result<Verified<Message>, VerifyError> {
    if raw.len() > policy.max_bytes {
        return Err(VerifyError::TooLarge { size: raw.len(), max: policy.max_bytes });
    }
    let document = jcs::parse(raw)?;
    verify_value(document, policy)
}

/// [`verify`] for a document already parsed (strictly) from JSON.
pub fn verify_value(document: Value, policy: &VerifyPolicy) -> Result<Verified<Message>, VerifyError> {
    let message = Message::from_value(&document)?;
    if message.message_type().direction() != policy.direction {
        return Err(VerifyError::UnknownType(format!(
            "{} is not accepted by this receiver",
            message.message_type()
        )));
    }
    if let Some(expected) = &policy.recipient {
        if &message.to != expected {
            return Err(VerifyError::WrongRecipient {
                expected: expected.to_string(),
                found: message.to.to_string(),
            });
        }
    }
    if let Some(expires) = message.expires {
        if expires.get() <= policy.now {
            return Err(VerifyError::Expired(expires.to_string()));
        }
    }
    if message.created.get() > policy.now + policy.max_skew {
        return Err(VerifyError::NotYetValid(message.created.to_string()));
    }
    let proof = verify_proof(&document, None)?;
    if let Some(expires) = proof.expires.filter(|e| *e <= policy.now) {
        return Err(VerifyError::Expired(format!("{} (its proof's expiry)", format_datetime(expires))));
    }
    if proof.public_key != message.from.public_key() {
        return Err(VerifyError::BadProof(format!(
            "signed by {}, but the message is from {}",
            Did::from_public_key(&proof.public_key),
            message.from
        )));
    }
    let signer = message.from.clone();
    if proof.proof_purpose != ASSERTION_METHOD {
        return Err(VerifyError::BadProof(format!(
            "proofPurpose is {:?}, expected assertionMethod",
            proof.proof_purpose
        )));
    }
    Ok(Verified::new(message, document, signer))
}
