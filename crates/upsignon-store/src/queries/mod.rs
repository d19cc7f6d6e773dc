//! Row structs and the queries over them, one file per table family. Every
//! function takes a connection, so callers choose the transaction; none of
//! them decides policy (what to do when a row exists is the caller's rule).

pub mod admin_sessions;
pub mod admins;
pub mod audit;
pub mod devices;
pub mod recovery;
pub mod sessions;
pub mod settings;
pub mod shared_vaults;
pub mod stats;
pub mod tenants;
pub mod users;
pub mod vaults;
