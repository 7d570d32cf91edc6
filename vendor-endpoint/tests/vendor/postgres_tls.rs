//! The store's connection to PostgreSQL is encrypted and the server verified, against a
//! server that accepts the test role over TLS only (`scripts/postgres.sh` sets it up).

use parley_vendor::Store;
use sqlx::Connection;

fn tls_url() -> String {
    std::env::var("PARLEY_TEST_TLS_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "the TLS test needs PARLEY_TEST_TLS_DATABASE_URL: a server that accepts its role over TLS \
             only, with sslmode=verify-full (./scripts/test.sh sets one up)"
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_reaches_postgresql_over_verified_tls_only() {
    let url = tls_url();
    // A fresh database for this run, made over TLS too.
    let name = format!("parley_tls_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&url).await.expect("TLS with verify-full connects");
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut admin).await;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
    let db_url = url.replacen("/postgres?", &format!("/{name}?"), 1);

    let store = Store::connect(&db_url).await.expect("the store connects with sslmode=verify-full");
    assert_eq!(store.nps().await.unwrap().count, 0, "and works");
    store.close().await;
    let mut probe = sqlx::PgConnection::connect(&db_url).await.unwrap();
    let (ssl,): (bool,) = sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut probe)
        .await
        .unwrap();
    assert!(ssl, "the session is encrypted");
    probe.close().await.unwrap();

    // The server refuses this role in plain text, so a store without TLS cannot connect…
    let plain = db_url.replace("sslmode=verify-full", "sslmode=disable");
    let err = Store::connect(&plain).await.expect_err("no plain-text connection");
    assert!(err.to_string().contains("no encryption"), "{err}");
    // …and verify-full checks the server's certificate: another CA is not trusted.
    let wrong_ca = db_url.split("&sslrootcert=").next().unwrap().to_owned()
        + "&sslrootcert=/etc/ssl/certs/ca-certificates.crt";
    assert!(Store::connect(&wrong_ca).await.is_err(), "a server certificate from an untrusted CA is refused");

    // Best effort: a failed clean-up is not this test's failure.
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
}
