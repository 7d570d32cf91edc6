//! A vendor hostile at the HTTP level, against the agent: answers of many megabytes, an
//! endless body, one that trickles a byte a second, a body that is not JSON, a redirect
//! loop. Each exchange must end within its time limit with the problem reported, the
//! agent must stop reading at its size limit (so its memory stays bounded), and nothing
//! in the vault may change; once the vendor behaves again, the exchange completes.
//!
//! A real vendor serves behind a front on its own loopback port; the front either
//! forwards connections to it or misbehaves, switched per test phase. Each phase uses a
//! new agent over the same vault, so that no pooled connection outlives a switch.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parley_agent::exchange::SyncOptions;
use parley_agent::records::feedback::FeedbackFields;
use parley_agent::{Agent, Passphrase, Vault};
use parley_protocol::{AgreementId, Category, Purpose};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::in_process::{agreed, person, Endpoint};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Pass every connection through to the vendor.
    Forward,
    /// `200` announcing 50 MiB of body, and writing it.
    Huge,
    /// `200` with a chunked body that never ends.
    Endless,
    /// `200` announcing 100 bytes, written one a second.
    Trickle,
    /// `200` with a body that is not JSON.
    NotJson,
    /// `302` to the very URL asked.
    RedirectLoop,
}

/// What the front may get written before the agent hangs up: the agent reads at most
/// 4 MiB of an answer, and loopback sockets buffer a few MiB more in the kernel on both
/// sides. Far below the 50 MiB (or endless) body offered: the agent stopped reading.
const READ_AT_MOST: u64 = 16 * 1024 * 1024;

struct Front {
    url: String,
    /// How to answer requests whose path starts with the `String`; others are forwarded.
    mode: Arc<Mutex<(Mode, String)>>,
    /// Body bytes written to the agent in the current phase before it hung up.
    written: Arc<AtomicU64>,
}

impl Front {
    async fn start() -> (Self, TcpListener) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mode = Arc::new(Mutex::new((Mode::Forward, String::new())));
        let front = Self { url, mode, written: Arc::new(AtomicU64::new(0)) };
        (front, listener)
    }

    fn serve(&self, listener: TcpListener, backend: SocketAddr) {
        let (mode, written) = (self.mode.clone(), self.written.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let now = mode.lock().unwrap().clone();
                tokio::spawn(answer(socket, backend, now, written.clone()));
            }
        });
    }

    /// Answers requests for paths starting with `path` as `mode` says.
    fn set(&self, mode: Mode, path: &str) {
        *self.mode.lock().unwrap() = (mode, path.to_owned());
        self.written.store(0, Ordering::SeqCst);
    }
}

