//! Parley protocol v1: the contract between a person's agent and a vendor's endpoint.
//!
//! - [`jcs`]: RFC 8785 JSON canonicalisation, strict about the I-JSON data model.
//! - [`PublicKey`], [`SecretKey`], [`Did`]: Ed25519 keys, Multikey encodings, `did:key`.
//! - [`proof`]: W3C Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite.
//! - [`Message`] and its [`Body`] types, the [`VendorDescriptor`], and [`verify`], the one
//!   way a received message becomes a [`Verified<Message>`].
//! - [`schema`]: the JSON Schema of every message, for the vendor's OpenAPI document.
//!
//! The crate is pure: no I/O, no clock (callers pass the time), no async. The operating
//! system's random generator is its one contact with the outside, for new keys and ids.
//!
//! ```
//! use parley_protocol::{Body, Did, Feedback, FeedbackSubject, Message, SecretKey, VerifyPolicy};
//!
//! let (person, vendor) = (SecretKey::generate(), SecretKey::generate());
//! let (from, to) = (Did::from_public_key(&person.to_public()), Did::from_public_key(&vendor.to_public()));
//! let mut message = Message::new(from, to.clone(), Body::Feedback(Feedback {
//!     about: FeedbackSubject::Vendor, score: 9, text: Some("Quick repair".into()),
//!     suggestions: vec![], product: None, contact: None,
//! }));
//! message.consent = Some(parley_protocol::ConsentId::new());
//! let signed = message.sign(&person).unwrap();
//!
//! let policy = VerifyPolicy::for_vendor(to, time::OffsetDateTime::now_utc());
//! let received = parley_protocol::verify(signed.canonical().as_bytes(), &policy).unwrap();
//! assert_eq!(received.digest(), signed.digest());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod access;
mod body;
mod context;
mod descriptor;
mod did;
mod ids;
pub mod jcs;
mod keys;
mod message;
pub mod proof;
mod purchase;
pub mod schema;
mod verify;

pub use access::{
    verify_chain, AccessEntry, AccessLog, AccessLogQuery, AccessVia, ChainError, ChainHead,
    MAX_ACCESS_ENTRIES,
};
pub use body::{
    date as validate_date, AgreementId, Category, ConsentAgreement, ConsentGrant, ConsentRevocation,
    Decision, DeletionReceipt, Feedback, FeedbackSubject, InboxQuery, Intent, IntentWithdrawal, Invalid,
    LineItem, Money, Offer, OfferAcceptance, Order, OrderStatus, ProductDetails, PurchaseProof, Purpose,
    Receipt, ReceiptStatus, Reply, SupportKind, SupportRequest, MAX_ITEMS, MAX_SHORT, MAX_TEXT,
};
pub use context::{Context, CREDENTIALS_V2, DATA_INTEGRITY_V2};
pub use descriptor::{verify_descriptor, Endpoints, VendorDescriptor, PROTOCOL_V1};
pub use did::{Did, DidError};
pub use ids::{ConsentId, IdError, MessageId, Timestamp};
pub use keys::{decode_multibase, encode_multibase, KeyError, PublicKey, SecretKey};
pub use message::{Body, Direction, Message, MessageError, MessageType, SignError};
pub use purchase::{check_claim, CheckedPurchase, NotAPurchase, PurchaseBundle, BUNDLE_TYPE};
pub use verify::{digest_of, verify, verify_value, Verified, VerifyError, VerifyPolicy, DEFAULT_MAX_BYTES};

/// Re-exported so callers name times with the same crate version.
pub use time;
