//! The `parley` binary, run as a person or a script would run it.

mod crash;
mod proto;
mod vault;

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `parley` with `args`, feeding `stdin`.
pub fn parley(args: &[&str], stdin: &[u8]) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_parley")).args(args), stdin)
}

/// A person's vault in a temporary folder, driven through the CLI.
pub struct Person {
    pub dir: tempfile::TempDir,
    pub passphrase: String,
}

impl Person {
    /// A new person with an initialised vault.
    pub fn new() -> Self {
        let p = Self { dir: tempfile::tempdir().unwrap(), passphrase: "correct horse".into() };
        let out = p.run(&["init"]);
        assert!(out.status.success(), "init: {}", stderr(&out));
        p
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_parley"));
        c.env("PARLEY_VAULT", self.dir.path())
            .env("PARLEY_PASSPHRASE", &self.passphrase)
            .env("PARLEY_INSECURE_KDF", "1")
            .env_remove("PARLEY_NEW_PASSPHRASE");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        run(self.command().args(args), b"")
    }

    /// Runs and expects success; returns stdout, trimmed.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "parley {args:?} failed: {}", stderr(&out));
        stdout(&out).trim_end().to_owned()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

fn run(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("parley starts");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}
