//! The v1 message envelope and its typed [`Body`].
//!
//! On the wire a message is one JSON object: an optional `@context` (see
//! [`crate::Context`]), `type`, `id`, `from`, `to`, `created`,
//! optional `expires`, `thread`, `inReplyTo`, `consent`, the type-specific `body`, and
//! the `proof`. [`Message`] holds everything but the proof; [`crate::verify`] is how a
//! received message becomes a [`crate::Verified<Message>`], and [`Message::sign`] how an
//! outgoing one does.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::access::{AccessLog, AccessLogQuery};
use crate::body::*;
use crate::context::Context;
use crate::did::Did;
use crate::ids::{ConsentId, MessageId, Timestamp};
use crate::keys::SecretKey;
use crate::proof::{add_proof, ProofOptions};
use crate::verify::Verified;

macro_rules! message_types {
    ($($(#[$doc:meta])* $name:ident($body:ty) => $dir:ident),* $(,)?) => {
        /// The `type` of a v1 message.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum MessageType { $($(#[$doc])* $name,)* }

        /// A message body, by type.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Body { $($name($body),)* }

        impl MessageType {
            /// Every v1 type.
            pub const ALL: &'static [MessageType] = &[$(MessageType::$name,)*];
            /// The name used on the wire.
            pub fn as_str(&self) -> &'static str {
                match self { $(Self::$name => stringify!($name),)* }
            }
            /// Who sends this type.
            pub fn direction(&self) -> Direction {
                match self { $(Self::$name => Direction::$dir,)* }
            }
        }

        impl Body {
            /// The body's message type.
            pub fn message_type(&self) -> MessageType {
                match self { $(Self::$name(_) => MessageType::$name,)* }
            }
            fn to_value(&self) -> Value {
                match self { $(Self::$name(b) => serde_json::to_value(b),)* }
                    .unwrap_or(Value::Null)
            }
            fn from_value(kind: MessageType, v: Value) -> Result<Self, Invalid> {
                Ok(match kind { $(MessageType::$name => Self::$name(from_json("body", v)?),)* })
            }
        }
    };
}

message_types! {
    /// Person → vendor: proffer an agreement.
    ConsentGrant(ConsentGrant) => ToVendor,
    /// Person → vendor: end a consent and have its data deleted.
    ConsentRevocation(ConsentRevocation) => ToVendor,
    /// Person → vendor: what I want to buy.
    Intent(Intent) => ToVendor,
    /// Person → vendor: what I think.
    Feedback(Feedback) => ToVendor,
    /// Person → vendor: help me with what I own.
    SupportRequest(SupportRequest) => ToVendor,
    /// Person → vendor: what have you sent me?
    InboxQuery(InboxQuery) => ToVendor,
    /// Person → vendor: I take this offer.
    OfferAcceptance(OfferAcceptance) => ToVendor,
    /// Person → vendor: I no longer want offers for this intent.
    IntentWithdrawal(IntentWithdrawal) => ToVendor,
    /// Person → vendor: who at your side read what I sent?
    AccessLogQuery(AccessLogQuery) => ToVendor,
    /// Vendor → person: your message is stored.
    Receipt(Receipt) => ToPerson,
    /// Vendor → person: my answer to your proffered agreement.
    ConsentAgreement(ConsentAgreement) => ToPerson,
    /// Vendor → person: everything under your consent is deleted.
    DeletionReceipt(DeletionReceipt) => ToPerson,
    /// Vendor → person: an answer to your intent.
    Offer(Offer) => ToPerson,
    /// Vendor → person: an answer to your request or feedback.
    Reply(Reply) => ToPerson,
    /// Vendor → person: the reads of your messages, in reply to an `AccessLogQuery`.
    AccessLog(AccessLog) => ToPerson,
    /// Vendor → person: where the order your accepted offer became is now.
    Order(Order) => ToPerson,
}

/// Which party sends a message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent by a person's agent to a vendor.
    ToVendor,
    /// Sent by a vendor to a person's agent.
    ToPerson,
}

impl MessageType {
    /// The consent purposes under which a message of this type may be sent; empty for
    /// types that need no consent.
    pub fn purposes(&self) -> &'static [Purpose] {
        match self {
            // `quote` covers the order an accepted offer becomes: fulfilment of the intent.
            Self::Intent | Self::OfferAcceptance | Self::IntentWithdrawal | Self::Order => &[Purpose::Quote],
            Self::Feedback => &[Purpose::Improvement, Purpose::Service],
            Self::SupportRequest => &[Purpose::Service],
            _ => &[],
        }
    }

    /// Whether a message of this type must name a consent in its envelope.
    pub fn requires_consent(&self) -> bool {
        matches!(
            self,
            Self::ConsentRevocation
                | Self::Intent
                | Self::Feedback
                | Self::SupportRequest
                | Self::OfferAcceptance
                | Self::IntentWithdrawal
        )
    }
}

