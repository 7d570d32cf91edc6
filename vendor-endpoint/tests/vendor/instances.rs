//! Several instances of one vendor on one PostgreSQL database, as behind a load
//! balancer: a revocation taken by one instance while another ingests under the same
//! consent, the same message answered with the same receipt by any instance, and the
//! retention sweep run by one instance at a time, even when one is cut off half-way.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parley_protocol::{AgreementId, Body, Category, Purpose};
use parley_vendor::store::{Store, SWEEP_LOCK};

use crate::common::{pg_database, vendor_signed, Db, Person, TestVendor};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_message_lands_after_the_deletion_receipt_another_instance_signed() {
    let one = Arc::new(TestVendor::start(Db::Postgres).await);
    let two = one.another_instance().await;
    let p = Arc::new(Person::new(&one));
    let consent = p.agreed(&one, AgreementId::SdBase, Purpose::Improvement, &[Category::Feedback]).await;

    // Instance one ingests feedback under the consent as fast as it is sent...
    let revoked = Arc::new(AtomicBool::new(false));
    let sender = {
        let (one, p, revoked) = (one.clone(), p.clone(), revoked.clone());
        tokio::spawn(async move {
            let (mut before, mut after, mut refused_after) = (BTreeSet::new(), BTreeSet::new(), 0);
            for i in 0..3000 {
                let done = revoked.load(Ordering::SeqCst);
                let m = p.feedback(consent, 3, &format!("note {i}"));
                let (status, _) = one.post(&m).await;
                match (status, done) {
                    (200, false) => drop(before.insert(m.id.to_string())),
                    (200, true) => drop(after.insert(m.id.to_string())),
                    (_, true) => refused_after += 1,
                    _ => {}
                }
                if refused_after >= 20 {
                    break;
                }
            }
            (before, after, refused_after)
        })
    };
    // ...while instance two takes the revocation.
    while one.store().messages(None, 1000).await.unwrap().len() < 30 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let revoke = p.sign(p.message(Body::ConsentRevocation(Default::default()), Some(consent)));
    let (status, answer) = two.post(&revoke).await;
    assert_eq!(status, 200, "{answer}");
    revoked.store(true, Ordering::SeqCst);
    let receipt = vendor_signed(&two, &answer["answer"], &p.did());
    let Body::DeletionReceipt(receipt) = &receipt.body else { panic!("a deletion receipt: {answer}") };
    let deleted: BTreeSet<String> = receipt.deleted.iter().map(|id| id.to_string()).collect();
    let (before, after, refused_after) = sender.await.unwrap();

    assert!(before.len() >= 20, "instance one was ingesting: {}", before.len());
    assert!(after.is_empty(), "acknowledged after the deletion receipt: {after:?}");
    assert!(refused_after >= 20, "later messages under the revoked consent are refused");
    // Everything acknowledged before the receipt is in it; the receipt says true.
    let missing: Vec<_> = before.difference(&deleted).collect();
    assert!(missing.is_empty(), "acknowledged, then not deleted: {missing:?}");
    let held = one.store().messages(None, 10_000).await.unwrap();
    let under: Vec<_> = held
        .iter()
        // The revocation itself is kept: the vendor's record of being told.
        .filter(|m| m.document["consent"] == consent.to_string() && m.kind != "ConsentRevocation")
        .map(|m| (m.kind.clone(), m.id.clone()))
        .collect();
    assert!(under.is_empty(), "held under the revoked consent: {under:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_instance_answers_the_same_message_with_the_same_receipt() {
    let one = TestVendor::start(Db::Postgres).await;
    let two = one.another_instance().await;
    let three = one.another_instance().await;
    let p = Person::new(&one);
    let consent = p.agreed(&two, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
    let m = p.support(consent, "the lid does not close");
    let first = one.post(&m).await;
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(two.post(&m).await, first, "instance two gives the same receipt, byte for byte");
    assert_eq!(three.post(&m).await, first, "and so does instance three");
    let held = one.store().messages(None, 100).await.unwrap();
    assert_eq!(held.iter().filter(|s| s.id == m.id.to_string()).count(), 1, "held once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retention_sweep_runs_on_one_instance_at_a_time() {
    use sqlx::Connection;
    // Two instances' stores on one database, without the servers around them: a served
    // instance sweeps on its own schedule (at start, then hourly), and that sweep would
    // take its turn in the middle of this test's.
    let (url, _database) = pg_database().await;
    let one = Store::connect(&url).await.unwrap();
    let two = Store::connect(&url).await.unwrap();
    let now = parley_protocol::Timestamp::now();
    // Instance one sweeping: it holds the lock (taken here on a connection of its own,
    // as its sweep would), and instance two does not sweep meanwhile.
    let mut sweeping = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)").bind(SWEEP_LOCK).execute(&mut sweeping).await.unwrap();
    assert_eq!(two.sweep_expired_alone(now).await.unwrap(), None, "another instance is sweeping");
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(SWEEP_LOCK).execute(&mut sweeping).await.unwrap();
    assert_eq!(two.sweep_expired_alone(now).await.unwrap(), Some(0), "its turn once the lock is free");
    // Both at once: exactly one sweeps... or each in turn, never both inside together.
    let (a, b) = tokio::join!(one.sweep_expired_alone(now), two.sweep_expired_alone(now));
    assert!(a.unwrap().is_some() || b.unwrap().is_some(), "one of them swept");
    // The lock is free again after a sweep: nobody left holding it.
    let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(SWEEP_LOCK)
        .fetch_one(&mut sweeping)
        .await
        .unwrap();
    assert!(free, "a sweep releases the lock");
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(SWEEP_LOCK).execute(&mut sweeping).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_cut_off_half_way_leaves_no_lock_behind() {
    use sqlx::Connection;
    let (url, _database) = pg_database().await;
    let store = Store::connect(&url).await.unwrap();
    // Keep the sweep inside: its last step waits on a table another session locks.
    let mut blocker = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut blocker).await.unwrap();
    sqlx::query("LOCK TABLE inbox_queries IN ACCESS EXCLUSIVE MODE").execute(&mut blocker).await.unwrap();
    let mut watcher = sqlx::PgConnection::connect(&url).await.unwrap();
    let held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted";
    let sweep = store.sweep_expired_alone(parley_protocol::Timestamp::now());
    // Cut it off (as shutdown aborts the sweeper) once it holds the lock.
    let took_the_lock = tokio::select! {
        done = sweep => panic!("the sweep went through a locked table: {done:?}"),
        took = async {
            for _ in 0..500 {
                let n: i64 = sqlx::query_scalar(held).fetch_one(&mut watcher).await.unwrap();
                if n > 0 {
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            false
        } => took,
    };
    assert!(took_the_lock, "the sweep took the lock");
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    // The lock went with the sweep's connection: another instance gets its turn. (Not
    // this one: a session's advisory locks stack, so a connection pooled with the lock
    // still held would let this instance sweep, and no other ever again.)
    let another = Store::connect(&url).await.unwrap();
    let mut swept = None;
    for _ in 0..100 {
        swept = another.sweep_expired_alone(parley_protocol::Timestamp::now()).await.unwrap();
        if swept.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(swept, Some(0), "a sweep cut off half-way left its lock behind");
}
