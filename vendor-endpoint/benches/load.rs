//! Load benchmark of a running `parley-vendor` (a separate process, release build) on
//! loopback, durable receipts included.
//!
//!     cargo bench -p parley-vendor --bench load
//!     # PARLEY_BENCH_DEBUG=1 prints each failed request (status and problem, or the
//!     # transport error)
//!     PARLEY_BENCH_MESSAGES=20000 PARLEY_BENCH_IDENTITIES=200 PARLEY_BENCH_CONCURRENCY=64 \
//!       PARLEY_BENCH_DATABASE_URL=postgres://parley:parley@127.0.0.1:5432/postgres \
//!       cargo bench -p parley-vendor --bench load
//!
//! It pre-signs N feedback messages from M pairwise identities, each under a consent the
//! vendor agreed to, then:
//! 1. measures, on one core in this process, the rate of the verification work alone —
//!    strict parse, RFC 8785 canonicalisation, SHA-256, Ed25519 verify — over those same
//!    messages (the "one-core verification rate"), and the rate of signing their
//!    receipts alone, which every accepted message costs the vendor as well;
//! 2. posts all of them with C concurrent requests over keep-alive connections and
//!    reports accepted messages/s, p50 and p99 latency (the maximum rate);
//! 3. posts a fresh set at half that rate, open loop (latency counted from each
//!    message's scheduled send time), and reports p50 and p99.
//!
//! SQLite always; PostgreSQL too when PARLEY_BENCH_DATABASE_URL (or the tests'
//! PARLEY_TEST_DATABASE_URL) names a server where a database may be created. The load
//! generator shares the machine's cores with the server, as any loopback benchmark does.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parley_protocol::{
    AgreementId, Body, Category, ConsentGrant, ConsentId, Did, Feedback, FeedbackSubject, Message, Purpose,
    Receipt, ReceiptStatus, SecretKey, VerifyPolicy,
};
use time::OffsetDateTime;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(data: &std::path::Path, database_url: Option<&str>) -> (Server, String, Did) {
    let bin = env!("CARGO_BIN_EXE_parley-vendor");
    let init = Command::new(bin).arg("--data").arg(data).args(["init", "--name", "Bench"]).output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let did: Did = String::from_utf8(init.stdout).unwrap().trim().parse().unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg("--data").arg(data).args(["serve", "--listen", "127.0.0.1:0"]).env("PARLEY_LOG", "warn");
    if let Some(url) = database_url {
        cmd.arg("--database-url").arg(url);
    }
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (Server(child), line.trim().to_owned(), did)
}

struct Identity {
    key: SecretKey,
    consent: ConsentId,
}

fn message(from: &SecretKey, to: &Did, body: Body, consent: Option<ConsentId>) -> Vec<u8> {
    let mut m = Message::new(Did::from_public_key(&from.to_public()), to.clone(), body);
    m.consent = consent;
    m.sign(from).unwrap().canonical().as_bytes().to_vec()
}

fn feedback(id: &Identity, to: &Did, i: usize) -> Vec<u8> {
    let body = Body::Feedback(Feedback {
        about: FeedbackSubject::Vendor,
        score: (i % 11) as u8,
        text: Some(format!("Feedback number {i}: the repair took two days and the staff were friendly.")),
        suggestions: vec!["Open on Saturdays".into()],
        product: None,
        contact: None,
    });
    message(&id.key, to, body, Some(id.consent))
}

async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>) -> bool {
    match client.post(url).header("content-type", "application/json").body(body).send().await {
        Ok(r) => {
            let status = r.status();
            let body = r.bytes().await.unwrap_or_default();
            if status != 200 && std::env::var_os("PARLEY_BENCH_DEBUG").is_some() {
                eprintln!("{status}: {}", String::from_utf8_lossy(&body));
            }
            status == 200
        }
        Err(e) => {
            if std::env::var_os("PARLEY_BENCH_DEBUG").is_some() {
                eprintln!("transport: {e:?}");
            }
            false
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Closed loop: C workers post as fast as answers come back.
async fn max_rate(url: &str, messages: Arc<Vec<Vec<u8>>>, concurrency: usize) -> (f64, Vec<Duration>, usize) {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, next, messages, url) = (client.clone(), next.clone(), messages.clone(), url.to_owned());
        workers.push(tokio::spawn(async move {
            let (mut lat, mut failed) = (Vec::new(), 0);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(m) = messages.get(i) else { break };
                let t = Instant::now();
                if post(&client, &url, m.clone()).await {
                    lat.push(t.elapsed());
                } else {
                    failed += 1;
                }
            }
            (lat, failed)
        }));
    }
    let (mut all, mut failed) = (Vec::new(), 0);
    for w in workers {
        let (l, f) = w.await.unwrap();
        all.extend(l);
        failed += f;
    }
    let rate = all.len() as f64 / start.elapsed().as_secs_f64();
    all.sort();
    (rate, all, failed)
}

