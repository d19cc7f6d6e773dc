//! Prometheus metrics: what is counted while serving (requests per route
//! and status with their latency, vault syncs, refusals by the rate
//! limits) and what is read when Prometheus scrapes `/metrics` (database
//! pool, schema, backups and their restore drill, standby lag, build).
//! Names follow Prometheus conventions: `upsignon_..._total` for counters,
//! `_seconds` for durations and times.

mod endpoint;
mod record;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

pub(crate) use endpoint::routes;
pub(crate) use record::record_request;

/// What the backup scheduler last did, read at each scrape (the ops crate
/// provides it; the HTTP layer knows nothing of backup files).
pub trait BackupSource: Send + Sync {
    fn figures(&self) -> BackupFigures;
}

/// Backups as metrics see them; `None` when there is none yet.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BackupFigures {
    /// When the newest backup file was written (Unix seconds).
    pub newest_unix: Option<i64>,
    /// When the last restore drill ran, and whether it passed.
    pub drill_unix: Option<i64>,
    pub drill_ok: Option<bool>,
    /// The last scheduled backup that worked (Unix seconds).
    pub last_success_unix: Option<i64>,
    /// Whether the last scheduled backup worked (`None`: none ran yet).
    pub last_run_ok: Option<bool>,
    /// Scheduled backups that failed, counted across restarts.
    pub failures_total: u64,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScopeLabels {
    scope: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
}

/// A vault read or write as counted by `upsignon_vault_syncs_total`.
#[derive(Debug, Clone, Copy)]
pub enum VaultSync {
    Read,
    NotModified,
    Write,
    Conflict,
}

impl VaultSync {
    fn label(self) -> &'static str {
        match self {
            VaultSync::Read => "read",
            VaultSync::NotModified => "not_modified",
            VaultSync::Write => "write",
            VaultSync::Conflict => "conflict",
        }
    }
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric of one server process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram>,
    vault_syncs: Family<OperationLabels, Counter>,
    rate_limited: Family<ScopeLabels, Counter>,
    pool: Family<StateLabels, Gauge>,
    pool_max: Gauge,
    schema: Family<VersionLabels, Gauge>,
    backup_newest: FloatGauge,
    drill_time: FloatGauge,
    drill_ok: Gauge,
    backup_last_success: FloatGauge,
    backup_last_run_ok: Gauge,
    backup_failures: Counter,
    standby: Gauge,
    standby_age: FloatGauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "upsignon_http_requests",
            "HTTP requests answered, by route pattern, method and status",
            requests.clone(),
        );
        // 1 ms to about 16 s.
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        });
        registry.register(
            "upsignon_http_request_duration_seconds",
            "Time from a request's arrival to its response, by route pattern and method",
            durations.clone(),
        );
        let vault_syncs = Family::<OperationLabels, Counter>::default();
        registry.register(
            "upsignon_vault_syncs",
            "Vault reads and writes by apps: read, not_modified, write, conflict",
            vault_syncs.clone(),
        );
        let rate_limited = Family::<ScopeLabels, Counter>::default();
        registry.register(
            "upsignon_rate_limited_requests",
            "Requests refused with 429, by the limit that refused them (ip or account)",
            rate_limited.clone(),
        );
        let pool = Family::<StateLabels, Gauge>::default();
        registry.register(
            "upsignon_db_pool_connections",
            "Database connections of the pool, idle or in use",
            pool.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "upsignon_db_pool_max_connections",
            "The most connections the pool opens (database_pool_size)",
            pool_max.clone(),
        );
        let schema = Family::<VersionLabels, Gauge>::default();
        registry.register(
            "upsignon_schema_info",
            "The newest migration applied to the database (1 for its version)",
            schema.clone(),
        );
        let build = Family::<VersionLabels, Gauge>::default();
        build
            .get_or_create(&VersionLabels {
                version: crate::SERVER_VERSION.to_string(),
            })
            .set(1);
        registry.register(
            "upsignon_build_info",
            "The server's version (1 for it)",
            build,
        );
        let backup_newest = FloatGauge::default();
        registry.register(
            "upsignon_backup_newest_timestamp_seconds",
            "When the newest backup was written (Unix time; 0 when there is none)",
            backup_newest.clone(),
        );
        let drill_time = FloatGauge::default();
        registry.register(
            "upsignon_backup_verify_timestamp_seconds",
            "When the last restore drill of the newest backup ran (Unix time; 0 when never)",
            drill_time.clone(),
        );
        let drill_ok = Gauge::default();
        registry.register(
            "upsignon_backup_verify_success",
            "1 when the last restore drill passed, 0 when it failed or never ran",
            drill_ok.clone(),
        );
        let backup_last_success = FloatGauge::default();
        registry.register(
            "upsignon_backup_last_success_timestamp_seconds",
            "When the last scheduled backup that worked finished (Unix time; 0 when none did)",
            backup_last_success.clone(),
        );
        let backup_last_run_ok = Gauge::default();
        registry.register(
            "upsignon_backup_last_run_success",
            "1 when the last scheduled backup worked, 0 when it failed or none ran yet",
            backup_last_run_ok.clone(),
        );
        let backup_failures = Counter::default();
        registry.register(
            "upsignon_backup_failures",
            "Scheduled backups that failed",
            backup_failures.clone(),
        );
        let standby = Gauge::default();
        registry.register(
            "upsignon_standby",
            "1 while this server is a standby, 0 on a primary",
            standby.clone(),
        );
        let standby_age = FloatGauge::default();
        registry.register(
            "upsignon_standby_data_age_seconds",
            "On a standby, how old its data is (its lag behind the primary); 0 on a primary",
            standby_age.clone(),
        );
        Self {
            registry,
            requests,
            durations,
            vault_syncs,
            rate_limited,
            pool,
            pool_max,
            schema,
            backup_newest,
            drill_time,
            drill_ok,
            backup_last_success,
            backup_last_run_ok,
            backup_failures,
            standby,
            standby_age,
        }
    }

    /// Counts one vault read or write.
    pub fn vault_sync(&self, sync: VaultSync) {
        self.vault_syncs
            .get_or_create(&OperationLabels {
                operation: sync.label(),
            })
            .inc();
    }

    /// Counts one request refused by a rate limit (`"ip"` or `"account"`).
    pub fn rate_limited(&self, scope: &'static str) {
        self.rate_limited
            .get_or_create(&ScopeLabels { scope })
            .inc();
    }

    fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_string(),
                method: method.to_string(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                route: route.to_string(),
                method: method.to_string(),
            })
            .observe(seconds);
    }
}

