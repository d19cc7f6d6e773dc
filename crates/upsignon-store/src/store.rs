use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};

use crate::connection::ConnectionOpener;
use crate::migrations::{self, Migration, SchemaStatus, SyncReport};
use crate::{Backend, StoreError};
use upsignon_config::DatabaseUrl;

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
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
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

    pub fn connection(&self) -> Result<PooledConnection<ConnectionOpener>, StoreError> {
        Ok(self.pool.get()?)
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