/// Open loop: message i is due at start + i/rate; latency counts from when it was due.
async fn paced(
    url: &str,
    messages: Arc<Vec<Vec<u8>>>,
    rate: f64,
    concurrency: usize,
) -> (f64, Vec<Duration>, usize) {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency * 2).build().unwrap();
    let start = Instant::now() + Duration::from_millis(50);
    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency * 8));
    let mut tasks = Vec::with_capacity(messages.len());
    for i in 0..messages.len() {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let permit = limit.clone().acquire_owned().await.unwrap();
        let (client, messages, url) = (client.clone(), messages.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let ok = post(&client, &url, messages[i].clone()).await;
            drop(permit);
            (ok, due.elapsed())
        }));
    }
    let (mut lat, mut failed) = (Vec::new(), 0);
    for t in tasks {
        let (ok, l) = t.await.unwrap();
        if ok {
            lat.push(l);
        } else {
            failed += 1;
        }
    }
    let achieved = lat.len() as f64 / start.elapsed().as_secs_f64();
    lat.sort();
    (achieved, lat, failed)
}

/// The verification work alone, one core: parse + JCS + SHA-256 + Ed25519 verify.
fn one_core_verify_rate(messages: &[Vec<u8>], vendor: &Did) -> f64 {
    let policy = VerifyPolicy::for_vendor(vendor.clone(), OffsetDateTime::now_utc());
    let n = messages.len().min(5000);
    let start = Instant::now();
    for m in &messages[..n] {
        let v = parley_protocol::verify(m, &policy).expect("pre-signed messages verify");
        std::hint::black_box(v.digest());
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Signing the receipts alone, one core: what the vendor adds to every message it accepts
/// before any storage or HTTP (building the receipt, JCS, SHA-256, Ed25519 sign).
fn one_core_receipt_rate(messages: &[Vec<u8>], vendor: &Did) -> f64 {
    let policy = VerifyPolicy::for_vendor(vendor.clone(), OffsetDateTime::now_utc());
    let key = SecretKey::generate();
    let signer = Did::from_public_key(&key.to_public());
    let n = messages.len().min(5000);
    let verified: Vec<_> =
        messages[..n].iter().map(|m| parley_protocol::verify(m, &policy).expect("verifies")).collect();
    let start = Instant::now();
    for m in &verified {
        let body =
            Body::Receipt(Receipt { message: m.id, digest: m.digest(), status: ReceiptStatus::Accepted });
        let mut receipt = Message::new(signer.clone(), m.from.clone(), body);
        receipt.in_reply_to = Some(m.id);
        receipt.thread = Some(m.id);
        receipt.consent = m.consent;
        std::hint::black_box(receipt.sign(&key).unwrap().canonical().len());
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// CPU seconds (user + system) a process has used so far, from `/proc/PID/stat`.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    let ticks: f64 =
        fields.get(11..13).map(|f| f.iter().filter_map(|t| t.parse::<f64>().ok()).sum()).unwrap_or(0.0);
    // USER_HZ is 100 on every Linux this runs on.
    ticks / 100.0
}

/// CPU seconds used so far by every PostgreSQL process this user can read (the vendor's
/// backends among them): on PostgreSQL the store's work is done there, not in the
/// vendor's process. Other databases' work on the same server counts too, so run it on
/// an otherwise idle server.
fn postgres_cpu_seconds() -> f64 {
    let Ok(procs) = std::fs::read_dir("/proc") else { return 0.0 };
    procs
        .flatten()
        .filter_map(|p| {
            p.file_name().to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())).map(str::to_owned)
        })
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|pid| cpu_seconds(&pid))
        .sum()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

async fn run(label: &str, database_url: Option<String>) {
    let n = env_usize("PARLEY_BENCH_MESSAGES", 20_000);
    let m = env_usize("PARLEY_BENCH_IDENTITIES", 200);
    let c = env_usize("PARLEY_BENCH_CONCURRENCY", 64);
    let dir = tempfile::tempdir().unwrap();
    let (server, url, vendor) = start_server(dir.path(), database_url.as_deref());
    let server_pid = server.0.id().to_string();
    let messages_url = format!("{url}/parley/v1/messages");
    let client = reqwest::Client::new();

    let mut identities = Vec::with_capacity(m);
    for _ in 0..m {
        let key = SecretKey::generate();
        let grant = Body::ConsentGrant(ConsentGrant {
            agreement: AgreementId::SdBase,
            purpose: Purpose::Improvement,
            categories: vec![Category::Feedback],
            retention_days: 30,
            terms: None,
        });
        let mut g = Message::new(Did::from_public_key(&key.to_public()), vendor.clone(), grant);
        g.created = parley_protocol::Timestamp::now();
        let signed = g.sign(&key).unwrap();
        assert!(post(&client, &messages_url, signed.canonical().as_bytes().to_vec()).await, "consent agreed");
        identities.push(Identity { key, consent: signed.id.into() });
    }
    let sign_all = |offset: usize| -> Vec<Vec<u8>> {
        (0..n).map(|i| feedback(&identities[i % m], &vendor, offset + i)).collect()
    };
    let burst = Arc::new(sign_all(0));
    let steady = Arc::new(sign_all(n));

    let one_core = one_core_verify_rate(&burst, &vendor);
    let receipts = one_core_receipt_rate(&burst, &vendor);
    let ceiling = 2.0 * one_core;
    let postgres = database_url.is_some();
    let (server_cpu, client_cpu) = (cpu_seconds(&server_pid), cpu_seconds("self"));
    let postgres_cpu = if postgres { postgres_cpu_seconds() } else { 0.0 };
    let (rate, lat, failed) = max_rate(&messages_url, burst.clone(), c).await;
    let server_us = (cpu_seconds(&server_pid) - server_cpu) * 1e6 / burst.len() as f64;
    let postgres_us =
        if postgres { (postgres_cpu_seconds() - postgres_cpu) * 1e6 / burst.len() as f64 } else { 0.0 };
    let client_us = (cpu_seconds("self") - client_cpu) * 1e6 / burst.len() as f64;
    let half = rate / 2.0;
    let (achieved, paced_lat, paced_failed) = paced(&messages_url, steady, half, c).await;

    println!("\n== {label}: {n} messages from {m} identities, {c} concurrent keep-alive requests");
    println!("one-core verification rate (parse+JCS+SHA-256+Ed25519): {one_core:>9.0} msg/s");
    println!("one-core receipt signing rate (JCS+SHA-256+Ed25519):   {receipts:>9.0} msg/s");
    println!("two-core verification ceiling:                          {ceiling:>9.0} msg/s");
    println!(
        "maximum rate, durable receipts:  {rate:>9.0} msg/s = {:.0}% of the ceiling  p50 {}  p99 {}  failed {failed}",
        100.0 * rate / ceiling,
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99))
    );
    println!(
        "CPU per message at the maximum rate: server {server_us:.0} µs, load generator {client_us:.0} µs, \
         verification alone {:.0} µs",
        1e6 / one_core
    );
    let crypto_us = 1e6 / one_core + 1e6 / receipts;
    println!(
        "server CPU per message / (verification + receipt signature): {server_us:.0} / {crypto_us:.0} µs = {:.2}×",
        server_us / crypto_us
    );
    if postgres {
        println!(
            "with PostgreSQL's own processes: {:.0} µs more per message, {:.0} / {crypto_us:.0} µs = {:.2}×",
            postgres_us,
            server_us + postgres_us,
            (server_us + postgres_us) / crypto_us
        );
    }
    // At half the ceiling, the two cores have twice one verification's time per message
    // for everything: the verification, the receipt, HTTP on both ends, the store.
    let (verify_us, receipt_us) = (1e6 / one_core, 1e6 / receipts);
    println!(
        "CPU budget per message at 50% of the ceiling: {:.0} µs for everything; verification and receipt \
         signature alone take {:.0} µs, leaving {:.0} µs for HTTP (server and load generator) and the store",
        2.0 * verify_us,
        verify_us + receipt_us,
        verify_us - receipt_us
    );
    println!(
        "at half the maximum ({half:.0}/s): {achieved:>9.0} msg/s achieved          p50 {}  p99 {}  failed {paced_failed}",
        ms(percentile(&paced_lat, 0.5)),
        ms(percentile(&paced_lat, 0.99))
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        run("SQLite", None).await;
        let admin = std::env::var("PARLEY_BENCH_DATABASE_URL").or_else(|_| std::env::var("PARLEY_TEST_DATABASE_URL"));
        match admin {
            Ok(admin) => {
                use sqlx::Connection;
                let name = "parley_bench";
                let mut c = sqlx::PgConnection::connect(&admin).await.expect("connect to PostgreSQL");
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.unwrap();
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin.clone());
                run("PostgreSQL", Some(format!("{base}/{name}"))).await;
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c).await;
            }
            Err(_) => println!("\n(PostgreSQL skipped: set PARLEY_BENCH_DATABASE_URL to a server where a database may be created)"),
        }
    });
}
