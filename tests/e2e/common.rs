//! What every end-to-end test needs: real `parley-vendor` processes on loopback ports,
//! real `parley` agents with their own temporary vaults, and a tampering proxy.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The folder holding the workspace's built binaries (this test runs from its `deps/`).
fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(Path::parent).expect("target profile folder");
    let path = dir.join(name);
    assert!(path.exists(), "{} is missing: run the tests with `cargo test --workspace`", path.display());
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A vendor: its data folder and, while it runs, its server process.
pub struct Vendor {
    pub name: String,
    pub data: PathBuf,
    pub port: u16,
    pub url: String,
    /// Where people are told to send messages (a proxy's address, when one sits in front).
    public_url: Option<String>,
    /// A PostgreSQL store (a database of its own, dropped with the vendor); SQLite in
    /// the data folder otherwise.
    pub database_url: Option<String>,
    /// Serve with SIGXFSZ ignored, so that a file-size limit set on the process
    /// (`prlimit --fsize`) makes its writes fail as on a full disk instead of killing it.
    pub full_disk_possible: bool,
    _pg: Option<PgDatabase>,
    server: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

/// A test database on the PostgreSQL server `PARLEY_TEST_DATABASE_URL` names.
struct PgDatabase {
    admin: String,
    name: String,
}

impl PgDatabase {
    fn create() -> (String, Self) {
        let admin = std::env::var("PARLEY_TEST_DATABASE_URL").unwrap_or_else(|_| {
            panic!("PostgreSQL tests need PARLEY_TEST_DATABASE_URL (./scripts/test.sh starts a server and sets it)")
        });
        let name = format!(
            "parley_e2e_{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        run_sql(&admin, format!("CREATE DATABASE {name}"));
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin.clone());
        (format!("{base}/{name}"), Self { admin, name })
    }
}

static NEXT_DB: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One statement on the server, from a thread of its own (callers may be inside a runtime).
fn run_sql(url: &str, sql: String) {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            use sqlx::Connection;
            let mut c =
                sqlx::PgConnection::connect(&url).await.expect("connect to the test PostgreSQL server");
            sqlx::query(&sql).execute(&mut c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        })
    })
    .join()
    .expect("SQL on the test server");
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            run_sql(&admin, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        })
        .join();
    }
}

/// Where a vendor keeps its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

impl Vendor {
    /// Creates a vendor accepting the given agreements and starts it on a free port.
    pub fn start(name: &str, agreements: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("vendor");
        let mut v = Vendor {
            name: name.into(),
            data,
            port: 0,
            url: String::new(),
            public_url: None,
            database_url: None,
            _pg: None,
            full_disk_possible: false,
            server: None,
            _dir: Some(dir),
        };
        v.cli_ok(&["init", "--name", name, "--agreements", agreements]);
        v.serve();
        v
    }

    /// Like [`Vendor::start`], on the PostgreSQL database at `url` (the caller's).
    pub fn start_on_database(name: &str, agreements: &str, url: &str) -> Self {
        let mut v = Self::start_on(name, agreements, Db::Sqlite);
        v.stop();
        v.database_url = Some(url.into());
        v.serve();
        v
    }

