//! Ed25519 keys and their Multikey encodings.
//!
//! A [`PublicKey`] prints and parses as `publicKeyMultibase` (multicodec `ed25519-pub`,
//! 0xed01, base58btc) and a [`SecretKey`] as `secretKeyMultibase` (`ed25519-priv`,
//! 0x1300). Secret keys are not `Clone`, not `Serialize`, redacted in `Debug`, and
//! zeroized on drop, so they do not spread through a program by accident.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::Signer;
use zeroize::Zeroizing;

/// Multicodec varint prefix of an Ed25519 public key (`0xed`).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
/// Multicodec varint prefix of an Ed25519 private key (`0x1300`).
const ED25519_PRIV: [u8; 2] = [0x80, 0x26];

/// Why a Multikey or multibase string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The string does not start with `z` (base58btc), the only multibase Parley reads.
    #[error("expected a base58btc multibase value starting with 'z'")]
    NotBase58Btc,
    /// The characters after `z` are not base58.
    #[error("invalid base58: {0}")]
    BadBase58(String),
    /// The multicodec prefix names a different kind of key.
    #[error("unsupported multicodec prefix 0x{0}: expected {1}")]
    UnsupportedCodec(String, &'static str),
    /// The key material has the wrong length.
    #[error("wrong key length: {actual} bytes, expected {expected}")]
    BadLength {
        /// Bytes found after the prefix.
        actual: usize,
        /// Bytes an Ed25519 key has.
        expected: usize,
    },
    /// 32 bytes that are not a valid Ed25519 point.
    #[error("not a valid Ed25519 public key")]
    InvalidPoint,
}

/// Decodes a base58btc multibase string (`z…`) to bytes.
pub fn decode_multibase(s: &str) -> Result<Vec<u8>, KeyError> {
    let body = s.strip_prefix('z').ok_or(KeyError::NotBase58Btc)?;
    bs58::decode(body).into_vec().map_err(|e| KeyError::BadBase58(e.to_string()))
}

/// Encodes bytes as base58btc multibase (`z…`).
pub fn encode_multibase(bytes: &[u8]) -> String {
    format!("z{}", bs58::encode(bytes).into_string())
}

fn decode_multikey(s: &str, prefix: [u8; 2], name: &'static str) -> Result<[u8; 32], KeyError> {
    let bytes = Zeroizing::new(decode_multibase(s)?);
    if bytes.len() < 2 || bytes[..2] != prefix {
        let shown: String = bytes.iter().take(2).map(|b| format!("{b:02x}")).collect();
        return Err(KeyError::UnsupportedCodec(shown, name));
    }
    let key: [u8; 32] =
        bytes[2..].try_into().map_err(|_| KeyError::BadLength { actual: bytes.len() - 2, expected: 32 })?;
    Ok(key)
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl PublicKey {
    /// Reads 32 raw bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        ed25519_dalek::VerifyingKey::from_bytes(bytes).map(Self).map_err(|_| KeyError::InvalidPoint)
    }

    /// The 32 raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The `publicKeyMultibase` form, e.g. `z6Mk…`.
    pub fn to_multibase(&self) -> String {
        let mut bytes = ED25519_PUB.to_vec();
        bytes.extend_from_slice(self.0.as_bytes());
        encode_multibase(&bytes)
    }

    /// Checks an Ed25519 signature over `message`, rejecting malleable and
    /// small-order forms (`verify_strict`).
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let sig = ed25519_dalek::Signature::from_bytes(signature);
        self.0.verify_strict(message, &sig).is_ok()
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        Self::from_bytes(&decode_multikey(s, ED25519_PUB, "0xed01 (ed25519-pub)")?)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_multibase())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_multibase())
    }
}

/// An Ed25519 signing key: never cloned, printed or serialised by accident.
pub struct SecretKey(ed25519_dalek::SigningKey);

impl SecretKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Self {
        Self(ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng))
    }

    /// The key whose 32-byte seed is `seed` (RFC 8032's "private key").
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The matching public key.
    pub fn to_public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The 32-byte seed, zeroized when dropped.
    pub fn to_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The `secretKeyMultibase` form, zeroized when dropped.
    pub fn to_multibase(&self) -> Zeroizing<String> {
        let mut bytes = Zeroizing::new(ED25519_PRIV.to_vec());
        bytes.extend_from_slice(&*self.to_seed());
        Zeroizing::new(encode_multibase(&bytes))
    }

    /// Signs `message` (deterministic Ed25519, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl FromStr for SecretKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        let seed = Zeroizing::new(decode_multikey(s, ED25519_PRIV, "0x1300 (ed25519-priv)")?);
        Ok(Self::from_seed(&seed))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public: {}, secret: redacted)", self.to_public())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multikey_round_trip() {
        let sk = SecretKey::generate();
        let pk = sk.to_public();
        assert!(pk.to_string().starts_with("z6Mk"), "ed25519-pub multikeys start z6Mk");
        assert_eq!(pk.to_string().parse::<PublicKey>().unwrap(), pk);
        let again: SecretKey = sk.to_multibase().parse().unwrap();
        assert_eq!(again.to_public(), pk);
        assert!(sk.to_multibase().starts_with("z3u2"), "ed25519-priv multikeys start z3u2");
    }

    #[test]
    fn clear_errors_for_bad_encodings() {
        assert_eq!("6Mk".parse::<PublicKey>(), Err(KeyError::NotBase58Btc));
        assert!(matches!("z0OIl".parse::<PublicKey>(), Err(KeyError::BadBase58(_))));
        // secp256k1-pub (0xe7 0x01) is another codec.
        let other = encode_multibase(&[0xe7, 0x01, 1, 2, 3]);
        assert!(matches!(other.parse::<PublicKey>(), Err(KeyError::UnsupportedCodec(..))));
        let short = encode_multibase(&[0xed, 0x01, 1, 2, 3]);
        assert_eq!(short.parse::<PublicKey>(), Err(KeyError::BadLength { actual: 3, expected: 32 }));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let sk = SecretKey::generate();
        let shown = format!("{sk:?}");
        assert!(!shown.contains(sk.to_multibase().as_str()));
        assert!(shown.contains("redacted"));
    }
}
