//! A restore onto a new machine serves the admins it restores: a site with
//! an enrolled admin (password and TOTP) is backed up, restored into a
//! fresh server of the other backend whose own secrets key differs, and the
//! admin signs in there with the same password and an authenticator code.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{ADMIN_PASSWORD, Site, Visitor, enrolled_admin, totp_code};
use upsignon_ops::backup::{self, Keys};
use upsignon_testkit::{Backend, spawn_app};

async fn a_restored_admin_signs_in_on_a_new_machine(backend: Backend) {
    let old = Site::new(backend);
    let (secret, _) = enrolled_admin(&old).await;
    let keys_dir = tempfile::tempdir().unwrap();
    let key = keys_dir.path().join("backup.key");
    std::fs::write(&key, backup::generate_key_file_text()).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let file = keys_dir.path().join("site.upsignon-backup");
    let keys = Keys {
        backup: key.clone(),
        secrets: Some(old.app.config.secrets_key()),
    };
    backup::backup(old.store(), &keys, &file).unwrap();

    let other = match backend {
        Backend::Sqlite => Backend::Postgres,
        Backend::Postgres => Backend::Sqlite,
    };
    let mut app = spawn_app(other);
    let fresh_key = std::fs::read_to_string(app.config.secrets_key()).unwrap();
    assert_ne!(
        fresh_key,
        std::fs::read_to_string(old.app.config.secrets_key()).unwrap(),
        "the new machine starts with a key of its own"
    );
    app.stop_server();
    let mut config = app.config.clone();
    config.backup_key_file = Some(key);
    config.backup_dir = Some(keys_dir.path().join("backups"));
    backup::restore(&config, &file, true).unwrap();
    let mode = std::fs::metadata(config.secrets_key())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "the restored secrets key stays private"
    );
    app.restart_server();

    let new = Site {
        http: app.client_without_redirects(),
        app,
        first_code: String::new(),
    };
    let visitor = Visitor::arrive(&new, "/console/sign-in").await;
    let answer = visitor
        .sign_in(ADMIN_PASSWORD, &totp_code(&secret, 1))
        .await;
    assert_eq!(answer.status(), 303, "{}", answer.text().await.unwrap());
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(
        !location.contains("sign-in"),
        "signed in: sent to {location}"
    );
}

upsignon_testkit::backend_tests!(async a_restored_admin_signs_in_on_a_new_machine);
