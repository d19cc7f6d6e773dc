//! Every migration, on both backends, must pass the discipline of
//! operations.md: apply up to N-1 with data, apply N, write through N's
//! schema, revert N, find the old data intact and the schema exactly as it
//! was, then apply N again and get the same schema as the first time.
//! A migration without a fixture or with a down script that does not undo its
//! up fails here.

use std::collections::BTreeMap;
use std::process::Command;

use diesel::connection::SimpleConnection;
use upsignon_store::migrations::Migration;
use upsignon_store::{Backend, Store, introspect};
use upsignon_testkit::{TestDatabase, backend_tests, fixture_sql, newer_release_migrations};

const VERSION: &str = "test";

fn open(db: &TestDatabase, migrations: &[Migration]) -> Store {
    Store::open_with_migrations(&db.url, 2, migrations.to_vec()).expect("open the test database")
}

fn schema(db: &TestDatabase, store: &Store) -> String {
    match db.backend {
        Backend::Sqlite => introspect::sqlite_schema(&mut store.connection().unwrap())
            .unwrap()
            .join("\n"),
        Backend::Postgres => {
            let out = Command::new("pg_dump")
                .args([
                    "--schema-only",
                    "--no-owner",
                    "--no-privileges",
                    &db.url_string(),
                ])
                .output()
                .expect("pg_dump runs");
            assert!(
                out.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            // `\restrict KEY` lines carry a random key per run; the rest is the schema.
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}

fn data(store: &Store) -> BTreeMap<String, Vec<String>> {
    let mut conn = store.connection().unwrap();
    introspect::tables(&mut conn)
        .unwrap()
        .into_iter()
        .filter(|t| t != "upsignon_schema_ledger")
        .map(|t| {
            let rows = introspect::rows(&mut conn, &t).unwrap();
            (t, rows)
        })
        .collect()
}

fn write_fixture(store: &Store, migration: &Migration) {
    let sql = fixture_sql(migration).unwrap_or_else(|| {
        panic!(
            "migration {}_{} has no fixture: add migrations/fixtures/{}_{}.sql with rows written through its schema",
            migration.version, migration.name, migration.version, migration.name
        )
    });
    store
        .connection()
        .unwrap()
        .batch_execute(&sql)
        .unwrap_or_else(|e| panic!("fixture of {}: {e}", migration.version));
}

fn check_migration(backend: Backend, all: &[Migration], n: usize) {
    let db = TestDatabase::new(backend);
    open(&db, &[]).migrate_up(VERSION).unwrap();
    for k in 0..n {
        let store = open(&db, &all[..=k]);
        store.migrate_up(VERSION).unwrap();
        write_fixture(&store, &all[k]);
    }
    let before = open(&db, &all[..n]);
    let (schema_before, data_before) = (schema(&db, &before), data(&before));

    let with_n = open(&db, &all[..=n]);
    assert_eq!(
        with_n.migrate_up(VERSION).unwrap(),
        [all[n].version.clone()]
    );
    let schema_up = schema(&db, &with_n);
    write_fixture(&with_n, &all[n]);

    let target = if n == 0 {
        "0".to_string()
    } else {
        all[n - 1].version.clone()
    };
    with_n.migrate_down_to(&target).unwrap();
    assert_eq!(
        schema(&db, &with_n),
        schema_before,
        "down of {} does not restore the schema",
        all[n].version
    );
    let data_after = data(&with_n);
    for (table, rows) in &data_before {
        let kept = data_after
            .get(table)
            .unwrap_or_else(|| panic!("down of {} dropped table {table}", all[n].version));
        for row in rows {
            assert!(
                kept.contains(row),
                "down of {} lost a row of {table}: {row}",
                all[n].version
            );
        }
    }

    with_n.migrate_up(VERSION).unwrap();
    assert_eq!(
        schema(&db, &with_n),
        schema_up,
        "{} applied again gives another schema",
        all[n].version
    );
}

fn every_migration_reverts_cleanly(backend: Backend) {
    let all = newer_release_migrations(backend);
    for n in 0..all.len() {
        if all[n].is_irreversible() {
            continue;
        }
        check_migration(backend, &all, n);
    }
}

backend_tests!(every_migration_reverts_cleanly);
