//! Owns the supervision console: the admins' web pages under `/console/`,
//! server-rendered with maud, styled by one embedded CSS file and without
//! any script; admin sign-in (Argon2id password, TOTP second factor,
//! lockout and per-IP limits, HttpOnly SameSite=Strict cookies, CSRF
//! tokens on every form); tenant scoping of every page and action; and the
//! audit entries of every admin action. It reads and writes through the
//! store's queries and decides with the domain's rules; it must not hold
//! SQL, must not reach into the client API's handlers, and must never show
//! internal error text to a browser.

mod audit;
mod csrf;
mod error;
mod form_text;
mod guard;
pub mod html;
mod limiter;
pub mod one_time_code;
mod pages;
pub mod password;
mod routes;
pub mod secret_box;
mod session;
pub mod totp;

use std::net::IpAddr;
use std::sync::Arc;

pub use routes::configure;
pub use secret_box::{SecretBox, SecretBoxError};

/// One line of the server-status page: what, its value, and whether it is
/// healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub label: String,
    pub value: String,
    pub ok: bool,
}

/// Where the status page reads what only the operations side knows (the
/// last backup and its verification, the standby's lag).
pub trait StatusSource: Send + Sync {
    fn lines(&self) -> Vec<StatusLine>;
}

/// What the console's handlers reach.
pub struct Console {
    pub store: upsignon_store::Store,
    pub secrets: SecretBox,
    pub mailer: Option<Arc<dyn upsignon_api::Mailer>>,
    pub status: Arc<dyn StatusSource>,
    pub trusted_proxies: Vec<IpAddr>,
    /// Failed sign-ins per client address.
    pub limiter: limiter::FailureLimiter,
    /// Failed sign-ins per email (known or not) and client address: a
    /// stranger who knows an admin's email locks only their own address out.
    pub account_limiter: limiter::FailureLimiter<(String, IpAddr)>,
}

impl Console {
    pub fn new(
        store: upsignon_store::Store,
        secrets: SecretBox,
        mailer: Option<Arc<dyn upsignon_api::Mailer>>,
        status: Arc<dyn StatusSource>,
        trusted_proxies: Vec<IpAddr>,
    ) -> Self {
        Self {
            store,
            secrets,
            mailer,
            status,
            trusted_proxies,
            limiter: limiter::FailureLimiter::default(),
            account_limiter: limiter::FailureLimiter::new(limiter::MAX_FAILURES_PER_ACCOUNT),
        }
    }
}
