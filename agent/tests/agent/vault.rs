//! The vault's encryption on disk, its key file, and its refusals.

use parley_agent::records::products::ProductFields;
use parley_agent::{Error, KdfParams, Vault};

use crate::{all_bytes, contains, new_vault, pass};

const MARKER: &str = "MARKER-7f3a9c-plaintext-must-not-appear";

async fn store_marker(vault: &Vault) {
    let fields = ProductFields {
        name: Some(MARKER.into()),
        notes: Some(format!("{MARKER} notes")),
        ..Default::default()
    };
    vault.products().add(fields).await.unwrap();
    vault
        .products()
        .attach(
            &vault.products().list(Default::default()).await.unwrap()[0].id,
            "r.txt",
            "text/plain",
            MARKER.as_bytes(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn no_plaintext_anywhere_in_the_vault_folder_while_open_and_after_close() {
    let (dir, vault) = new_vault().await;
    store_marker(&vault).await;
    // While open, the WAL holds the newest pages: it must be encrypted too.
    let open_bytes = all_bytes(dir.path());
    assert!(!contains(&open_bytes, MARKER.as_bytes()), "marker found in the vault folder while open");
    assert!(!contains(&open_bytes, b"SQLite format 3"), "no file may carry the plain SQLite header");
    vault.close().await;
    let closed = all_bytes(dir.path());
    assert!(!contains(&closed, MARKER.as_bytes()), "marker found after close");
    let db = std::fs::read(dir.path().join("vault.db")).unwrap();
    assert_ne!(&db[..16], b"SQLite format 3\0", "the database starts with random bytes, not the header");
}

#[tokio::test]
async fn reopens_with_the_passphrase_and_refuses_a_wrong_one() {
    let (dir, vault) = new_vault().await;
    store_marker(&vault).await;
    vault.close().await;
    let again = Vault::open(dir.path(), &pass("correct horse")).await.unwrap();
    assert_eq!(again.products().count().await.unwrap(), 1);
    again.close().await;
    let err = Vault::open(dir.path(), &pass("wrong horse")).await.unwrap_err();
    assert!(matches!(err, Error::WrongPassphrase), "{err}");
    assert_eq!(err.to_string(), "wrong passphrase");
}

#[tokio::test]
async fn refuses_a_missing_vault_and_creating_over_one() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(Vault::open(dir.path(), &pass("x")).await, Err(Error::NoVault(_))));
    let v = Vault::create(dir.path(), &pass("x"), KdfParams::INSECURE_FOR_TESTS).await.unwrap();
    v.close().await;
    assert!(matches!(
        Vault::create(dir.path(), &pass("y"), KdfParams::INSECURE_FOR_TESTS).await,
        Err(Error::VaultExists(_))
    ));
}

#[tokio::test]
async fn tampered_key_file_is_named_as_such() {
    let (dir, vault) = new_vault().await;
    vault.close().await;
    let key_path = dir.path().join("vault.key");
    let original = std::fs::read_to_string(&key_path).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&original).unwrap();

    // A flipped bit in the sealed key: the passphrase is right, the seal is broken.
    let wrapped = file["wrappedKey"].as_str().unwrap().to_owned();
    let flipped = format!("{}{}", if wrapped.starts_with('0') { '1' } else { '0' }, &wrapped[1..]);
    file["wrappedKey"] = flipped.into();
    std::fs::write(&key_path, file.to_string()).unwrap();
    let err = Vault::open(dir.path(), &pass("correct horse")).await.unwrap_err();
    assert!(matches!(err, Error::KeyFileDamaged { .. }), "{err}");
    assert!(err.to_string().contains("altered"), "{err}");

    std::fs::write(&key_path, "not json").unwrap();
    let err = Vault::open(dir.path(), &pass("correct horse")).await.unwrap_err();
    assert!(matches!(err, Error::KeyFileDamaged { .. }), "{err}");

    file["kdf"]["memoryKib"] = 999_999_999.into();
    std::fs::write(&key_path, file.to_string()).unwrap();
    let err = Vault::open(dir.path(), &pass("correct horse")).await.unwrap_err();
    assert!(err.to_string().contains("out of range"), "absurd KDF costs are refused before use: {err}");

    std::fs::write(&key_path, original).unwrap();
    Vault::open(dir.path(), &pass("correct horse"))
        .await
        .expect("the restored key file opens again")
        .close()
        .await;
}

#[tokio::test]
async fn corrupted_and_truncated_databases_are_named_as_such() {
    for damage in ["truncate", "scribble"] {
        let (dir, vault) = new_vault().await;
        for i in 0..200 {
            vault
                .products()
                .add(ProductFields { name: Some(format!("product {i}")), ..Default::default() })
                .await
                .unwrap();
        }
        vault.close().await;
        let db = dir.path().join("vault.db");
        let mut bytes = std::fs::read(&db).unwrap();
        match damage {
            "truncate" => bytes.truncate(bytes.len() / 2),
            // Over several pages: a page on the free list is never read, and only
            // scribbling there would change nothing the vault holds.
            _ => {
                for k in 1..8 {
                    let at = bytes.len() * k / 8;
                    bytes[at..at + 64].fill(0xAA);
                }
            }
        }
        std::fs::write(&db, bytes).unwrap();
        let err = Vault::open(dir.path(), &pass("correct horse")).await.unwrap_err();
        assert!(matches!(err, Error::DatabaseCorrupt { .. }), "{damage}: {err}");
    }
}

#[tokio::test]
async fn passphrase_change_rewraps_without_reencrypting() {
    let (dir, vault) = new_vault().await;
    store_marker(&vault).await;
    let db_before = std::fs::read(dir.path().join("vault.db")).unwrap();
    vault
        .change_passphrase(&pass("correct horse"), &pass("battery staple"), KdfParams::INSECURE_FOR_TESTS)
        .await
        .unwrap();
    assert!(matches!(
        vault.change_passphrase(&pass("wrong"), &pass("z"), KdfParams::INSECURE_FOR_TESTS).await,
        Err(Error::WrongPassphrase)
    ));
    vault.close().await;
    assert!(matches!(Vault::open(dir.path(), &pass("correct horse")).await, Err(Error::WrongPassphrase)));
    let v = Vault::open(dir.path(), &pass("battery staple")).await.unwrap();
    assert_eq!(v.products().count().await.unwrap(), 1);
    assert!(v.verify_audit_log().await.unwrap().is_intact());
    assert!(v.audit_log(None).await.unwrap().iter().any(|e| e.action == "vault.passphrase"));
    v.close().await;
    // The database file's first page (salt and encrypted header) did not change.
    let db_after = std::fs::read(dir.path().join("vault.db")).unwrap();
    assert_eq!(&db_before[..16], &db_after[..16]);
    assert!(!dir.path().join("vault.tmp").exists(), "no temporary key file left behind");
}

#[test]
fn default_kdf_stays_strong() {
    assert!(KdfParams::DEFAULT.memory_kib >= 64 * 1024, "at least 64 MiB");
    assert!(KdfParams::DEFAULT.iterations >= 3);
}
