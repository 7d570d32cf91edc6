//! The person's identity: one master secret, created with the vault, from which a
//! separate Ed25519 key is derived for each vendor (HKDF-SHA256, salted with the
//! vendor's DID). Two vendors comparing notes find two unrelated `did:key`s.

use parley_protocol::{Did, SecretKey};
use ring::hkdf;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::vault::keyfile::random;
use crate::vault::Vault;

const INFO: &[u8] = b"parley pairwise ed25519 v1";

/// The master secret, held only while needed.
pub struct Identity {
    master: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Identity(redacted)")
    }
}

impl Identity {
    /// The signing key this person uses with the vendor whose DID is `vendor`.
    pub fn pairwise_key(&self, vendor: &Did) -> SecretKey {
        struct Len32;
        impl hkdf::KeyType for Len32 {
            fn len(&self) -> usize {
                32
            }
        }
        let prk =
            hkdf::Salt::new(hkdf::HKDF_SHA256, vendor.as_str().as_bytes()).extract(self.master.as_ref());
        let mut seed = Zeroizing::new([0u8; 32]);
        // HKDF-Expand to 32 bytes cannot fail: the length is far below 255 × 32.
        if let Ok(okm) = prk.expand(&[INFO], Len32) {
            let _ = okm.fill(seed.as_mut());
        }
        SecretKey::from_seed(&seed)
    }

    /// The person's DID with the vendor whose DID is `vendor`.
    pub fn pairwise_did(&self, vendor: &Did) -> Did {
        Did::from_public_key(&self.pairwise_key(vendor).to_public())
    }
}

pub(crate) async fn create(pool: &sqlx::SqlitePool) -> Result<()> {
    let master = random::<32>()?;
    sqlx::query("INSERT INTO identity (id, master_secret, created) VALUES (1, ?, ?)")
        .bind(&master[..])
        .bind(crate::records::now())
        .execute(pool)
        .await?;
    Ok(())
}

impl Vault {
    /// The person's identity.
    pub async fn identity(&self) -> Result<Identity> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT master_secret FROM identity WHERE id = 1")
            .fetch_optional(self.pool())
            .await
            .map_err(|e| self.classify(e))?;
        let bytes = Zeroizing::new(row.map(|r| r.0).unwrap_or_default());
        let master: [u8; 32] = bytes.as_slice().try_into().map_err(|_| Error::DatabaseCorrupt {
            path: self.dir().into(),
            reason: "identity is missing".into(),
        })?;
        Ok(Identity { master: Zeroizing::new(master) })
    }

    /// The person's own DID with a vendor (id, prefix or name), once the vendor's key is
    /// known.
    pub async fn my_did_with(&self, vendor: &str) -> Result<Option<Did>> {
        let v = self.vendors().get(vendor).await?;
        let mut conn = self.pool().acquire().await?;
        let salt = crate::records::vendors::pairwise_salt(&mut conn, &v.id).await?;
        drop(conn);
        let identity = self.identity().await?;
        Ok(salt.map(|salt| identity.pairwise_did(&salt)))
    }
}
