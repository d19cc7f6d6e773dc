use crate::Backend;

/// Why the store could not do what it was asked. Each message says what the
/// sysadmin can do next; none of them contains a password.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot connect to the {backend} database at {location}: {reason}\nCheck database_url (UPSIGNON_DATABASE_URL) and that the database server is running and reachable."
    )]
    Connect {
        backend: Backend,
        location: String,
        reason: String,
    },

    #[error(
        "cannot create the directory {path} for the SQLite database: {reason}\nCreate it, or set state_dir / database_url to a writable place."
    )]
    CreateDir { path: String, reason: String },

    #[error(
        "no database connection became free in time: {0}\nThe database may be overloaded or unreachable; raise database_pool_size if the server is busy."
    )]
    Pool(String),

    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),

    #[error(
        "the database schema is ahead of this binary: migration(s) {} were applied by a newer version of upsignon.\nRun `upsignon migrate sync` to revert them with the down scripts stored in the database (data in older tables is kept), or install the newer version again.",
        .versions.join(", ")
    )]
    SchemaAhead { versions: Vec<String> },

    #[error(
        "migration {version} in the database does not match the one embedded in this binary (checksum mismatch): a released migration was changed.\nThe server will not run on a schema it does not know. Reinstall the release that applied it, or ask for support with the output of `upsignon migrate status`."
    )]
    ChecksumMismatch { version: String },

    #[error(
        "{} migration(s) are pending ({}).\nRun `upsignon migrate up`; `upsignon serve` also applies them at start unless migrate_on_start = false.",
        .versions.len(), .versions.join(", ")
    )]
    PendingMigrations { versions: Vec<String> },

    #[error(
        "migration {version} cannot be reverted without losing data (it is marked irreversible).\nTo go back past it, restore the backup taken before it was applied."
    )]
    Irreversible { version: String },

    #[error("there is no migration {version}: `upsignon migrate status` lists the versions")]
    UnknownVersion { version: String },

    #[error(
        "cannot restore the copy {backup}: {reason}\nThe server stays stopped; fix the cause and run the rollback again, or restore the copy by hand."
    )]
    Restore { backup: String, reason: String },

    #[error("backup data does not fit this database: {0}")]
    Dump(String),

    #[error("cannot read migrations from {path}: {reason}")]
    MigrationFiles { path: String, reason: String },
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        StoreError::Pool(error.to_string())
    }
}

impl StoreError {
    /// The database could not be reached (down, restarting, or no pooled
    /// connection free in time), as opposed to a query it refused: callers
    /// answer "try again later" rather than "failed".
    pub fn is_unreachable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            StoreError::Connect { .. } | StoreError::Pool(_) => true,
            StoreError::Query(Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _))
            | StoreError::Query(Error::BrokenTransactionManager) => true,
            StoreError::Query(Error::DatabaseError(DatabaseErrorKind::Unknown, info)) => {
                let message = info.message();
                message.contains("server closed the connection")
                    || message.contains("terminating connection")
                    || message.contains("could not connect")
                    || message.contains("the database system is")
            }
            _ => false,
        }
    }
}
