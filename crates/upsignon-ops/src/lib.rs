//! Owns the server's lifecycle as plain functions that the CLI calls and the
//! tests call too: start serving (open the store, bring the schema in line or
//! refuse, prepare TLS, bind), and the `migrate` commands with the one-line
//! reports a sysadmin reads. Later: install, upgrade, rollback, backup,
//! standby, doctor. It does not parse arguments or print: it returns reports
//! and errors whose text says what to do.

mod error;
pub mod migrate;
pub mod serve;

pub use error::OpsError;
