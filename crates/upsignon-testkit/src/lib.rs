//! Test helpers, used only as a dev-dependency: a fresh database per test
//! (a SQLite file in a temp dir, or a new database on the PostgreSQL server
//! at 127.0.0.1:5432 that is dropped afterwards), the real server started on
//! a random loopback port, migrations that stand in for a newer release,
//! a TCP relay that can be cut to make a database unreachable for real,
//! an SMTP sink and a Sentry sink that keep what the server sends,
//! and a real headless Chromium driven through chromedriver.
//! Nothing here mocks the database, HTTP or the filesystem.

mod app;
mod browser;
mod burst;
mod database;
mod newer_release;
mod sentry_sink;
mod smtp_sink;
mod tcp_proxy;

pub use app::{TestApp, spawn_app, spawn_app_tuned, spawn_app_with};
pub use browser::Browser;
pub use database::{TestDatabase, postgres_admin_url};
pub use newer_release::{fixture_sql, newer_release_migrations};
pub use sentry_sink::SentrySink;
pub use smtp_sink::{Received, SmtpSink};
pub use tcp_proxy::TcpProxy;
pub use upsignon_store::Backend;

/// Declares one test per backend for an `async fn(Backend)` or `fn(Backend)`:
/// `backend_tests!(async my_test);` gives `my_test::sqlite` and
/// `my_test::postgres`.
#[macro_export]
macro_rules! backend_tests {
    (async $($name:ident),+ $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() { super::$name($crate::Backend::Sqlite).await }
            #[actix_web::test]
            async fn postgres() { super::$name($crate::Backend::Postgres).await }
        }
    )+};
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() { super::$name($crate::Backend::Sqlite) }
            #[test]
            fn postgres() { super::$name($crate::Backend::Postgres) }
        }
    )+};
}
