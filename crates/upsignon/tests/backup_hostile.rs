//! Backups under the conditions incidents bring: every awkward value the
//! schema allows (quotes, backslashes, emoji, control characters, very long
//! text, a 5 MB vault) comes back byte for byte in both backends, also into
//! a PostgreSQL with `standard_conforming_strings = off`; twenty backups
//! started in the same second all verify; kill -9 at random points of a
//! backup or a restore leaves no damaged file under a final name, no
//! changed data and, after the next run, no leftover.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use serde_json::Value;
use support::backup_site::{Site, key_file};
use support::text;
use upsignon_ops::backup;
use upsignon_store::introspect;
use upsignon_store::queries::{tenants, users, vaults};
use upsignon_testkit::Backend;

const TENANT: &str = "t-awkward";

impl Site {
    /// Every row of every table as JSON values (booleans as 0/1, as SQLite
    /// keeps them), sorted: equal across backends when the data is.
    fn contents(&self) -> Vec<(String, Vec<Value>)> {
        self.rows_by_table()
            .into_iter()
            .map(|(t, lines)| {
                let mut rows: Vec<Value> = lines
                    .iter()
                    .map(|line| normalise(serde_json::from_str(line).unwrap()))
                    .collect();
                rows.sort_by_key(|v| v.to_string());
                (t, rows)
            })
            .collect()
    }

    /// `count` users with `bytes`-byte vaults of random-looking text.
    fn seed(&self, count: usize, bytes: usize) {
        let store = self.store();
        let mut conn = store.connection().unwrap();
        insert_tenant(&mut conn, "seeded", "Seeded");
        for i in 0..count {
            let user = format!("seed-{i}");
            insert_user(&mut conn, &user, &format!("seed{i}@acme.test"));
            let data: String = (0..bytes)
                .map(|n| char::from(b'A' + ((n * 7 + i * 13) % 26) as u8))
                .collect();
            insert_vault(&mut conn, &user, &data);
        }
    }
}

fn normalise(value: Value) -> Value {
    match value {
        Value::Bool(b) => Value::from(i64::from(b)),
        Value::Array(items) => Value::Array(items.into_iter().map(normalise).collect()),
        other => other,
    }
}

fn insert_tenant(conn: &mut upsignon_store::AnyConnection, slug: &str, name: &str) {
    tenants::insert(
        conn,
        &tenants::TenantRow {
            id: if slug == "seeded" {
                "t-seeded".into()
            } else {
                TENANT.into()
            },
            slug: slug.to_string(),
            name: name.to_string(),
            settings: r#"{"note":"back\\slash \"quoted\""}"#.to_string(),
            stopped: false,
            new_url: None,
            created_at: 1,
        },
    )
    .unwrap();
}

fn insert_user(conn: &mut upsignon_store::AnyConnection, id: &str, email: &str) {
    users::insert(
        conn,
        &users::UserRow {
            id: id.to_string(),
            tenant_id: if id.starts_with("seed-") {
                "t-seeded".into()
            } else {
                TENANT.into()
            },
            email: email.to_string(),
            sharing_public_key: None,
            signing_public_key: Some(String::new()),
            settings_override: "{}".to_string(),
            deactivated: id.ends_with('1'),
            created_at: i64::MAX - 7,
        },
    )
    .unwrap();
}

fn insert_vault(conn: &mut upsignon_store::AnyConnection, user: &str, data: &str) {
    let vault = vaults::VaultRow {
        user_id: user.to_string(),
        encrypted_data: data.to_string(),
        version: i64::MAX - 1,
        updated_at: -1,
    };
    let check = vaults::PasswordCheckRow {
        user_id: user.to_string(),
        kdf: r#"{"salt":"\\x00\\'"}"#.to_string(),
        challenge: "c".to_string(),
        response_hash: "h".to_string(),
        updated_at: 1,
    };
    assert!(vaults::create(conn, &vault, &check).unwrap());
}