/// Reads one request (head and `Content-Length` body), so the client is waiting for
/// the answer; returns its path and its bytes.
async fn read_request(socket: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        seen.extend_from_slice(&buf[..n]);
        if let Some(at) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if seen.len() > 64 * 1024 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&seen[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while seen.len() < head_end + length {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        seen.extend_from_slice(&buf[..n]);
    }
    Some((head.split_whitespace().nth(1)?.to_owned(), seen))
}

async fn answer(
    mut socket: TcpStream,
    backend: SocketAddr,
    (mode, target): (Mode, String),
    written: Arc<AtomicU64>,
) {
    let Some((path, request)) = read_request(&mut socket).await else { return };
    if mode == Mode::Forward || !path.starts_with(&target) {
        // One exchange per connection, so that the next request (maybe for a hostile
        // path) comes on a new connection.
        let request = String::from_utf8_lossy(&request).replacen("\r\n", "\r\nConnection: close\r\n", 1);
        if let Ok(mut up) = TcpStream::connect(backend).await {
            if up.write_all(request.as_bytes()).await.is_ok() {
                let _ = tokio::io::copy_bidirectional(&mut socket, &mut up).await;
            }
        }
        return;
    }
    let ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
    let count = |n: usize| written.fetch_add(n as u64, Ordering::SeqCst);
    match mode {
        Mode::Huge => {
            let total = 50 * 1024 * 1024;
            let head = format!("{ok}Content-Length: {total}\r\n\r\n");
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let block = vec![b' '; 64 * 1024];
            for _ in 0..total / block.len() {
                if socket.write_all(&block).await.is_err() {
                    return;
                }
                count(block.len());
            }
        }
        Mode::Endless => {
            if socket.write_all(format!("{ok}Transfer-Encoding: chunked\r\n\r\n").as_bytes()).await.is_err() {
                return;
            }
            let chunk = [b"10000\r\n".as_slice(), &vec![b' '; 0x10000], b"\r\n"].concat();
            // Endless for the agent; bounded here so a broken agent cannot hang the test.
            for _ in 0..4096 {
                if socket.write_all(&chunk).await.is_err() {
                    return;
                }
                count(0x10000);
            }
        }
        Mode::Trickle => {
            if socket.write_all(format!("{ok}Content-Length: 100\r\n\r\n").as_bytes()).await.is_err() {
                return;
            }
            for _ in 0..100 {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if socket.write_all(b" ").await.is_err() {
                    return;
                }
                count(1);
            }
        }
        Mode::NotJson => {
            let body = "{\"messages\": [ this is not json";
            let _ = socket
                .write_all(format!("{ok}Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes())
                .await;
        }
        Mode::RedirectLoop => {
            let to = format!("HTTP/1.1 302 Found\r\nLocation: {path}\r\nContent-Length: 0\r\n\r\n");
            let _ = socket.write_all(to.as_bytes()).await;
        }
        Mode::Forward => unreachable!(),
    }
    let _ = socket.shutdown().await;
}

/// The vault's content a hostile answer must not change: vendors, consents, inbox,
/// audit log.
async fn snapshot(agent: &Agent) -> String {
    let v = agent.vault();
    format!(
        "{:?}\n{:?}\n{:?}\n{}",
        v.vendors().list().await.unwrap(),
        v.consents().list(None).await.unwrap(),
        v.inbox(None).await.unwrap(),
        v.audit_log(None).await.unwrap().len(),
    )
}

async fn reopen(dir: &std::path::Path) -> Agent {
    let pass = Passphrase::new("correct horse battery staple").unwrap();
    Agent::new(Vault::open(&dir.join("vault"), &pass).await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_vendor_cannot_exhaust_hang_or_change_the_agent() {
    let (front, listener) = Front::start().await;
    let acme = Endpoint::start_behind("Acme", vec![AgreementId::SdBase], &front.url).await;
    front.serve(listener, acme.url.trim_start_matches("http://").parse().unwrap());

    // Discovery against a hostile front: refused, bounded, nothing stored.
    let (dir, agent) = person().await;
    for (mode, said) in [
        (Mode::Huge, "larger than 4194304 bytes"),
        (Mode::NotJson, "descriptor"),
        (Mode::RedirectLoop, "302"),
    ] {
        front.set(mode, "/.well-known/parley");
        let started = Instant::now();
        let e = agent.discover_vendor(&front.url, None).await.expect_err("nothing to trust");
        assert!(e.to_string().contains(said), "{mode:?}: {e}");
        assert!(started.elapsed() < Duration::from_secs(25), "{mode:?} took {:?}", started.elapsed());
        assert!(front.written.load(Ordering::SeqCst) < READ_AT_MOST, "{mode:?}: read past the limit");
        assert!(agent.vault().vendors().list().await.unwrap().is_empty(), "{mode:?}: no vendor stored");
    }
    drop(agent);

    // The vendor behaves: it is found, agrees, receives a feedback and replies to it.
    front.set(Mode::Forward, "");
    let agent = reopen(dir.path()).await;
    agent.discover_vendor(&front.url, None).await.unwrap();
    agreed(&agent, "Acme", Purpose::Improvement, vec![Category::Feedback]).await;
    let fields = FeedbackFields { vendor: Some("Acme".into()), score: Some(4), ..Default::default() };
    let feedback = agent.vault().feedback().add(fields).await.unwrap();
    let sent = agent.send_feedback(&feedback.id, None).await.unwrap();
    let id = sent.messages[0].id.to_message_id().to_string();
    parley_vendor::console::reply(&acme.endpoint.store, &acme.endpoint.key, &id, "Sorry to hear it")
        .await
        .unwrap();
    let before = snapshot(&agent).await;
    drop(agent);

    // Its inbox answers turn hostile: each sync ends in time, says what went wrong, stores
    // nothing, and reads no more than its limit.
    for (mode, said, within) in [
        (Mode::Huge, "larger than 4194304 bytes", 10),
        (Mode::Endless, "larger than 4194304 bytes", 10),
        (Mode::Trickle, "timed out", 25),
        (Mode::NotJson, "not JSON", 10),
        (Mode::RedirectLoop, "302", 10),
    ] {
        front.set(mode, "/parley/v1/inbox");
        let agent = reopen(dir.path()).await;
        let started = Instant::now();
        let report = agent.sync(&SyncOptions::default()).await.unwrap();
        let took = started.elapsed();
        assert!(took < Duration::from_secs(within), "{mode:?}: the sync took {took:?}");
        assert_eq!(report.received, 0, "{mode:?}");
        let problems: Vec<_> = report.problems.iter().map(|p| format!("{}: {}", p.vendor, p.error)).collect();
        assert!(problems.iter().any(|p| p.starts_with("Acme") && p.contains(said)), "{mode:?}: {problems:?}");
        assert!(front.written.load(Ordering::SeqCst) < READ_AT_MOST, "{mode:?}: read past the limit");
        assert_eq!(snapshot(&agent).await, before, "{mode:?}: the vault changed");
    }

    // Behaving again, the reply arrives, once.
    front.set(Mode::Forward, "");
    let agent = reopen(dir.path()).await;
    let report = agent.sync(&SyncOptions::default()).await.unwrap();
    assert_eq!(report.received, 1, "{:?}", report.problems);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