    /// Like [`Vendor::start`], on the store `db`.
    pub fn start_on(name: &str, agreements: &str, db: Db) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (database_url, pg) = match db {
            Db::Sqlite => (None, None),
            Db::Postgres => {
                let (url, pg) = PgDatabase::create();
                (Some(url), Some(pg))
            }
        };
        let mut v = Vendor {
            name: name.into(),
            data: dir.path().join("vendor"),
            port: 0,
            url: String::new(),
            public_url: None,
            database_url,
            _pg: pg,
            full_disk_possible: false,
            server: None,
            _dir: Some(dir),
        };
        v.cli_ok(&["init", "--name", name, "--agreements", agreements]);
        v.serve();
        v
    }

    /// Another instance of this vendor (same key, same store) on a port of its own, as
    /// behind a load balancer; people are told the same public URL.
    pub fn another_instance(&self) -> Self {
        let mut v = Vendor {
            name: self.name.clone(),
            data: self.data.clone(),
            port: 0,
            url: String::new(),
            public_url: self.public_url.clone(),
            database_url: self.database_url.clone(),
            _pg: None,
            full_disk_possible: false,
            server: None,
            _dir: None,
        };
        v.serve();
        v
    }

    /// Like [`Vendor::start_on`], with people told to reach it at `public_url`.
    pub fn start_on_behind(name: &str, agreements: &str, db: Db, public_url: &str) -> Self {
        let mut v = Self::start_on(name, agreements, db);
        v.stop();
        v.public_url = Some(public_url.into());
        v.serve();
        v
    }

    /// Like [`Vendor::start`], with people told to reach it at `public_url`.
    pub fn start_behind(name: &str, agreements: &str, public_url: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut v = Vendor {
            name: name.into(),
            data: dir.path().join("vendor"),
            port: 0,
            url: String::new(),
            public_url: Some(public_url.into()),
            database_url: None,
            _pg: None,
            full_disk_possible: false,
            server: None,
            _dir: Some(dir),
        };
        v.cli_ok(&["init", "--name", name, "--agreements", agreements]);
        v.serve();
        v
    }

    fn serve(&mut self) {
        // The same port across restarts, so the person's pinned URL stays right; the
        // first start takes any free port. A port just released may linger: retry.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut cmd = self.command(&["serve", "--listen", &format!("127.0.0.1:{}", self.port)]);
            if self.full_disk_possible {
                // An ignored signal stays ignored across exec.
                let direct = cmd;
                cmd = Command::new("bash");
                cmd.args(["-c", "trap '' XFSZ; exec \"$0\" \"$@\""])
                    .arg(direct.get_program())
                    .args(direct.get_args());
            }
            cmd.env("PARLEY_LOG", "warn").stdout(Stdio::piped()).stderr(Stdio::null());
            if let Some(p) = &self.public_url {
                cmd.args(["--public-url", p]);
            }
            let mut child = cmd.spawn().expect("start parley-vendor");
            let mut line = String::new();
            let _ = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
            let url = line.trim().to_owned();
            if url.starts_with("http://") {
                self.port = url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port in the URL");
                self.url = url;
                self.server = Some(child);
                return;
            }
            let _ = child.kill();
            let _ = child.wait();
            assert!(Instant::now() < deadline, "parley-vendor did not start on port {}", self.port);
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(Child::id)
    }

    /// Whether the server process is still running (it was not killed or crashed).
    pub fn running(&mut self) -> bool {
        self.server.as_mut().is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// Stops the server (kill -9: a vendor that simply goes away).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.server.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same port with the same data.
    pub fn restart(&mut self) {
        self.stop();
        self.serve();
    }

    /// Replaces the vendor's signing key (same name, same store), as a vendor that lost
    /// or rotated its key would.
    pub fn rekey(&mut self) -> String {
        self.stop();
        std::fs::remove_file(self.data.join("vendor.json")).expect("remove vendor.json");
        std::fs::remove_file(self.data.join("vendor.key")).expect("remove vendor.key");
        let did = self.cli_ok(&[
            "init",
            "--name",
            &self.name.clone(),
            "--agreements",
            "SD-BASE,SD-BASE-DP,PDC-INTENT",
        ]);
        self.serve();
        did.trim().to_owned()
    }

    /// `parley-vendor --data DATA ARGS`, to run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(bin("parley-vendor"));
        cmd.arg("--data").arg(&self.data);
        if let Some(url) = &self.database_url {
            cmd.args(["--database-url", url]);
        }
        cmd.args(args);
        cmd
    }

    pub fn cli(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run parley-vendor")
    }

    pub fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(out.status.success(), "parley-vendor {args:?} failed: {}", text(&out.stderr));
        text(&out.stdout)
    }

    /// Every message the vendor's store holds, as `parley-vendor messages --json` lists them.
    pub fn messages(&self, kind: Option<&str>) -> Vec<Value> {
        let mut args = vec!["messages", "--json", "--limit", "1000"];
        if let Some(k) = kind {
            args.extend(["--type", k]);
        }
        let v: Value = serde_json::from_str(&self.cli_ok(&args)).expect("messages JSON");
        v.as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Vendor {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A person: a vault of their own, driven through the `parley` CLI.
pub struct Person {
    pub vault: PathBuf,
    _dir: tempfile::TempDir,
}

impl Person {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = Person { vault: dir.path().join("vault"), _dir: dir };
        p.ok(&["init"]);
        p
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(bin("parley"));
        cmd.args(args)
            .env("PARLEY_VAULT", &self.vault)
            .env("PARLEY_PASSPHRASE", "correct horse battery staple")
            .env("PARLEY_INSECURE_KDF", "1");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run parley")
    }

    /// Runs `parley ARGS`, which must succeed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "parley {args:?} failed ({}): {}{}",
            out.status,
            text(&out.stderr),
            text(&out.stdout)
        );
        text(&out.stdout)
    }

    /// Runs `parley ARGS`, which must fail with exit 1; returns stderr.
    pub fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "parley {args:?} should be refused; stdout: {} stderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stderr)
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(&all)).expect("JSON output")
    }

    /// Adds a vendor by URL (descriptor fetched, key pinned); returns its record id.
    pub fn add_vendor(&self, v: &Vendor) -> String {
        self.ok(&["vendor", "add", "--url", &v.url]).trim().to_owned()
    }

    /// Proffers a consent (30 days' retention) and returns it as JSON, whatever the
    /// vendor answered.
    pub fn proffer(&self, vendor: &str, purpose: &str, categories: &str) -> Value {
        self.json(&grant_args(vendor, purpose, categories))
    }

    /// Grants a consent, which the vendor must agree to; returns its id.
    pub fn grant(&self, vendor: &str, purpose: &str, categories: &str) -> String {
        let c = self.proffer(vendor, purpose, categories);
        assert_eq!(c["state"], "agreed", "the vendor agrees to a roster agreement it accepts: {c}");
        c["id"].as_str().expect("consent id").to_owned()
    }

    pub fn add(&self, args: &[&str]) -> String {
        self.ok(args).trim().to_owned()
    }

    pub fn outbox_all(&self) -> Vec<Value> {
        self.json(&["outbox", "--all"]).as_array().cloned().unwrap_or_default()
    }
}

