//! The schema may hold only what docs/data-inventory.md lists: after every
//! migration, on both backends, the live columns and the documented ones are
//! the same set.

use std::collections::BTreeSet;

use upsignon_store::{Backend, Store, introspect};
use upsignon_testkit::{TestDatabase, backend_tests};

fn documented_columns() -> BTreeSet<(String, String)> {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/data-inventory.md"
    ))
    .unwrap();
    doc.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let (table, column) = (cells.get(1)?, cells.get(2)?);
            let unquote = |s: &str| s.strip_prefix('`')?.strip_suffix('`').map(str::to_string);
            Some((unquote(table)?, unquote(column)?))
        })
        .collect()
}

fn live_columns(store: &Store) -> BTreeSet<(String, String)> {
    let mut conn = store.connection().unwrap();
    let mut columns = BTreeSet::new();
    for table in introspect::tables(&mut conn).unwrap() {
        for column in introspect::columns(&mut conn, &table).unwrap() {
            columns.insert((table.clone(), column));
        }
    }
    columns
}

fn every_stored_column_is_in_the_data_inventory(backend: Backend) {
    let db = TestDatabase::new(backend);
    let store = Store::open(&db.url, 1).unwrap();
    store.migrate_up("test").unwrap();
    let (live, documented) = (live_columns(&store), documented_columns());
    let undocumented: Vec<_> = live.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "stored but missing from docs/data-inventory.md: {undocumented:?}"
    );
    let stale: Vec<_> = documented.difference(&live).collect();
    assert!(
        stale.is_empty(),
        "listed in docs/data-inventory.md but not stored: {stale:?}"
    );
}

backend_tests!(every_stored_column_is_in_the_data_inventory);
