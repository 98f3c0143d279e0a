//! The SQLite file system fills up under load: a tmpfs of a few MB holds
//! the database; a filler file takes the space left, and is removed again.

use super::can_inject_faults;
use super::load::{BookLoad, confirm_all};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A size-limited tmpfs mounted on a temp dir, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let size = format!("size={megabytes}m");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &size, "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount");
        assert!(status.success(), "mount tmpfs: {status}");
        SmallDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills what is left with a file; returns its path.
    fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        // dd stops at ENOSPC and says so: that is the point.
        let _ = Command::new("dd")
            .arg("if=/dev/zero")
            .arg(format!("of={}", filler.display()))
            .args(["bs=64k", "status=none"])
            .status()
            .expect("dd");
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazy: railgate's pool may still be closing its files; the mount
        // goes as soon as they are closed, and the empty dir with it.
        let _ = Command::new("umount")
            .arg("--lazy")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_survive_a_full_sqlite_disk() {
    if !can_inject_faults("mounting a small tmpfs") {
        return;
    }
    let disk = SmallDisk::mount(16);
    let url = format!(
        "sqlite://{}?mode=rwc",
        disk.path().join("railgate.db").display()
    );
    let pairs = crate::scripted::Scripted::start_with(move |config| {
        config.store.url = Some(url);
        config.orders.reconcile_interval_ms = 100;
        // A Book cut off mid-way holds its key this long; retries wait it out.
        config.orders.idempotency_lease_ms = 2_000;
    })
    .await;
    let load = BookLoad::start(&pairs, "disk-full", 4, 6).await;
    load.wait_for_successes(4).await;
    let filler = disk.fill();
    // Full until Books are refused (and retried) for it.
    load.wait_for_refusals(3).await;
    std::fs::remove_file(&filler).expect("free the space");
    let outcome = load.finish().await;
    outcome.check(&pairs).await;
    assert!(outcome.refused > 0, "the full disk refused no Book");
    confirm_all(&pairs, &outcome).await;
}
