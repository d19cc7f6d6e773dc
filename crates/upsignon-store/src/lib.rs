//! Owns everything that touches the database: the connection pool for
//! SQLite and PostgreSQL behind one connection type, the versioned migrations
//! of both backends, the schema ledger that lets an older binary revert what a
//! newer one applied, and the queries (`queries::*`). It is the only crate that
//! contains SQL. It must not know about HTTP, the CLI or business rules: it
//! stores and reads what it is told to, and says precisely why it cannot.

mod backend;
mod connection;
mod copy_rows;
pub mod dump;
mod error;
pub mod introspect;
pub mod migrations;
pub mod queries;
pub mod releases;
mod restore;
mod schema;
mod store;

pub use backend::Backend;
pub use connection::{AnyConnection, ConnectionOpener};
pub use error::StoreError;
pub use migrations::{Migration, MigrationState, MigrationStatus, SchemaStatus};
pub use restore::restore_copy;
pub use store::{MAINTENANCE_SETTING, PoolUsage, Store};

/// Where a database lives, with the password usable (for `restore_copy`).
#[derive(Debug, Clone)]
pub enum DatabaseTarget {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl DatabaseTarget {
    pub fn of(url: &upsignon_config::DatabaseUrl) -> Self {
        match url.sqlite_path() {
            Some(path) => Self::Sqlite(path.to_path_buf()),
            None => Self::Postgres(url.expose()),
        }
    }
}
