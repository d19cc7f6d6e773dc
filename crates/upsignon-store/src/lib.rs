//! Owns everything that touches the database: the connection pool for
//! SQLite and PostgreSQL behind one connection type, the versioned migrations
//! of both backends, the schema ledger that lets an older binary revert what a
//! newer one applied, and (later) the queries. It is the only crate that
//! contains SQL. It must not know about HTTP, the CLI or business rules: it
//! stores and reads what it is told to, and says precisely why it cannot.

mod backend;
mod connection;
mod error;
pub mod introspect;
pub mod migrations;
mod schema;
mod store;

pub use backend::Backend;
pub use connection::{AnyConnection, ConnectionOpener};
pub use error::StoreError;
pub use migrations::{Migration, MigrationState, MigrationStatus, SchemaStatus};
pub use store::Store;
