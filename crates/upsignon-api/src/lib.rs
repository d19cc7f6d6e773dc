//! Owns the HTTP surface: the actix-web application (health, version, the
//! client API under `/{tenant}/api2/`, the primary's replication endpoint,
//! the standby gate), TLS set-up with rustls, request logging with the
//! client IP, body limits, JSON depth limits, timeouts, rate limits on
//! sign-in style routes, security headers, Prometheus metrics and the
//! hook for opt-in error reports. Handlers parse,
//! call the store or the domain, and answer; they never hold SQL and never
//! send internal error text to a client.

pub mod client_api;
mod client_ip;
mod draining;
mod health;
mod json_depth;
mod landing;
pub mod mail;
pub mod metrics;
pub mod proofs;
pub mod rate_limit;
pub mod replication;
mod request_log;
pub mod role;
mod server;
mod standby_gate;
pub mod tls;

pub use client_ip::{client_ip, request_client_ip};
pub use health::OPENAPI;
pub use mail::{MailMessage, Mailer};
pub use metrics::{BackupFigures, BackupSource};
pub use replication::{Replication, SnapshotSource};
pub use role::{ServerRole, StandbyReport};
pub use server::{AppContext, ExtraRoutes, Services, new_instance, start};

/// The version of this server build, as reported by `/version` and recorded
/// in the schema ledger. `UPSIGNON_VERSION_OVERRIDE` at build time replaces
/// it: the upgrade tests build a real "newer release" that way.
pub const SERVER_VERSION: &str = match option_env!("UPSIGNON_VERSION_OVERRIDE") {
    Some(version) => version,
    None => env!("CARGO_PKG_VERSION"),
};
