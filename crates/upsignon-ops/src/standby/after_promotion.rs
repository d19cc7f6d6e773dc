//! After `promote`: is a server running here, and does it now serve as a
//! primary? Answers one line for the sysadmin.

use std::time::Duration;

use upsignon_config::Config;

use crate::install::service;

/// Polls this server's `/health/ready` for up to `timeout`.
pub fn running_server_after_promotion(config: &Config, timeout: Duration) -> String {
    let url = service::health_url(config.listen, config.tls_mode);
    let Ok(client) = service::probe_client() else {
        return "Check the server with `upsignon doctor`.".to_string();
    };
    match client.get(&url).send() {
        Err(e) if e.is_connect() => {
            return format!(
                "No server answers on {}: start it (systemctl start upsignon, or `upsignon serve`) and it serves as a primary.",
                config.listen
            );
        }
        _ => {}
    }
    match service::wait_until_ready(config.listen, config.tls_mode, timeout, None) {
        Ok(ready) => format!(
            "The running server is ready as a primary (version {}).",
            ready.version
        ),
        Err(error) => format!("The running server is not ready yet: {error}"),
    }
}
