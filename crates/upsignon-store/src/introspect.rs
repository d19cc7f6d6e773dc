//! Read-only views of the live schema and rows, the same on both backends:
//! the migration tests compare them before and after a revert, and the data
//! inventory test lists every stored column.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::{AnyConnection, Backend, StoreError};

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

fn lines(conn: &mut AnyConnection, sql: &str) -> Result<Vec<String>, StoreError> {
    Ok(diesel::sql_query(sql)
        .load::<Line>(conn)?
        .into_iter()
        .map(|l| l.line)
        .collect())
}

/// Application tables, sorted (SQLite's own tables excluded).
pub fn tables(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    let sql = match conn.backend() {
        Backend::Sqlite => {
            "SELECT name AS line FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS line FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        }
    };
    lines(conn, sql)
}

/// The columns of `table`, in declaration order.
pub fn columns(conn: &mut AnyConnection, table: &str) -> Result<Vec<String>, StoreError> {
    let table = quote_literal(table);
    let sql = match conn.backend() {
        Backend::Sqlite => {
            format!("SELECT name AS line FROM pragma_table_info({table}) ORDER BY cid")
        }
        Backend::Postgres => format!(
            "SELECT column_name::text AS line FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = {table} ORDER BY ordinal_position"
        ),
    };
    lines(conn, &sql)
}

/// Every row of `table` as a JSON array of its values, sorted, so that two
/// snapshots of the same data compare equal.
pub fn rows(conn: &mut AnyConnection, table: &str) -> Result<Vec<String>, StoreError> {
    let columns: Vec<String> = columns(conn, table)?
        .iter()
        .map(|c| quote_identifier(c))
        .collect();
    let sql = match conn.backend() {
        Backend::Sqlite => format!(
            "SELECT json_array({}) AS line FROM {}",
            columns.join(", "),
            quote_identifier(table)
        ),
        Backend::Postgres => {
            format!(
                "SELECT json_build_array({})::text AS line FROM {}",
                columns.join(", "),
                quote_identifier(table)
            )
        }
    };
    let mut rows = lines(conn, &sql)?;
    rows.sort();
    Ok(rows)
}

/// How many rows `table` holds (the restore drill compares it to the backup).
pub fn count(conn: &mut AnyConnection, table: &str) -> Result<u64, StoreError> {
    let sql = format!(
        "SELECT CAST(COUNT(*) AS TEXT) AS line FROM {}",
        quote_identifier(table)
    );
    let text = lines(conn, &sql)?.pop().unwrap_or_default();
    Ok(text.parse().unwrap_or(0))
}

/// Whether `table` holds no row, without reading them.
pub fn is_empty(conn: &mut AnyConnection, table: &str) -> Result<bool, StoreError> {
    let sql = format!(
        "SELECT 'x' AS line FROM {} LIMIT 1",
        quote_identifier(table)
    );
    Ok(lines(conn, &sql)?.is_empty())
}

/// SQLite's own description of its schema (tables, indexes, their SQL).
/// PostgreSQL tests use `pg_dump --schema-only` instead.
pub fn sqlite_schema(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    lines(
        conn,
        "SELECT type || ' ' || name || ': ' || coalesce(sql, '') AS line FROM sqlite_schema \
         WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
}

#[derive(QueryableByName)]
struct Millis {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    ms: i64,
}

/// The database server's clock, in milliseconds since the Unix epoch: the
/// doctor compares it with this machine's to find clock skew.
pub fn database_time_ms(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let sql = match conn.backend() {
        Backend::Sqlite => "SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS BIGINT) AS ms",
        Backend::Postgres => "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint AS ms",
    };
    Ok(diesel::sql_query(sql).get_result::<Millis>(conn)?.ms)
}

fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
