//! Reading every application table as rows of JSON values, and writing such
//! rows back, the same way on SQLite and PostgreSQL: the base of portable
//! backups. Values travel as JSON (text, integers, booleans, null) and are
//! written back as literals of the target column's type, so a backup from
//! one backend restores into the other.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::{AnyConnection, Backend, StoreError, introspect};

/// Tables that describe this database's own history, never copied.
const LEDGERS: [&str; 2] = ["upsignon_schema_ledger", "upsignon_release_ledger"];

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// The kind of a column, as far as writing a literal is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Bool,
    Integer,
    Text,
}

/// Application tables in the order they were created, so that a table
/// comes after the tables it references.
pub fn tables_in_creation_order(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    let sql = match conn.backend() {
        Backend::Sqlite => {
            "SELECT name AS line FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        }
        Backend::Postgres => {
            "SELECT c.relname::text AS line FROM pg_class c \
             WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace ORDER BY c.oid"
        }
    };
    Ok(diesel::sql_query(sql)
        .load::<Line>(conn)?
        .into_iter()
        .map(|l| l.line)
        .filter(|t| !LEDGERS.contains(&t.as_str()))
        .collect())
}

/// The columns of `table` with their kinds, in declaration order.
pub fn column_kinds(
    conn: &mut AnyConnection,
    table: &str,
) -> Result<Vec<(String, ColumnKind)>, StoreError> {
    let literal = format!("'{}'", table.replace('\'', "''"));
    let sql = match conn.backend() {
        Backend::Sqlite => format!(
            "SELECT name || ' ' || lower(type) AS line FROM pragma_table_info({literal}) ORDER BY cid"
        ),
        Backend::Postgres => format!(
            "SELECT column_name::text || ' ' || data_type::text AS line FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = {literal} ORDER BY ordinal_position"
        ),
    };
    Ok(diesel::sql_query(sql)
        .load::<Line>(conn)?
        .into_iter()
        .map(|l| {
            let (name, kind) = l.line.split_once(' ').unwrap_or((&l.line, "text"));
            let kind = if kind.contains("bool") {
                ColumnKind::Bool
            } else if kind.contains("int") {
                ColumnKind::Integer
            } else {
                ColumnKind::Text
            };
            (name.to_string(), kind)
        })
        .collect())
}

/// One page of `table`'s rows, each a JSON array in column order, ordered
/// by every column so that pages are stable within one snapshot.
pub fn read_page(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[String],
    offset: u64,
    limit: u64,
) -> Result<Vec<serde_json::Value>, StoreError> {
    let quoted: Vec<String> = columns.iter().map(|c| quote(c)).collect();
    let list = quoted.join(", ");
    let row = match conn.backend() {
        Backend::Sqlite => format!("json_array({list})"),
        Backend::Postgres => format!("json_build_array({list})::text"),
    };
    let order: Vec<String> = (1..=columns.len()).map(|i| i.to_string()).collect();
    let sql = format!(
        "SELECT {row} AS line FROM (SELECT {list} FROM {} ORDER BY {} LIMIT {limit} OFFSET {offset}) AS page",
        quote(table),
        order.join(", ")
    );
    diesel::sql_query(sql)
        .load::<Line>(conn)?
        .into_iter()
        .map(|l| serde_json::from_str(&l.line).map_err(|e| StoreError::Dump(e.to_string())))
        .collect()
}

/// Inserts `rows` (JSON arrays in the order of `columns`) into `table`.
pub fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[(String, ColumnKind)],
    rows: &[serde_json::Value],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = columns.iter().map(|(c, _)| quote(c)).collect();
    let mut values = Vec::with_capacity(rows.len());
    for row in rows {
        let cells = row
            .as_array()
            .filter(|cells| cells.len() == columns.len())
            .ok_or_else(|| {
                StoreError::Dump(format!(
                    "a row of {table} does not have {} values",
                    columns.len()
                ))
            })?;
        let literals: Result<Vec<String>, StoreError> = cells
            .iter()
            .zip(columns)
            .map(|(cell, (_, kind))| literal(cell, *kind))
            .collect();
        values.push(format!("({})", literals?.join(", ")));
    }
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        quote(table),
        names.join(", "),
        values.join(", ")
    );
    conn.batch_execute(&sql)?;
    Ok(())
}

/// Deletes every row of `tables`, last created first.
pub fn delete_all(conn: &mut AnyConnection, tables: &[String]) -> Result<(), StoreError> {
    for table in tables.iter().rev() {
        conn.batch_execute(&format!("DELETE FROM {}", quote(table)))?;
    }
    Ok(())
}

/// Whether any application table holds a row.
pub fn has_rows(conn: &mut AnyConnection) -> Result<bool, StoreError> {
    for table in tables_in_creation_order(conn)? {
        if !introspect::is_empty(conn, &table)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn literal(cell: &serde_json::Value, kind: ColumnKind) -> Result<String, StoreError> {
    use serde_json::Value;
    Ok(match (cell, kind) {
        (Value::Null, _) => "NULL".to_string(),
        (Value::Bool(b), _) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        (Value::Number(n), ColumnKind::Bool) => if n.as_i64() == Some(0) {
            "FALSE"
        } else {
            "TRUE"
        }
        .to_string(),
        (Value::Number(n), _) if n.is_i64() || n.is_u64() => n.to_string(),
        (Value::String(s), ColumnKind::Text) => format!("'{}'", s.replace('\'', "''")),
        (other, kind) => {
            return Err(StoreError::Dump(format!(
                "value {other} does not fit a {kind:?} column"
            )));
        }
    })
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