/// Values a user or the apps can store: quotes, backslashes, emoji,
/// combining marks, tab and new lines, very long text, a 5 MB vault; and
/// on SQLite only (PostgreSQL text cannot hold it) a NUL.
fn awkward_values(backend_allows_nul: bool) -> Vec<String> {
    let mut values = vec![
        "O'Brien \"quoted\" `back` \\ \\\\ \\' \\n \\0 end\\".to_string(),
        "emoji 🔐🧑‍💻 e\u{301} 中文 \u{202e}rtl".to_string(),
        "tab\tnew\nline\r\n".to_string(),
        "%s %d $1 ? :name ${x} E'\\x41' $$ $tag$".to_string(),
        "x".repeat(200_000),
    ];
    if backend_allows_nul {
        values.push("nul\u{0}inside and \u{1b}[31m escape".to_string());
    }
    values
}

fn fill_awkward(site: &Site, with_nul: bool) {
    let store = site.store();
    let mut conn = store.connection().unwrap();
    insert_tenant(&mut conn, "awkward", "Tenant 'name' with \\ and 🔐");
    for (i, value) in awkward_values(with_nul).iter().enumerate() {
        let user = format!("user-{i}");
        insert_user(&mut conn, &user, value);
        insert_vault(&mut conn, &user, value);
    }
    let big: String = (0..5 * 1024 * 1024)
        .map(|n| char::from(b'!' + (n % 90) as u8))
        .collect();
    insert_user(&mut conn, "user-big", "big@acme.test");
    insert_vault(&mut conn, "user-big", &big);
}

/// The schema as `pg_dump --schema-only` prints it (PostgreSQL), or
/// SQLite's own schema text.
fn schema_of(site: &Site) -> Vec<String> {
    match site.config.database().sqlite_path() {
        Some(_) => introspect::sqlite_schema(&mut site.store().connection().unwrap()).unwrap(),
        None => {
            let output = Command::new("pg_dump")
                .args(["--schema-only", "--no-owner", "--dbname"])
                .arg(site.db.url_string())
                .output()
                .expect("pg_dump runs");
            assert!(output.status.success(), "{}", text(&output));
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .filter(|l| !l.starts_with("--") && !l.starts_with('\\') && !l.trim().is_empty())
                .map(str::to_string)
                .collect()
        }
    }
}

fn round_trip(from: Backend, to: Backend, with_nul: bool, non_conforming: bool) {
    let keys_dir = tempfile::tempdir().unwrap();
    let key = key_file(keys_dir.path(), "backup.key");
    let source = Site::new(from, &key);
    fill_awkward(&source, with_nul);
    let file = keys_dir.path().join("awkward.upsignon-backup");
    backup::backup(&source.store(), &source.keys(), &file).unwrap();
    backup::verify(&file, &key).unwrap();

    let target = Site::new(to, &key);
    if non_conforming {
        target
            .store()
            .connection()
            .unwrap()
            .batch_execute(
                "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET standard_conforming_strings = off', current_database()); END $$;",
            )
            .unwrap();
    }
    let schema_before = schema_of(&target);
    let report = backup::restore(&target.config, &file, false).unwrap();
    assert!(report.rows > 10);
    assert_eq!(
        schema_of(&target),
        schema_before,
        "the restore left every table, index and constraint as the migrations made them"
    );
    assert_eq!(target.contents(), source.contents(), "{from:?} -> {to:?}");
    let store = target.store();
    let mut conn = store.connection().unwrap();
    for (i, value) in awkward_values(with_nul).iter().enumerate() {
        let vault = vaults::find(&mut conn, &format!("user-{i}"))
            .unwrap()
            .unwrap();
        assert_eq!(
            &vault.encrypted_data, value,
            "value {i}, {from:?} -> {to:?}"
        );
        assert_eq!(vault.version, i64::MAX - 1);
    }
    let big = vaults::find(&mut conn, "user-big").unwrap().unwrap();
    assert_eq!(big.encrypted_data.len(), 5 * 1024 * 1024);
}

#[test]
fn awkward_values_round_trip_sqlite_to_sqlite_with_nul() {
    round_trip(Backend::Sqlite, Backend::Sqlite, true, false);
}

#[test]
fn awkward_values_round_trip_sqlite_to_postgres_non_conforming_strings() {
    round_trip(Backend::Sqlite, Backend::Postgres, false, true);
}

#[test]
fn awkward_values_round_trip_postgres_to_sqlite() {
    round_trip(Backend::Postgres, Backend::Sqlite, false, false);
}

