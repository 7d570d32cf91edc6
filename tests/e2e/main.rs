//! End-to-end: real `parley-vendor` servers on loopback ports, real `parley` agents in
//! temporary vaults, over HTTP. Each module is one part of the loop a person goes
//! through with vendors.

mod common;

mod consent;
mod crash;
mod exchange;
mod faults;
mod hostile;
mod hostile_http;
mod in_process;
mod instances;
mod integrations;
mod interop;
mod ownership;
mod privacy;
mod resilience;
mod trust;
