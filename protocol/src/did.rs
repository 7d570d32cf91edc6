//! `did:key` identifiers for Ed25519 keys, and the [`Did`] newtype.
//!
//! A `did:key` *is* its public key: `did:key:` followed by the key's
//! `publicKeyMultibase`. Its one verification method is `did:key:z…#z…`, the key as
//! fragment. Resolving other DID methods is deliberately out of scope: Parley pins keys,
//! it does not look them up.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::keys::{KeyError, PublicKey};

const PREFIX: &str = "did:key:";

/// Why a string is not a usable `did:key`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DidError {
    /// Not of the form `did:key:z…`.
    #[error("not a did:key identifier: {0:?}")]
    NotDidKey(String),
    /// The method-specific identifier is not an Ed25519 Multikey.
    #[error("invalid did:key: {0}")]
    Key(#[from] KeyError),
    /// A verification method whose fragment is not the key itself.
    #[error("verification method fragment {fragment:?} does not match the did:key {did}")]
    FragmentMismatch {
        /// The DID part.
        did: String,
        /// The fragment found.
        fragment: String,
    },
}

/// A `did:key` for an Ed25519 key, validated on construction.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
#[serde(try_from = "String", into = "String")]
pub struct Did(String, #[cfg_attr(feature = "ts", ts(skip))] PublicKey);

impl Did {
    /// The `did:key` of `key`.
    pub fn from_public_key(key: &PublicKey) -> Self {
        Self(format!("{PREFIX}{}", key.to_multibase()), *key)
    }

    /// The public key this DID encodes.
    pub fn public_key(&self) -> PublicKey {
        self.1
    }

    /// The verification method URL, `did:key:z…#z…`.
    pub fn verification_method(&self) -> String {
        format!("{}#{}", self.0, &self.0[PREFIX.len()..])
    }

    /// The DID as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Resolves a `did:key` verification method URL to its DID. The fragment, if any,
    /// must be the key's own multibase, as the did:key method defines.
    pub fn from_verification_method(url: &str) -> Result<Self, DidError> {
        let (did, fragment) = match url.split_once('#') {
            Some((d, f)) => (d, Some(f)),
            None => (url, None),
        };
        let did: Did = did.parse()?;
        if let Some(fragment) = fragment {
            if fragment != &did.0[PREFIX.len()..] {
                return Err(DidError::FragmentMismatch { did: did.0.clone(), fragment: fragment.to_owned() });
            }
        }
        Ok(did)
    }
}

impl FromStr for Did {
    type Err = DidError;
    fn from_str(s: &str) -> Result<Self, DidError> {
        let multibase = s.strip_prefix(PREFIX).ok_or_else(|| DidError::NotDidKey(s.to_owned()))?;
        let key: PublicKey = multibase.parse()?;
        // The string is kept as given: base58btc has one spelling per byte string, and a
        // Multikey never starts with a zero byte (which base58 could also spell `1…`), so
        // the string is already the canonical `did:key` and need not be re-encoded.
        Ok(Self(s.to_owned(), key))
    }
}

impl TryFrom<String> for Did {
    type Error = DidError;
    fn try_from(s: String) -> Result<Self, DidError> {
        s.parse()
    }
}

impl From<Did> for String {
    fn from(d: Did) -> String {
        d.0
    }
}

impl PartialEq for Did {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for Did {}
impl std::hash::Hash for Did {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}
impl PartialOrd for Did {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Did {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Did({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_did_key_round_trip() {
        // The did:key method specification's first Ed25519 example.
        let s = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
        let did: Did = s.parse().unwrap();
        assert_eq!(did.to_string(), s);
        assert_eq!(Did::from_public_key(&did.public_key()), did);
        assert_eq!(
            did.verification_method(),
            format!("{s}#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
        );
        assert_eq!(Did::from_verification_method(&did.verification_method()).unwrap(), did);
    }

    #[test]
    fn rejects_other_methods_codecs_and_fragments() {
        assert!(matches!("did:web:example.com".parse::<Did>(), Err(DidError::NotDidKey(_))));
        // A P-256 did:key (multicodec 0x1200) is not Ed25519.
        assert!(matches!(
            "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169".parse::<Did>(),
            Err(DidError::Key(KeyError::UnsupportedCodec(..)))
        ));
        let did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
        assert!(matches!(
            Did::from_verification_method(&format!("{did}#key-1")),
            Err(DidError::FragmentMismatch { .. })
        ));
    }
}
