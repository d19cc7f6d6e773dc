//! One file per console page (and the actions posted from it).

pub mod admins;
pub mod allowed_emails;
pub mod approvals;
pub mod audit_log;
pub mod device_actions;
pub mod overview;
pub mod settings;
pub mod setup;
pub mod shared_vaults;
pub mod sign_in;
pub mod statistics;
pub mod status;
pub mod tenants;
pub mod users;
