//! A standby and its promotion, with real servers on loopback: the primary
//! streams snapshots only to a standby with the secret, the standby applies
//! them (into the other backend, too), answers no client route, rides out
//! its primary going down, and a promotion in the middle of a pull never
//! leaves half-applied data.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use serde_json::Value;
use upsignon_config::{Config, Secret};
use upsignon_ops::backup;
use upsignon_ops::standby::{self, Schedule, StandbyError};
use upsignon_store::{Store, dump, introspect};
use upsignon_testkit::{Backend, TestApp, backend_tests, spawn_app_tuned, spawn_app_with};

const SECRET: &str = "0123456789abcdef0123456789abcdef-test-secret";

fn fast() -> Schedule {
    Schedule {
        interval: Duration::from_millis(300),
        retry: Duration::from_millis(200),
    }
}

fn other(backend: Backend) -> Backend {
    match backend {
        Backend::Sqlite => Backend::Postgres,
        Backend::Postgres => Backend::Sqlite,
    }
}

struct Pair {
    _keys: tempfile::TempDir,
    key: PathBuf,
    primary: TestApp,
}

impl Pair {
    fn new(backend: Backend) -> Self {
        let keys = tempfile::tempdir().unwrap();
        let key = keys.path().join("backup.key");
        std::fs::write(&key, backup::generate_key_file_text()).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let primary_key = key.clone();
        let primary = spawn_app_with(backend, |config| {
            config.backup_key_file = Some(primary_key);
            config.backup_interval_secs = 0;
            config.replication_secret = Some(Secret::new(SECRET));
        });
        primary.store.migrate_up("test").unwrap();
        Pair {
            _keys: keys,
            key,
            primary,
        }
    }

    fn standby_config(&self, config: &mut Config) {
        config.backup_key_file = Some(self.key.clone());
        config.backup_interval_secs = 1;
        config.replication_secret = Some(Secret::new(SECRET));
        config.standby_primary_url = Some(self.primary.base_url.clone());
        config.standby_primary_ca_file =
            Some(upsignon_api::tls::self_signed_paths(&self.primary.config.state_dir).0);
    }

    fn standby(&self, backend: Backend) -> TestApp {
        spawn_app_tuned(
            backend,
            |config| self.standby_config(config),
            |prepared| prepared.with_standby_schedule(fast()),
        )
    }
}

/// `count` audit rows in one transaction: a snapshot sees all or none.
fn seed(store: &Store, first: usize, count: usize) {
    store
        .transaction_with(|conn| {
            seed_in(conn, first, count);
            Ok::<_, upsignon_store::StoreError>(())
        })
        .unwrap();
}

fn seed_in(conn: &mut upsignon_store::AnyConnection, first: usize, count: usize) {
    for chunk in (first..first + count).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "('00000000-0000-4000-9000-{i:012}', NULL, 'system', 'test', 'seed', 'row {i}', '127.0.0.1', NULL, {})",
                    1_763_800_000_000i64 + *i as i64
                )
            })
            .collect();
        conn.batch_execute(&format!(
            "INSERT INTO audit_events (id, tenant_id, actor_kind, actor, action, target, ip, details, created_at) VALUES {}",
            values.join(",")
        ))
        .unwrap();
    }
}

fn rows(store: &Store, table: &str) -> Vec<String> {
    introspect::rows(&mut store.connection().unwrap(), table).unwrap()
}

/// Every table's rows as JSON values (parsed, so SQLite's and PostgreSQL's
/// spacing does not matter).
fn same_data(a: &Store, b: &Store) -> bool {
    let parsed = |store: &Store, table: &str| -> Vec<Value> {
        rows(store, table)
            .iter()
            .map(|row| serde_json::from_str(row).unwrap())
            .collect()
    };
    let tables = dump::tables_in_creation_order(&mut a.connection().unwrap()).unwrap();
    tables.iter().all(|t| parsed(a, t) == parsed(b, t))
}

