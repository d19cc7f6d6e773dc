//! Owns the HTTP surface: the actix-web application (health, version, and
//! later the client API), TLS set-up with rustls, request logging with the
//! client IP, body limits, timeouts and security headers. Handlers parse,
//! call the store or the domain, and answer; they never hold SQL and never
//! send internal error text to a client.

mod client_ip;
mod health;
mod request_log;
mod server;
pub mod tls;

pub use client_ip::client_ip;
pub use server::{AppContext, start};

/// The version of this server build, as reported by `/version` and recorded
/// in the schema ledger. `UPSIGNON_VERSION_OVERRIDE` at build time replaces
/// it: the upgrade tests build a real "newer release" that way.
pub const SERVER_VERSION: &str = match option_env!("UPSIGNON_VERSION_OVERRIDE") {
    Some(version) => version,
    None => env!("CARGO_PKG_VERSION"),
};
