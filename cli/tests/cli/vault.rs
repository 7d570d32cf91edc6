//! `parley init`, records, search, audit, export/import through the binary.

use crate::{stderr, stdout, Person};

#[test]
fn records_through_the_cli_with_documented_json() {
    let p = Person::new();
    let id = p.ok(&[
        "product",
        "add",
        "--name",
        "Kettle K2",
        "--vendor",
        "Acme",
        "--serial",
        "SN1",
        "--warranty-until",
        "2027-05-01",
        "--price",
        "79.90",
        "--currency",
        "eur",
    ]);
    assert_eq!(id.len(), 36, "add prints the new id: {id}");
    let product = p.json(&["product", "show", &id[..8], "--json"]);
    assert_eq!(product["name"], "Kettle K2");
    assert_eq!(product["warrantyUntil"], "2027-05-01");
    assert_eq!(product["price"], serde_json::json!({"amount": "79.90", "currency": "EUR"}));
    let list = p.json(&["product", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);

    p.ok(&["vendor", "add", "--name", "Acme", "--url", "https://acme.example", "--offline"]);
    let fb = p.json(&[
        "feedback",
        "add",
        "--product",
        &id,
        "--score",
        "9",
        "--text",
        "Quiet",
        "--suggestion",
        "Longer cord",
        "--json",
    ]);
    assert_eq!(fb["score"], 9);
    assert_eq!(fb["state"], "draft");
    assert_eq!(fb["suggestions"], serde_json::json!(["Longer cord"]));
    let intent = p.json(&[
        "intent",
        "add",
        "--what",
        "Espresso machine",
        "--budget",
        "300",
        "--currency",
        "EUR",
        "--by",
        "2027-01-31",
        "--json",
    ]);
    assert_eq!(intent["budget"]["amount"], "300");
    p.ok(&["support", "add", "--product", &id, "--subject", "Lid", "--text", "Does not close"]);
    let consent = p.json(&[
        "consent",
        "add",
        "--vendor",
        "Acme",
        "--purpose",
        "improvement",
        "--categories",
        "feedback,product",
        "--retention-days",
        "365",
        "--json",
    ]);
    assert_eq!(consent["agreement"], "SD-BASE");
    assert_eq!(consent["categories"], serde_json::json!(["feedback", "product"]));

    let edited = p.json(&["product", "edit", &id, "--notes", "Descaled", "--json"]);
    assert_eq!(edited["notes"], "Descaled");
    let hits = p.json(&["search", "descal", "--json"]);
    assert_eq!(hits[0]["id"], id.as_str());

    let human = p.ok(&["product", "list"]);
    assert!(human.starts_with(&id[..8]) && human.contains("Kettle K2"), "{human}");
}

#[test]
fn refusals_exit_1_with_one_line_and_usage_exits_2() {
    let p = Person::new();
    let out = p.run(&["feedback", "add", "--product", "deadbeef", "--score", "9"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).trim_end(), "parley: product: no product with id or name \"deadbeef\"");
    let id = p.ok(&["product", "add", "--name", "K"]);
    let out = p.run(&["feedback", "add", "--product", &id, "--score", "11"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).trim_end(), "parley: score: 11 is not between 0 and 10");
    let out = p.run(&["product", "add", "--name", "K", "--purchased", "last tuesday"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("purchased: \"last tuesday\" is not a date"), "{}", stderr(&out));
    let out = p.run(&["product", "add", "--name", "K", "--price", "5"]);
    assert!(stderr(&out).contains("--currency"), "{}", stderr(&out));
    let out = p.run(&["product", "frobnicate"]);
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
    let out = p.run(&["feedback", "add", "--score", "ten"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn vendor_show_gives_the_persons_pairwise_did() {
    let p = Person::new();
    let key = |p: &Person| p.json(&["proto", "keygen"])["did"].as_str().unwrap().to_owned();
    let (a, b) = (key(&p), key(&p));
    p.ok(&["vendor", "add", "--name", "A", "--did", &a]);
    p.ok(&["vendor", "add", "--name", "B", "--did", &b]);
    let mine_a = p.json(&["vendor", "show", "A", "--json"])["myDid"].as_str().unwrap().to_owned();
    let mine_b = p.json(&["vendor", "show", "B", "--json"])["myDid"].as_str().unwrap().to_owned();
    assert!(mine_a.starts_with("did:key:z6Mk"));
    assert_ne!(mine_a, mine_b, "one identity per vendor");
    assert_eq!(p.json(&["vendor", "show", "A", "--json"])["myDid"], mine_a.as_str(), "stable");
}

#[test]
fn wrong_passphrase_is_said_plainly() {
    let mut p = Person::new();
    p.passphrase = "not it".into();
    let out = p.run(&["product", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).trim_end(), "parley: wrong passphrase");
}

#[test]
fn init_twice_is_refused_and_a_missing_vault_is_explained() {
    let p = Person::new();
    let out = p.run(&["init"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    let empty = tempfile::tempdir().unwrap();
    let out = p.command().env("PARLEY_VAULT", empty.path()).arg("product").arg("list").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("parley init"), "the error says what to do");
}

#[test]
fn passwd_then_audit_then_export_import() {
    let mut p = Person::new();
    let id = p.ok(&["product", "add", "--name", "Lamp"]);
    let file_dir = tempfile::tempdir().unwrap();
    let attachment = file_dir.path().join("receipt.txt");
    std::fs::write(&attachment, "paid 20 EUR").unwrap();
    let att = p.ok(&["product", "attach", &id, attachment.to_str().unwrap()]);
    let back = file_dir.path().join("back.txt");
    p.ok(&["product", "open", &att, "--output", back.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&back).unwrap(), "paid 20 EUR");

    let out = p.command().env("PARLEY_NEW_PASSPHRASE", "battery staple").arg("passwd").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(p.run(&["product", "list"]).status.code(), Some(1), "the old passphrase no longer opens it");
    p.passphrase = "battery staple".into();
    assert!(p.ok(&["audit"]).contains("vault.passphrase"));
    assert!(p.ok(&["audit", "verify"]).starts_with("audit log intact"));

    let backup = file_dir.path().join("vault.backup");
    p.ok(&["export", backup.to_str().unwrap()]);
    let out = p.run(&["import", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "an existing vault is not overwritten without --force");
    let q = Person { dir: tempfile::tempdir().unwrap(), passphrase: "battery staple".into() };
    q.ok(&["import", backup.to_str().unwrap()]);
    assert_eq!(q.json(&["product", "show", &id, "--json"])["name"], "Lamp");
    assert_eq!(q.json(&["product", "attachments", &id, "--json"])[0]["name"], "receipt.txt");
    assert!(stdout(&q.run(&["audit"])).contains("vault.imported"));
}
