//! Database faults under load: the PostgreSQL server restarted while
//! Books run, and the SQLite file system filling up. While railgate cannot
//! write it answers UNAVAILABLE (DATABASE_UNAVAILABLE); it reconnects by
//! itself; and afterwards every Book a client saw succeed exists exactly
//! once, here and at the provider, and every order reaches its final state.
//!
//! Both faults need a database of the test's own: restarting the shared
//! PostgreSQL would break every other test running beside this one, so
//! [`private_postgres`] starts a throwaway cluster (initdb + pg_ctl, the
//! tools `pg_ctlcluster` drives) on its own port; the full disk is a
//! size-limited tmpfs. Both need root (a cluster runs as `postgres`; mount
//! needs CAP_SYS_ADMIN): without it they fail under CI=true and are skipped
//! elsewhere.

mod load;
mod private_postgres;
mod sqlite_full;

use load::{BookLoad, confirm_all};
use private_postgres::PrivatePostgres;

/// Whether the machine lets these tests make their faults; under CI they
/// must be able to.
pub fn can_inject_faults(what: &str) -> bool {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0");
    if !root {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{what} needs root on CI machines"
        );
        eprintln!("skipped: {what} needs root");
    }
    root
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_survive_a_postgresql_restart() {
    if !can_inject_faults("restarting a PostgreSQL cluster") {
        return;
    }
    let postgres = PrivatePostgres::start().await;
    let url = postgres.url();
    let pairs = crate::scripted::Scripted::start_with(move |config| {
        config.store.url = Some(url);
        config.orders.reconcile_interval_ms = 100;
        // A Book cut off mid-way holds its key this long; retries wait it out.
        config.orders.idempotency_lease_ms = 2_000;
    })
    .await;
    let load = BookLoad::start(&pairs, "pg-restart", 6, 6).await;
    load.wait_for_successes(6).await;
    postgres.restart().await;
    let outcome = load.finish().await;
    outcome.check(&pairs).await;
    assert!(
        outcome.refused > 0,
        "the restart refused no Book: it did not bite"
    );
    confirm_all(&pairs, &outcome).await;
}
