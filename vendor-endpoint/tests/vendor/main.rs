//! Integration tests of `parley-vendor`: the endpoint over real HTTP on loopback, against
//! SQLite and against a real PostgreSQL server (from `PARLEY_TEST_DATABASE_URL`, which
//! `scripts/test.sh` provides), plus the binary itself.

mod cli;
mod common;
mod connections;
mod consent;
mod console;
mod contract;
mod erasure;
mod inbox;
mod instances;
mod integrations;
mod metrics;
mod orders;
mod postgres_tls;
mod refusals;
mod store;

/// Declares a `#[tokio::test]` per backend for each listed async test function taking a
/// [`common::Db`].
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Db::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Db::Postgres).await })*
        }
    };
}
