//! Reading every application table as rows of JSON values, and writing such
//! rows back, the same way on SQLite and PostgreSQL: the base of portable
//! backups. Rows are read in one pass per table (SQLite by rowid, PostgreSQL
//! streamed by COPY), so time is linear in rows and memory holds one page.
//! Values travel as JSON (text, integers, booleans, null) and are written
//! back as bound parameters of the target column's type (SQLite) or as COPY
//! data (PostgreSQL), never as SQL text built from data: every value the
//! database holds comes back byte for byte.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};

use crate::{AnyConnection, Backend, StoreError, introspect};

/// Tables that describe this database's own history, never copied.
const LEDGERS: [&str; 2] = ["upsignon_schema_ledger", "upsignon_release_ledger"];

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

#[derive(QueryableByName)]
struct KeyedLine {
    #[diesel(sql_type = Text)]
    line: String,
    #[diesel(sql_type = BigInt)]
    k: i64,
}

/// The kind of a column, as far as binding a value is concerned.
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

/// SQLite: one table's rows in pages, each row a JSON array (as text) in
/// column order; each page continues after the last rowid read, so a
/// table costs one pass whatever its size.
struct TableReader {
    table: String,
    row: String,
    after: i64,
    done: bool,
}

impl TableReader {
    fn open(table: &str, columns: &[String]) -> Self {
        let list: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        TableReader {
            table: quote(table),
            row: format!("json_array({})", list.join(", ")),
            after: i64::MIN,
            done: false,
        }
    }

    /// Up to `limit` more rows; fewer (or none) at the end of the table.
    fn next_page(
        &mut self,
        conn: &mut AnyConnection,
        limit: u64,
    ) -> Result<Vec<String>, StoreError> {
        if self.done {
            return Ok(Vec::new());
        }
        let limit = limit.max(1);
        let sql = format!(
            "SELECT {} AS line, rowid AS k FROM {} WHERE rowid > {} ORDER BY rowid LIMIT {limit}",
            self.row, self.table, self.after
        );
        let rows = diesel::sql_query(sql).load::<KeyedLine>(conn)?;
        if let Some(last) = rows.last() {
            self.after = last.k;
        }
        if (rows.len() as u64) < limit {
            self.done = true;
        }
        Ok(rows.into_iter().map(|r| r.line).collect())
    }
}

/// At most this many rows in a page of SQLite rows...
const PAGE_ROWS: u64 = 10_000;
/// ...and about this many bytes: a page of 5 MB vaults holds one row.
const PAGE_BYTES: usize = 4 << 20;

/// Calls `each` with every row of `table` as a JSON array (text) of
/// `columns`, in one pass; returns the number of rows. PostgreSQL streams
/// the table with COPY (and checks the count against the snapshot's);
/// SQLite reads pages sized by their rows' bytes, so memory holds one page
/// whatever the row size. Use it inside one snapshot
/// ([`crate::Store::snapshot`]).
pub fn each_row<E: From<StoreError>>(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[(String, ColumnKind)],
    each: &mut dyn FnMut(&str) -> Result<(), E>,
) -> Result<u64, E> {
    match conn {
        AnyConnection::Postgresql(pg) => {
            let expected = count_rows(pg, table)?;
            let rows = crate::copy_rows::each_row(pg, table, columns, each)?;
            // COPY leaves its closing status unread: reading it lets the
            // next statement start, and a stream cut short shows in the count.
            pg.batch_execute("SELECT 1").map_err(StoreError::from)?;
            if rows != expected {
                return Err(
                    StoreError::from(diesel::result::Error::DeserializationError(
                        format!("table {table}: COPY gave {rows} rows of {expected}").into(),
                    ))
                    .into(),
                );
            }
            Ok(rows)
        }
        AnyConnection::Sqlite(_) => {
            let names: Vec<String> = columns.iter().map(|(c, _)| c.clone()).collect();
            let mut reader = TableReader::open(table, &names);
            // The first page holds one row, and a page holds at most twice the
            // rows of the one before and about PAGE_BYTES of the largest row
            // seen so far: many large rows are never held together unless the
            // table's rows were small all along.
            let (mut limit, mut largest, mut rows) = (1, 1, 0);
            loop {
                let page = reader.next_page(conn, limit)?;
                if page.is_empty() {
                    break;
                }
                for line in &page {
                    largest = largest.max(line.len());
                    each(line)?;
                }
                rows += page.len() as u64;
                limit = ((PAGE_BYTES / largest) as u64)
                    .min(limit * 2)
                    .clamp(1, PAGE_ROWS);
            }
            Ok(rows)
        }
    }
}