#[test]
fn awkward_values_round_trip_postgres_to_postgres_non_conforming_strings() {
    round_trip(Backend::Postgres, Backend::Postgres, false, true);
}

fn twenty_backups_at_once(backend: Backend) {
    let keys_dir = tempfile::tempdir().unwrap();
    let key = key_file(keys_dir.path(), "backup.key");
    let site = Arc::new(Site::new(backend, &key));
    site.seed(200, 2048);
    let barrier = Arc::new(Barrier::new(20));
    let runs: Vec<_> = (0..20)
        .map(|_| {
            let site = Arc::clone(&site);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut command = site.command(&["backup"]);
                barrier.wait();
                command.output().unwrap()
            })
        })
        .collect();
    for run in runs {
        let output = run.join().unwrap();
        assert!(output.status.success(), "{}", text(&output));
    }
    let found = backup::list(&site.config.backups());
    assert_eq!(found.len(), 20, "{found:?}");
    for file in found {
        let report = backup::verify(&file.path, &key).unwrap();
        assert_eq!(report.rows, 200 * 3 + 1, "{}", file.path.display());
    }
    assert_no_leftover(&site.config.backups());
}

#[test]
fn twenty_backups_at_once_sqlite() {
    twenty_backups_at_once(Backend::Sqlite);
}

#[test]
fn twenty_backups_at_once_postgres() {
    twenty_backups_at_once(Backend::Postgres);
}

fn assert_no_leftover(dir: &Path) {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".partial")), "{names:?}");
}

/// Delays spread over a backup's or a restore's life, the same each run.
fn kill_points(count: u64, over: Duration) -> Vec<Duration> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            over.mul_f64((state % 1000) as f64 / 1000.0)
        })
        .collect()
}

fn killed_at(mut command: Command, after: Duration) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let _ = child.kill();
    child.wait().unwrap();
}

fn kill_anywhere(backend: Backend) {
    let keys_dir = tempfile::tempdir().unwrap();
    let key = key_file(keys_dir.path(), "backup.key");
    let site = Site::new(backend, &key);
    site.seed(1500, 8192);
    let started = Instant::now();
    let whole = site.run(&["backup"]);
    assert!(whole.status.success(), "{}", text(&whole));
    let took = started.elapsed();
    let dir = site.config.backups();
    let reference = backup::list(&dir)[0].path.clone();
    for (i, delay) in kill_points(6, took).into_iter().enumerate() {
        let out = dir.join(format!("killed-{i}.upsignon-backup"));
        killed_at(
            site.command(&["backup", "--out", out.to_str().unwrap()]),
            delay,
        );
        if out.exists() {
            backup::verify(&out, &key).expect("a file under its final name is whole");
        }
    }
    let again = site.run(&["backup"]);
    assert!(again.status.success(), "{}", text(&again));
    assert_no_leftover(&dir);

    // A restore killed anywhere changes nothing; the same command then works.
    let target = Site::new(backend, &key);
    target.seed(3, 16);
    let before = target.contents();
    for delay in kill_points(4, took * 2) {
        killed_at(
            target.command(&["restore", "--force", reference.to_str().unwrap()]),
            delay,
        );
        let now = target.contents();
        assert!(
            now == before || now == site.contents(),
            "a killed restore left a mix of old and new data"
        );
        if now != before {
            break;
        }
    }
    let output = target.run(&["restore", "--force", reference.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(target.contents(), site.contents());
}

#[test]
fn kill_anywhere_sqlite() {
    kill_anywhere(Backend::Sqlite);
}

#[test]
fn kill_anywhere_postgres() {
    kill_anywhere(Backend::Postgres);
}

#[test]
fn an_empty_file_is_named_as_such() {
    let keys_dir = tempfile::tempdir().unwrap();
    let key = key_file(keys_dir.path(), "backup.key");
    let site = Site::new(Backend::Sqlite, &key);
    let empty = keys_dir.path().join("empty.upsignon-backup");
    std::fs::write(&empty, b"").unwrap();
    for args in [vec!["restore"], vec!["backup", "verify"]] {
        let mut args = args.clone();
        args.push(empty.to_str().unwrap());
        let output = site.run(&args);
        assert!(!output.status.success());
        assert!(
            text(&output).contains("is empty (0 bytes)"),
            "{}",
            text(&output)
        );
    }
}
