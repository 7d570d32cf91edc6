//! kill -9 while writing: the vault must still open, hold every acknowledged record,
//! and verify.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::Person;

#[test]
fn kill_9_during_writes_leaves_a_vault_that_opens_and_verifies() {
    let p = Person::new();
    let mut acknowledged = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    for round in 0..12u64 {
        assert!(Instant::now() < deadline, "bounded in time");
        // A few writers at once, one of them killed at a varying moment.
        let mut writers: Vec<_> = (0..3)
            .map(|i| {
                p.command()
                    .args([
                        "consent",
                        "add",
                        "--vendor",
                        "Acme",
                        "--purpose",
                        "service",
                        "--categories",
                        "support",
                    ])
                    .args(["--retention-days", "30"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .map(|c| (i, c))
                    .unwrap()
            })
            .collect();
        if round == 0 {
            p.ok(&["vendor", "add", "--name", "Acme"]);
        }
        std::thread::sleep(Duration::from_millis(3 + round * 4));
        writers[0].1.kill().unwrap(); // SIGKILL
        for (_, child) in writers.iter_mut() {
            let out = child.wait().unwrap();
            if out.success() {
                acknowledged.push(());
            }
        }
        let also = p.run(&["product", "add", "--name", &format!("after round {round}")]);
        assert!(also.status.success(), "the vault keeps working after a kill in round {round}");
    }
    let report = p.json(&["audit", "verify", "--json"]);
    assert_eq!(report["problems"], serde_json::json!([]), "the audit chain survived every kill");
    let consents = p.json(&["consent", "list", "--json"]);
    assert!(
        consents.as_array().unwrap().len() >= acknowledged.len(),
        "every acknowledged consent is there ({} stored, {} acknowledged)",
        consents.as_array().unwrap().len(),
        acknowledged.len()
    );
    let products = p.json(&["product", "list", "--json"]);
    assert_eq!(products.as_array().unwrap().len(), 12);
}

#[test]
fn kill_9_during_passwd_leaves_the_old_or_the_new_passphrase() {
    for delay_ms in [0u64, 2, 5, 10, 20] {
        let mut p = Person::new();
        let mut child = p.command().env("PARLEY_NEW_PASSPHRASE", "new one").arg("passwd").spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let old_ok = p.run(&["product", "list"]).status.success();
        p.passphrase = "new one".into();
        let new_ok = p.run(&["product", "list"]).status.success();
        assert!(old_ok ^ new_ok, "after a kill at {delay_ms} ms exactly one passphrase opens it");
    }
}

/// Every command closes the vault before the process exits. A vault only dropped left
/// sqlx's worker threads closing SQLCipher connections while `exit` tore down OpenSSL,
/// and about one command in a hundred aborted with a corrupted heap after it had
/// succeeded; four hundred runs found that with a probability above 98%.
#[test]
fn commands_exit_cleanly_every_time() {
    let p = Person::new();
    p.ok(&["vendor", "add", "--name", "Acme", "--offline"]);
    let deadline = Instant::now() + Duration::from_secs(120);
    for i in 0..400 {
        assert!(Instant::now() < deadline, "bounded in time");
        let args: &[&str] = match i % 3 {
            0 => &["feedback", "add", "--vendor", "Acme", "--score", "8", "--text", "fine"],
            1 => &["feedback", "list", "--json"],
            _ => &["product", "show", "no-such-product"],
        };
        let out = p.run(args);
        let code = out.status.code();
        // `product show` of an unknown id is a refusal (exit 1), not a crash.
        assert!(code == Some(0) || (i % 3 == 2 && code == Some(1)), "run {i}, parley {args:?}: {out:?}");
    }
}
