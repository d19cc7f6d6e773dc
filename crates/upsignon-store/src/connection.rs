use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::ManageConnection;

use crate::Backend;
use upsignon_config::DatabaseUrl;

/// One connection type for both backends, so queries are written once.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

impl AnyConnection {
    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgresql(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Durability and concurrency settings for every SQLite connection: WAL so
/// readers never block the writer, `synchronous = FULL` so an acknowledged
/// write survives a power cut, foreign keys enforced, and a busy timeout so a
/// second writer waits instead of failing.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000;\
    PRAGMA journal_mode = WAL;\
    PRAGMA synchronous = FULL;\
    PRAGMA foreign_keys = ON;";

/// Opens connections for the pool, choosing the backend from the URL scheme
/// rather than by trial.
#[derive(Debug)]
pub struct ConnectionOpener {
    target: Target,
}

#[derive(Debug)]
enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl ConnectionOpener {
    pub(crate) fn new(url: &DatabaseUrl) -> Self {
        let target = match url {
            DatabaseUrl::Sqlite(path) => Target::Sqlite(path.clone()),
            DatabaseUrl::Postgres(secret) => Target::Postgres(secret.expose().to_string()),
        };
        Self { target }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self.target {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }

    fn open(&self) -> ConnectionResult<AnyConnection> {
        match &self.target {
            Target::Postgres(url) => PgConnection::establish(url).map(AnyConnection::Postgresql),
            Target::Sqlite(path) => open_sqlite(path).map(AnyConnection::Sqlite),
        }
    }
}

fn open_sqlite(path: &Path) -> ConnectionResult<SqliteConnection> {
    let text = path.to_str().ok_or_else(|| {
        ConnectionError::BadConnection(format!(
            "the SQLite path {} is not valid UTF-8",
            path.display()
        ))
    })?;
    let mut conn = SqliteConnection::establish(text)?;
    conn.batch_execute(SQLITE_PRAGMAS)
        .map_err(|e| ConnectionError::BadConnection(format!("cannot configure SQLite: {e}")))?;
    Ok(conn)
}

impl ManageConnection for ConnectionOpener {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        self.open().map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}
