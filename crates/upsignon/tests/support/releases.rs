//! Two real builds of the server for the upgrade and rollback tests: this
//! one (A) and one built as version 0.2.0-test with two extra migrations
//! (B), and a site of A installed under a temporary prefix.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use upsignon_ops::release::{self, KeyPair};
use upsignon_store::{Store, introspect};
use upsignon_testkit::{Backend, TestDatabase};

use super::{binary, free_port, text};

pub const VERSION_B: &str = "0.2.0-test";

/// The newest migration release A (this build) embeds.
pub fn head_of_a() -> String {
    upsignon_store::migrations::embedded(Backend::Sqlite)
        .last()
        .map(|m| m.version.clone())
        .unwrap()
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds B once per test run, in its own target directory.
pub fn build_b() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let target = workspace().join("target/newer-release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let status = Command::new(cargo)
            .current_dir(workspace())
            .args(["build", "--locked", "-p", "upsignon", "--bin", "upsignon"])
            .env("CARGO_TARGET_DIR", &target)
            .env("UPSIGNON_VERSION_OVERRIDE", VERSION_B)
            .env(
                "UPSIGNON_EXTRA_MIGRATIONS",
                workspace().join("crates/upsignon-testkit/migrations-newer"),
            )
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building release B failed");
        target.join("debug/upsignon")
    })
}

/// A installed under a temporary prefix and running in the background.
pub struct Site {
    pub db: TestDatabase,
    pub prefix: PathBuf,
    pub exe: PathBuf,
    pub port: u16,
    pub keys: KeyPair,
}

impl Site {
    pub fn install(backend: Backend) -> Self {
        let db = TestDatabase::new(backend);
        let prefix = db.dir.path().join("root");
        let exe = prefix.join("usr/bin/upsignon");
        std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
        std::fs::copy(binary(), &exe).unwrap();
        let site = Site {
            port: free_port(),
            keys: release::generate_key_pair().unwrap(),
            db,
            prefix,
            exe,
        };
        let mut install = Command::new(&site.exe);
        install
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .arg("install")
            .arg("--prefix")
            .arg(&site.prefix)
            .args(["--non-interactive", "--admin-email", "it@example.com"])
            .arg(format!("--listen=127.0.0.1:{}", site.port))
            .arg(format!("--database-url={}", site.db.url_string()))
            .stdin(Stdio::null());
        let output = output_retrying_busy_text(install);
        assert!(output.status.success(), "{}", text(&output));
        site
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.exe);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("UPSIGNON_RELEASE_PUBLIC_KEYS", &self.keys.public_hex)
            .arg("--config")
            .arg(self.prefix.join("etc/upsignon/upsignon.toml"))
            .args(args)
            .stdin(Stdio::null());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    pub fn pack(&self, binary: &Path) -> PathBuf {
        let out = self.db.dir.path().join("releases-in");
        std::fs::create_dir_all(&out).unwrap();
        let version = binary_version(binary);
        release::pack(binary, &version, &self.keys.secret_hex, &out).unwrap()
    }

    pub fn ready(&self) -> serde_json::Value {
        super::ready(&self.prefix.join("var/lib/upsignon"), self.port)
    }

    pub fn store(&self) -> Store {
        Store::open(&self.db.url, 1).unwrap()
    }

    pub fn write(&self, sql: &str) {
        self.store()
            .connection()
            .unwrap()
            .batch_execute(sql)
            .unwrap();
    }

    pub fn fixture(&self, name: &str) {
        let path = [
            workspace()
                .join("crates/upsignon-store/migrations/fixtures")
                .join(name),
            workspace()
                .join("crates/upsignon-testkit/migrations-newer/fixtures")
                .join(name),
        ]
        .into_iter()
        .find(|p| p.is_file())
        .unwrap();
        self.write(&std::fs::read_to_string(path).unwrap());
    }

    pub fn tables(&self) -> Vec<String> {
        introspect::tables(&mut self.store().connection().unwrap()).unwrap()
    }

    pub fn emails(&self) -> Vec<String> {
        introspect::rows(&mut self.store().connection().unwrap(), "users")
            .unwrap()
            .into_iter()
            .collect()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        super::StopsServer(self.prefix.clone());
    }
}

/// Runs a binary this test just copied. Another test thread forking at the
/// moment of the copy briefly holds it open for writing, and exec then fails
/// with ETXTBSY ("text file busy"); trying again a few times is the known cure.
pub fn output_retrying_busy_text(mut command: Command) -> Output {
    for _ in 0..50 {
        match command.output() {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            other => return other.unwrap(),
        }
    }
    panic!("the copied binary stayed busy")
}

pub fn binary_version(binary: &Path) -> String {
    let mut command = Command::new(binary);
    command.arg("--version");
    let out = output_retrying_busy_text(command);
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .trim_start_matches("upsignon ")
        .to_string()
}

pub fn sha(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// Whether the process was killed by SIGKILL (a fault point was reached).
pub fn killed(output: &Output) -> bool {
    output.status.signal() == Some(9)
}
