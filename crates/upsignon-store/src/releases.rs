//! The release ledger: which server versions were installed on this
//! database, in order, with the schema each one ran on and where its binary
//! is kept. `upsignon rollback` reads it to know where to go back to. Like
//! the schema ledger it is created outside the migrations, so reverting
//! them never erases the history that reverting relies on.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::schema::upsignon_release_ledger as releases;
use crate::{AnyConnection, StoreError};

const CREATE: &str = "CREATE TABLE IF NOT EXISTS upsignon_release_ledger (
    id TEXT PRIMARY KEY NOT NULL,
    version TEXT NOT NULL,
    schema_head TEXT NOT NULL,
    binary_sha256 TEXT NOT NULL,
    binary_path TEXT NOT NULL,
    installed_by TEXT NOT NULL,
    installed_at BIGINT NOT NULL
)";

/// One installed release.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = releases)]
pub struct ReleaseRow {
    pub id: String,
    pub version: String,
    /// The newest migration this release applies.
    pub schema_head: String,
    pub binary_sha256: String,
    /// Where the binary was installed (the path `upsignon` runs from).
    pub binary_path: String,
    /// The user who ran the upgrade or rollback.
    pub installed_by: String,
    /// Unix milliseconds.
    pub installed_at: i64,
}

pub(crate) fn ensure(conn: &mut AnyConnection) -> QueryResult<()> {
    conn.batch_execute(CREATE)
}

pub fn record(conn: &mut AnyConnection, row: &ReleaseRow) -> Result<(), StoreError> {
    ensure(conn)?;
    diesel::insert_into(releases::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Every recorded release, oldest first.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<ReleaseRow>, StoreError> {
    ensure(conn)?;
    Ok(releases::table
        .order((releases::installed_at.asc(), releases::id.asc()))
        .select(ReleaseRow::as_select())
        .load(conn)?)
}
