//! `/metrics` on both backends: hidden without a token, refused with a
//! wrong one, and with the right one the Prometheus text counts what the
//! apps just did (requests per route and status, latencies, vault syncs
//! and conflicts, rate-limit refusals) next to the scrape-time figures
//! (database pool, schema, backups, standby, build).

mod common;

use common::{PASSWORD, Site, cheap_kdf};
use upsignon_client::Write;
use upsignon_client::crypto::SharingKey;
use upsignon_config::Secret;
use upsignon_testkit::{Backend, TestApp, backend_tests, spawn_app};

const TOKEN: &str = "a-metrics-token-of-at-least-32-characters";

async fn scrape(app: &TestApp, token: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn metrics_need_their_token(backend: Backend) {
    let app = spawn_app(backend);
    assert_eq!(
        scrape(&app, None).await.0,
        404,
        "no token configured: no route"
    );
    let site = Site::with_config(backend, |config| {
        config.metrics_token = Some(Secret::new(TOKEN.to_string()));
    });
    assert_eq!(scrape(&site.app, None).await.0, 401);
    assert_eq!(scrape(&site.app, Some("wrong")).await.0, 401);
    let wrong_same_length = "b".repeat(TOKEN.len());
    assert_eq!(scrape(&site.app, Some(&wrong_same_length)).await.0, 401);
    assert_eq!(scrape(&site.app, Some(TOKEN)).await.0, 200);
}

async fn metrics_count_what_apps_do(backend: Backend) {
    let site = Site::with_config(backend, |config| {
        config.metrics_token = Some(Secret::new(TOKEN.to_string()));
    });
    let mut laptop = site.enrolled("acme", "user@acme.test", "Laptop").await;
    let keys = laptop
        .create_vault(PASSWORD, &cheap_kdf(), b"v1", &SharingKey::generate())
        .await
        .unwrap();
    let copy = laptop.read_vault(&keys, None).await.unwrap().unwrap();
    assert!(
        laptop
            .read_vault(&keys, copy.etag.as_deref())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        laptop.write_vault(&keys, 1, b"v2").await.unwrap(),
        Write::Written { version: 2 }
    );
    assert_eq!(
        laptop.write_vault(&keys, 1, b"stale").await.unwrap(),
        Write::Outdated { current: 2 }
    );

    let (status, text) = scrape(&site.app, Some(TOKEN)).await;
    assert_eq!(status, 200);
    for line in [
        r#"upsignon_http_requests_total{route="/{tenant}/api2/get-vault-data",method="POST",status="200"} 1"#,
        r#"upsignon_http_requests_total{route="/{tenant}/api2/get-vault-data",method="POST",status="304"} 1"#,
        r#"upsignon_http_requests_total{route="/{tenant}/api2/update-vault-data",method="POST",status="409"} 1"#,
        r#"upsignon_vault_syncs_total{operation="read"} 1"#,
        r#"upsignon_vault_syncs_total{operation="not_modified"} 1"#,
        r#"upsignon_vault_syncs_total{operation="write"} 1"#,
        r#"upsignon_vault_syncs_total{operation="conflict"} 1"#,
        r#"upsignon_http_request_duration_seconds_count{route="/{tenant}/api2/update-vault-data",method="POST"} 2"#,
        r#"upsignon_db_pool_max_connections 4"#,
        r#"upsignon_backup_newest_timestamp_seconds 0.0"#,
        r#"upsignon_backup_verify_success 0"#,
        r#"upsignon_standby 0"#,
        "# TYPE upsignon_http_request_duration_seconds histogram",
        "# TYPE upsignon_build_info gauge",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }
    assert!(text.contains(r#"upsignon_build_info{version=""#));
    let schema = site.app.store.expected_schema().unwrap();
    let line = format!(r#"upsignon_schema_info{{version="{schema}"}} 1"#);
    assert!(text.lines().any(|l| l == line), "missing `{line}`");
    assert!(text.contains(r#"upsignon_db_pool_connections{state="idle"}"#));
    assert!(!text.contains("acme"), "tenant names never become labels");
    assert!(!text.contains("user@acme.test"));
}

backend_tests!(async metrics_need_their_token, metrics_count_what_apps_do);
