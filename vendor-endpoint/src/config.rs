//! The vendor's identity and configuration, in its data folder:
//! `vendor.json` (name, DID, the agreements it accepts, its terms link) and `vendor.key`
//! (its Ed25519 signing key, owner-readable only).

use std::path::{Path, PathBuf};

use parley_protocol::{AgreementId, Did, SecretKey};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const CONFIG_FILE: &str = "vendor.json";
const KEY_FILE: &str = "vendor.key";

/// The roster's baseline agreements, which a new vendor accepts until its operator
/// changes that (DESIGN, "Consent, on the person's terms").
pub const BASELINE_AGREEMENTS: [AgreementId; 2] = [AgreementId::SdBase, AgreementId::SdBaseDp];

/// What the operator chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VendorConfig {
    /// The vendor's name, shown to people.
    pub name: String,
    /// The vendor's DID (its key's `did:key`).
    pub did: Did,
    /// Roster agreements accepted as proffered, in order of preference: the first that
    /// fits a purpose is the alternative offered when another is proffered.
    pub agreements: Vec<AgreementId>,
    /// A link to the vendor's own human-readable terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
}

/// A vendor's data folder, loaded.
pub struct Vendor {
    /// Its configuration.
    pub config: VendorConfig,
    /// Its signing key.
    pub key: SecretKey,
    /// Its data folder.
    pub dir: PathBuf,
}

impl std::fmt::Debug for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vendor").field("config", &self.config).field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl Vendor {
    /// Creates a vendor in `dir` with a new key. Refuses to overwrite an existing one.
    pub fn init(dir: &Path, name: &str, agreements: Vec<AgreementId>) -> Result<Self> {
        if dir.join(CONFIG_FILE).exists() || dir.join(KEY_FILE).exists() {
            return Err(Error::Config(format!(
                "{} already holds a vendor: it was not changed",
                dir.display()
            )));
        }
        if name.trim().is_empty() || name.chars().count() > parley_protocol::MAX_SHORT {
            return Err(Error::Config("name: give a name of 1 to 200 characters".into()));
        }
        if agreements.is_empty() {
            return Err(Error::Config("agreements: accept at least one agreement".into()));
        }
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        owner_only_dir(dir)?;
        let key = SecretKey::generate();
        let config = VendorConfig {
            name: name.trim().to_owned(),
            did: Did::from_public_key(&key.to_public()),
            agreements,
            terms: None,
        };
        write_private(&dir.join(KEY_FILE), key.to_multibase().as_bytes())?;
        let text = serde_json::to_string_pretty(&config).map_err(|e| Error::Config(e.to_string()))?;
        write_private(&dir.join(CONFIG_FILE), text.as_bytes())?;
        Ok(Self { config, key, dir: dir.to_owned() })
    }

    /// Loads the vendor in `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let config_path = dir.join(CONFIG_FILE);
        if !config_path.exists() {
            return Err(Error::Config(format!(
                "no vendor in {} (create one with `parley-vendor init --data {} --name NAME`)",
                dir.display(),
                dir.display()
            )));
        }
        // Folders made by older versions were readable by everyone on the machine.
        owner_only_dir(dir)?;
        let text = std::fs::read(&config_path).map_err(|e| io(&config_path, e))?;
        let config: VendorConfig = serde_json::from_slice(&text)
            .map_err(|e| Error::Config(format!("{}: {e}", config_path.display())))?;
        let key_path = dir.join(KEY_FILE);
        let key_text =
            zeroize::Zeroizing::new(std::fs::read_to_string(&key_path).map_err(|e| io(&key_path, e))?);
        let key: SecretKey =
            key_text.trim().parse().map_err(|e| Error::Config(format!("{}: {e}", key_path.display())))?;
        if Did::from_public_key(&key.to_public()) != config.did {
            return Err(Error::Config(format!(
                "{} does not hold the key of {}",
                key_path.display(),
                config.did
            )));
        }
        Ok(Self { config, key, dir: dir.to_owned() })
    }

    /// The default database: SQLite in the data folder.
    pub fn default_database_url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.dir.join("vendor.db").display())
    }
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Config(format!("{}: {e}", path.display()))
}

/// The data folder holds the signing key and every person's messages: owner only (0700).
fn owner_only_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| io(dir, e))?;
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).map_err(|e| io(path, e))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| io(path, e))
}
