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
