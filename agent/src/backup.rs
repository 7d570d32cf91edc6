//! Encrypted backups: one file that restores the whole vault elsewhere.
//!
//! The file is `PARLEYBK` + a JSON header (format, Argon2id parameters and salt, chunk
//! size, nonce prefix) + the payload in 64 KiB chunks, each sealed with
//! ChaCha20-Poly1305 under a key derived from the passphrase. Chunk nonces carry a
//! counter and a last-chunk flag, and every chunk authenticates the header, so a
//! reordered, truncated, extended or edited file is refused (the STREAM construction).
//! The payload is the data key followed by a snapshot of the database that SQLCipher
//! wrote encrypted under that key: nothing is ever written to disk in plaintext.
//!
//! Import never leaves a half-written vault: the new files are written beside the old
//! under `.import` names and renamed into place; [`finish_interrupted_import`], run by
//! `Vault::open`, completes or discards an import a crash cut short.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::vault::keyfile::{self, random, DataKey};
use crate::vault::{remove_database_files, KdfParams, Passphrase, Vault, DB_FILE, KEY_FILE};

const MAGIC: &[u8; 8] = b"PARLEYBK";
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
const MAX_HEADER: u32 = 4096;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Header {
    format: String,
    version: u32,
    kdf: KdfParams,
    salt: String,
    chunk_size: usize,
    nonce_prefix: String,
}

/// Reports progress: bytes done and bytes in all.
pub type Progress<'a> = &'a mut (dyn FnMut(u64, u64) + Send);

