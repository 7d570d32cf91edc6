//! Encrypted backups.

use parley_agent::records::products::ProductFields;
use parley_agent::{backup, Error, KdfParams, Vault};

use crate::{contains, new_vault, pass};

const MARKER: &str = "BACKUP-MARKER-41c0";

async fn filled() -> (tempfile::TempDir, Vault, String) {
    let (dir, vault) = new_vault().await;
    let p = vault
        .products()
        .add(ProductFields { name: Some(MARKER.into()), ..Default::default() })
        .await
        .unwrap();
    let big: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
    vault.products().attach(&p.id, "manual.pdf", "application/pdf", &big).await.unwrap();
    (dir, vault, p.id.to_string())
}

#[tokio::test]
async fn export_then_import_restores_everything() {
    let (_dir, vault, id) = filled().await;
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("vault.parley-backup");
    let mut calls = Vec::new();
    vault
        .export(&file, &pass("correct horse"), KdfParams::INSECURE_FOR_TESTS, &mut |d, t| calls.push((d, t)))
        .await
        .unwrap();
    assert!(calls.len() > 10, "progress is reported per chunk");
    assert_eq!(calls.last().map(|(d, t)| d == t), Some(true), "progress ends at 100%");
    let bytes = std::fs::read(&file).unwrap();
    assert!(!contains(&bytes, MARKER.as_bytes()), "the backup holds no plaintext");

    let target = tempfile::tempdir().unwrap();
    let restored =
        backup::import(target.path(), &file, &pass("correct horse"), false, &mut |_, _| {}).await.unwrap();
    assert_eq!(restored.products().get(&id).await.unwrap().name, MARKER);
    let attachments = restored.products().attachments(&id).await.unwrap();
    let (_, content) = restored.products().attachment_content(&attachments[0].id).await.unwrap();
    assert_eq!(content.len(), 1_200_000);
    assert!(restored.verify_audit_log().await.unwrap().is_intact());
    assert_eq!(
        restored.identity().await.unwrap().pairwise_did(&parley_protocol::Did::from_public_key(
            &parley_protocol::SecretKey::from_seed(&[7; 32]).to_public()
        )),
        vault.identity().await.unwrap().pairwise_did(&parley_protocol::Did::from_public_key(
            &parley_protocol::SecretKey::from_seed(&[7; 32]).to_public()
        )),
        "the restored vault speaks as the same person"
    );
}

#[tokio::test]
async fn import_refuses_overwrite_without_force_and_bad_files() {
    let (dir, vault, _) = filled().await;
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("b");
    vault.export(&file, &pass("correct horse"), KdfParams::INSECURE_FOR_TESTS, &mut |_, _| {}).await.unwrap();
    vault.close().await;

    let refused = backup::import(dir.path(), &file, &pass("correct horse"), false, &mut |_, _| {}).await;
    assert!(matches!(refused, Err(Error::VaultExists(_))));

    let target = tempfile::tempdir().unwrap();
    let wrong = backup::import(target.path(), &file, &pass("nope"), false, &mut |_, _| {}).await.unwrap_err();
    assert!(wrong.to_string().contains("wrong passphrase"), "{wrong}");

    let original = std::fs::read(&file).unwrap();
    for (what, damaged) in [
        ("bit flip", {
            let mut b = original.clone();
            let i = b.len() / 2;
            b[i] ^= 1;
            b
        }),
        ("truncated", original[..original.len() - 70_000].to_vec()),
        ("cut at a chunk edge", original[..original.len() - (original.len() - 200) % (65_536 + 16)].to_vec()),
        ("not a backup", b"hello".to_vec()),
    ] {
        std::fs::write(&file, &damaged).unwrap();
        let err = backup::import(target.path(), &file, &pass("correct horse"), false, &mut |_, _| {})
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Backup { .. }), "{what}: {err}");
        assert!(!target.path().join("vault.key").exists(), "{what}: nothing half-written is left as a vault");
    }

    // With --force the existing vault is replaced, and opens with the backup's passphrase.
    std::fs::write(&file, &original).unwrap();
    let replaced =
        backup::import(dir.path(), &file, &pass("correct horse"), true, &mut |_, _| {}).await.unwrap();
    assert_eq!(replaced.products().count().await.unwrap(), 1);
}

/// A backup whose header asks for `memory_kib` and `iterations`: the real backup's file
/// with only its header rewritten (the length prefix adjusted).
fn with_kdf(file: &std::path::Path, memory_kib: u64, iterations: u64) -> Vec<u8> {
    let bytes = std::fs::read(file).unwrap();
    let len = u32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[12..12 + len]).unwrap();
    header["kdf"]["memoryKib"] = memory_kib.into();
    header["kdf"]["iterations"] = iterations.into();
    let header = serde_json::to_vec(&header).unwrap();
    let mut out = bytes[..8].to_vec();
    out.extend_from_slice(&(header.len() as u32).to_be_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&bytes[12 + len..]);
    out
}

#[tokio::test]
async fn crafted_backup_header_cannot_exhaust_memory_or_time() {
    let (_dir, vault, _) = filled().await;
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("b.pbk");
    vault.export(&file, &pass("p"), KdfParams::INSECURE_FOR_TESTS, &mut |_, _| {}).await.unwrap();
    // Today's parameters would abort on a 4 TB allocation, or hash for hours.
    for (memory, iterations) in [(4_000_000_000u64, 1u64), (64, u32::MAX as u64)] {
        let crafted = out.path().join("crafted.pbk");
        std::fs::write(&crafted, with_kdf(&file, memory, iterations)).unwrap();
        let target = tempfile::tempdir().unwrap();
        let err =
            backup::import(target.path(), &crafted, &pass("p"), false, &mut |_, _| {}).await.unwrap_err();
        assert!(matches!(err, Error::Backup { .. }), "{err:?}");
        let said = err.to_string();
        assert!(said.contains("crafted.pbk") && said.contains("KDF parameters out of range"), "{said}");
        assert!(!target.path().join("vault.key").exists(), "nothing was restored");
    }
}
