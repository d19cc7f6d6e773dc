//! The schema ledger as a sysadmin meets it: a newer release's migrations
//! seen by an older binary, `migrate sync`, edited migrations, irreversible
//! ones, and two processes migrating at once.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use upsignon_config::DatabaseUrl;
use upsignon_store::migrations::{self, Migration};
use upsignon_store::{Backend, MigrationState, Store, StoreError, introspect};
use upsignon_testkit::{TestDatabase, backend_tests, newer_release_migrations};

fn current(db: &TestDatabase) -> Store {
    Store::open(&db.url, 2).unwrap()
}

fn newer(db: &TestDatabase) -> Store {
    Store::open_with_migrations(&db.url, 2, newer_release_migrations(db.backend)).unwrap()
}

fn tables(store: &Store) -> Vec<String> {
    introspect::tables(&mut store.connection().unwrap()).unwrap()
}

fn an_older_binary_sees_the_schema_ahead_and_sync_reverts_it(backend: Backend) {
    let db = TestDatabase::new(backend);
    let embedded = migrations::embedded(backend);
    let applied = newer(&db).migrate_up("9.9.9").unwrap();
    assert_eq!(applied.len(), embedded.len() + 2);
    current(&db)
        .connection()
        .unwrap()
        .batch_execute(include_str!("../migrations/fixtures/0001_initial.sql"))
        .unwrap();

    let old = current(&db);
    let status = old.schema_status().unwrap();
    assert_eq!(status.versions_in(MigrationState::Ahead), ["9001", "9002"]);
    assert_eq!(status.head(), Some("9002"));
    let refusal = old.migrate_up("0.1.0").unwrap_err();
    assert!(matches!(refusal, StoreError::SchemaAhead { .. }));
    assert!(
        refusal.to_string().contains("upsignon migrate sync"),
        "{refusal}"
    );
    assert!(matches!(
        status.check_servable(),
        Err(StoreError::SchemaAhead { .. })
    ));

    let report = old.migrate_sync("0.1.0").unwrap();
    assert_eq!(report.reverted, ["9002", "9001"]);
    assert!(report.applied.is_empty());
    assert!(old.schema_status().unwrap().is_in_sync());
    assert!(!tables(&old).contains(&"vault_notes".to_string()));
    let columns = introspect::columns(&mut old.connection().unwrap(), "devices").unwrap();
    assert!(!columns.contains(&"label".to_string()));
    let users = introspect::rows(&mut old.connection().unwrap(), "users").unwrap();
    assert_eq!(users.len(), 1, "data in older tables is kept");
}

fn an_edited_migration_is_refused(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = current(&db);
    store.migrate_up("0.1.0").unwrap();
    store
        .connection()
        .unwrap()
        .batch_execute(
            "UPDATE upsignon_schema_ledger SET checksum = 'edited' WHERE version = '0001'",
        )
        .unwrap();
    let status = store.schema_status().unwrap();
    assert_eq!(
        status.versions_in(MigrationState::ChecksumMismatch),
        ["0001"]
    );
    assert!(matches!(
        status.check_servable(),
        Err(StoreError::ChecksumMismatch { .. })
    ));
    assert!(matches!(
        store.migrate_up("0.1.0"),
        Err(StoreError::ChecksumMismatch { .. })
    ));
    assert!(matches!(
        store.migrate_sync("0.1.0"),
        Err(StoreError::ChecksumMismatch { .. })
    ));
}

fn an_irreversible_migration_stops_a_revert_before_any_change(backend: Backend) {
    let db = TestDatabase::new(backend);
    let mut set = newer_release_migrations(backend);
    set.push(Migration::from_parts(
        "9003_drop_notes_content",
        "ALTER TABLE vault_notes DROP COLUMN encrypted_note;",
        "-- upsignon:irreversible\n-- the dropped notes cannot come back",
    ));
    let store = Store::open_with_migrations(&db.url, 2, set).unwrap();
    store.migrate_up("9.9.9").unwrap();
    let refusal = store.migrate_down_to("0001").unwrap_err();
    assert!(
        matches!(&refusal, StoreError::Irreversible { version } if version == "9003"),
        "{refusal}"
    );
    assert!(
        tables(&store).contains(&"vault_notes".to_string()),
        "nothing was reverted"
    );
    assert_eq!(store.schema_status().unwrap().head(), Some("9003"));
}

fn down_to_an_unknown_version_is_refused(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = current(&db);
    store.migrate_up("0.1.0").unwrap();
    assert!(matches!(
        store.migrate_down_to("0042"),
        Err(StoreError::UnknownVersion { .. })
    ));
    let mut newest_first: Vec<String> = store
        .migrations()
        .iter()
        .map(|m| m.version.clone())
        .collect();
    newest_first.reverse();
    assert_eq!(store.migrate_down_to("0").unwrap(), newest_first);
    assert_eq!(
        tables(&store),
        ["upsignon_release_ledger", "upsignon_schema_ledger"],
        "only the two ledgers survive reverting every migration"
    );
}

fn two_processes_migrating_at_once_apply_each_migration_once(backend: Backend) {
    let db = TestDatabase::new(backend);
    let stores: Vec<Store> = (0..4).map(|_| newer(&db)).collect();
    let applied: Vec<Vec<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = stores
            .iter()
            .map(|s| scope.spawn(|| s.migrate_up("9.9.9").unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total: usize = applied.iter().map(Vec::len).sum();
    assert_eq!(
        total,
        newer_release_migrations(backend).len(),
        "each migration applied exactly once: {applied:?}"
    );
    assert!(stores[0].schema_status().unwrap().is_in_sync());
}

fn status_of_a_fresh_database_writes_nothing(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = current(&db);
    let status = store.schema_status().unwrap();
    assert!(
        status
            .migrations
            .iter()
            .all(|m| m.state == MigrationState::Pending)
    );
    assert!(tables(&store).is_empty());
}

backend_tests!(
    an_older_binary_sees_the_schema_ahead_and_sync_reverts_it,
    an_edited_migration_is_refused,
    an_irreversible_migration_stops_a_revert_before_any_change,
    down_to_an_unknown_version_is_refused,
    two_processes_migrating_at_once_apply_each_migration_once,
    status_of_a_fresh_database_writes_nothing,
);

#[derive(QueryableByName)]
struct Pragma {
    #[diesel(sql_type = Text)]
    value: String,
}

#[test]
fn sqlite_connections_are_durable_and_enforce_foreign_keys() {
    let db = TestDatabase::new(Backend::Sqlite);
    let store = current(&db);
    let mut conn = store.connection().unwrap();
    let pragma = |conn: &mut upsignon_store::AnyConnection, name: &str| {
        diesel::sql_query(format!(
            "SELECT CAST({name} AS TEXT) AS value FROM pragma_{name}"
        ))
        .get_result::<Pragma>(conn)
        .unwrap()
        .value
    };
    assert_eq!(pragma(&mut conn, "journal_mode"), "wal");
    assert_eq!(pragma(&mut conn, "synchronous"), "2", "synchronous = FULL");
    assert_eq!(pragma(&mut conn, "foreign_keys"), "1");
}

#[test]
fn an_unreachable_postgres_says_what_to_check_without_the_password() {
    let url = DatabaseUrl::parse("postgres://app:topsecret@127.0.0.1:1/upsignon").unwrap();
    let message = Store::open(&url, 1)
        .err()
        .expect("port 1 refuses")
        .to_string();
    assert!(message.contains("Check database_url"), "{message}");
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(!message.contains("topsecret"), "{message}");
}
