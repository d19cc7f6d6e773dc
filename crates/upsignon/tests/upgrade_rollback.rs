//! Upgrade and rollback with two real builds of the server: this one (A) and
//! one built by the test as version 0.2.0-test with two extra migrations (B:
//! 9001 adds a column filled from existing rows, 9002 adds a table). Install
//! A, write data, upgrade to B, write data through B's schema, roll back,
//! and find A serving with every row A's schema can hold; then write on A
//! and upgrade to B again.

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use support::releases::{Site, VERSION_B, build_b, head_of_a, sha};
use support::text;
use upsignon_store::introspect;
use upsignon_testkit::{Backend, backend_tests};

fn upgrade_then_rollback_keeps_the_data(backend: Backend) {
    let site = Site::install(backend);
    let archive = site.pack(build_b());
    site.fixture("0001_initial.sql");
    let output = site.run(&["upgrade", "--from", archive.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains(&format!("-> {VERSION_B}")),
        "{}",
        text(&output)
    );
    let health = site.ready();
    assert_eq!(health["version"], VERSION_B);
    assert_eq!(health["schema"], "9002");

    // Writes after the upgrade: through B's schema, and plain rows A knows.
    site.fixture("9001_device_labels.sql");
    site.fixture("9002_vault_notes.sql");
    site.write(
        "INSERT INTO users (id, tenant_id, email, created_at) VALUES \
         ('00000000-0000-4000-8000-000000000099', '00000000-0000-4000-8000-000000000001', \
         'after-upgrade@acme.test', 1763900000000)",
    );

    let output = site.run(&["rollback", "--yes"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("rolled back"), "{}", text(&output));
    let health = site.ready();
    assert_eq!(health["version"], upsignon_ops::SERVER_VERSION);
    assert_eq!(health["schema"], head_of_a());
    assert!(!site.tables().contains(&"vault_notes".to_string()));
    let columns = introspect::columns(&mut site.store().connection().unwrap(), "devices").unwrap();
    assert!(!columns.contains(&"label".to_string()), "{columns:?}");
    let users = site.emails().join("\n");
    assert!(users.contains("after-upgrade@acme.test"), "{users}");
    assert!(
        users.contains("alice@acme.test") || users.contains("@acme.test"),
        "{users}"
    );
    let devices = introspect::rows(&mut site.store().connection().unwrap(), "devices").unwrap();
    assert!(
        devices.iter().any(|d| d.contains("device-uid-9001")),
        "{devices:?}"
    );

    // A second rollback changes nothing: a rollback never plans a move forward.
    let before = sha(&site.exe);
    let again = site.run(&["rollback", "--yes"]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        text(&again).contains("nothing older to roll back to"),
        "{}",
        text(&again)
    );
    assert!(!text(&again).contains("--to 0"), "{}", text(&again));
    assert_eq!(sha(&site.exe), before);

    // --to the installed version: nothing to do, no restart.
    let instance = site.ready()["instance"].clone();
    let same = site.run(&["rollback", "--yes", "--to", upsignon_ops::SERVER_VERSION]);
    assert!(same.status.success(), "{}", text(&same));
    assert!(text(&same).contains("already installed"), "{}", text(&same));
    assert_eq!(
        site.ready()["instance"],
        instance,
        "the server was restarted"
    );
    // --to a release this site never ran: refused, with what to do.
    let never = site.run(&["rollback", "--yes", "--to", "0.0.9"]);
    assert!(!never.status.success(), "{}", text(&never));
    assert!(
        text(&never).contains("not in this site's release ledger")
            && text(&never).contains("install its package"),
        "{}",
        text(&never)
    );
    assert_eq!(sha(&site.exe), before);

    // Writes on A again, then forward to B once more: every write is there.
    site.write(
        "INSERT INTO users (id, tenant_id, email, created_at) VALUES \
         ('00000000-0000-4000-8000-000000000098', '00000000-0000-4000-8000-000000000001', \
         'after-rollback@acme.test', 1763900000001)",
    );
    let output = site.run(&["upgrade", "--from", archive.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let health = site.ready();
    assert_eq!(health["version"], VERSION_B);
    assert_eq!(health["schema"], "9002");
    let users = site.emails().join("\n");
    for email in ["after-upgrade@acme.test", "after-rollback@acme.test"] {
        assert!(users.contains(email), "{email}: {users}");
    }
}

backend_tests!(upgrade_then_rollback_keeps_the_data);

#[test]
fn a_tampered_release_is_refused_before_anything_changes() {
    let site = Site::install(Backend::Sqlite);
    let archive = site.pack(build_b());
    let mut bytes = std::fs::read(&archive).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    std::fs::write(&archive, bytes).unwrap();
    let before = sha(&site.exe);
    let output = site.run(&["upgrade", "--from", archive.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("fails its signature check"),
        "{}",
        text(&output)
    );
    assert_eq!(sha(&site.exe), before, "the binary changed");
    assert_eq!(site.ready()["version"], upsignon_ops::SERVER_VERSION);
}

#[test]
fn a_release_that_never_gets_ready_is_rolled_back_automatically() {
    let site = Site::install(Backend::Sqlite);
    let broken = site.db.dir.path().join("broken/upsignon");
    std::fs::create_dir_all(broken.parent().unwrap()).unwrap();
    std::fs::write(
        &broken,
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'upsignon 0.3.0-broken'; exit 0; fi\necho 'this release cannot start' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&broken, std::fs::Permissions::from_mode(0o755)).unwrap();
    let archive = site.pack(&broken);
    let before = sha(&site.exe);
    let output = site.run(&[
        "upgrade",
        "--from",
        archive.to_str().unwrap(),
        "--ready-timeout",
        "10",
    ]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("rolled back automatically"),
        "{}",
        text(&output)
    );
    assert_eq!(sha(&site.exe), before, "A's binary is not back");
    assert_eq!(site.ready()["version"], upsignon_ops::SERVER_VERSION);
}

/// Serves the files of `dir` over plain HTTP on a loopback port (a release
/// mirror), for at most 64 requests, in a thread that ends with the test.
fn serve_files(dir: PathBuf) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut header = String::new();
            while reader.read_line(&mut header).unwrap_or(0) > 2 {
                header.clear();
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let (status, body) = match std::fs::read(dir.join(path)) {
                Ok(body) => ("200 OK", body),
                Err(_) => ("404 Not Found", Vec::new()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = std::io::Write::write_all(&mut stream, head.as_bytes());
            let _ = std::io::Write::write_all(&mut stream, &body);
        }
    });
    port
}

fn manifest(version: &str, archive: &Path, digest: &str) -> String {
    serde_json::json!({
        "schema": 1,
        "releases": [{
            "version": version,
            "assets": [{
                "name": archive.file_name().unwrap().to_str().unwrap(),
                "url": archive.file_name().unwrap().to_str().unwrap(),
                "digest": format!("sha256:{digest}"),
            }]
        }]
    })
    .to_string()
}

#[test]
fn an_upgrade_from_a_release_feed_checks_the_download_then_installs_it() {
    use sha2::Digest;
    let site = Site::install(Backend::Sqlite);
    let archive = site.pack(build_b());
    let dir = archive.parent().unwrap().to_path_buf();
    let digest = hex::encode(sha2::Sha256::digest(std::fs::read(&archive).unwrap()));
    std::fs::write(
        dir.join("current.json"),
        manifest(upsignon_ops::SERVER_VERSION, &archive, &digest),
    )
    .unwrap();
    std::fs::write(
        dir.join("bad.json"),
        manifest(VERSION_B, &archive, &"0".repeat(64)),
    )
    .unwrap();
    std::fs::write(
        dir.join("good.json"),
        manifest(VERSION_B, &archive, &digest),
    )
    .unwrap();
    let port = serve_files(dir);
    let feed = |name: &str| format!("http://127.0.0.1:{port}/{name}");

    let output = site.run(&["upgrade", "--feed", &feed("current.json")]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("already up to date"),
        "{}",
        text(&output)
    );

    let before = sha(&site.exe);
    let output = site.run(&["upgrade", "--feed", &feed("bad.json")]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("does not match the feed's checksum"),
        "{}",
        text(&output)
    );
    assert_eq!(sha(&site.exe), before);

    let output = site.run(&["upgrade", "--feed", &feed("good.json")]);
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(site.ready()["version"], VERSION_B);
}

fn an_irreversible_migration_needs_the_pre_upgrade_copy(backend: Backend) {
    let site = Site::install(backend);
    let archive = site.pack(build_b());
    site.fixture("0001_initial.sql");
    let output = site.run(&["upgrade", "--from", archive.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    // The pre-upgrade copy is an ordinary encrypted backup, private.
    let copy = std::fs::read_dir(site.prefix.join("var/backups/upsignon"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("pre-upgrade-")
        })
        .expect("a pre-upgrade copy");
    assert!(
        copy.to_string_lossy().ends_with(".upsignon-backup"),
        "{}",
        copy.display()
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", copy.display());
    let verified = site.run(&["backup", "verify", copy.to_str().unwrap()]);
    assert!(verified.status.success(), "{}", text(&verified));
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    site.write(&format!(
        "INSERT INTO users (id, tenant_id, email, created_at) VALUES \
         ('00000000-0000-4000-8000-000000000098', '00000000-0000-4000-8000-000000000001', \
         'written-after-upgrade@acme.test', {})",
        now_ms + 1000
    ));
    // Release B declared 9002 irreversible.
    site.write("UPDATE upsignon_schema_ledger SET irreversible = TRUE WHERE version = '9002'");

    let refused = site.run(&["rollback", "--yes"]);
    assert!(!refused.status.success());
    let said = text(&refused);
    assert!(
        said.contains("irreversible") && said.contains("--restore-backup"),
        "{said}"
    );
    assert_eq!(
        site.ready()["version"],
        VERSION_B,
        "a refused rollback changed something"
    );

    // A copy damaged near its end fails while it loads: the database is
    // as it was (PostgreSQL drops, rebuilds and fills the schema in one
    // transaction; SQLite builds a new file beside the old one).
    let whole = std::fs::read(&copy).unwrap();
    std::fs::write(&copy, &whole[..whole.len() - 64]).unwrap();
    let failed = site.run(&["rollback", "--yes", "--restore-backup"]);
    assert!(!failed.status.success(), "{}", text(&failed));
    assert!(
        site.tables().contains(&"vault_notes".to_string()),
        "a failed restore left another schema: {}",
        text(&failed)
    );
    assert!(
        site.emails().join("\n").contains("written-after-upgrade"),
        "a failed restore lost rows: {}",
        text(&failed)
    );
    std::fs::write(&copy, &whole).unwrap();

    // The same command again, once the copy is whole, finishes the rollback.
    let output = site.run(&["rollback", "--yes", "--restore-backup"]);
    let said = text(&output);
    assert!(output.status.success(), "{said}");
    assert!(
        // The user row, and the failed try's maintenance flag.
        said.contains("2 row(s) written since the upgrade will be LOST"),
        "{said}"
    );
    let health = site.ready();
    assert_eq!(health["version"], upsignon_ops::SERVER_VERSION);
    assert_eq!(health["schema"], head_of_a());
    let users = site.emails().join("\n");
    assert!(!users.contains("written-after-upgrade"), "{users}");
    assert!(
        users.contains("@acme.test"),
        "the data before the upgrade is gone: {users}"
    );
    assert!(!site.tables().contains(&"vault_notes".to_string()));
}

backend_tests!(an_irreversible_migration_needs_the_pre_upgrade_copy);