fn wait_for(what: &str, found: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !found() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn ready(app: &TestApp) -> (u16, Value) {
    let response = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn a_standby_pulls_the_primarys_data_and_answers_no_client_route(backend: Backend) {
    let pair = Pair::new(backend);
    seed(&pair.primary.store, 0, 1200);
    // The standby runs on the other backend: snapshots are portable.
    let standby = pair.standby(other(backend));
    wait_for("the first pull", || {
        same_data(&pair.primary.store, &standby.store)
    });

    let (status, body) = ready(&standby).await;
    assert_eq!(status, 503);
    assert_eq!(body["reason"], "standby", "{body}");
    assert_eq!(body["standby"]["primary"], pair.primary.base_url.as_str());
    assert!(
        body["standby"]["data_age_secs"].as_i64().unwrap() < 60,
        "{body}"
    );
    for path in ["/t/acme/config", "/replication/snapshot", "/"] {
        let response = standby.client.get(standby.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 503, "{path}");
        assert_eq!(response.headers()["retry-after"], "60");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["reason"], "standby", "{path}: {body}");
    }
    let live = standby
        .client
        .get(standby.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);

    seed(&pair.primary.store, 5000, 10);
    wait_for("the next pull", || {
        same_data(&pair.primary.store, &standby.store)
    });
    let partial = standby.config.state_dir.join("standby/.incoming.partial");
    wait_for("the pull's download to be cleaned up", || !partial.exists());
    assert!(
        backup::list(&standby.config.backups()).is_empty(),
        "a standby takes no scheduled backup"
    );
}

async fn the_replication_endpoint_answers_only_the_secret(backend: Backend) {
    let pair = Pair::new(backend);
    seed(&pair.primary.store, 0, 10);
    let url = pair.primary.url("/replication/snapshot");
    let client = &pair.primary.client;
    let anonymous = client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = client
        .get(&url)
        .bearer_auth("x".repeat(SECRET.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = client.get(&url).bearer_auth(SECRET).send().await.unwrap();
    assert_eq!(right.status(), 200);
    let bytes = right.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snapshot.upsignon-backup");
    std::fs::write(&file, &bytes).unwrap();
    let report = backup::verify(&file, &pair.key).unwrap();
    assert!(report.rows >= 10, "{report}");
    let leftovers = std::fs::read_dir(pair.primary.config.state_dir.join("replication"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name() != ".upsignon-backup.lock")
        .count();
    assert_eq!(leftovers, 0, "snapshots are unlinked once sent");

    let closed = spawn_app_with(backend, |_| {});
    let response = closed
        .client
        .get(closed.url("/replication/snapshot"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404, "no secret configured, no endpoint");
}

async fn a_standby_with_the_wrong_secret_keeps_its_data_and_says_why(backend: Backend) {
    let pair = Pair::new(backend);
    seed(&pair.primary.store, 0, 10);
    let standby = spawn_app_tuned(
        backend,
        |config| {
            pair.standby_config(config);
            config.replication_secret =
                Some(Secret::new("another-secret-that-is-long-enough-0000"));
        },
        |prepared| prepared.with_standby_schedule(fast()),
    );
    seed(&standby.store, 900, 3);
    let before = rows(&standby.store, "audit_events");
    let error = loop {
        let (_, body) = ready(&standby).await;
        if let Some(error) = body["standby"]["last_error"].as_str() {
            break error.to_string();
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        error.contains("HTTP 401") && error.contains("replication_secret"),
        "{error}"
    );
    assert_eq!(rows(&standby.store, "audit_events"), before);
}

async fn a_standby_rides_out_its_primary_going_down(backend: Backend) {
    let mut pair = Pair::new(backend);
    seed(&pair.primary.store, 0, 20);
    let standby = pair.standby(backend);
    wait_for("the first pull", || {
        same_data(&pair.primary.store, &standby.store)
    });

    pair.primary.stop_server();
    let before = rows(&standby.store, "audit_events");
    let error = loop {
        let (_, body) = ready(&standby).await;
        if let Some(error) = body["standby"]["last_error"].as_str() {
            break error.to_string();
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(error.contains("cannot pull from the primary"), "{error}");
    assert_eq!(
        rows(&standby.store, "audit_events"),
        before,
        "a failed pull changes nothing"
    );

    seed(&pair.primary.store, 100, 5);
    pair.primary.restart_server();
    wait_for("a pull after the primary came back", || {
        same_data(&pair.primary.store, &standby.store)
    });
    let (_, body) = ready(&standby).await;
    assert!(body["standby"]["last_error"].is_null(), "{body}");
}

async fn promotion_during_a_pull_never_leaves_half_applied_data(backend: Backend) {
    let pair = Pair::new(backend);
    seed(&pair.primary.store, 0, 100);
    let standby = pair.standby(backend);
    wait_for("the first pull", || {
        same_data(&pair.primary.store, &standby.store)
    });
    let old = rows(&standby.store, "audit_events").len();
    seed(&pair.primary.store, 1000, 20_000);
    let new = rows(&pair.primary.store, "audit_events").len();
    let partial = standby.config.state_dir.join("standby/.incoming.partial");
    wait_for("a pull in flight", || partial.exists());

    let started = Instant::now();
    let report = standby::promote(&standby.config).unwrap();
    let took = started.elapsed();
    assert!(report.to_string().contains("now a primary"), "{report}");
    loop {
        let (status, body) = ready(&standby).await;
        if status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not promoted: {body}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let count = rows(&standby.store, "audit_events").len();
    assert!(
        count == old || count == new,
        "{count} rows: neither {old} nor {new}"
    );
    seed(&pair.primary.store, 50_000, 5);
    actix_web::rt::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        rows(&standby.store, "audit_events").len(),
        count,
        "no pull after promotion"
    );
    let route = standby
        .client
        .get(standby.url("/t/acme/config"))
        .send()
        .await
        .unwrap();
    assert_eq!(route.status(), 404, "client routes are the primary's now");
    println!(
        "promote took {} ms (with a pull in flight)",
        took.as_millis()
    );

    let again = standby::promote(&standby.config).unwrap_err();
    assert!(matches!(again, StandbyError::NotStandby), "{again}");
}

fn a_server_with_data_becomes_a_standby_only_with_force(backend: Backend) {
    let pair = Pair::new(backend);
    let db = upsignon_testkit::TestDatabase::new(backend);
    let mut config = Config {
        database_url: Some(db.url.clone()),
        state_dir: db.dir.path().join("state"),
        ..Config::default()
    };
    pair.standby_config(&mut config);
    config.standby_primary_url = None;
    let store = Store::open(&db.url, 1).unwrap();
    store.migrate_up("test").unwrap();
    seed(&store, 0, 3);

    let error = standby::become_standby(&config, Some(&pair.primary.base_url), false).unwrap_err();
    assert!(matches!(error, StandbyError::HoldsData), "{error}");
    assert!(error.to_string().contains("--force"), "{error}");
    assert!(matches!(standby::role(&config), standby::Role::Primary));

    let report = standby::become_standby(&config, Some(&pair.primary.base_url), true).unwrap();
    let safety = report.safety_backup.clone().expect("a safety backup");
    assert_eq!(
        backup::verify(&safety, &pair.key).unwrap().rows,
        3 + setting_rows(&store)
    );
    assert!(matches!(standby::role(&config), standby::Role::Standby(_)));
    // Once a standby, it is one again without --force.
    standby::become_standby(&config, None, false).unwrap();
}

fn setting_rows(store: &Store) -> u64 {
    let tables = dump::tables_in_creation_order(&mut store.connection().unwrap()).unwrap();
    tables
        .iter()
        .filter(|t| t.as_str() != "audit_events")
        .map(|t| rows(store, t).len() as u64)
        .sum()
}

#[test]
fn a_standby_needs_the_key_and_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        state_dir: dir.path().join("state"),
        standby_primary_url: Some("https://127.0.0.1:1".to_string()),
        ..Config::default()
    };
    let no_key = upsignon_ops::serve::prepare(&config)
        .err()
        .expect("refused");
    assert!(no_key.to_string().contains("backup_key_file"), "{no_key}");
    config.backup_key_file = Some(dir.path().join("backup.key"));
    let no_secret = upsignon_ops::serve::prepare(&config)
        .err()
        .expect("refused");
    assert!(
        no_secret.to_string().contains("replication_secret"),
        "{no_secret}"
    );
    assert!(!Path::new(&dir.path().join("state/standby.json")).exists());
}

backend_tests!(
    async a_standby_pulls_the_primarys_data_and_answers_no_client_route,
    the_replication_endpoint_answers_only_the_secret,
    a_standby_with_the_wrong_secret_keeps_its_data_and_says_why,
    a_standby_rides_out_its_primary_going_down,
    promotion_during_a_pull_never_leaves_half_applied_data
);
backend_tests!(a_server_with_data_becomes_a_standby_only_with_force);
