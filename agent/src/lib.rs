//! `parley-agent`: the person's side of Parley.
//!
//! This first piece holds the protocol tools behind `parley proto`; the vault,
//! identities and delivery come next and are called the same way by the CLI, the
//! desktop app and the tests.
#![forbid(unsafe_code)]

pub mod proto_tools;
