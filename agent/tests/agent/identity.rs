//! Pairwise identities.

use parley_protocol::{Did, SecretKey};

use crate::new_vault;

fn vendor_did() -> Did {
    Did::from_public_key(&SecretKey::generate().to_public())
}

#[tokio::test]
async fn one_stable_did_per_vendor_and_unrelated_dids_across_vendors() {
    let (dir, vault) = new_vault().await;
    let (a, b) = (vendor_did(), vendor_did());
    let id = vault.identity().await.unwrap();
    let (with_a, with_b) = (id.pairwise_did(&a), id.pairwise_did(&b));
    assert_eq!(with_a, id.pairwise_did(&a), "same vendor, same DID");
    assert_ne!(with_a, with_b, "two vendors, two DIDs");
    // Nothing shared: not the key bytes, not a common prefix beyond the did:key header.
    let (ka, kb) = (with_a.public_key().to_bytes(), with_b.public_key().to_bytes());
    assert!(ka.iter().zip(kb.iter()).filter(|(x, y)| x == y).count() < 8, "keys look unrelated");
    vault.close().await;

    // Deterministic across reopenings.
    let again = parley_agent::Vault::open(dir.path(), &crate::pass("correct horse")).await.unwrap();
    assert_eq!(again.identity().await.unwrap().pairwise_did(&a), with_a);

    // Another person's vault gets another DID with the same vendor.
    let (_d2, other) = new_vault().await;
    assert_ne!(other.identity().await.unwrap().pairwise_did(&a), with_a);
}

#[tokio::test]
async fn pairwise_keys_sign_verifiable_messages() {
    let (_dir, vault) = new_vault().await;
    let vendor = vendor_did();
    let key = vault.identity().await.unwrap().pairwise_key(&vendor);
    let sig = key.sign(b"hello");
    assert!(key.to_public().verify(b"hello", &sig));
}
