//! A throwaway PostgreSQL cluster in a temp dir, on a port of its own, run
//! as the `postgres` user with the server's own tools.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePostgres {
    pub async fn start() -> Self {
        let bin = server_bin();
        let dir = tempfile::Builder::new()
            .prefix("railgate-pg-")
            .tempdir()
            .expect("temp dir");
        run("chown", &["postgres:postgres", &path(dir.path())]);
        let port = free_port();
        as_postgres(
            &bin.join("initdb"),
            &[
                "-D",
                &path(&dir.path().join("data")),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        let cluster = PrivatePostgres { bin, dir, port };
        cluster.pg_ctl(&["start"]);
        cluster
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast: connections are cut, as in a real
    /// restart) and starts it again, off the async runtime.
    pub async fn restart(&self) {
        let (bin, dir, port) = (self.bin.clone(), self.dir.path().to_owned(), self.port);
        tokio::task::spawn_blocking(move || {
            PrivatePostgres::control(&bin, &dir, port, &["restart", "-m", "fast"])
        })
        .await
        .expect("restart");
    }

    fn pg_ctl(&self, args: &[&str]) {
        Self::control(&self.bin, self.dir.path(), self.port, args);
    }

    fn control(bin: &Path, dir: &Path, port: u16, args: &[&str]) {
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            path(dir)
        );
        let mut all = vec![
            "-D".to_owned(),
            path(&dir.join("data")),
            "-l".to_owned(),
            path(&dir.join("server.log")),
            "-o".to_owned(),
            options,
            "-w".to_owned(),
        ];
        all.extend(args.iter().map(|arg| (*arg).to_owned()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        as_postgres(&bin.join("pg_ctl"), &all);
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        // Immediate: nothing here is worth a clean shutdown.
        let _ = std::panic::catch_unwind(|| self.pg_ctl(&["stop", "-m", "immediate"]));
    }
}

/// The newest installed server's bin directory (Debian's layout).
fn server_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server packages in /usr/lib/postgresql")
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|bin| bin.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL server with pg_ctl")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn path(path: &Path) -> String {
    path.display().to_string()
}

fn as_postgres(program: &Path, args: &[&str]) {
    let mut all = vec![
        "-u",
        "postgres",
        "--",
        program.to_str().expect("utf-8 path"),
    ];
    all.extend_from_slice(args);
    run("runuser", &all);
}

fn run(program: &str, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("{program}: {error}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}
