//! Record ids: one type per kind of record, so that a product's id cannot be passed
//! where a vendor's is wanted, and no id travels as a bare `String`.
//!
//! Ids are lowercase hyphenated UUIDs, stored and shown as they are (people may type any
//! unique prefix of four characters or more: each store resolves those). The messages
//! this vault sent or received are named by the bare UUID of their `urn:uuid:` id
//! ([`MessageUuid`]); a consent is named by its grant's ([`ConsentRecordId`]).

use parley_protocol::{ConsentId, MessageId};
use serde::{Deserialize, Serialize};

macro_rules! record_ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[sqlx(transparent)]
        pub struct $name(String);

        // Not every kind is made here, or read back raw: messages get their ids from
        // the protocol crate.
        #[allow(dead_code)]
        impl $name {
            /// A new, random id.
            pub(crate) fn generate() -> Self {
                Self(uuid::Uuid::new_v4().hyphenated().to_string())
            }

            /// An id given whole (a lowercase, hyphenated UUID), as a program that kept
            /// one may hand it back.
            pub fn parse(id: &str) -> crate::error::Result<Self> {
                match uuid::Uuid::try_parse(id) {
                    Ok(u) if u.hyphenated().to_string() == id => Ok(Self(id.to_owned())),
                    _ => Err(crate::error::Error::invalid("id", format!("{id:?} is not a whole id"))),
                }
            }

            /// The id as stored and shown.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Its first eight characters, enough for a person to tell records apart.
            pub fn short(&self) -> &str {
                self.0.get(..8).unwrap_or(&self.0)
            }

            /// An id read back from the vault, where only ids of this kind are stored.
            pub(crate) fn stored(id: String) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// An id is also a valid reference where a person's typed one is taken (an id,
        /// a prefix or a name): lookups accept both.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
    )*};
}

record_ids! {
    /// A product the person owns.
    ProductId,
    /// A file attached to a product.
    AttachmentId,
    /// A vendor the person deals with.
    VendorId,
    /// Something the person wants to buy.
    IntentId,
    /// A piece of feedback.
    FeedbackId,
    /// A support request.
    SupportId,
    /// A consent: the UUID of the `ConsentGrant` that proffers it, by which both sides
    /// name it.
    ConsentRecordId,
    /// A message this vault sent (outbox) or received (inbox): the UUID of its
    /// `urn:uuid:` id.
    MessageUuid,
    /// A record of any kind, named with its [`RecordKind`] beside it.
    RecordId,
}

/// The kinds of record a search finds and a message is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// A product.
    Product,
    /// An intent.
    Intent,
    /// Feedback.
    Feedback,
    /// A support request.
    Support,
    /// A consent.
    Consent,
}

impl RecordKind {
    /// The stored form.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Product => "product",
            Self::Intent => "intent",
            Self::Feedback => "feedback",
            Self::Support => "support",
            Self::Consent => "consent",
        }
    }
}

impl std::str::FromStr for RecordKind {
    type Err = ();
    fn from_str(s: &str) -> std::result::Result<Self, ()> {
        [Self::Product, Self::Intent, Self::Feedback, Self::Support, Self::Consent]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(())
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl RecordId {
    /// The intent this names, when `kind` says it is one.
    pub fn intent(&self, kind: RecordKind) -> Option<IntentId> {
        (kind == RecordKind::Intent).then(|| IntentId(self.0.clone()))
    }

    /// The product this names, when `kind` says it is one.
    pub fn product(&self, kind: RecordKind) -> Option<ProductId> {
        (kind == RecordKind::Product).then(|| ProductId(self.0.clone()))
    }
}

impl MessageUuid {
    /// The message id on the wire, `urn:uuid:…`.
    pub fn to_message_id(&self) -> MessageId {
        format!("urn:uuid:{}", self.0).parse().unwrap_or_else(|_| MessageId::new())
    }
}

impl From<&MessageId> for MessageUuid {
    fn from(id: &MessageId) -> Self {
        Self(bare(&id.to_string()))
    }
}

impl ConsentRecordId {
    /// The consent id on the wire, `urn:uuid:…`.
    pub fn to_consent_id(&self) -> ConsentId {
        MessageUuid(self.0.clone()).to_message_id().into()
    }

    /// The id of the grant message that proffered this consent.
    pub fn grant(&self) -> MessageUuid {
        MessageUuid(self.0.clone())
    }
}

impl From<&ConsentId> for ConsentRecordId {
    fn from(id: &ConsentId) -> Self {
        Self(bare(&id.to_string()))
    }
}

macro_rules! as_record_id {
    ($($name:ident),*) => {$(
        impl From<&$name> for RecordId {
            fn from(id: &$name) -> Self {
                Self(id.0.clone())
            }
        }
    )*};
}
as_record_id!(ProductId, FeedbackId, SupportId, IntentId, ConsentRecordId);

/// The bare UUID of a `urn:uuid:` id.
fn bare(urn: &str) -> String {
    urn.strip_prefix("urn:uuid:").unwrap_or(urn).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_and_consent_ids_convert_to_and_from_the_wire() {
        let wire = MessageId::new();
        let uuid = MessageUuid::from(&wire);
        assert!(!uuid.as_str().starts_with("urn:"), "the bare UUID is stored");
        assert_eq!(uuid.to_message_id(), wire);
        let consent: ConsentId = wire.into();
        let record = ConsentRecordId::from(&consent);
        assert_eq!(record.to_consent_id(), consent);
        assert_eq!(record.grant(), uuid, "a consent is named by its grant's id");
    }
}
