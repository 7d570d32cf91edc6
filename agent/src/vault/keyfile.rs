//! The vault's key file: the random data key that opens the database, wrapped with
//! ChaCha20-Poly1305 under a key derived from the passphrase with Argon2id.
//!
//! The file is JSON so a person can see what protects their data. Its header (format,
//! KDF parameters and salt, AEAD name) is the AEAD's associated data, so changing any of
//! it breaks the seal. A `check` value (HMAC of the derived key) tells a wrong
//! passphrase apart from a damaged wrapped key. Writes are atomic: a temporary file,
//! fsync, rename, fsync of the folder — a crash leaves the old file or the new one.

use std::io::Write;
use std::path::{Path, PathBuf};

use parley_protocol::jcs;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

const FORMAT: &str = "parley-vault-key";
const VERSION: u32 = 1;
const AEAD_NAME: &str = "chacha20-poly1305";

/// A secret the user types. Zeroized on drop, never printed.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wraps a passphrase; empty ones are refused.
    pub fn new(s: impl Into<String>) -> Result<Self> {
        let s = Zeroizing::new(s.into());
        if s.is_empty() {
            return Err(Error::invalid("passphrase", "must not be empty"));
        }
        Ok(Self(s))
    }
    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(redacted)")
    }
}

/// Argon2id cost parameters, stored in the key file so a vault always opens with the
/// parameters it was sealed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// The default: 64 MiB, 3 passes, 1 lane (OWASP's Argon2id baseline is 19 MiB, 2
    /// passes; this is stronger and still under half a second here).
    pub const DEFAULT: Self = Self { memory_kib: 64 * 1024, iterations: 3, parallelism: 1 };

    /// Cheap parameters for tests only: a vault sealed with them is easy to brute-force.
    pub const INSECURE_FOR_TESTS: Self = Self { memory_kib: 64, iterations: 1, parallelism: 1 };

    /// The parameters to seal with, given `PARLEY_INSECURE_KDF`: the default, or the
    /// cheap ones a test suite asks for with `1`. Release builds refuse the cheap ones —
    /// a vault sealed with them falls to a brute-force search in minutes, and a variable
    /// left set in a person's environment must not quietly make their vault so.
    pub fn from_env() -> Result<Self> {
        Self::choose(std::env::var("PARLEY_INSECURE_KDF").ok().as_deref(), cfg!(debug_assertions))
    }

    fn choose(insecure: Option<&str>, test_build: bool) -> Result<Self> {
        match insecure {
            None | Some("") | Some("0") => Ok(Self::DEFAULT),
            Some("1") if test_build => Ok(Self::INSECURE_FOR_TESTS),
            Some("1") => Err(Error::invalid(
                "PARLEY_INSECURE_KDF",
                "is honoured by test builds only: unset it (a vault sealed with it is easy to brute-force)",
            )),
            Some(other) => {
                Err(Error::invalid("PARLEY_INSECURE_KDF", format!("{other:?} is neither 1 nor 0")))
            }
        }
    }

    /// Derives a 256-bit key from `passphrase` and `salt` with these parameters.
    pub(crate) fn derive_key(&self, passphrase: &Passphrase, salt: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|e| Error::invalid("kdf", e.to_string()))?;
        let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
            .map_err(|e| Error::invalid("kdf", e.to_string()))?;
        Ok(out)
    }

    /// Refuses parameters no Parley writes, before any work: a key file or backup is
    /// read before it is authenticated, so its header may be anyone's (a crafted
    /// `memoryKib` aborts the process on allocation; a crafted `iterations` hashes for
    /// hours). At most 1 GiB and 16 passes — 16 times today's default.
    pub(crate) fn check_bounds(&self) -> std::result::Result<(), String> {
        if self.memory_kib > 1024 * 1024 || self.iterations > 16 || !(1..=16).contains(&self.parallelism) {
            return Err(format!("KDF parameters out of range: {self:?}"));
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Kdf {
    algorithm: String,
    #[serde(flatten)]
    params: KdfParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyFileJson {
    format: String,
    version: u32,
    kdf: Kdf,
    aead: String,
    check: String,
    nonce: String,
    wrapped_key: String,
}

/// The 256-bit key that opens the database.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(redacted)")
    }
}

impl DataKey {
    pub(crate) fn generate() -> Result<Self> {
        Ok(Self(random::<32>()?))
    }
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
    /// SQLCipher's form of a raw key, `x'<64 hex>'`, to bind as an `ATTACH … KEY ?`
    /// parameter (bound, it never becomes part of a statement's text).
    pub(crate) fn raw_key_literal(&self) -> Zeroizing<String> {
        let hex = Zeroizing::new(hex::encode(self.0.as_ref()));
        Zeroizing::new(format!("x'{}'", hex.as_str()))
    }

    /// The statement that opens a SQLCipher connection with this raw key. A pragma takes
    /// no parameters, so the key is in its text: built here, zeroized when dropped.
    pub(crate) fn key_statement(&self) -> Zeroizing<String> {
        let literal = self.raw_key_literal();
        Zeroizing::new(format!("PRAGMA key = \"{}\"", literal.as_str()))
    }
}

pub(crate) fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>> {
    let mut out = Zeroizing::new([0u8; N]);
    SystemRandom::new()
        .fill(out.as_mut())
        .map_err(|_| Error::invalid("random", "the system random generator failed"))?;
    Ok(out)
}

fn check_value(kek: &[u8; 32]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, kek);
    hex::encode(hmac::sign(&key, b"parley vault key check v1").as_ref())
}