/// What is read at scrape time.
pub(crate) struct Snapshot {
    pub pool: upsignon_store::PoolUsage,
    pub schema: Option<String>,
    pub backups: Option<BackupFigures>,
    pub standby_age_secs: Option<f64>,
}

impl Metrics {
    /// The text Prometheus reads, with the scrape-time figures set first.
    pub(crate) fn render(&self, now: Snapshot) -> String {
        let in_use = now.pool.open.saturating_sub(now.pool.idle);
        self.pool
            .get_or_create(&StateLabels { state: "idle" })
            .set(now.pool.idle.into());
        self.pool
            .get_or_create(&StateLabels { state: "in_use" })
            .set(in_use.into());
        self.pool_max.set(now.pool.max.into());
        self.schema.clear();
        if let Some(version) = now.schema {
            self.schema.get_or_create(&VersionLabels { version }).set(1);
        }
        let backups = now.backups.unwrap_or_default();
        self.backup_newest
            .set(backups.newest_unix.unwrap_or(0) as f64);
        self.drill_time.set(backups.drill_unix.unwrap_or(0) as f64);
        self.drill_ok.set(i64::from(backups.drill_ok == Some(true)));
        self.backup_last_success
            .set(backups.last_success_unix.unwrap_or(0) as f64);
        self.backup_last_run_ok
            .set(i64::from(backups.last_run_ok == Some(true)));
        let counted = self.backup_failures.get();
        if backups.failures_total > counted {
            self.backup_failures
                .inc_by(backups.failures_total - counted);
        }
        self.standby.set(i64::from(now.standby_age_secs.is_some()));
        self.standby_age.set(now.standby_age_secs.unwrap_or(0.0));
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Shared between the workers.
pub type SharedMetrics = Arc<Metrics>;
