//! Checks an install runs on answers before it writes anything: the
//! PostgreSQL URL connects, the SMTP server answers, the TLS files form a
//! pair. Each returns the reason a sysadmin can act on.

use std::time::{Duration, Instant};

use lettre::SmtpTransport;
use upsignon_config::{Config, DatabaseUrl, Secret, TlsMode};
use upsignon_store::Store;

use super::{InstallError, Settings};

/// Connects to a PostgreSQL database and runs a query; SQLite needs no
/// check (the file is created by the migrations). Returns the round trip.
pub fn check_database(url: &DatabaseUrl) -> Result<Duration, InstallError> {
    if url.sqlite_path().is_some() {
        return Ok(Duration::ZERO);
    }
    let started = Instant::now();
    let store = Store::open(url, 1).map_err(|e| InstallError::Database(e.to_string()))?;
    store
        .ping()
        .map_err(|e| InstallError::Database(e.to_string()))?;
    Ok(started.elapsed())
}

/// Opens a session with the SMTP server (TLS or STARTTLS, then the login
/// when the URL has one) and closes it without sending anything.
pub fn check_smtp(url: &Secret) -> Result<(), InstallError> {
    let transport = smtp_transport(url.expose())?;
    match transport.test_connection() {
        Ok(true) => Ok(()),
        Ok(false) => Err(InstallError::Smtp(
            "the server accepted the connection but did not answer NOOP".to_string(),
        )),
        Err(e) => Err(InstallError::Smtp(describe_smtp_error(&e))),
    }
}

/// The transport for `url`: `smtps://` is TLS from the start, `smtp://`
/// must upgrade with STARTTLS (plain text mail is refused), except with
/// `tls=none`, which the config allows only to a relay on this machine.
pub fn smtp_transport(url: &str) -> Result<SmtpTransport, InstallError> {
    // lettre's plain SMTP is an `smtp://` URL without a `tls` parameter.
    let url = if url.contains("tls=none") {
        url.replace("?tls=none&", "?")
            .replace("?tls=none", "")
            .replace("&tls=none", "")
    } else if url.starts_with("smtp://") && !url.contains("tls=") {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}tls=required")
    } else {
        url.to_string()
    };
    Ok(SmtpTransport::from_url(&url)
        .map_err(|e| InstallError::Smtp(describe_smtp_error(&e)))?
        .timeout(Some(Duration::from_secs(10)))
        .build())
}

fn describe_smtp_error(error: &lettre::transport::smtp::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// With `tls_mode = "files"`, reads the certificate and key the way the
/// server will, so a wrong pair or an open key fails now.
pub fn check_tls_files(settings: &Settings) -> Result<(), InstallError> {
    if settings.tls_mode != TlsMode::Files {
        return Ok(());
    }
    let config = Config {
        tls_mode: TlsMode::Files,
        tls_cert: settings.tls_cert.clone(),
        tls_key: settings.tls_key.clone(),
        ..Config::default()
    };
    upsignon_api::tls::server_config(&config)
        .map(|_| ())
        .map_err(|e| InstallError::Tls(e.to_string()))
}