fn header_aad(file: &KeyFileJson) -> Result<Vec<u8>> {
    let header = serde_json::json!({
        "format": file.format, "version": file.version, "kdf": file.kdf, "aead": file.aead,
    });
    Ok(jcs::canonicalize(&header).into_bytes())
}

/// Seals `key` under `passphrase` and writes the key file at `path`, atomically.
pub(crate) fn write(path: &Path, key: &DataKey, passphrase: &Passphrase, params: KdfParams) -> Result<()> {
    let salt = random::<16>()?;
    let kek = params.derive_key(passphrase, salt.as_ref())?;
    let nonce = random::<NONCE_LEN>()?;
    let mut file = KeyFileJson {
        format: FORMAT.into(),
        version: VERSION,
        kdf: Kdf { algorithm: "argon2id".into(), params, salt: hex::encode(salt.as_ref()) },
        aead: AEAD_NAME.into(),
        check: check_value(&kek),
        nonce: hex::encode(nonce.as_ref()),
        wrapped_key: String::new(),
    };
    let aad = header_aad(&file)?;
    let sealing =
        LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, kek.as_ref()).map_err(|_| aead_failed())?);
    let mut buf = Zeroizing::new(key.bytes().to_vec());
    sealing
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), &mut *buf)
        .map_err(|_| aead_failed())?;
    file.wrapped_key = hex::encode(&*buf);
    let text = serde_json::to_string_pretty(&file).map_err(|e| Error::invalid("key file", e.to_string()))?;
    write_atomically(path, text.as_bytes())
}

fn aead_failed() -> Error {
    Error::invalid("key file", "sealing failed")
}

/// Reads the key file at `path` and unwraps the data key with `passphrase`.
pub(crate) fn read(path: &Path, passphrase: &Passphrase) -> Result<DataKey> {
    let damaged = |reason: String| Error::KeyFileDamaged { path: path.to_owned(), reason };
    let text = std::fs::read(path).map_err(Error::io(path))?;
    let file: KeyFileJson =
        serde_json::from_slice(&text).map_err(|e| damaged(format!("not a Parley key file ({e})")))?;
    if file.format != FORMAT
        || file.version != VERSION
        || file.aead != AEAD_NAME
        || file.kdf.algorithm != "argon2id"
    {
        return Err(damaged(format!(
            "unsupported format {:?} version {} ({}, {})",
            file.format, file.version, file.kdf.algorithm, file.aead
        )));
    }
    file.kdf.params.check_bounds().map_err(damaged)?;
    let salt = hex::decode(&file.kdf.salt).map_err(|_| damaged("salt is not hex".into()))?;
    let nonce: [u8; NONCE_LEN] = hex::decode(&file.nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or_else(|| damaged("nonce is not 12 hex bytes".into()))?;
    let mut wrapped =
        Zeroizing::new(hex::decode(&file.wrapped_key).map_err(|_| damaged("wrapped key is not hex".into()))?);

    let kek = file.kdf.params.derive_key(passphrase, &salt).map_err(|e| damaged(e.to_string()))?;
    let expected = check_value(&kek);
    if !constant_time_eq(expected.as_bytes(), file.check.as_bytes()) {
        return Err(Error::WrongPassphrase);
    }
    let aad = header_aad(&file)?;
    let opening =
        LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, kek.as_ref()).map_err(|_| aead_failed())?);
    let plain = opening
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut wrapped)
        .map_err(|_| damaged("the sealed data key or its header was altered".into()))?;
    let bytes: [u8; 32] = plain.try_into().map_err(|_| damaged("the data key is not 32 bytes".into()))?;
    Ok(DataKey::from_bytes(bytes))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Writes `bytes` to `path` so that a crash leaves either the old content or the new.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp: PathBuf = path.with_extension("tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp).map_err(Error::io(&tmp))?;
        f.write_all(bytes).map_err(Error::io(&tmp))?;
        f.sync_all().map_err(Error::io(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(Error::io(path))?;
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(Error::io(dir))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::KdfParams;

    #[test]
    fn insecure_kdf_is_refused_by_release_builds() {
        assert!(KdfParams::choose(Some("1"), false).is_err(), "a release build never seals cheaply");
        assert_eq!(KdfParams::choose(Some("1"), true).unwrap(), KdfParams::INSECURE_FOR_TESTS);
        assert_eq!(KdfParams::choose(None, false).unwrap(), KdfParams::DEFAULT);
        assert!(KdfParams::choose(Some("yes"), true).is_err(), "an unclear value is refused, not guessed");
    }
}
