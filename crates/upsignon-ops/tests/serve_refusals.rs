//! `serve` refuses what would be unsafe or surprising, before binding or
//! touching data, and says what to do.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;

use upsignon_config::{Config, TlsMode};
use upsignon_ops::{OpsError, serve};
use upsignon_store::{Store, StoreError};
use upsignon_testkit::{Backend, TestDatabase, backend_tests, spawn_app_with};

fn config_for(db: &TestDatabase) -> Config {
    Config {
        database_url: Some(db.url.clone()),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        state_dir: db.dir.path().join("state"),
        ..Config::default()
    }
}

fn write_pair(dir: &Path, key_mode: u32) -> (std::path::PathBuf, std::path::PathBuf) {
    let pair = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
    std::fs::write(&cert, pair.cert.pem()).unwrap();
    std::fs::write(&key, pair.signing_key.serialize_pem()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(key_mode)).unwrap();
    }
    (cert, key)
}

#[actix_web::test]
async fn serves_the_sysadmins_own_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = write_pair(dir.path(), 0o600);
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.tls_mode = TlsMode::Files;
        c.tls_cert = Some(cert);
        c.tls_key = Some(key);
    });
    let response = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[test]
fn a_private_key_readable_by_others_is_refused() {
    let db = TestDatabase::new(Backend::Sqlite);
    let (cert, key) = write_pair(db.dir.path(), 0o644);
    let config = Config {
        tls_mode: TlsMode::Files,
        tls_cert: Some(cert),
        tls_key: Some(key.clone()),
        ..config_for(&db)
    };
    let message = serve::prepare(&config).err().expect("refused").to_string();
    assert!(message.contains("readable by other users"), "{message}");
    assert!(
        message.contains(&format!("chmod 600 {}", key.display())),
        "{message}"
    );
}

#[test]
fn a_port_in_use_is_reported_with_the_setting_to_change() {
    let db = TestDatabase::new(Backend::Sqlite);
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let config = Config {
        listen: taken.local_addr().unwrap(),
        ..config_for(&db)
    };
    let error = serve::prepare(&config).err().expect("refused");
    assert!(matches!(error, OpsError::Bind { .. }), "{error}");
    assert!(error.to_string().contains("UPSIGNON_LISTEN"), "{error}");
}

fn pending_migrations_without_migrate_on_start_are_refused(backend: Backend) {
    let db = TestDatabase::new(backend);
    let config = Config {
        migrate_on_start: false,
        ..config_for(&db)
    };
    let error = serve::prepare(&config).err().expect("refused");
    assert!(
        matches!(error, OpsError::Store(StoreError::PendingMigrations { .. })),
        "{error}"
    );
    assert!(error.to_string().contains("upsignon migrate up"), "{error}");
    let status = Store::open(&db.url, 1).unwrap().schema_status().unwrap();
    assert_eq!(status.head(), None, "nothing was applied");
}

backend_tests!(pending_migrations_without_migrate_on_start_are_refused);