/// The value of `document[field]` as a string, for the vendor's message listings.
/// `parley consent grant` with 30 days' retention.
fn grant_args<'a>(vendor: &'a str, purpose: &'a str, categories: &'a str) -> [&'a str; 10] {
    [
        "consent",
        "grant",
        "--vendor",
        vendor,
        "--purpose",
        purpose,
        "--categories",
        categories,
        "--retention-days",
        "30",
    ]
}

pub fn doc<'a>(m: &'a Value, pointer: &str) -> &'a str {
    m["document"].pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// A proxy on loopback that forwards to `upstream` and lets a test alter what comes
/// back: `tamper(path, body)` returns the body to send on.
pub struct Proxy {
    pub url: String,
    runtime: Option<tokio::runtime::Runtime>,
}

/// What a forging proxy may change: `(path, request body, answer body) -> answer body`.
pub type Forge = std::sync::Arc<dyn Fn(&str, &[u8], Vec<u8>) -> Vec<u8> + Send + Sync>;

impl Proxy {
    pub fn start(
        upstream: std::sync::Arc<std::sync::Mutex<String>>,
        tamper: fn(&str, Vec<u8>) -> Vec<u8>,
    ) -> Self {
        Self::forging(upstream, std::sync::Arc::new(move |path: &str, _: &[u8], body| tamper(path, body)))
    }

    /// A proxy whose `forge` sees each request with the vendor's answer and may replace
    /// the answer — with one signed by the vendor's own key, as a hostile vendor would.
    pub fn forging(upstream: std::sync::Arc<std::sync::Mutex<String>>, forge: Forge) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener =
            runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let client = reqwest::Client::new();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let (client, upstream, forge) = (client.clone(), upstream.clone(), forge.clone());
            async move {
                let path = req.uri().path().to_owned();
                let method = req.method().clone();
                let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
                let request = body.to_vec();
                let target = format!("{}{path}", upstream.lock().expect("upstream").clone());
                let answer = client
                    .request(method, target)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match answer {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let bytes = r.bytes().await.unwrap_or_default().to_vec();
                        let out = forge(&path, &request, bytes);
                        axum::http::Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .body(axum::body::Body::from(out))
                            .expect("response")
                    }
                    Err(_) => axum::http::Response::builder()
                        .status(502)
                        .body(axum::body::Body::empty())
                        .expect("response"),
                }
            }
        });
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Proxy { url, runtime: Some(runtime) }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The vendor's own signing key, read from its data folder: what a hostile vendor signs
/// its forged answers with.
pub fn vendor_key(v: &Vendor) -> parley_protocol::SecretKey {
    let text = std::fs::read_to_string(v.data.join("vendor.key")).expect("read vendor.key");
    text.trim().parse().expect("a vendor key")
}

/// `answer` replaced by `body`, signed by `key` as the vendor's answer to `request`
/// (same thread, in reply to it, addressed to its sender).
pub fn forged_answer(
    key: &parley_protocol::SecretKey,
    request: &[u8],
    response: Vec<u8>,
    body: impl FnOnce(&parley_protocol::Message) -> parley_protocol::Body,
) -> Vec<u8> {
    let Ok(request) = serde_json::from_slice::<Value>(request) else { return response };
    let Ok(asked) = parley_protocol::Message::from_value(&request) else { return response };
    let Ok(mut out) = serde_json::from_slice::<Value>(&response) else { return response };
    let vendor = parley_protocol::Did::from_public_key(&key.to_public());
    let mut m = parley_protocol::Message::new(vendor, asked.from.clone(), body(&asked));
    m.in_reply_to = Some(asked.id);
    m.thread = Some(asked.thread.unwrap_or(asked.id));
    m.consent = asked.consent.or_else(|| Some(asked.id.into()));
    let signed = m.sign(key).expect("sign the forged answer");
    out["answer"] = signed.document().clone();
    serde_json::to_vec(&out).expect("JSON")
}
