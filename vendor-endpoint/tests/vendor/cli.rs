//! The `parley-vendor` binary: init, serve, and the operator's terminal commands.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use parley_protocol::{AgreementId, Category, Did, Purpose};

use crate::common::Person;

fn vendor(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_parley-vendor"));
    c.arg("--data").arg(data).env_remove("PARLEY_VENDOR_DATABASE_URL").env("PARLEY_LOG", "warn");
    c
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_serve_and_answer_from_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = vendor(dir.path())
        .args(["init", "--name", "Acme", "--agreements", "SD-BASE,PDC-INTENT"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let did: Did = String::from_utf8(out.stdout).unwrap().trim().parse().unwrap();
    let again = vendor(dir.path()).args(["init", "--name", "Other"]).output().unwrap();
    assert_eq!(again.status.code(), Some(1), "init refuses to overwrite");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a vendor"));
    let bad = vendor(dir.path()).args(["init", "--name", "X", "--agreements", "GDPR"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));

    let mut child =
        vendor(dir.path()).args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _server = Server(child);
    let url = line.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let descriptor = reqwest::get(format!("{url}/.well-known/parley")).await.unwrap().bytes().await.unwrap();
    let descriptor = parley_protocol::verify_descriptor(&descriptor, time::OffsetDateTime::now_utc())
        .expect("the descriptor is self-signed");
    assert_eq!(descriptor.did, did);
    assert_eq!(descriptor.endpoints.messages, format!("{url}/parley/v1/messages"));
    let openapi: serde_json::Value =
        reqwest::get(format!("{url}/parley/v1/openapi.json")).await.unwrap().json().await.unwrap();
    assert!(openapi["paths"]["/parley/v1/messages"]["post"].is_object());

    // A person sends feedback and an intent, over HTTP, to the running binary.
    let p = Person { key: parley_protocol::SecretKey::generate(), vendor: did.clone() };
    let post = |m: parley_protocol::Verified<parley_protocol::Message>| {
        let url = url.clone();
        async move {
            let r = reqwest::Client::new()
                .post(format!("{url}/parley/v1/messages"))
                .header("content-type", "application/json")
                .body(m.canonical().to_owned())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        }
    };
    let improve = p.grant(AgreementId::SdBase, Purpose::Improvement, &[Category::Feedback]);
    post(improve.clone()).await;
    let quote = p.grant(AgreementId::PdcIntent, Purpose::Quote, &[Category::Intent]);
    post(quote.clone()).await;
    let fb = p.feedback(improve.id.into(), 3, "too slow");
    post(fb.clone()).await;
    let intent = p.intent(quote.id.into(), "espresso machine");
    post(intent.clone()).await;

    let listed = vendor(dir.path()).args(["messages", "--type", "Feedback", "--json"]).output().unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["id"], fb.id.to_string());
    let human = vendor(dir.path()).arg("messages").output().unwrap();
    assert!(String::from_utf8_lossy(&human.stdout).contains("too slow"));

    let reply = vendor(dir.path())
        .args(["reply", &fb.id.to_string(), "--text", "Sorry — fixed in 2.1"])
        .output()
        .unwrap();
    assert!(reply.status.success(), "{}", String::from_utf8_lossy(&reply.stderr));
    let uuid = intent.id.uuid().to_string();
    let offer = vendor(dir.path())
        .args([
            "offer",
            &uuid,
            "--price",
            "289.00",
            "--currency",
            "eur",
            "--text",
            "Model X",
            "--valid-until",
            "2027-01-31",
        ])
        .output()
        .unwrap();
    assert!(offer.status.success(), "{}", String::from_utf8_lossy(&offer.stderr));
    let wrong = vendor(dir.path())
        .args(["offer", &fb.id.to_string(), "--price", "1", "--currency", "EUR", "--text", "x"])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(1), "offers answer intents only");

    let nps = vendor(dir.path()).args(["nps", "--json"]).output().unwrap();
    let nps: serde_json::Value = serde_json::from_slice(&nps.stdout).unwrap();
    assert_eq!(
        (nps["detractors"].as_i64(), nps["count"].as_i64(), nps["score"].as_f64()),
        (Some(1), Some(1), Some(-100.0))
    );
}
