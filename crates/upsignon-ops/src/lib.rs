//! Owns the server's lifecycle as plain functions that the CLI calls and the
//! tests call too: start serving (open the store, bring the schema in line or
//! refuse, prepare TLS, bind), and the `migrate` commands with the one-line
//! reports a sysadmin reads. `install`, `doctor`, `upgrade`, `rollback`, backups, and
//! the standby with its promotion. It does not parse arguments or print: it returns reports
//! and errors whose text says what to do.

pub mod admins;
pub mod backup;
mod console_status;
pub mod doctor;
mod error;
pub mod error_reports;
pub mod identity;
pub mod install;
pub mod mail;
pub mod migrate;
pub mod release;
pub mod secrets_key;
pub mod serve;
pub mod standby;
pub mod upgrade;

pub use error::OpsError;
pub use upsignon_api::SERVER_VERSION;
