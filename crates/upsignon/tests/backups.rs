//! `upsignon backup`, `backup verify` and `restore` as a sysadmin runs them:
//! the real binary on real databases. A backup from SQLite restores into
//! PostgreSQL and back with identical data; every bad input is refused
//! before the target changes.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use diesel::connection::SimpleConnection;
use support::backup_site::{Site, key_file};
use support::{binary, text};
use upsignon_store::{Store, dump};
use upsignon_testkit::{Backend, TestDatabase, newer_release_migrations};

impl Site {
    fn with_fixtures(self) -> Self {
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
            self.store()
                .connection()
                .unwrap()
                .batch_execute(&sql)
                .unwrap();
        }
        self
    }

    fn backup(&self, name: &str) -> PathBuf {
        let out = self.db.dir.path().join(name);
        let output = self.run(&["backup", "--out", out.to_str().unwrap()]);
        assert!(output.status.success(), "{}", text(&output));
        assert!(
            !text(&output).contains('\r'),
            "no progress line when the output is not a terminal: {}",
            text(&output)
        );
        out
    }

    /// Every row of every table, as text, for comparing two databases.
    fn contents(&self) -> Vec<(String, Vec<String>)> {
        self.rows_by_table()
    }
}

#[test]
fn sqlite_to_postgres_to_sqlite_returns_identical_data() {
    let keys = tempfile::tempdir().unwrap();
    let key = key_file(keys.path(), "backup.key");
    let first = Site::new(Backend::Sqlite, &key).with_fixtures();
    let from_sqlite = first.backup("from-sqlite.upsignon-backup");

    let postgres = Site::new(Backend::Postgres, &key);
    let output = postgres.run(&["restore", from_sqlite.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("rows/s"), "{}", text(&output));
    let from_postgres = postgres.backup("from-postgres.upsignon-backup");

    let last = Site::new(Backend::Sqlite, &key);
    let output = last.run(&["restore", from_postgres.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let contents = first.contents();
    assert!(contents.iter().map(|(_, rows)| rows.len()).sum::<usize>() > 5);
    assert_eq!(last.contents(), contents);

    let output = last.run(&["backup", "verify", from_postgres.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("is good"), "{}", text(&output));
}

fn refused(site: &Site, file: &Path, expected: &str) {
    let before = site.contents();
    let output = site.run(&["restore", "--force", file.to_str().unwrap()]);
    assert!(!output.status.success(), "accepted: {}", text(&output));
    assert!(text(&output).contains(expected), "{}", text(&output));
    assert_eq!(
        site.contents(),
        before,
        "a refused restore changed the database"
    );
}

#[test]
fn bad_backups_are_refused_before_the_database_changes() {
    let keys = tempfile::tempdir().unwrap();
    let key = key_file(keys.path(), "backup.key");
    let site = Site::new(Backend::Sqlite, &key).with_fixtures();
    let good = site.backup("good.upsignon-backup");
    let bytes = std::fs::read(&good).unwrap();

    let truncated = site.db.dir.path().join("truncated.upsignon-backup");
    std::fs::write(&truncated, &bytes[..bytes.len() - 40]).unwrap();
    refused(&site, &truncated, "damaged");

    let tampered = site.db.dir.path().join("tampered.upsignon-backup");
    let mut changed = bytes.clone();
    let middle = changed.len() - 60;
    changed[middle] ^= 0x01;
    std::fs::write(&tampered, changed).unwrap();
    refused(&site, &tampered, "damaged");

    let other_key = key_file(keys.path(), "other.key");
    let stranger = Site::new(Backend::Sqlite, &other_key).with_fixtures();
    let foreign = stranger.backup("foreign.upsignon-backup");
    refused(&site, &foreign, "cannot be decrypted with the key");

    let newer = TestDatabase::new(Backend::Sqlite);
    let store =
        Store::open_with_migrations(&newer.url, 1, newer_release_migrations(Backend::Sqlite))
            .unwrap();
    store.migrate_up("9.9.9").unwrap();
    let from_newer = newer.dir.path().join("newer.upsignon-backup");
    upsignon_ops::backup::backup(
        &store,
        &upsignon_ops::backup::Keys::backup_only(&key),
        &from_newer,
    )
    .unwrap();
    refused(&site, &from_newer, "newer than this binary");
}

#[test]
fn a_database_with_data_is_replaced_only_with_force_after_a_safety_backup() {
    let keys = tempfile::tempdir().unwrap();
    let key = key_file(keys.path(), "backup.key");
    let site = Site::new(Backend::Sqlite, &key).with_fixtures();
    let file = site.backup("snapshot.upsignon-backup");
    let output = site.run(&["restore", file.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(text(&output).contains("--force"), "{}", text(&output));

    let output = site.run(&["restore", "--force", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let safety: Vec<_> = std::fs::read_dir(site.db.dir.path().join("backups"))
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("safety-before-restore")
        })
        .collect();
    assert_eq!(safety.len(), 1, "one safety backup before replacing");
}

#[test]
fn a_backup_never_leaves_a_partial_file_under_its_final_name() {
    let keys = tempfile::tempdir().unwrap();
    let key = key_file(keys.path(), "backup.key");
    let site = Site::new(Backend::Sqlite, &key).with_fixtures();
    let output = site.run(&["backup", "--out", "/proc/no-such-dir/x.upsignon-backup"]);
    assert!(!output.status.success());
    assert!(text(&output).contains("cannot"), "{}", text(&output));
    let file = site.backup("whole.upsignon-backup");
    let names: Vec<String> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".partial")), "{names:?}");
}

impl Site {
    /// Adds `users` users, each with a 4 KB opaque vault of random bytes
    /// (as incompressible as real ciphertext). SQLite sites only.
    fn seed(&self, users: u32) {
        let tenant = "00000000-0000-4000-8000-000000000001";
        let sql = format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {users}) \
             INSERT INTO users (id, tenant_id, email, created_at) \
             SELECT 'seed-' || i, '{tenant}', 'seed' || i || '@acme.test', 1 FROM n; \
             INSERT INTO vaults (user_id, encrypted_data, version, updated_at) \
             SELECT id, hex(randomblob(2048)), 1, 1 FROM users WHERE id LIKE 'seed-%';"
        );
        self.store()
            .connection()
            .unwrap()
            .batch_execute(&sql)
            .unwrap();
    }
}

#[test]
fn a_backup_killed_mid_write_leaves_no_file_under_its_final_name() {
    let keys = tempfile::tempdir().unwrap();
    let key = key_file(keys.path(), "backup.key");
    let site = Site::new(Backend::Sqlite, &key).with_fixtures();
    site.seed(5_000);
    let out = site.db.dir.path().join("killed.upsignon-backup");
    let partial_exists = || {
        std::fs::read_dir(site.db.dir.path())
            .unwrap()
            .flatten()
            .any(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.starts_with(".killed.upsignon-backup.") && name.ends_with(".partial")
            })
    };
    let mut child = Command::new(binary())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg("--config")
        .arg(&site.config_file)
        .args(["backup", "--out", out.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !partial_exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the backup never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !out.exists(),
        "a killed backup left a file under its final name"
    );

    let again = site.backup("killed.upsignon-backup");
    let output = site.run(&["backup", "verify", again.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
}

/// A small tmpfs mounted for the test, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .expect("mount runs (the tests run as root)");
        assert!(status.success(), "mounting a tmpfs needs root");
        SmallDisk(dir.to_path_buf())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_fails_the_backup_cleanly_and_keeps_older_backups() {
    let keys = tempfile::tempdir().unwrap();
    let key = key_file(keys.path(), "backup.key");
    let site = Site::new(Backend::Sqlite, &key).with_fixtures();
    let disk = site.db.dir.path().join("small-disk");
    let _mounted = SmallDisk::mount(&disk, "256k");
    let older = disk.join("older.upsignon-backup");
    let output = site.run(&["backup", "--out", older.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let older_bytes = std::fs::read(&older).unwrap();

    site.seed(2_000);
    let out = disk.join("too-big.upsignon-backup");
    let output = site.run(&["backup", "--out", out.to_str().unwrap()]);
    assert!(
        !output.status.success(),
        "the backup fit: {}",
        text(&output)
    );
    assert!(
        text(&output).contains(&format!("no space left on the disk of {}", disk.display())),
        "{}",
        text(&output)
    );
    assert!(!out.exists(), "a half-written backup has its final name");
    let leftovers: Vec<_> = std::fs::read_dir(&disk)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != ".upsignon-backup.lock")
        .collect();
    assert_eq!(
        leftovers,
        ["older.upsignon-backup"],
        "the partial file was not removed"
    );
    assert_eq!(
        std::fs::read(&older).unwrap(),
        older_bytes,
        "an older backup changed"
    );
    let output = site.run(&["backup", "verify", older.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
}

#[test]
fn a_full_disk_during_a_restore_says_so_and_changes_nothing() {
    let keys = tempfile::tempdir().unwrap();
    let key = key_file(keys.path(), "backup.key");
    let source = Site::new(Backend::Sqlite, &key).with_fixtures();
    source.seed(2_000);
    let file = source.backup("big.upsignon-backup");

    let disk = keys.path().join("small-disk");
    let _mounted = SmallDisk::mount(&disk, "1m");
    let config = keys.path().join("small.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"sqlite://{}\"\nstate_dir = \"{}\"\nbackup_dir = \"{}\"\nbackup_key_file = \"{}\"\n",
            disk.join("small.db").display(),
            keys.path().join("state").display(),
            keys.path().join("backups").display(),
            key.display()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(binary())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .arg("--config")
            .arg(&config)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let output = run(&["migrate", "up"]);
    assert!(output.status.success(), "{}", text(&output));
    let output = run(&["restore", file.to_str().unwrap()]);
    assert!(!output.status.success(), "the restore fit on the disk");
    assert!(
        text(&output).contains("no space left on the disk of the database"),
        "{}",
        text(&output)
    );
    let url = upsignon_config::DatabaseUrl::sqlite(disk.join("small.db"));
    let store = Store::open(&url, 1).unwrap();
    assert!(
        !dump::has_rows(&mut store.connection().unwrap()).unwrap(),
        "a failed restore left rows behind"
    );
}