fn nonce(prefix: &[u8; 7], counter: u32, last: bool) -> Nonce {
    let mut n = [0u8; 12];
    n[..7].copy_from_slice(prefix);
    n[7..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = last as u8;
    Nonce::assume_unique_for_key(n)
}

fn cipher(key: &[u8; 32]) -> Result<LessSafeKey> {
    Ok(LessSafeKey::new(
        UnboundKey::new(&CHACHA20_POLY1305, key)
            .map_err(|_| Error::invalid("backup", "cipher setup failed"))?,
    ))
}

impl Vault {
    /// Writes an encrypted backup of the whole vault to `path`, sealed with `passphrase`.
    pub async fn export(
        &self,
        path: &Path,
        passphrase: &Passphrase,
        kdf: KdfParams,
        progress: Progress<'_>,
    ) -> Result<()> {
        let snapshot = self.dir().join("vault.db.snapshot");
        remove_database_files(&snapshot)?;
        // ATTACH cannot create files on a connection opened without SQLITE_OPEN_CREATE;
        // an empty file is an empty database to it.
        std::fs::File::create(&snapshot).map_err(Error::io(&snapshot))?;
        crate::vault::restrict_to_owner(&snapshot)?;
        // SQLCipher writes the copy encrypted under the same data key, bound as a
        // parameter so that no statement text holds it.
        let key = self.data_key().raw_key_literal();
        let mut conn = self.pool().acquire().await?;
        sqlx::query("ATTACH DATABASE ? AS snapshot KEY ?")
            .bind(snapshot.to_string_lossy().as_ref())
            .bind(key.as_str())
            .persistent(false)
            .execute(&mut *conn)
            .await?;
        let exported = sqlx::query("SELECT sqlcipher_export('snapshot')").execute(&mut *conn).await;
        sqlx::query("DETACH DATABASE snapshot").execute(&mut *conn).await?;
        drop(conn);
        exported.map_err(|e| self.classify(e))?;

        let result = write_backup(path, self.data_key(), &snapshot, passphrase, kdf, progress);
        remove_database_files(&snapshot)?;
        result
    }
}

fn write_backup(
    path: &Path,
    key: &DataKey,
    snapshot: &Path,
    passphrase: &Passphrase,
    kdf: KdfParams,
    progress: Progress<'_>,
) -> Result<()> {
    let salt = random::<16>()?;
    let prefix = random::<7>()?;
    let header = Header {
        format: "parley-backup".into(),
        version: 1,
        kdf,
        salt: hex::encode(salt.as_ref()),
        chunk_size: CHUNK,
        nonce_prefix: hex::encode(prefix.as_ref()),
    };
    let header_bytes = serde_json::to_vec(&header).map_err(|e| Error::invalid("backup", e.to_string()))?;
    let sealing = cipher(&*kdf.derive_key(passphrase, salt.as_ref())?)?;

    let db = std::fs::File::open(snapshot).map_err(Error::io(snapshot))?;
    let total = 32 + db.metadata().map_err(Error::io(snapshot))?.len();
    let mut payload = std::io::Cursor::new(key.bytes().to_vec()).chain(std::io::BufReader::new(db));

    let tmp = path.with_extension("partial");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(Error::io(&tmp))?);
    out.write_all(MAGIC).map_err(Error::io(&tmp))?;
    out.write_all(&(header_bytes.len() as u32).to_be_bytes()).map_err(Error::io(&tmp))?;
    out.write_all(&header_bytes).map_err(Error::io(&tmp))?;

    let (mut done, mut counter) = (0u64, 0u32);
    let mut chunk = Zeroizing::new(vec![0u8; CHUNK]);
    let mut next = Zeroizing::new(vec![0u8; CHUNK]);
    let mut len = read_full(&mut payload, &mut chunk).map_err(Error::io(snapshot))?;
    loop {
        let next_len = read_full(&mut payload, &mut next).map_err(Error::io(snapshot))?;
        let last = next_len == 0;
        let mut sealed = chunk[..len].to_vec();
        sealing
            .seal_in_place_append_tag(nonce(&prefix, counter, last), Aad::from(&header_bytes), &mut sealed)
            .map_err(|_| Error::invalid("backup", "sealing failed"))?;
        out.write_all(&sealed).map_err(Error::io(&tmp))?;
        done += len as u64;
        progress(done, total);
        if last {
            break;
        }
        counter = counter.checked_add(1).ok_or_else(|| Error::invalid("backup", "vault too large"))?;
        std::mem::swap(&mut chunk, &mut next);
        len = next_len;
    }
    let file = out.into_inner().map_err(|e| Error::io(&tmp)(e.into_error()))?;
    file.sync_all().map_err(Error::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(Error::io(path))?;
    crate::vault::restrict_to_owner(path)
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Restores the backup at `file` as the vault in `dir`, sealed with the backup's
/// passphrase. Refuses to replace an existing vault unless `force`.
pub async fn import(
    dir: &Path,
    file: &Path,
    passphrase: &Passphrase,
    force: bool,
    progress: Progress<'_>,
) -> Result<Vault> {
    if dir.join(KEY_FILE).exists() && !force {
        return Err(Error::VaultExists(dir.to_owned()));
    }
    crate::vault::create_private_dir(dir)?;
    let staged_db = dir.join(format!("{DB_FILE}.import"));
    let staged_key = dir.join(format!("{KEY_FILE}.import"));
    let bad = |reason: &str| Error::Backup { path: file.to_owned(), reason: reason.to_owned() };

    let key = match decrypt_backup(file, passphrase, &staged_db, progress) {
        Ok(k) => k,
        Err(e) => {
            let _ = std::fs::remove_file(&staged_db);
            return Err(e);
        }
    };
    // Check the snapshot opens and reads before it replaces anything.
    let probe_dir = staged_db.with_extension("probe");
    let _ = std::fs::remove_dir_all(&probe_dir);
    std::fs::create_dir_all(&probe_dir).map_err(Error::io(&probe_dir))?;
    std::fs::rename(&staged_db, probe_dir.join(DB_FILE)).map_err(Error::io(&staged_db))?;
    let probe = Vault::connect(&probe_dir, DataKey::from_bytes(*key.bytes()), false).await;
    let checked = match probe {
        Ok(v) => {
            let r = v.check_pages().await;
            v.close().await;
            r
        }
        Err(e) => Err(e),
    };
    std::fs::rename(probe_dir.join(DB_FILE), &staged_db).map_err(Error::io(&staged_db))?;
    let _ = std::fs::remove_dir_all(&probe_dir);
    if checked.is_err() {
        let _ = std::fs::remove_file(&staged_db);
        return Err(bad("the database inside does not open"));
    }

    let kdf = KdfParams::from_backup(file)?;
    keyfile::write(&staged_key, &key, passphrase, kdf)?;
    // Point of no return: from here `finish_interrupted_import` rolls forward.
    remove_database_files(&dir.join(DB_FILE))?;
    std::fs::rename(&staged_db, dir.join(DB_FILE)).map_err(Error::io(dir))?;
    std::fs::rename(&staged_key, dir.join(KEY_FILE)).map_err(Error::io(dir))?;
    let vault = Vault::open(dir, passphrase).await?;
    let logged = crate::audit::append(
        vault.pool(),
        crate::audit::Entry::new("vault.imported", "Vault restored from a backup"),
    )
    .await;
    vault.close_on_error(logged).await
}

fn decrypt_backup(
    file: &Path,
    passphrase: &Passphrase,
    out_path: &Path,
    progress: Progress<'_>,
) -> Result<DataKey> {
    let bad = |reason: &str| Error::Backup { path: file.to_owned(), reason: reason.to_owned() };
    let f = std::fs::File::open(file).map_err(Error::io(file))?;
    let total = f.metadata().map_err(Error::io(file))?.len();
    let mut input = std::io::BufReader::new(f);
    let (header, header_bytes) = read_header(&mut input).map_err(|r| bad(&r))?;
    let salt = hex::decode(&header.salt).map_err(|_| bad("damaged header"))?;
    let prefix: [u8; 7] = hex::decode(&header.nonce_prefix)
        .ok()
        .and_then(|p| p.try_into().ok())
        .ok_or_else(|| bad("damaged header"))?;
    if header.chunk_size != CHUNK {
        return Err(bad("unsupported chunk size"));
    }
    header.kdf.check_bounds().map_err(|reason| bad(&reason))?;
    let opening = cipher(&*header.kdf.derive_key(passphrase, &salt)?)?;

    let mut out = std::io::BufWriter::new(std::fs::File::create(out_path).map_err(Error::io(out_path))?);
    crate::vault::restrict_to_owner(out_path)?;
    let mut key_bytes = Zeroizing::new(Vec::with_capacity(32));
    let (mut counter, mut done) = (0u32, 0u64);
    let mut chunk = vec![0u8; CHUNK + TAG];
    let mut next = vec![0u8; CHUNK + TAG];
    let mut len = read_full(&mut input, &mut chunk).map_err(Error::io(file))?;
    loop {
        let next_len = read_full(&mut input, &mut next).map_err(Error::io(file))?;
        let last = next_len == 0;
        if len < TAG {
            return Err(bad("the file is truncated"));
        }
        let plain = opening
            .open_in_place(nonce(&prefix, counter, last), Aad::from(&header_bytes), &mut chunk[..len])
            .map_err(|_| {
                if counter == 0 {
                    bad("wrong passphrase, or the file is damaged")
                } else {
                    bad("the file is damaged, truncated or was altered")
                }
            })?;
        let mut body: &[u8] = plain;
        if key_bytes.len() < 32 {
            let take = (32 - key_bytes.len()).min(body.len());
            key_bytes.extend_from_slice(&body[..take]);
            body = &body[take..];
        }
        out.write_all(body).map_err(Error::io(out_path))?;
        done += len as u64;
        progress(done, total);
        if last {
            break;
        }
        counter = counter.checked_add(1).ok_or_else(|| bad("too many chunks"))?;
        std::mem::swap(&mut chunk, &mut next);
        len = next_len;
    }
    let f = out.into_inner().map_err(|e| Error::io(out_path)(e.into_error()))?;
    f.sync_all().map_err(Error::io(out_path))?;
    let key: [u8; 32] = key_bytes.as_slice().try_into().map_err(|_| bad("the file is truncated"))?;
    Ok(DataKey::from_bytes(key))
}

fn read_header(input: &mut impl Read) -> std::result::Result<(Header, Vec<u8>), String> {
    let mut magic = [0u8; 8];
    input.read_exact(&mut magic).map_err(|_| "not a Parley backup (too short)".to_string())?;
    if &magic != MAGIC {
        return Err("not a Parley backup".into());
    }
    let mut len = [0u8; 4];
    input.read_exact(&mut len).map_err(|_| "the file is truncated".to_string())?;
    let len = u32::from_be_bytes(len);
    if len > MAX_HEADER {
        return Err("damaged header".into());
    }
    let mut bytes = vec![0u8; len as usize];
    input.read_exact(&mut bytes).map_err(|_| "the file is truncated".to_string())?;
    let header: Header = serde_json::from_slice(&bytes).map_err(|_| "damaged header".to_string())?;
    if header.format != "parley-backup" || header.version != 1 {
        return Err(format!("unsupported backup format {:?} version {}", header.format, header.version));
    }
    Ok((header, bytes))
}

impl KdfParams {
    /// The KDF parameters a backup was sealed with, reused for the restored key file so
    /// a restore costs the same to attack as the original.
    fn from_backup(file: &Path) -> Result<Self> {
        let f = std::fs::File::open(file).map_err(Error::io(file))?;
        read_header(&mut std::io::BufReader::new(f))
            .map(|(h, _)| h.kdf)
            .map_err(|reason| Error::Backup { path: file.to_owned(), reason })
    }
}

/// Completes an import that a crash interrupted after its point of no return, or
/// discards one interrupted before it.
pub(crate) fn finish_interrupted_import(dir: &Path) -> Result<()> {
    let staged_db: PathBuf = dir.join(format!("{DB_FILE}.import"));
    let staged_key: PathBuf = dir.join(format!("{KEY_FILE}.import"));
    match (staged_db.exists(), staged_key.exists()) {
        // The database was moved into place; the key file must follow it.
        (false, true) => std::fs::rename(&staged_key, dir.join(KEY_FILE)).map_err(Error::io(dir)),
        // Cut short before anything was replaced: the old vault stands.
        (true, _) => {
            let _ = std::fs::remove_file(&staged_key);
            std::fs::remove_file(&staged_db).map_err(Error::io(&staged_db))
        }
        (false, false) => Ok(()),
    }
}
