//! The vendor descriptor served at `/.well-known/parley`: who the vendor is, where to
//! send messages, what it accepts, self-signed with the key it names.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::body::{text, AgreementId, Invalid, MAX_SHORT};
use crate::did::Did;
use crate::ids::Timestamp;
use crate::jcs;
use crate::keys::SecretKey;
use crate::message::{from_json, MessageType};
use crate::proof::{add_proof, format_datetime, verify_proof, ProofOptions, ASSERTION_METHOD};
use crate::verify::{Verified, VerifyError, DEFAULT_MAX_BYTES};

/// The protocol version a descriptor speaks.
pub const PROTOCOL_V1: &str = "parley/1";

/// Where a vendor receives messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    /// `POST` person→vendor messages here.
    pub messages: String,
    /// `POST` `InboxQuery` messages here.
    pub inbox: String,
    /// `POST` `AccessLogQuery` messages here, when the vendor keeps a staff-access log.
    #[serde(default, rename = "accessLog", skip_serializing_if = "Option::is_none")]
    pub access_log: Option<String>,
}

/// A vendor's public description of itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VendorDescriptor {
    /// Always [`PROTOCOL_V1`].
    pub protocol: String,
    /// The vendor's name.
    pub name: String,
    /// The vendor's DID; the descriptor is signed with its key.
    pub did: Did,
    /// Where to send messages.
    pub endpoints: Endpoints,
    /// The message types it accepts.
    pub accepts: Vec<MessageType>,
    /// The roster agreements it accepts as proffered.
    pub agreements: Vec<AgreementId>,
    /// A link to the vendor's own human-readable terms, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
    /// When the descriptor was made.
    pub created: Timestamp,
}

impl VendorDescriptor {
    /// Checks the rules beyond the JSON shape.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.protocol != PROTOCOL_V1 {
            return Err(Invalid::new("protocol", format!("{:?} is not {PROTOCOL_V1}", self.protocol)));
        }
        text("name", &self.name, MAX_SHORT, true)?;
        text("endpoints.messages", &self.endpoints.messages, 2000, true)?;
        text("endpoints.inbox", &self.endpoints.inbox, 2000, true)?;
        match &self.endpoints.access_log {
            Some(url) => text("endpoints.accessLog", url, 2000, true),
            None => Ok(()),
        }
    }

    /// Signs the descriptor with the vendor's key, which must be the key of `did`.
    pub fn sign(self, key: &SecretKey) -> Result<Verified<VendorDescriptor>, crate::SignError> {
        self.validate()?;
        let signer = Did::from_public_key(&key.to_public());
        if signer != self.did {
            return Err(crate::SignError::WrongKey { from: self.did.to_string(), key: signer.to_string() });
        }
        let value = serde_json::to_value(&self).map_err(|e| crate::SignError::Proof(e.to_string()))?;
        let document = add_proof(&value, key, &ProofOptions::for_did(&signer, self.created.get()))
            .map_err(|e| crate::SignError::Proof(e.to_string()))?;
        Ok(Verified::new(self, document, signer))
    }
}

/// Verifies a descriptor: strict JSON, valid shape, and an unexpired `assertionMethod`
/// proof by its own `did`, at the receiver's time `now`.
pub fn verify_descriptor(raw: &[u8], now: OffsetDateTime) -> Result<Verified<VendorDescriptor>, VerifyError> {
    if raw.len() > DEFAULT_MAX_BYTES {
        return Err(VerifyError::TooLarge { size: raw.len(), max: DEFAULT_MAX_BYTES });
    }
    let document = jcs::parse(raw)?;
    let mut unsigned = document.clone();
    if let Value::Object(m) = &mut unsigned {
        m.remove("proof");
    }
    let descriptor: VendorDescriptor = from_json("", unsigned).map_err(VerifyError::Invalid)?;
    descriptor.validate().map_err(VerifyError::Invalid)?;
    let proof = verify_proof(&document, None)?;
    if proof.proof_purpose != ASSERTION_METHOD {
        return Err(VerifyError::BadProof(format!(
            "proofPurpose is {:?}, expected assertionMethod",
            proof.proof_purpose
        )));
    }
    if let Some(expires) = proof.expires.filter(|e| *e <= now) {
        return Err(VerifyError::Expired(format!("{} (its proof's expiry)", format_datetime(expires))));
    }
    let signer = Did::from_public_key(&proof.public_key);
    if signer != descriptor.did {
        return Err(VerifyError::BadProof(format!(
            "signed by {signer}, but the descriptor names {}",
            descriptor.did
        )));
    }
    Ok(Verified::new(descriptor, document, signer))
}
