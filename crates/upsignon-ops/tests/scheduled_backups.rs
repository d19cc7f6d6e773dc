//! Backups inside `serve`: the real server, on both backends, writes a
//! backup on its schedule, runs a restore drill on it and records the
//! result for `doctor`, while it keeps serving.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use upsignon_ops::backup::{self, schedule};
use upsignon_testkit::{Backend, backend_tests, spawn_app_with};

fn wait_for(what: &str, found: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !found() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn the_server_backs_up_on_schedule_and_drills_the_backup(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("backup.key");
    std::fs::write(&key, backup::generate_key_file_text()).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let backups = dir.path().join("backups");
    let state = dir.path().join("state");
    let app = spawn_app_with(backend, |config| {
        config.backup_key_file = Some(key.clone());
        config.backup_dir = Some(backups.clone());
        config.state_dir = state.clone();
        config.backup_interval_secs = 1;
    });
    wait_for("a scheduled backup", || !backup::list(&backups).is_empty());
    wait_for("the restore drill", || {
        schedule::drill_file(&state).is_file()
    });
    let drill: schedule::DrillResult =
        serde_json::from_str(&std::fs::read_to_string(schedule::drill_file(&state)).unwrap())
            .unwrap();
    assert!(drill.ok, "{}", drill.detail);
    let newest = backup::list(&backups).remove(0);
    backup::verify(&newest.path, &key).unwrap();
    assert!(no_partial_file(&backups));
    let health = app
        .client
        .get(format!("{}/health/ready", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "the server kept serving");
}

fn no_partial_file(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().ends_with(".partial"))
}

backend_tests!(async the_server_backs_up_on_schedule_and_drills_the_backup);

/// PostgreSQL goes away (every connection cut, new ones refused) while the
/// server runs: the scheduled backup fails without leaving a file, the
/// failure shows at once in `/metrics` and as a `doctor` FAIL, the server
/// keeps answering, and backups resume when the database is back.
#[actix_web::test]
async fn a_scheduled_backup_survives_the_database_going_away() {
    let target: std::net::SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let proxy = upsignon_testkit::TcpProxy::start(target);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("backup.key");
    std::fs::write(&key, backup::generate_key_file_text()).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let backups = dir.path().join("backups");
    let app = spawn_app_with(Backend::Postgres, |config| {
        let direct = config.database_url.as_ref().unwrap().expose();
        let relayed = direct.replacen(":5432/", &format!(":{}/", proxy.address.port()), 1);
        config.database_url = Some(upsignon_config::DatabaseUrl::parse(&relayed).unwrap());
        config.backup_key_file = Some(key.clone());
        config.backup_dir = Some(backups.clone());
        config.backup_interval_secs = 1;
        config.backup_verify_interval_secs = 3600;
        config.metrics_token = Some(upsignon_config::Secret::new("metrics-token".to_string()));
    });
    let state = app.config.state_dir.clone();
    wait_for("a first scheduled backup", || {
        !backup::list(&backups).is_empty()
    });

    proxy.cut();
    let during = backup::list(&backups).len();
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503, "the database is gone");
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["reason"], "database_unreachable", "{body}");
    let live = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200, "the server keeps answering");
    assert!(
        backup::list(&backups).len() <= during + 1,
        "no backup is made while the database is away"
    );
    assert!(no_partial_file(&backups));
    wait_for("the failure to be recorded", || {
        schedule::last_run(&state).is_some_and(|run| !run.ok)
    });
    let check = upsignon_ops::doctor::status_checks(&app.config)
        .into_iter()
        .find(|c| c.name == "backups")
        .expect("doctor checks backups");
    assert!(
        check.status == upsignon_ops::doctor::Status::Fail,
        "{}",
        check.summary
    );
    assert!(
        check.summary.contains("last scheduled backup failed"),
        "{}",
        check.summary
    );
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let failures: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("upsignon_backup_failures_total "))
        .expect("the failure counter")
        .parse()
        .unwrap();
    assert!(failures >= 1.0, "{metrics}");
    assert!(
        metrics.contains("upsignon_backup_last_run_success 0"),
        "{metrics}"
    );

    proxy.restore();
    let after = backup::list(&backups).len();
    wait_for("backups to resume", || backup::list(&backups).len() > after);
    let newest = backup::list(&backups).remove(0);
    backup::verify(&newest.path, &key).unwrap();
    wait_for("a good run to be recorded", || {
        schedule::last_run(&state).is_some_and(|run| run.ok && run.failures_total >= 1)
    });
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
}
