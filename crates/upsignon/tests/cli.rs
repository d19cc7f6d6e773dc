//! The `upsignon` binary as a sysadmin runs it: a real process, real
//! databases, HTTPS to the port it prints, SIGTERM to stop it.

use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use std::path::Path;

use upsignon_store::Store;
use upsignon_testkit::{Backend, TestDatabase, backend_tests, newer_release_migrations};

struct Server {
    child: Child,
    port: u16,
}

fn upsignon(db: &TestDatabase) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upsignon"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("UPSIGNON_DATABASE_URL", db.url_string())
        .env("UPSIGNON_STATE_DIR", db.dir.path().join("state"))
        .env("UPSIGNON_LOG_FORMAT", "json")
        .env("UPSIGNON_WORKERS", "1")
        .stdin(Stdio::null());
    command
}

fn run(mut command: Command) -> Output {
    command.output().expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(db: &TestDatabase) -> Server {
    let port = free_port();
    let child = upsignon(db)
        .arg("serve")
        .env("UPSIGNON_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    Server { child, port }
}

/// An HTTPS client that trusts the certificate the server generated, driven
/// by a small runtime so these tests stay plain `#[test]`s.
struct Probe {
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Probe {
    fn trusting(cert: &Path) -> Self {
        let pem = std::fs::read(cert).expect("the server wrote its certificate");
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Self { client, runtime }
    }

    /// Status and body of a GET, or None when nothing answers.
    fn get(&self, url: &str) -> Option<(u16, String)> {
        self.runtime.block_on(async {
            let response = self.client.get(url).send().await.ok()?;
            let status = response.status().as_u16();
            Some((status, response.text().await.ok()?))
        })
    }
}

impl Server {
    /// Polls /health/ready for at most 30 s.
    fn wait_ready(&mut self, db: &TestDatabase) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let cert = db.dir.path().join("state/tls/cert.pem");
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("serve exited early with {status}");
            }
            if cert.exists()
                && let Some((200, body)) = Probe::trusting(&cert)
                    .get(&format!("https://127.0.0.1:{}/health/ready", self.port))
            {
                return body;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("serve did not become ready within 30 s");
    }

    /// SIGTERM, then wait at most 20 s for a clean exit.
    fn terminate(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill().ok();
        panic!("serve did not stop within 20 s of SIGTERM");
    }
}

fn serve_answers_ready_and_stops_cleanly_on_sigterm(backend: Backend) {
    let db = TestDatabase::new(backend);
    let mut server = start(&db);
    let body = server.wait_ready(&db);
    assert!(body.contains("\"status\":\"ready\""), "{body}");
    let head = embedded_head(backend);
    assert!(body.contains(&format!("\"schema\":\"{head}\"")), "{body}");
    assert!(server.terminate().success(), "a clean exit after SIGTERM");
}

fn an_older_binary_refuses_a_newer_schema_until_migrate_sync(backend: Backend) {
    let db = TestDatabase::new(backend);
    Store::open_with_migrations(&db.url, 1, newer_release_migrations(backend))
        .unwrap()
        .migrate_up("9.9.9")
        .unwrap();

    let refused = run({
        let mut c = upsignon(&db);
        c.arg("serve")
            .env("UPSIGNON_LISTEN", format!("127.0.0.1:{}", free_port()));
        c
    });
    assert!(!refused.status.success());
    let message = text(&refused);
    assert!(message.contains("ahead of this binary"), "{message}");
    assert!(message.contains("upsignon migrate sync"), "{message}");

    let status = run({
        let mut c = upsignon(&db);
        c.args(["migrate", "status"]);
        c
    });
    let listing = text(&status);
    assert!(
        listing.contains("9001") && listing.contains("ahead"),
        "{listing}"
    );

    let synced = run({
        let mut c = upsignon(&db);
        c.args(["migrate", "sync"]);
        c
    });
    assert!(synced.status.success(), "{}", text(&synced));
    assert!(
        text(&synced).contains("reverted 9002, 9001"),
        "{}",
        text(&synced)
    );

    let mut server = start(&db);
    server.wait_ready(&db);
    assert!(server.terminate().success());
}

/// The newest migration this binary embeds, and all their versions.
fn embedded_head(backend: Backend) -> String {
    embedded_versions(backend).last().cloned().unwrap()
}

fn embedded_versions(backend: Backend) -> Vec<String> {
    upsignon_store::migrations::embedded(backend)
        .into_iter()
        .map(|m| m.version)
        .collect()
}

fn migrate_down_shows_its_plan_and_needs_yes(backend: Backend) {
    let db = TestDatabase::new(backend);
    let versions = embedded_versions(backend);
    let head = embedded_head(backend);
    let up = run({
        let mut c = upsignon(&db);
        c.args(["migrate", "up"]);
        c
    });
    assert!(
        text(&up).contains(&format!(
            "applied {} migration(s) ({})",
            versions.len(),
            versions.join(", ")
        )),
        "{}",
        text(&up)
    );
    let refused = run({
        let mut c = upsignon(&db);
        c.args(["migrate", "down", "--to", "0"]);
        c
    });
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("would revert") && text(&refused).contains(&head),
        "{}",
        text(&refused)
    );
    assert_eq!(
        Store::open(&db.url, 1)
            .unwrap()
            .schema_status()
            .unwrap()
            .head(),
        Some(head.as_str())
    );
    let done = run({
        let mut c = upsignon(&db);
        c.args(["migrate", "down", "--to", "0", "--yes"]);
        c
    });
    assert!(
        text(&done).contains(&format!("reverted {} migration(s)", versions.len())),
        "{}",
        text(&done)
    );
}

backend_tests!(
    serve_answers_ready_and_stops_cleanly_on_sigterm,
    an_older_binary_refuses_a_newer_schema_until_migrate_sync,
    migrate_down_shows_its_plan_and_needs_yes,
);

#[test]
fn a_bad_setting_names_the_key_and_changes_nothing() {
    let db = TestDatabase::new(Backend::Sqlite);
    let output = run({
        let mut c = upsignon(&db);
        c.arg("serve").env("UPSIGNON_LISTEN", "everywhere");
        c
    });
    assert!(!output.status.success());
    let message = text(&output);
    assert!(
        message.contains("listen") && message.contains("everywhere"),
        "{message}"
    );
    assert!(
        !db.dir.path().join("state/upsignon.db").exists(),
        "no database was created"
    );
}

#[test]
fn config_show_masks_the_database_password() {
    let db = TestDatabase::new(Backend::Sqlite);
    let output = run({
        let mut c = upsignon(&db);
        c.args(["config", "show"]).env(
            "UPSIGNON_DATABASE_URL",
            "postgres://app:topsecret@db.internal/upsignon",
        );
        c
    });
    assert!(output.status.success(), "{}", text(&output));
    let shown = text(&output);
    assert!(
        shown.contains("postgres://app:********@db.internal/upsignon"),
        "{shown}"
    );
    assert!(!shown.contains("topsecret"));
}

#[test]
fn a_missing_config_file_is_an_error_with_the_fix() {
    let db = TestDatabase::new(Backend::Sqlite);
    let output = run({
        let mut c = upsignon(&db);
        c.args(["--config", "/nonexistent/upsignon.toml", "config", "show"]);
        c
    });
    assert!(!output.status.success());
    assert!(
        text(&output).contains("does not exist"),
        "{}",
        text(&output)
    );
}

#[test]
fn every_command_explains_itself() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["migrate", "down", "--help"],
        &["config", "show", "--help"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_upsignon"))
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).len() > 100,
            "{args:?} has a help text"
        );
    }
    let version = Command::new(env!("CARGO_BIN_EXE_upsignon"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("upsignon {}", env!("CARGO_PKG_VERSION"))
    );
}