impl FromStr for MessageType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        MessageType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown message type {s:?}"))
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A v1 message without its proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The JSON-LD `@context` its signer added, if any (Parley adds none).
    pub context: Option<Context>,
    /// Unique per sender.
    pub id: MessageId,
    /// The sender's DID (a person's pairwise DID, or a vendor's DID).
    pub from: Did,
    /// The recipient's DID.
    pub to: Did,
    /// When the sender made it.
    pub created: Timestamp,
    /// After this, the recipient must not act on it.
    pub expires: Option<Timestamp>,
    /// The conversation it belongs to.
    pub thread: Option<MessageId>,
    /// The message it answers.
    pub in_reply_to: Option<MessageId>,
    /// The consent it relies on.
    pub consent: Option<ConsentId>,
    /// The typed body.
    pub body: Body,
}

/// Message members other than `body` and `proof`, as they appear on the wire.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Envelope {
    #[serde(rename = "@context", default, skip_serializing_if = "Option::is_none")]
    context: Option<Value>,
    #[serde(rename = "type")]
    kind: String,
    id: MessageId,
    from: Did,
    to: Did,
    created: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    thread: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    in_reply_to: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    consent: Option<ConsentId>,
    body: Value,
}

/// Why a JSON object is not a valid v1 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// `type` names no v1 message.
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    /// A field is missing, malformed or breaks a rule.
    #[error("invalid message: {0}")]
    Invalid(#[from] Invalid),
}

impl Message {
    /// A new message with a fresh id, created now, and no optional members.
    pub fn new(from: Did, to: Did, body: Body) -> Self {
        Self {
            context: None,
            id: MessageId::new(),
            from,
            to,
            created: Timestamp::now(),
            expires: None,
            thread: None,
            in_reply_to: None,
            consent: None,
            body,
        }
    }

    /// The message type.
    pub fn message_type(&self) -> MessageType {
        self.body.message_type()
    }

    /// The data categories this message carries, which its consent must name.
    pub fn categories(&self) -> Vec<Category> {
        let mut out = Vec::new();
        let mut add = |c: Category, present: bool| {
            if present {
                out.push(c)
            }
        };
        match &self.body {
            Body::Intent(b) => {
                add(Category::Intent, true);
                add(Category::Contact, b.contact.is_some());
            }
            Body::Feedback(b) => {
                add(Category::Feedback, true);
                add(Category::Product, b.product.is_some());
                add(Category::Contact, b.contact.is_some());
            }
            Body::SupportRequest(b) => {
                add(Category::Support, true);
                add(Category::Product, b.product.is_some() || b.purchase.is_some());
                add(Category::Contact, b.contact.is_some());
            }
            Body::OfferAcceptance(_) | Body::IntentWithdrawal(_) => add(Category::Intent, true),
            _ => {}
        }
        out
    }

    /// Whether this type must name a consent in its envelope.
    pub fn requires_consent(&self) -> bool {
        self.message_type().requires_consent()
    }

    /// The unsigned JSON form.
    pub fn to_value(&self) -> Value {
        let envelope = Envelope {
            context: self.context.as_ref().and_then(|c| serde_json::to_value(c).ok()),
            kind: self.message_type().as_str().to_owned(),
            id: self.id,
            from: self.from.clone(),
            to: self.to.clone(),
            created: self.created,
            expires: self.expires,
            thread: self.thread,
            in_reply_to: self.in_reply_to,
            consent: self.consent,
            body: self.body.to_value(),
        };
        serde_json::to_value(envelope).unwrap_or(Value::Null)
    }

