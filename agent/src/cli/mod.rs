//! Argument parsing and dispatch for `parley`.

mod proto;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Parley: your data, your terms, signed.
#[derive(Parser)]
#[command(name = "parley", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Protocol tools: canonicalise, make keys, sign and verify Data Integrity proofs.
    #[command(subcommand)]
    Proto(proto::ProtoCommand),
}

/// A failure with the exit code it should produce.
pub(crate) struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn refused(message: impl std::fmt::Display) -> Self {
        Self { code: 1, message: message.to_string() }
    }
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Self { code: 2, message: message.to_string() }
    }
}

pub(crate) fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Proto(cmd) => proto::run(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // One line, no backtrace: the message is for a person at a terminal.
            eprintln!("parley: {}", f.message.replace('\n', " "));
            ExitCode::from(f.code)
        }
    }
}
