use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::{Connection, RunQueryDsl};

use crate::connection::ConnectionOpener;
use crate::migrations::{self, Migration, SchemaStatus, SyncReport};
use crate::{AnyConnection, Backend, StoreError};
use upsignon_config::DatabaseUrl;

/// The `server_settings` row that holds the maintenance reason (client-API
/// routes answer 503 `maintenance` while it is set).
pub const MAINTENANCE_SETTING: &str = "maintenance";

/// A pool of connections to one database, with the migrations that belong
/// to it. Cheap to clone. Every method blocks: call it from a thread where
/// blocking is allowed (actix's `web::block`, or the CLI).
#[derive(Clone)]
pub struct Store {
    pool: Pool<ConnectionOpener>,
    backend: Backend,
    migrations: Arc<[Migration]>,
}

impl Store {
    /// Connects to `url` with the migrations embedded in this binary.
    pub fn open(url: &DatabaseUrl, pool_size: u32) -> Result<Self, StoreError> {
        let backend = match url {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        };
        Self::open_with_migrations(url, pool_size, migrations::embedded(backend))
    }

    /// Connects with another migration set: tests use it to play an older or
    /// newer release against the same database.
    pub fn open_with_migrations(
        url: &DatabaseUrl,
        pool_size: u32,
        migrations: Vec<Migration>,
    ) -> Result<Self, StoreError> {
        if let DatabaseUrl::Sqlite(path) = url {
            create_parent_dir(path)?;
        }
        let opener = ConnectionOpener::new(url);
        let backend = opener.backend();
        // One connection up front, so a wrong URL fails now with its real reason.
        opener.connect().map_err(|e| StoreError::Connect {
            backend,
            location: url.masked(),
            reason: e.to_string().trim().to_string(),
        })?;
        let pool = Pool::builder()
            .max_size(pool_size)
            // No connection opened in the background unless a caller waits
            // for it: libpq's OpenSSL cleans up at process exit, and a pool
            // thread still connecting then crashed short commands (SIGSEGV
            // after their work was done, one `rollback` in five).
            .min_idle(Some(0))
            // While the database is down a request waits this long, then
            // gets 503: long enough to ride out a busy moment, short enough
            // that apps are told to retry rather than hang.
            .connection_timeout(Duration::from_secs(5))
            .error_handler(Box::new(ConnectFailures))
            .build_unchecked(opener);
        Ok(Self {
            pool,
            backend,
            migrations: migrations.into(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The migrations this binary knows, oldest first.
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    /// The schema version this binary expects (its newest migration).
    pub fn expected_schema(&self) -> Option<&str> {
        self.migrations.last().map(|m| m.version.as_str())
    }

    /// How the connection pool is used now, for metrics.
    pub fn pool_usage(&self) -> PoolUsage {
        let state = self.pool.state();
        PoolUsage {
            open: state.connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    pub fn connection(&self) -> Result<PooledConnection<ConnectionOpener>, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Runs `work` in one transaction on a pooled connection: all of it is
    /// written, or none of it.
    pub fn transaction<T>(
        &self,
        work: impl FnOnce(&mut AnyConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        Self::transaction_on(&mut *self.connection()?, work)
    }

    /// Why the server is in maintenance (data routes and readiness answer
    /// 503), or `None` when it serves normally. Set by `upsignon rollback`
    /// while it changes the schema under a running server.
    pub fn maintenance(&self) -> Result<Option<String>, StoreError> {
        crate::queries::settings::get(&mut *self.connection()?, MAINTENANCE_SETTING)
    }

    pub fn set_maintenance(&self, reason: &str, now_ms: i64) -> Result<(), StoreError> {
        crate::queries::settings::set(
            &mut *self.connection()?,
            MAINTENANCE_SETTING,
            reason,
            now_ms,
        )
    }

    pub fn clear_maintenance(&self) -> Result<(), StoreError> {
        crate::queries::settings::delete(&mut *self.connection()?, MAINTENANCE_SETTING)
    }

    /// Writes a consistent copy of an SQLite database to `target` (one read
    /// transaction, `VACUUM INTO`); the live database keeps serving.
    pub fn copy_sqlite_into(&self, target: &std::path::Path) -> Result<(), StoreError> {
        let quoted = target.display().to_string().replace('\'', "''");
        Ok(self
            .connection()?
            .batch_execute(&format!("VACUUM INTO '{quoted}'"))?)
    }

    /// Like [`Store::transaction`] for callers with their own error type:
    /// an `Err` from `work` rolls everything back and is returned as is.
    pub fn transaction_with<T, E: From<StoreError>>(
        &self,
        work: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        Self::transaction_on(&mut *self.connection()?, work)
    }

    /// [`Store::transaction_with`] on a connection the caller already holds
    /// (one connection per request: never two from the pool at once).
    ///
    /// On SQLite an outermost transaction begins with `BEGIN IMMEDIATE`: it
    /// waits (`busy_timeout`) for the single writer lock up front, instead of
    /// reading first and then failing at once with "database is locked"
    /// when another request writes meanwhile.
    pub fn transaction_on<T, E: From<StoreError>>(
        conn: &mut AnyConnection,
        work: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        if let AnyConnection::Sqlite(inner) = conn
            && AnsiTransactionManager::transaction_manager_status_mut(inner)
                .transaction_depth()
                .ok()
                .flatten()
                .is_none()
        {
            return immediate_sqlite_transaction(conn, work);
        }
        let mut failure = None;
        let outcome = conn.transaction::<T, diesel::result::Error, _>(|c| match work(c) {
            Ok(value) => Ok(value),
            Err(error) => {
                failure = Some(error);
                Err(diesel::result::Error::RollbackTransaction)
            }
        });
        match (outcome, failure) {
            (Ok(value), _) => Ok(value),
            (Err(_), Some(error)) => Err(error),
            (Err(error), None) => Err(StoreError::from(error).into()),
        }
    }

    /// Runs `work` unless another process already runs the job `key`: on
    /// PostgreSQL a session advisory lock (several replicas, one run); on
    /// SQLite, one process owns the database, so `work` always runs.
    /// Returns `Ok(None)` when the job was skipped.
    pub fn with_job_lock<T, E: From<StoreError>>(
        &self,
        key: i64,
        work: impl FnOnce() -> Result<T, E>,
    ) -> Result<Option<T>, E> {
        if self.backend == Backend::Sqlite {
            return work().map(Some);
        }
        #[derive(diesel::QueryableByName)]
        struct Locked {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            locked: bool,
        }
        let mut conn = self.connection()?;
        let locked = diesel::sql_query(format!("SELECT pg_try_advisory_lock({key}) AS locked"))
            .get_result::<Locked>(&mut *conn)
            .map_err(StoreError::from)?
            .locked;
        if !locked {
            return Ok(None);
        }
        let outcome = work();
        conn.batch_execute(&format!("SELECT pg_advisory_unlock({key})"))
            .map_err(StoreError::from)?;
        outcome.map(Some)
    }

    /// Runs `work` inside one read-only snapshot: every read sees the
    /// database as it was when the snapshot began, while the server keeps
    /// writing (SQLite WAL read transaction; PostgreSQL REPEATABLE READ).
    pub fn snapshot<T, E: From<StoreError>>(
        &self,
        work: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.connection()?;
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN DEFERRED; SELECT count(*) FROM sqlite_schema;",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        conn.batch_execute(begin).map_err(StoreError::from)?;
        let outcome = work(&mut conn);
        let end = if outcome.is_ok() {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        conn.batch_execute(end).map_err(StoreError::from)?;
        outcome
    }

    /// Round-trips a trivial query.
    pub fn ping(&self) -> Result<(), StoreError> {
        Ok(self.connection()?.batch_execute("SELECT 1")?)
    }

    pub fn schema_status(&self) -> Result<SchemaStatus, StoreError> {
        let rows = migrations::ledger_rows(&mut *self.connection()?)?;
        Ok(SchemaStatus::compute(&self.migrations, &rows))
    }

    /// Applies pending migrations; returns their versions.
    pub fn migrate_up(&self, server_version: &str) -> Result<Vec<String>, StoreError> {
        migrations::apply_pending(&mut *self.connection()?, &self.migrations, server_version)
    }

    /// Reverts migrations above `target` (`0` for all); returns their versions, newest first.
    pub fn migrate_down_to(&self, target: &str) -> Result<Vec<String>, StoreError> {
        migrations::revert_to(&mut *self.connection()?, target, &self.migrations)
    }

    /// Reverts what a newer binary applied, then applies what is pending.
    pub fn migrate_sync(&self, server_version: &str) -> Result<SyncReport, StoreError> {
        migrations::sync(&mut *self.connection()?, &self.migrations, server_version)
    }
}

fn create_parent_dir(path: &std::path::Path) -> Result<(), StoreError> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    if dir.is_dir() {
        return Ok(());
    }
    let fail = |e: std::io::Error| StoreError::CreateDir {
        path: dir.display().to_string(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o750)).map_err(fail)?;
    }
    Ok(())
}

/// Connections of the pool: open ones, idle among them, and the most it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// An outermost SQLite transaction that takes the writer lock at once.
fn immediate_sqlite_transaction<T, E: From<StoreError>>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E> {
    let AnyConnection::Sqlite(inner) = conn else {
        unreachable!("called for SQLite connections only")
    };
    AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")
        .map_err(StoreError::from)?;
    let outcome = work(conn);
    let AnyConnection::Sqlite(inner) = conn else {
        unreachable!("the variant cannot change")
    };
    match outcome {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(inner).map_err(StoreError::from)?;
            Ok(value)
        }
        Err(error) => {
            // SQLite may have rolled back already (a full disk ends the
            // transaction): the work's own error is the one to report.
            if let Err(rollback) = AnsiTransactionManager::rollback_transaction(inner) {
                tracing::warn!(error = %rollback, "rollback after a failed transaction");
            }
            Err(error)
        }
    }
}

/// Failed reconnections of the pool, logged as one warning each (not as
/// errors: an outage is reported by `/health/ready` and the 503s, and an
/// error line would become an error report per retry).
#[derive(Debug)]
struct ConnectFailures;

impl diesel::r2d2::HandleError<diesel::r2d2::Error> for ConnectFailures {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        let reason = error.to_string();
        tracing::warn!(
            reason = reason.trim(),
            "cannot open a database connection; retrying"
        );
    }
}