fn count_rows(conn: &mut diesel::PgConnection, table: &str) -> Result<u64, StoreError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let sql = format!("SELECT count(*) AS n FROM {}", quote(table));
    Ok(diesel::sql_query(sql).get_result::<Count>(conn)?.n as u64)
}

/// One value of a row, typed for binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Bool(bool),
    Integer(i64),
    Text(String),
}

impl Cell {
    /// The value of a backup's JSON `cell` for a column of `kind`.
    pub fn from_json(cell: serde_json::Value, kind: ColumnKind) -> Result<Cell, StoreError> {
        use serde_json::Value;
        Ok(match (cell, kind) {
            (Value::Null, _) => Cell::Null,
            (Value::Bool(b), ColumnKind::Bool) => Cell::Bool(b),
            (Value::Bool(b), ColumnKind::Integer) => Cell::Integer(i64::from(b)),
            (Value::Number(n), ColumnKind::Bool) if n.as_i64().is_some() => {
                Cell::Bool(n.as_i64() != Some(0))
            }
            (Value::Number(n), ColumnKind::Integer) if n.as_i64().is_some() => {
                Cell::Integer(n.as_i64().unwrap_or_default())
            }
            (Value::Number(n), ColumnKind::Text) if n.is_i64() || n.is_u64() => {
                Cell::Text(n.to_string())
            }
            (Value::String(s), ColumnKind::Text) => Cell::Text(s),
            (other, kind) => {
                return Err(StoreError::Dump(format!(
                    "value {} does not fit a {kind:?} column",
                    short(&other)
                )));
            }
        })
    }
}

fn short(value: &serde_json::Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

/// Inserts `rows` (each with one cell per column of `columns`) into `table`:
/// SQLite binds every value as a parameter, PostgreSQL sends the rows as
/// COPY data.
pub fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[(String, ColumnKind)],
    rows: Vec<Vec<Cell>>,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    if let Some(bad) = rows.iter().find(|r| r.len() != columns.len()) {
        return Err(StoreError::Dump(format!(
            "a row of {table} has {} values, not {}",
            bad.len(),
            columns.len()
        )));
    }
    let names: Vec<String> = columns.iter().map(|(c, _)| quote(c)).collect();
    match conn {
        AnyConnection::Postgresql(pg) => {
            let count = rows.len();
            let written = crate::copy_rows::copy_in(pg, table, &names, rows)?;
            if written != count {
                return Err(StoreError::Dump(format!(
                    "{written} rows of {table} written, not {count}"
                )));
            }
            Ok(())
        }
        AnyConnection::Sqlite(sqlite) => insert_rows_sqlite(sqlite, table, columns, &names, rows),
    }
}

/// SQLite takes at most 32,766 parameters in a statement.
const SQLITE_MAX_PARAMETERS: usize = 32_000;

/// SQLite: multi-row `INSERT ... VALUES (?, ...), ...` statements.
fn insert_rows_sqlite(
    conn: &mut diesel::SqliteConnection,
    table: &str,
    columns: &[(String, ColumnKind)],
    names: &[String],
    rows: Vec<Vec<Cell>>,
) -> Result<(), StoreError> {
    let per_statement = (SQLITE_MAX_PARAMETERS / columns.len().max(1)).max(1);
    let marks = format!("({})", vec!["?"; columns.len()].join(", "));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Cell>> = rows.by_ref().take(per_statement).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            quote(table),
            names.join(", "),
            vec![marks.as_str(); chunk.len()].join(", ")
        );
        let mut query = diesel::sql_query(sql).into_boxed::<diesel::sqlite::Sqlite>();
        for row in chunk {
            for (cell, (_, kind)) in row.into_iter().zip(columns) {
                query = match (cell, kind) {
                    (Cell::Bool(b), _) => query.bind::<Nullable<Bool>, _>(Some(b)),
                    (Cell::Integer(i), _) => query.bind::<Nullable<BigInt>, _>(Some(i)),
                    (Cell::Text(s), _) => query.bind::<Nullable<Text>, _>(Some(s)),
                    (Cell::Null, ColumnKind::Bool) => query.bind::<Nullable<Bool>, _>(None::<bool>),
                    (Cell::Null, ColumnKind::Integer) => {
                        query.bind::<Nullable<BigInt>, _>(None::<i64>)
                    }
                    (Cell::Null, ColumnKind::Text) => {
                        query.bind::<Nullable<Text>, _>(None::<String>)
                    }
                };
            }
        }
        query.execute(conn)?;
    }
    Ok(())
}

/// Rows of a backup waiting to be written into one table, parsed into
/// typed cells: SQLite binds them one by one in multi-row `INSERT`s,
/// PostgreSQL one typed array per column.
pub struct RowBatch {
    table: String,
    columns: Vec<(String, ColumnKind)>,
    cells: Vec<Vec<Cell>>,
    rows: usize,
    bytes: usize,
}

