//! `parley proto …`: the protocol tools.

use std::io::{Read, Write};
use std::path::PathBuf;

use crate::proto_tools::{self, ToolError};
use clap::Subcommand;

use super::Failure;

#[derive(Subcommand)]
pub(crate) enum ProtoCommand {
    /// Print the RFC 8785 canonical form of a JSON document (no trailing newline).
    Canon {
        /// The JSON file; standard input when absent.
        file: Option<PathBuf>,
    },
    /// Print a new Ed25519 key pair as JSON: did, publicKeyMultibase, secretKeyMultibase.
    Keygen,
    /// Print the did:key of a publicKeyMultibase.
    Did {
        /// The public key, e.g. z6Mk….
        public_key_multibase: String,
    },
    /// Print the document with an eddsa-jcs-2022 DataIntegrityProof added.
    Sign {
        /// The signer's secretKeyMultibase (z3u2…).
        #[arg(long)]
        secret_key: String,
        /// The proof's created time (RFC 3339); now when absent.
        #[arg(long)]
        created: Option<String>,
        /// The verificationMethod URL; the key's own did:key when absent.
        #[arg(long)]
        verification_method: Option<String>,
        /// The JSON file; standard input when absent.
        file: Option<PathBuf>,
    },
    /// Verify a proof of purchase (`parley product proof`) offline: every signature, one
    /// purchase, not a byte changed. Exit 0 valid, 1 invalid.
    VerifyBundle {
        /// The bundle file; standard input when absent.
        file: Option<PathBuf>,
    },
    /// Verify a document's eddsa-jcs-2022 proof. Exit 0 valid, 1 invalid, 2 unusable input.
    Verify {
        /// The key to use when the verification method is not a did:key.
        #[arg(long)]
        public_key: Option<String>,
        /// The JSON file; standard input when absent.
        file: Option<PathBuf>,
    },
}

pub(crate) fn run(cmd: ProtoCommand) -> Result<(), Failure> {
    match cmd {
        ProtoCommand::Canon { file } => {
            let out = proto_tools::canon(&read_input(file.as_ref())?).map_err(tool_failure)?;
            write_stdout(&out)
        }
        ProtoCommand::Keygen => print_json(&proto_tools::keygen()),
        ProtoCommand::Did { public_key_multibase } => {
            let did = proto_tools::did(&public_key_multibase).map_err(tool_failure)?;
            write_stdout(format!("{did}\n").as_bytes())
        }
        ProtoCommand::Sign { secret_key, created, verification_method, file } => {
            let input = read_input(file.as_ref())?;
            let signed =
                proto_tools::sign(&input, &secret_key, created.as_deref(), verification_method.as_deref())
                    .map_err(tool_failure)?;
            print_json(&signed)
        }
        ProtoCommand::VerifyBundle { file } => {
            let input = read_input(file.as_ref())?;
            let p = parley_protocol::PurchaseBundle::verify(&input)
                .map_err(|e| Failure::refused(format!("not a valid proof of purchase: {e}")))?;
            let line = p.order.items.first().map(|i| i.what.as_str()).unwrap_or(&p.offer.text);
            let warranty = p
                .order
                .warranty_until
                .as_deref()
                .map(|w| format!(", warranty until {w}"))
                .unwrap_or_default();
            let serial = p.order.serial.as_deref().map(|s| format!(", serial {s}")).unwrap_or_default();
            let report = format!(
                "valid proof of purchase: order {} ({}) of {line} for {} {}{serial}{warranty}\n  sold by {}\n  to {}\n  {} signed messages, as of {}\n",
                p.order.order,
                p.order.status.as_str(),
                p.offer.price.amount,
                p.offer.price.currency,
                p.vendor,
                p.person,
                p.digests.len(),
                p.updated
            );
            write_stdout(report.as_bytes())
        }
        ProtoCommand::Verify { public_key, file } => {
            let input = read_input(file.as_ref())?;
            let method = proto_tools::verify(&input, public_key.as_deref()).map_err(tool_failure)?;
            write_stdout(format!("{method}\n").as_bytes())
        }
    }
}

fn tool_failure(e: ToolError) -> Failure {
    if e.is_unusable_input() {
        Failure::usage(e)
    } else {
        Failure::refused(e)
    }
}

fn read_input(file: Option<&PathBuf>) -> Result<Vec<u8>, Failure> {
    match file {
        Some(path) => {
            std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))
        }
        None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
            Ok(buf)
        }
    }
}

fn print_json(value: &serde_json::Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(Failure::refused)?;
    write_stdout(format!("{text}\n").as_bytes())
}

fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| Failure::refused(format!("cannot write output: {e}")))
}