    /// Reads and validates a message from its JSON form; a `proof` member is ignored
    /// here (checking it is [`crate::verify`]'s job).
    pub fn from_value(value: &Value) -> Result<Self, MessageError> {
        let mut object: Map<String, Value> =
            value.as_object().cloned().ok_or_else(|| Invalid::new("message", "must be a JSON object"))?;
        object.remove("proof");
        let kind = object
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| Invalid::new("type", "is missing or not a string"))?;
        let kind: MessageType = kind.parse().map_err(|_| MessageError::UnknownType(kind.to_owned()))?;
        let envelope: Envelope = from_json("", Value::Object(object))?;
        // serde reads a struct from an array of its members too; the protocol's one
        // spelling is an object, so a body holding arrays is checked against what it read.
        let written = contains_array(&envelope.body).then(|| envelope.body.clone());
        let body = Body::from_value(kind, envelope.body)?;
        if let Some(written) = written {
            objects_as_objects("body", &written, &body.to_value())?;
        }
        let message = Self {
            context: envelope.context.map(Context::from_value).transpose()?,
            id: envelope.id,
            from: envelope.from,
            to: envelope.to,
            created: envelope.created,
            expires: envelope.expires,
            thread: envelope.thread,
            in_reply_to: envelope.in_reply_to,
            consent: envelope.consent,
            body,
        };
        message.validate()?;
        Ok(message)
    }

    /// Checks every rule beyond the JSON shape.
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(context) = &self.context {
            context.validate()?;
        }
        if let Some(expires) = self.expires {
            if expires <= self.created {
                return Err(Invalid::new("expires", "must be later than created"));
            }
        }
        if self.requires_consent() && self.consent.is_none() {
            return Err(Invalid::new(
                "consent",
                format!("a {} must name the consent it relies on", self.message_type()),
            ));
        }
        if self.from == self.to {
            return Err(Invalid::new("to", "sender and recipient are the same DID"));
        }
        match &self.body {
            Body::ConsentGrant(b) => b.validate(),
            Body::ConsentRevocation(b) => opt_text("body.reason", &b.reason, MAX_TEXT),
            Body::Intent(b) => b.validate(),
            Body::Feedback(b) => b.validate(),
            Body::SupportRequest(b) => b.validate(),
            Body::Receipt(b) => b.validate(),
            Body::ConsentAgreement(b) => b.validate(),
            Body::Offer(b) => b.validate(),
            Body::Reply(b) => text("body.text", &b.text, MAX_TEXT, true),
            Body::AccessLog(b) => b.validate(),
            Body::Order(b) => b.validate(),
            Body::AccessLogQuery(_)
            | Body::InboxQuery(_)
            | Body::OfferAcceptance(_)
            | Body::IntentWithdrawal(_)
            | Body::DeletionReceipt(_) => Ok(()),
        }
    }

    /// Signs the message with `key`, which must be the key of `from`.
    pub fn sign(self, key: &SecretKey) -> Result<Verified<Message>, SignError> {
        self.validate()?;
        let public = key.to_public();
        if public != self.from.public_key() {
            let key = Did::from_public_key(&public).to_string();
            return Err(SignError::WrongKey { from: self.from.to_string(), key });
        }
        let signer = self.from.clone();
        let options = ProofOptions::for_did(&signer, self.created.get());
        let document =
            add_proof(&self.to_value(), key, &options).map_err(|e| SignError::Proof(e.to_string()))?;
        Ok(Verified::new(self, document, signer))
    }
}

/// Why a message could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The message breaks a rule.
    #[error("invalid message: {0}")]
    Invalid(#[from] Invalid),
    /// The signing key is not the sender's.
    #[error("message is from {from} but the key is {key}")]
    WrongKey {
        /// The `from` DID.
        from: String,
        /// The key's DID.
        key: String,
    },
    /// The proof could not be made.
    #[error("cannot sign: {0}")]
    Proof(String),
}

/// Deserialises `value`, naming the offending field (`body.score`) when it fails.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(prefix: &str, value: Value) -> Result<T, Invalid> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = match (prefix.is_empty(), path == ".") {
            (true, true) => "message".to_owned(),
            (true, false) => path,
            (false, true) => prefix.to_owned(),
            (false, false) => format!("{prefix}.{path}"),
        };
        Invalid::new(path, e.into_inner().to_string())
    })
}

fn contains_array(v: &Value) -> bool {
    match v {
        Value::Array(_) => true,
        Value::Object(m) => m.values().any(contains_array),
        _ => false,
    }
}

/// Refuses `written` where it has an array and `read` (the same value as the types read
/// it, written back) has an object: a struct spelled as a list of its members.
fn objects_as_objects(field: &str, written: &Value, read: &Value) -> Result<(), Invalid> {
    match (written, read) {
        (Value::Object(w), Value::Object(r)) => r.iter().try_for_each(|(k, rv)| match w.get(k) {
            Some(wv) => objects_as_objects(&format!("{field}.{k}"), wv, rv),
            None => Ok(()),
        }),
        (Value::Array(w), Value::Array(r)) => w
            .iter()
            .zip(r)
            .enumerate()
            .try_for_each(|(i, (wv, rv))| objects_as_objects(&format!("{field}[{i}]"), wv, rv)),
        (Value::Array(_), Value::Object(_)) => {
            Err(Invalid::new(field, "must be a JSON object, not an array"))
        }
        _ => Ok(()),
    }
}
