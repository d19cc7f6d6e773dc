use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::{Migration, is_irreversible};
use crate::schema::upsignon_schema_ledger as ledger;
use crate::{AnyConnection, Backend};

/// The same DDL works on both backends; it is created by the runner, not by
/// a migration, so that it exists before the first migration and survives
/// reverting them all.
const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS upsignon_schema_ledger (
    version TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    down_sql TEXT NOT NULL,
    irreversible BOOLEAN NOT NULL,
    applied_by TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// What the database remembers of one applied migration.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = ledger)]
pub struct LedgerRow {
    pub version: String,
    pub name: String,
    pub checksum: String,
    pub down_sql: String,
    pub irreversible: bool,
    /// The server version that applied it.
    pub applied_by: String,
    /// Unix milliseconds.
    pub applied_at: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub(crate) fn ensure(conn: &mut AnyConnection) -> QueryResult<()> {
    conn.batch_execute(CREATE_LEDGER)?;
    crate::releases::ensure(conn)
}

fn exists(conn: &mut AnyConnection) -> QueryResult<bool> {
    let sql = match conn.backend() {
        Backend::Sqlite => {
            "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = 'upsignon_schema_ledger'"
        }
        Backend::Postgres => {
            "SELECT count(*) AS n FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'upsignon_schema_ledger'"
        }
    };
    Ok(diesel::sql_query(sql).get_result::<Count>(conn)?.n > 0)
}

/// The ledger, oldest first; empty on a database never migrated (without
/// creating anything, so `migrate status` stays read-only).
pub(crate) fn read(conn: &mut AnyConnection) -> QueryResult<Vec<LedgerRow>> {
    if !exists(conn)? {
        return Ok(Vec::new());
    }
    ledger::table.order(ledger::version.asc()).load(conn)
}

pub(crate) fn record(
    conn: &mut AnyConnection,
    migration: &Migration,
    server_version: &str,
    now_ms: i64,
) -> QueryResult<()> {
    let row = LedgerRow {
        version: migration.version.clone(),
        name: migration.name.clone(),
        checksum: migration.checksum(),
        down_sql: migration.down_sql.clone(),
        irreversible: is_irreversible(&migration.down_sql),
        applied_by: server_version.to_string(),
        applied_at: now_ms,
    };
    diesel::insert_into(ledger::table)
        .values(&row)
        .execute(conn)
        .map(drop)
}

pub(crate) fn forget(conn: &mut AnyConnection, version: &str) -> QueryResult<()> {
    diesel::delete(ledger::table.filter(ledger::version.eq(version)))
        .execute(conn)
        .map(drop)
}