impl RowBatch {
    /// An empty batch for `table`, whose rows hold `columns` in this order.
    pub fn new(table: &str, columns: Vec<(String, ColumnKind)>) -> Self {
        RowBatch {
            table: table.to_string(),
            columns,
            cells: Vec::new(),
            rows: 0,
            bytes: 0,
        }
    }

    /// Adds one row: a JSON array with one value per column.
    pub fn push(&mut self, line: &str) -> Result<(), StoreError> {
        let bad = |reason: String| StoreError::Dump(format!("a row of {}: {reason}", self.table));
        if !line.starts_with('[') {
            return Err(bad("not a JSON array".to_string()));
        }
        self.rows += 1;
        self.bytes += line.len();
        let cells: Vec<serde_json::Value> =
            serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        if cells.len() != self.columns.len() {
            return Err(bad(format!(
                "{} values, not {}",
                cells.len(),
                self.columns.len()
            )));
        }
        let row = cells
            .into_iter()
            .zip(&self.columns)
            .map(|(cell, (_, kind))| Cell::from_json(cell, *kind))
            .collect::<Result<Vec<_>, _>>()?;
        self.cells.push(row);
        Ok(())
    }

    /// Rows held, and their size in bytes of JSON text.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Writes the rows held and empties the batch; returns how many.
    pub fn flush(&mut self, conn: &mut AnyConnection) -> Result<usize, StoreError> {
        let rows = std::mem::take(&mut self.rows);
        self.bytes = 0;
        if rows == 0 {
            return Ok(0);
        }
        let cells = std::mem::take(&mut self.cells);
        insert_rows(conn, &self.table, &self.columns, cells)?;
        Ok(rows)
    }
}

#[derive(QueryableByName)]
struct Definition {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    def: String,
    #[diesel(sql_type = Text)]
    kind: String,
}

/// Runs `load` with the indexes and the primary-key, unique and foreign-key
/// constraints of `tables` set aside, then makes them again from their
/// catalog definitions, as `pg_restore` does: filling tables and then
/// building each index once is several times faster than keeping indexes
/// up to date row by row, and the constraints are checked as they are
/// made again. PostgreSQL only (its DDL is transactional: call this inside
/// the restore's transaction, so any failure puts everything back); on
/// SQLite `load` runs as is.
pub fn with_indexes_built_after<T, E: From<StoreError>>(
    conn: &mut AnyConnection,
    tables: &[String],
    load: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E> {
    if conn.backend() == Backend::Sqlite {
        return load(conn);
    }
    let definitions: Vec<Definition> = diesel::sql_query(
        "SELECT r.relname::text AS table_name, c.conname::text AS name, \
                pg_get_constraintdef(c.oid) AS def, c.contype::text AS kind \
         FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid \
         WHERE r.relnamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u', 'f') \
         UNION ALL \
         SELECT r.relname::text, x.relname::text, pg_get_indexdef(i.indexrelid), 'i' \
         FROM pg_index i JOIN pg_class r ON r.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid \
         WHERE r.relnamespace = current_schema()::regnamespace \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
    )
    .load(conn)
    .map_err(StoreError::from)?;
    let ours: Vec<&Definition> = definitions
        .iter()
        .filter(|d| tables.contains(&d.table_name))
        .collect();
    let of_kind = |kinds: &[&str]| -> Vec<&Definition> {
        ours.iter()
            .filter(|d| kinds.contains(&d.kind.as_str()))
            .copied()
            .collect()
    };
    let (foreign, indexes, keys) = (of_kind(&["f"]), of_kind(&["i"]), of_kind(&["p", "u"]));
    let mut drop = String::new();
    for d in foreign.iter().chain(&keys) {
        drop += &format!(
            "ALTER TABLE {} DROP CONSTRAINT {};",
            quote(&d.table_name),
            quote(&d.name)
        );
    }
    for d in &indexes {
        drop += &format!("DROP INDEX {};", quote(&d.name));
    }
    conn.batch_execute(&drop).map_err(StoreError::from)?;
    let loaded = load(conn)?;
    let mut make = String::new();
    for d in &keys {
        make += &format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {};",
            quote(&d.table_name),
            quote(&d.name),
            d.def
        );
    }
    for d in &indexes {
        make += &format!("{};", d.def);
    }
    for d in &foreign {
        make += &format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {};",
            quote(&d.table_name),
            quote(&d.name),
            d.def
        );
    }
    conn.batch_execute(&make).map_err(StoreError::from)?;
    Ok(loaded)
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

pub(crate) fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
