//! eddsa-jcs-2022 against the specification's published vectors, and tampering.

use parley_protocol::jcs;
use parley_protocol::proof::{add_proof, verify_proof, ProofError, ProofOptions};
use parley_protocol::{Did, PublicKey, SecretKey, Timestamp};
use serde_json::{json, Value};

use crate::vector;

fn load(path: &str) -> Value {
    jcs::parse(&vector(path)).unwrap()
}

fn vector_keys() -> (SecretKey, PublicKey) {
    let pair = load("eddsa-jcs-2022/keyPair.json");
    let sk: SecretKey = pair["privateKeyMultibase"].as_str().unwrap().parse().unwrap();
    let pk: PublicKey = pair["publicKeyMultibase"].as_str().unwrap().parse().unwrap();
    assert_eq!(sk.to_public(), pk, "the vector's secret key matches its public key");
    (sk, pk)
}

#[test]
fn spec_signed_credential_verifies() {
    let (_, pk) = vector_keys();
    let signed = load("eddsa-jcs-2022/signedJCS.json");
    let ok = verify_proof(&signed, Some(&pk)).expect("the specification's signed vector verifies");
    assert!(ok.verification_method.starts_with("https://vc.example/issuers/5678#"));
    assert_eq!(ok.proof_purpose, "assertionMethod");
}

#[test]
fn signing_the_spec_vector_reproduces_its_proof_value() {
    let (sk, _) = vector_keys();
    let unsigned = load("eddsa-jcs-2022/unsigned.json");
    assert_eq!(
        jcs::canonicalize(&unsigned).as_bytes(),
        &vector("eddsa-jcs-2022/canonDocJCS.txt")[..],
        "canonical document matches the published canonDocJCS"
    );
    let config = load("eddsa-jcs-2022/proofConfigJCS.json");
    let options = ProofOptions {
        verification_method: config["verificationMethod"].as_str().unwrap().to_owned(),
        created: Some(config["created"].as_str().unwrap().parse::<Timestamp>().unwrap().get()),
        proof_purpose: "assertionMethod".into(),
        expires: None,
    };
    let signed = add_proof(&unsigned, &sk, &options).unwrap();
    let expected = load("eddsa-jcs-2022/signedJCS.json");
    assert_eq!(signed["proof"], expected["proof"], "Ed25519 is deterministic: same proof, byte for byte");
    assert_eq!(jcs::canonicalize(&signed), jcs::canonicalize(&expected));
}

#[test]
fn spec_vector_needs_its_key_and_rejects_other_keys() {
    let signed = load("eddsa-jcs-2022/signedJCS.json");
    assert!(matches!(verify_proof(&signed, None), Err(ProofError::UnresolvableMethod(_))));
    let other = SecretKey::generate().to_public();
    assert_eq!(verify_proof(&signed, Some(&other)), Err(ProofError::InvalidSignature));
}

#[test]
fn every_tampering_is_rejected() {
    let (_, pk) = vector_keys();
    let signed = load("eddsa-jcs-2022/signedJCS.json");
    let tamper = |f: &dyn Fn(&mut Value)| {
        let mut doc = signed.clone();
        f(&mut doc);
        verify_proof(&doc, Some(&pk))
    };
    assert_eq!(
        tamper(&|d| d["name"] = json!("Alumni Credentia1")),
        Err(ProofError::InvalidSignature),
        "body"
    );
    assert_eq!(
        tamper(&|d| d["credentialSubject"]["extra"] = json!(1)),
        Err(ProofError::InvalidSignature),
        "added member"
    );
    assert_eq!(
        tamper(&|d| d["proof"]["created"] = json!("2023-02-24T23:36:39Z")),
        Err(ProofError::InvalidSignature),
        "created"
    );
    assert_eq!(
        tamper(&|d| d["proof"]["proofPurpose"] = json!("authentication")),
        Err(ProofError::InvalidSignature),
        "purpose"
    );
    assert_eq!(
        tamper(&|d| d["proof"]["verificationMethod"] = json!("https://vc.example/issuers/5678#key-2")),
        Err(ProofError::InvalidSignature),
        "verification method"
    );
    let flipped = |d: &mut Value| {
        let v = d["proof"]["proofValue"].as_str().unwrap().to_owned();
        let last = if v.ends_with('4') { '5' } else { '4' };
        d["proof"]["proofValue"] = json!(format!("{}{last}", &v[..v.len() - 1]));
    };
    assert!(
        matches!(tamper(&flipped), Err(ProofError::InvalidSignature | ProofError::BadProofValue(_))),
        "proof value"
    );
    assert!(matches!(
        tamper(&|d| d["proof"]["proofValue"] = json!("uAAAA")),
        Err(ProofError::BadProofValue(_))
    ));
    assert!(matches!(
        tamper(&|d| d["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022")),
        Err(ProofError::WrongSuite { member: "cryptosuite", .. })
    ));
    assert!(matches!(
        tamper(&|d| d["proof"]["created"] = json!("yesterday")),
        Err(ProofError::BadDateTime { .. })
    ));
    assert_eq!(
        tamper(&|d| d["@context"] = json!(["https://www.w3.org/ns/credentials/v2"])),
        Err(ProofError::ContextMismatch),
        "document context must start with the proof's"
    );
    // §3.3.2 step 4: a document context that *starts with* the proof's verifies, because
    // the verifier replaces it with the proof's context before hashing.
    assert!(
        tamper(&|d| {
            d["@context"].as_array_mut().unwrap().push(json!("https://example.org/extra"));
        })
        .is_ok(),
        "the specification lets a document extend the signed @context"
    );
    assert!(matches!(
        tamper(&|d| d["proof"] = json!([d["proof"].clone()])),
        Err(ProofError::UnsupportedProof(_))
    ));
    assert_eq!(
        tamper(&|d| {
            d.as_object_mut().unwrap().remove("proof");
        }),
        Err(ProofError::MissingProof)
    );
}

#[test]
fn did_key_proofs_resolve_without_a_given_key() {
    let sk = SecretKey::generate();
    let did = Did::from_public_key(&sk.to_public());
    let doc = json!({"hello": "world", "n": [1, 2.5, -0.0]});
    let signed = add_proof(&doc, &sk, &ProofOptions::for_did(&did, Timestamp::now().get())).unwrap();
    assert!(signed["proof"].get("@context").is_none(), "no @context in, none in the proof");
    let ok = verify_proof(&signed, None).unwrap();
    assert_eq!(ok.verification_method, did.verification_method());
    // A different key given for a did:key method is a mismatch, not a silent override.
    let other = SecretKey::generate().to_public();
    assert!(matches!(verify_proof(&signed, Some(&other)), Err(ProofError::KeyMismatch(_))));
    // Re-signing a signed document is refused rather than producing a proof set.
    assert_eq!(
        add_proof(&signed, &sk, &ProofOptions::for_did(&did, Timestamp::now().get())),
        Err(ProofError::AlreadyProved)
    );
}
