//! Opt-in error reports to Sentry. Nothing happens, and no connection is
//! ever made, unless `sentry_dsn` is set. When it is, every event goes
//! through [`Scrubber`] before it leaves: emails, IP addresses, device
//! names, request bodies, cookies and auth headers are removed unless the
//! operator lists them in `sentry_send_fields`.

mod scrub;

use std::sync::Arc;

use upsignon_config::Config;

pub use scrub::{Field, Scrubber};

use crate::OpsError;

/// Keeps error reports on while held; dropping it flushes pending events.
pub type ReportsGuard = sentry::ClientInitGuard;

/// Starts error reporting when `sentry_dsn` is set; `Ok(None)` otherwise
/// (then no Sentry client exists at all, whatever `SENTRY_DSN` says).
pub fn init(config: &Config) -> Result<Option<ReportsGuard>, OpsError> {
    let Some(dsn) = &config.sentry_dsn else {
        return Ok(None);
    };
    let dsn: sentry::types::Dsn = dsn.expose().parse().map_err(|e| OpsError::SentryDsn {
        reason: format!("{e}"),
    })?;
    let scrubber = Arc::new(Scrubber::new(&config.sentry_send_fields));
    let for_events = scrubber.clone();
    let mut options = sentry::ClientOptions::new()
        .release(format!("upsignon@{}", crate::SERVER_VERSION))
        .environment(config.sentry_environment.clone())
        // The integrations only collect what some opted-in field needs; the
        // scrubber removes the rest whatever they collected.
        .send_default_pii(scrubber.collects_request_details())
        .traces_sample_rate(0.0)
        .attach_stacktrace(false)
        .max_breadcrumbs(30)
        .before_send(move |event| Some(for_events.event(event)))
        .before_breadcrumb(move |crumb| Some(scrubber.breadcrumb(crumb)));
    options.dsn = Some(dsn);
    Ok(Some(sentry::init(options)))
}
