//! `upsignon standby` and `upsignon promote` as a sysadmin runs them: the
//! real binary as a standby of a real primary, promoted in one command.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use support::{binary, free_port, text};
use upsignon_config::Secret;
use upsignon_testkit::{Backend, TestApp, spawn_app_with};

const SECRET: &str = "0123456789abcdef0123456789abcdef-cli-secret";

struct Standby {
    dir: tempfile::TempDir,
    config: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Drop for Standby {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Standby {
    fn new(primary: &TestApp, key: &Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = dir.path().join("upsignon.toml");
        let ca = upsignon_api::tls::self_signed_paths(&primary.config.state_dir).0;
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:{port}\"\nstate_dir = \"{}\"\nbackup_key_file = \"{}\"\nreplication_secret = \"{SECRET}\"\nstandby_primary_ca_file = \"{}\"\nlog_format = \"json\"\n",
                dir.path().join("state").display(),
                key.display(),
                ca.display()
            ),
        )
        .unwrap();
        Standby {
            dir,
            config,
            port,
            child: None,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(binary());
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .stdin(Stdio::null());
        command
    }

    fn ready(&self) -> Option<(u16, serde_json::Value)> {
        let pem = std::fs::read(self.dir.path().join("state/tls/cert.pem")).ok()?;
        let client = reqwest::blocking::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let response = client
            .get(format!("https://127.0.0.1:{}/health/ready", self.port))
            .send()
            .ok()?;
        let status = response.status().as_u16();
        Some((status, response.json().ok()?))
    }
}

fn key_file(dir: &Path) -> PathBuf {
    let path = dir.join("backup.key");
    std::fs::write(&path, upsignon_ops::backup::generate_key_file_text()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn primary(key: &Path) -> TestApp {
    let key = key.to_path_buf();
    let app = spawn_app_with(Backend::Sqlite, |config| {
        config.backup_key_file = Some(key);
        config.backup_interval_secs = 0;
        config.replication_secret = Some(Secret::new(SECRET));
    });
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../upsignon-store/migrations/fixtures");
    for name in [
        "0001_initial.sql",
        "0002_admin_sign_in_codes.sql",
        "0003_device_authentication.sql",
        "0004_password_recovery.sql",
        "0005_console.sql",
    ] {
        let sql = std::fs::read_to_string(fixtures.join(name)).unwrap();
        app.store.connection().unwrap().batch_execute(&sql).unwrap();
    }
    app
}

#[test]
fn a_standby_started_from_the_command_line_is_promoted_in_one_command() {
    let keys = tempfile::tempdir().unwrap();
    let key = key_file(keys.path());
    let primary = primary(&key);
    let mut standby = Standby::new(&primary, &key);
    let log = std::fs::File::create(standby.dir.path().join("standby.log")).unwrap();
    standby.child = Some(
        standby
            .command(&["standby", "--primary", &primary.base_url])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let body = loop {
        assert!(Instant::now() < deadline, "the standby never pulled");
        if let Some((503, body)) = standby.ready()
            && body["standby"]["data_as_of_unix"].is_i64()
        {
            break body;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(body["reason"], "standby");

    let started = Instant::now();
    let output = standby.command(&["promote"]).output().unwrap();
    let took = started.elapsed();
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("this server is now a primary"), "{out}");
    assert!(out.contains("Data age:"), "{out}");
    assert!(out.contains("DNS name `127.0.0.1`"), "{out}");
    assert!(out.contains("ready as a primary"), "{out}");
    let (status, _) = standby.ready().unwrap();
    assert_eq!(status, 200);
    println!(
        "`upsignon promote` took {} ms, printing:\n{out}",
        took.as_millis()
    );

    let again = standby.command(&["promote"]).output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("not a standby"), "{}", text(&again));
}

#[test]
fn standby_refuses_to_replace_data_without_force() {
    let keys = tempfile::tempdir().unwrap();
    let key = key_file(keys.path());
    let primary = primary(&key);
    let standby = Standby::new(&primary, &key);
    let db = upsignon_store::Store::open(
        &upsignon_config::DatabaseUrl::sqlite(standby.dir.path().join("state/upsignon.db")),
        1,
    )
    .unwrap();
    db.migrate_up("test").unwrap();
    db.connection()
        .unwrap()
        .batch_execute(
            "INSERT INTO server_settings (name, value, updated_at) VALUES ('mine', 'kept', 1)",
        )
        .unwrap();

    let output = standby
        .command(&["standby", "--primary", &primary.base_url, "--no-serve"])
        .output()
        .unwrap();
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("already holds data") && out.contains("--force"),
        "{out}"
    );
    assert!(!standby.dir.path().join("state/standby.json").exists());

    let output = standby
        .command(&[
            "standby",
            "--primary",
            &primary.base_url,
            "--no-serve",
            "--force",
        ])
        .output()
        .unwrap();
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    assert!(
        out.contains("now a standby of") && out.contains("safety-before-standby"),
        "{out}"
    );
    assert!(standby.dir.path().join("state/standby.json").exists());
}
