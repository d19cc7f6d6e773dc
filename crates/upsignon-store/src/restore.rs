//! Putting a pre-upgrade copy back, for a rollback past an irreversible
//! migration, and counting what that loses. The copy is the one `upgrade`
//! took: an SQLite file (`VACUUM INTO`) or a PostgreSQL custom dump.

use std::path::Path;
use std::process::Command;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::{Backend, Store, StoreError, introspect};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl Store {
    /// Applied migrations above `head` that are marked irreversible.
    pub fn irreversible_above(&self, head: &str) -> Result<Vec<String>, StoreError> {
        let rows = crate::migrations::ledger_rows(&mut *self.connection()?)?;
        Ok(rows
            .into_iter()
            .filter(|r| r.irreversible && r.version.as_str() > head)
            .map(|r| r.version)
            .collect())
    }

    /// PostgreSQL, for a restore onto an older schema: in one transaction,
    /// drops the current schema with every table in it, makes it again,
    /// applies this store's migrations and runs `fill`. An error or a crash
    /// at any point leaves the database as it was. SQLite databases are
    /// replaced as files instead, so this refuses them.
    pub fn rebuild_then<T, E: From<StoreError>>(
        &self,
        server_version: &str,
        fill: impl FnOnce(&mut crate::AnyConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        if self.backend() == Backend::Sqlite {
            return Err(StoreError::Dump(
                "an SQLite database is replaced as a file, not emptied".to_string(),
            )
            .into());
        }
        Store::transaction_on(&mut *self.connection()?, |conn| {
            conn.batch_execute(
                "DO $$ DECLARE s text := current_schema(); BEGIN \
                 EXECUTE format('DROP SCHEMA %I CASCADE', s); EXECUTE format('CREATE SCHEMA %I', s); END $$;",
            )
            .map_err(StoreError::from)?;
            crate::migrations::apply_pending(conn, self.migrations(), server_version)?;
            fill(conn)
        })
    }

    /// SQLite: writes the WAL back and switches the database file to a
    /// rollback journal. Before the file is replaced by another one, so that
    /// this store's connections, when they close later, never remove the
    /// `-wal` and `-shm` files by name: those then belong to the new
    /// database and its server. Returns whether the switch happened (it
    /// does not while another connection holds the file). PostgreSQL: true.
    pub fn leave_wal(&self) -> Result<bool, StoreError> {
        #[derive(QueryableByName)]
        struct Mode {
            #[diesel(sql_type = diesel::sql_types::Text)]
            journal_mode: String,
        }
        if self.backend() != Backend::Sqlite {
            return Ok(true);
        }
        let mode = diesel::sql_query("PRAGMA journal_mode = DELETE")
            .get_result::<Mode>(&mut *self.connection()?)?;
        Ok(mode.journal_mode.eq_ignore_ascii_case("delete"))
    }

    /// Writes SQLite's WAL back into the database file and empties it, so
    /// the file alone holds every committed row (before it is moved).
    /// Nothing to do on PostgreSQL.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        if self.backend() == Backend::Sqlite {
            self.connection()?
                .batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")?;
        }
        Ok(())
    }

    /// Rows created or changed after `since_ms`, over every table with an
    /// `updated_at` or `created_at` column: what restoring a copy taken at
    /// that time would lose.
    pub fn writes_since(&self, since_ms: i64) -> Result<i64, StoreError> {
        let mut conn = self.connection()?;
        let mut total = 0;
        for table in introspect::tables(&mut conn)? {
            let columns = introspect::columns(&mut conn, &table)?;
            let Some(column) = ["updated_at", "created_at"]
                .into_iter()
                .find(|c| columns.iter().any(|have| have == c))
            else {
                continue;
            };
            let sql = format!(
                "SELECT count(*) AS n FROM \"{}\" WHERE {column} > {since_ms}",
                table.replace('"', "\"\"")
            );
            total += diesel::sql_query(sql).get_result::<Count>(&mut *conn)?.n;
        }
        Ok(total)
    }
}

/// Replaces the database at `url` with the copy `backup`. The server must be
/// stopped; open `Store`s on an SQLite file keep seeing the old file, so open
/// a new one afterwards.
pub fn restore_copy(
    backend: Backend,
    location: &crate::DatabaseTarget,
    backup: &Path,
) -> Result<(), StoreError> {
    let fail = |reason: String| StoreError::Restore {
        backup: backup.display().to_string(),
        reason,
    };
    match (backend, location) {
        (Backend::Sqlite, crate::DatabaseTarget::Sqlite(path)) => {
            let partial = path.with_extension("restoring");
            std::fs::copy(backup, &partial).map_err(|e| fail(e.to_string()))?;
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            std::fs::rename(&partial, path).map_err(|e| fail(e.to_string()))
        }
        (Backend::Postgres, crate::DatabaseTarget::Postgres(url)) => {
            let mut conn = diesel::PgConnection::establish(url).map_err(|e| fail(e.to_string()))?;
            conn.batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
                .map_err(|e| fail(e.to_string()))?;
            let output = Command::new("pg_restore")
                .args(["--no-owner", "--single-transaction", "--dbname"])
                .arg(url)
                .arg(backup)
                .output()
                .map_err(|e| fail(format!("pg_restore: {e} (install postgresql-client)")))?;
            if output.status.success() {
                Ok(())
            } else {
                Err(fail(
                    String::from_utf8_lossy(&output.stderr).trim().to_string(),
                ))
            }
        }
        _ => Err(fail(
            "the backup is for the other database kind".to_string(),
        )),
    }
}
