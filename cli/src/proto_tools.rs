//! The operations behind `parley proto`: canonicalise, make keys, sign and verify
//! arbitrary JSON documents, for vendors and integrators debugging their own side.
//!
//! Each returns a typed error; [`ToolError::is_unusable_input`] separates input that
//! could not be examined at all (exit 2) from a proof that was examined and failed
//! (exit 1).

use parley_protocol::jcs::{self, JcsError};
use parley_protocol::proof::{self, ProofError, ProofOptions, ASSERTION_METHOD};
use parley_protocol::time::OffsetDateTime;
use parley_protocol::{Did, KeyError, PublicKey, SecretKey};
use serde_json::{json, Value};

/// Why a protocol tool failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// The input is not JSON in the RFC 8785 data model.
    #[error("input is not usable JSON: {0}")]
    Json(#[from] JcsError),
    /// A key argument could not be decoded.
    #[error("bad key: {0}")]
    Key(#[from] KeyError),
    /// The `--created` value is not RFC 3339.
    #[error("--created {0:?} is not an RFC 3339 date-time (e.g. 2026-11-22T10:00:00Z)")]
    Created(String),
    /// Signing or verification failed.
    #[error("{0}")]
    Proof(#[from] ProofError),
}

impl ToolError {
    /// True when the input could not be examined (not JSON, no proof, a verification
    /// method that cannot be resolved), as opposed to a proof that is wrong.
    pub fn is_unusable_input(&self) -> bool {
        match self {
            Self::Json(_) | Self::Key(_) | Self::Created(_) => true,
            Self::Proof(e) => matches!(
                e,
                ProofError::NotAnObject | ProofError::MissingProof | ProofError::UnresolvableMethod(_)
            ),
        }
    }
}

/// The canonical form of `input`.
pub fn canon(input: &[u8]) -> Result<Vec<u8>, ToolError> {
    Ok(jcs::canonicalize_bytes(input)?)
}

/// A new key pair as `{"did", "publicKeyMultibase", "secretKeyMultibase"}`.
pub fn keygen() -> Value {
    let secret = SecretKey::generate();
    let public = secret.to_public();
    json!({
        "did": Did::from_public_key(&public).to_string(),
        "publicKeyMultibase": public.to_multibase(),
        "secretKeyMultibase": secret.to_multibase().as_str(),
    })
}

/// The `did:key` of a `publicKeyMultibase`.
pub fn did(public_key: &str) -> Result<Did, ToolError> {
    Ok(Did::from_public_key(&public_key.parse::<PublicKey>()?))
}

/// `input` with an `eddsa-jcs-2022` proof added.
pub fn sign(
    input: &[u8],
    secret_key: &str,
    created: Option<&str>,
    verification_method: Option<&str>,
) -> Result<Value, ToolError> {
    let document = jcs::parse(input)?;
    let key: SecretKey = secret_key.parse()?;
    let created = match created {
        Some(s) => {
            Some(s.parse::<parley_protocol::Timestamp>().map_err(|_| ToolError::Created(s.to_owned()))?.get())
        }
        None => Some(OffsetDateTime::now_utc()),
    };
    let verification_method = verification_method
        .map(str::to_owned)
        .unwrap_or_else(|| Did::from_public_key(&key.to_public()).verification_method());
    let options = ProofOptions {
        verification_method,
        created,
        proof_purpose: ASSERTION_METHOD.to_owned(),
        expires: None,
    };
    Ok(proof::add_proof(&document, &key, &options)?)
}

/// Verifies the proof on `input`; returns the verification method on success.
pub fn verify(input: &[u8], public_key: Option<&str>) -> Result<String, ToolError> {
    let document = jcs::parse(input)?;
    let key = public_key.map(str::parse::<PublicKey>).transpose()?;
    let proof = proof::verify_proof(&document, key.as_ref())?;
    proof.check_expiry(OffsetDateTime::now_utc())?;
    Ok(proof.verification_method)
}
