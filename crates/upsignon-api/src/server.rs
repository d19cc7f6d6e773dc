use std::net::{IpAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::error::{InternalError, JsonPayloadError};
use actix_web::http::StatusCode;
use actix_web::middleware::{Compress, Condition, DefaultHeaders, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::json;
use upsignon_config::{Config, Secret};
use upsignon_store::Store;

use crate::mail::Mailer;
use crate::metrics::{BackupSource, SharedMetrics};
use crate::rate_limit::RateLimits;
use crate::replication::Replication;
use crate::role::ServerRole;
use crate::{
    client_api, draining, health, json_depth, landing, metrics, replication, request_log,
    standby_gate,
};

/// What every handler can reach.
pub struct AppContext {
    pub store: Store,
    pub trusted_proxies: Vec<IpAddr>,
    pub role: Arc<ServerRole>,
    pub replication: Option<Replication>,
    pub mailer: Option<Arc<dyn Mailer>>,
    pub metrics: SharedMetrics,
    /// `metrics_token`; without it `/metrics` is 404.
    pub metrics_token: Option<Secret>,
    pub backups: Option<Arc<dyn BackupSource>>,
    pub limits: RateLimits,
    pub json_max_depth: usize,
    /// `vault_max_bytes`: larger vaults get 413 `vault_too_large`.
    pub vault_max_bytes: usize,
    pub handler_timeout: Duration,
    /// Set when the server stops: answers close their connection.
    pub draining: Arc<AtomicBool>,
    /// This start's random token, shown by `/health/ready` and written to
    /// the pid file, so that `upgrade`, `rollback`, `install` and `doctor`
    /// know the server answering is the process they manage.
    pub instance: String,
}

/// What the ops crate hands the HTTP layer besides the store.
pub struct Services {
    /// Primary or standby; shared so promotion takes effect at once.
    pub role: Arc<ServerRole>,
    /// The replication endpoint, when `replication_secret` is set.
    pub replication: Option<Replication>,
    /// Outgoing mail, when `smtp_url` is set.
    pub mailer: Option<Arc<dyn Mailer>>,
    /// The admin console's routes, added by the binary (the console crate
    /// depends on this one, not the other way round).
    pub console: Option<ExtraRoutes>,
    /// Backup figures for `/metrics`, when the server makes backups.
    pub backups: Option<Arc<dyn BackupSource>>,
    /// Set by whoever stops the server (see `upsignon_ops::serve`) a moment
    /// before it stops: answers then close their connection.
    pub draining: Arc<AtomicBool>,
    /// This start's identity (see [`AppContext::instance`]).
    pub instance: String,
}

/// A fresh random start token (128 bits, hex).
pub fn new_instance() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Routes another crate adds to the application.
pub type ExtraRoutes = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

impl Default for Services {
    fn default() -> Self {
        Self {
            role: Arc::new(ServerRole::primary()),
            replication: None,
            mailer: None,
            console: None,
            backups: None,
            draining: Arc::default(),
            instance: new_instance(),
        }
    }
}

/// Builds and starts the server on an already bound listener (so tests can
/// bind port 0). `tls` is `None` only for `tls_mode = "none"`. Call it inside
/// an actix or tokio runtime; await the returned server to serve until its
/// handle stops it (signals are left to the caller), after which in-flight
/// requests get `shutdown_timeout_secs`.
pub fn start(
    config: &Config,
    store: Store,
    listener: TcpListener,
    tls: Option<rustls::ServerConfig>,
    services: Services,
) -> std::io::Result<Server> {
    let https = tls.is_some();
    let body_limit = config.body_limit_bytes;
    let replicates = services.replication.is_some();
    let console = services.console.clone();
    let report_errors = config.sentry_dsn.is_some();
    let ctx = web::Data::new(AppContext {
        store,
        trusted_proxies: config.trusted_proxies.clone(),
        role: services.role,
        replication: services.replication,
        mailer: services.mailer,
        metrics: SharedMetrics::default(),
        metrics_token: config.metrics_token.clone(),
        backups: services.backups,
        limits: RateLimits::new(
            config.rate_limit_ip_per_minute,
            config.rate_limit_account_per_minute,
        ),
        json_max_depth: config.json_max_depth,
        vault_max_bytes: config.vault_max_bytes,
        handler_timeout: Duration::from_secs(config.handler_timeout_secs),
        draining: services.draining,
        instance: services.instance,
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(ctx.clone())
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(
                web::JsonConfig::default()
                    .limit(body_limit)
                    .error_handler(json_error),
            )
            // The last wrap runs first: log, metrics, error reports, headers,
            // compression, the standby gate, the depth check.
            .wrap(from_fn(json_depth::limit_json_depth))
            .wrap(from_fn(standby_gate::refuse_on_standby))
            .wrap(Compress::default())
            .wrap(security_headers(https))
            .wrap(Condition::new(
                report_errors,
                // Reports come from error-level log lines (a 500 logs one);
                // this adds the request to them. A 503 while the database
                // restarts is not a report per request.
                sentry::integrations::actix::Sentry::builder()
                    .capture_server_errors(false)
                    .finish(),
            ))
            .wrap(from_fn(draining::close_when_draining))
            .wrap(from_fn(metrics::record_request))
            .wrap(from_fn(request_log::log_request))
            .configure(health::routes)
            .configure(landing::routes)
            .configure(metrics::routes)
            .configure(client_api::routes)
            .configure(|cfg| {
                if replicates {
                    replication::routes(cfg);
                }
                if let Some(console) = &console {
                    console(cfg);
                }
            })
            .default_service(web::to(not_found))
    })
    .client_request_timeout(Duration::from_secs(config.request_timeout_secs))
    .client_disconnect_timeout(Duration::from_secs(5))
    .keep_alive(Duration::from_secs(75))
    .shutdown_timeout(config.shutdown_timeout_secs)
    // The caller handles SIGTERM/SIGINT (drain, then stop): see
    // `upsignon_ops::serve::Running::serve_until_signal`.
    .disable_signals();
    let server = if config.workers > 0 {
        server.workers(config.workers)
    } else {
        server
    };
    let server = match tls {
        Some(tls) => server.listen_rustls_0_23(listener, tls)?,
        None => server.listen(listener)?,
    };
    Ok(server.run())
}

fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Cache-Control", "no-store"))
        // JSON answers need no resources; the console sets its own policy.
        .add((
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'",
        ));
    if https {
        headers.add(("Strict-Transport-Security", "max-age=31536000"))
    } else {
        headers
    }
}

/// A request body that is not the JSON a route expects: a stable code, and
/// what is wrong with it (about the client's own input, never the server).
fn json_error(error: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let (status, code) = match &error {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
        }
        JsonPayloadError::ContentType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "expected_json"),
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            (StatusCode::BAD_REQUEST, "invalid_field")
        }
        _ => (StatusCode::BAD_REQUEST, "malformed_json"),
    };
    let detail = error.to_string();
    let response = HttpResponse::build(status).json(json!({ "error": code, "detail": detail }));
    InternalError::from_response(error, response).into()
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(json!({ "error": "not_found" }))
}
