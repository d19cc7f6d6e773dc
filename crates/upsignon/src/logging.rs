use std::io::IsTerminal;

use anyhow::Context;
use sentry::integrations::tracing::{BreadcrumbLayer, ErrorLayer};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, Layer};
use upsignon_config::{Config, LogFormat};

/// Logs go to standard error: human-readable on a terminal, JSON lines
/// otherwise (journald, Kubernetes) or when `log_format` says so.
/// `RUST_LOG`, when set, wins over `log_level`.
pub fn init(config: &Config) -> anyhow::Result<()> {
    init_with_reports(config, false)
}

/// As [`init`]; with `reports`, error-level events also become error
/// reports, with the info-level lines before them as breadcrumbs (both
/// scrubbed before sending, see `upsignon_ops::error_reports`).
pub fn init_with_reports(config: &Config, reports: bool) -> anyhow::Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.is_empty() => EnvFilter::try_new(&value).context("RUST_LOG is not a valid log filter")?,
        _ => EnvFilter::try_new(&config.log_level).with_context(|| {
            format!("log_level = {:?} is not a valid filter; use for example \"info\" or \"upsignon=debug,info\"", config.log_level)
        })?,
    };
    let json = match config.log_format {
        LogFormat::Json => true,
        LogFormat::Human => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let lines = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let lines = if json {
        lines.json().flatten_event(true).boxed()
    } else {
        lines
            .with_target(false)
            .with_ansi(std::io::stderr().is_terminal())
            .boxed()
    };
    let reports = reports.then(|| {
        ErrorLayer::new()
            .with_filter(LevelFilter::ERROR)
            .and_then(BreadcrumbLayer::new().with_filter(LevelFilter::INFO))
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(lines)
        .with(reports)
        .init();
    Ok(())
}
