use std::io::IsTerminal;

use anyhow::Context;
use tracing_subscriber::EnvFilter;
use upsignon_config::{Config, LogFormat};

/// Logs go to standard error: human-readable on a terminal, JSON lines
/// otherwise (journald, Kubernetes) or when `log_format` says so.
/// `RUST_LOG`, when set, wins over `log_level`.
pub fn init(config: &Config) -> anyhow::Result<()> {
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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder
            .with_target(false)
            .with_ansi(std::io::stderr().is_terminal())
            .init();
    }
    Ok(())
}
