//! `parley proto`: canon, keygen, did, sign, verify, and their exit codes.

use serde_json::Value;

use crate::{parley, stderr, stdout};

const VECTOR_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../protocol/tests/vectors");

fn keygen() -> Value {
    let out = parley(&["proto", "keygen"], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn canon_prints_exact_bytes_without_newline_from_file_or_stdin() {
    let out = parley(&["proto", "canon"], br#"{ "b": [1E3, "\u00e9"], "a": null }"#);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "{\"a\":null,\"b\":[1000,\"\u{e9}\"]}");
    let file = format!("{VECTOR_DIR}/jcs/values.input.json");
    let out = parley(&["proto", "canon", &file], b"");
    let expected = std::fs::read(format!("{VECTOR_DIR}/jcs/values.output.json")).unwrap();
    assert_eq!(out.stdout, expected);
}

#[test]
fn canon_refuses_duplicate_keys_with_exit_2_and_one_line() {
    let out = parley(&["proto", "canon"], br#"{"a":1,"a":2}"#);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("duplicate member name \"a\""), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line, no backtrace: {err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn keygen_and_did_agree() {
    let k = keygen();
    let public = k["publicKeyMultibase"].as_str().unwrap();
    assert!(public.starts_with("z6Mk"));
    assert!(k["secretKeyMultibase"].as_str().unwrap().starts_with("z3u2"));
    let out = parley(&["proto", "did", public], b"");
    assert!(out.status.success());
    assert_eq!(stdout(&out).trim_end(), k["did"].as_str().unwrap());
    let out = parley(&["proto", "did", "z6MkNOTBASE58l0"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("base58"), "{}", stderr(&out));
}

#[test]
fn sign_then_verify_with_did_key() {
    let k = keygen();
    let secret = k["secretKeyMultibase"].as_str().unwrap();
    let out = parley(
        &["proto", "sign", "--secret-key", secret, "--created", "2026-11-22T10:00:00Z"],
        br#"{"hello":"vendor","score":9}"#,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let signed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let proof = &signed["proof"];
    assert_eq!(proof["type"], "DataIntegrityProof");
    assert_eq!(proof["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(proof["proofPurpose"], "assertionMethod");
    assert_eq!(proof["created"], "2026-11-22T10:00:00Z");
    let method = format!("{}#{}", k["did"].as_str().unwrap(), k["publicKeyMultibase"].as_str().unwrap());
    assert_eq!(proof["verificationMethod"], method.as_str());

    let out = parley(&["proto", "verify"], stdout(&out).as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim_end(), method);

    // Tampered body: exit 1 with the reason.
    let mut tampered: Value =
        serde_json::from_str(&stdout(&parley(&["proto", "sign", "--secret-key", secret], br#"{"score":9}"#)))
            .unwrap();
    tampered["score"] = 10.into();
    let out = parley(&["proto", "verify"], tampered.to_string().as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("signature does not verify"), "{}", stderr(&out));
}

#[test]
fn spec_vector_verifies_with_explicit_key_and_is_unusable_without() {
    let file = format!("{VECTOR_DIR}/eddsa-jcs-2022/signedJCS.json");
    let key = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    let out = parley(&["proto", "verify", "--public-key", key, &file], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("https://vc.example/issuers/5678#"));

    let out = parley(&["proto", "verify", &file], b"");
    assert_eq!(out.status.code(), Some(2), "an https: method without --public-key cannot be resolved");
    assert!(stderr(&out).contains("not a did:key"), "{}", stderr(&out));

    let other = keygen();
    let out = parley(
        &["proto", "verify", "--public-key", other["publicKeyMultibase"].as_str().unwrap(), &file],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "the wrong key is a failed check, not unusable input");
}

#[test]
fn sign_with_verification_method_reproduces_the_spec_vector() {
    let unsigned = format!("{VECTOR_DIR}/eddsa-jcs-2022/unsigned.json");
    let out = parley(
        &[
            "proto",
            "sign",
            "--secret-key",
            "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq",
            "--created",
            "2023-02-24T23:36:38Z",
            "--verification-method",
            "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            &unsigned,
        ],
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let signed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        signed["proof"]["proofValue"],
        "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"
    );
}

#[test]
fn unusable_input_exits_2() {
    for (input, why) in
        [(&b"not json"[..], "not JSON"), (br#"{"no":"proof"}"#, "no proof"), (br#"[1,2]"#, "not an object")]
    {
        let out = parley(&["proto", "verify"], input);
        assert_eq!(out.status.code(), Some(2), "{why}: {}", stderr(&out));
        assert_eq!(stderr(&out).trim_end().lines().count(), 1);
    }
    let out =
        parley(&["proto", "sign", "--secret-key", "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"], b"{}");
    assert_eq!(out.status.code(), Some(2), "a public key is not a secret key");
    assert!(stderr(&out).contains("multicodec"), "{}", stderr(&out));
    let out = parley(
        &[
            "proto",
            "sign",
            "--secret-key",
            "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq",
            "--created",
            "today",
        ],
        b"{}",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = parley(&["proto", "canon", "/nonexistent/file.json"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = parley(&["proto", "frobnicate"], b"");
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}
