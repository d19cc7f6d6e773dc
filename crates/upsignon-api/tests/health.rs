//! Health, version and the HTTP basics, against the real server over HTTPS
//! on both backends.

use serde_json::Value;
use upsignon_config::TlsMode;
use upsignon_store::Store;
use upsignon_testkit::{
    Backend, backend_tests, newer_release_migrations, spawn_app, spawn_app_with,
};

async fn get_json(app: &upsignon_testkit::TestApp, path: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(path))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

async fn ready_reports_version_and_schema(backend: Backend) {
    let app = spawn_app(backend);
    let (status, body) = get_json(&app, "/health/ready").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["version"], upsignon_api::SERVER_VERSION);
    assert_eq!(body["schema"], app.store.expected_schema().unwrap());
    let (status, body) = get_json(&app, "/health/live").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("live")));
    let (status, body) = get_json(&app, "/version").await;
    assert_eq!(
        (status, body["version"].as_str()),
        (200, Some(upsignon_api::SERVER_VERSION))
    );
}

async fn ready_turns_503_when_a_newer_release_moves_the_schema(backend: Backend) {
    let app = spawn_app(backend);
    let newer =
        Store::open_with_migrations(&app.db.url, 1, newer_release_migrations(backend)).unwrap();
    newer.migrate_up("9.9.9").unwrap();
    let response = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["reason"], "schema_out_of_sync");
    assert_eq!(body["schema"], "9002");
}

async fn unknown_routes_get_a_json_404_with_security_headers(backend: Backend) {
    let app = spawn_app(backend);
    let response = app
        .client
        .get(app.url("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let headers = response.headers().clone();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("strict-transport-security", "max-age=31536000"),
    ] {
        assert_eq!(
            headers.get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{name}"
        );
    }
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

/// Opening the server's URL in a browser shows what it is and where to go,
/// not a JSON error.
async fn the_root_is_a_plain_page_with_the_version_and_the_way_on(backend: Backend) {
    let app = spawn_app(backend);
    let response = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{headers:?}"
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let page = response.text().await.unwrap();
    for expected in [
        "UpSignOn PRO server",
        upsignon_api::SERVER_VERSION,
        "href=\"/console/\"",
        "href=\"/health/ready\"",
    ] {
        assert!(page.contains(expected), "{expected} missing: {page}");
    }
    assert!(!page.contains("<script"), "{page}");
}

backend_tests!(async
    the_root_is_a_plain_page_with_the_version_and_the_way_on,
    ready_reports_version_and_schema,
    ready_turns_503_when_a_newer_release_moves_the_schema,
    unknown_routes_get_a_json_404_with_security_headers,
);

#[actix_web::test]
async fn the_generated_certificate_is_kept_across_restarts() {
    let app = spawn_app(Backend::Sqlite);
    let (cert, key) = upsignon_api::tls::self_signed_paths(&app.config.state_dir);
    let first = std::fs::read(&cert).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let state_dir = app.config.state_dir.clone();
    let again = upsignon_testkit::spawn_app_with(Backend::Sqlite, |c| c.state_dir = state_dir);
    assert_eq!(std::fs::read(&cert).unwrap(), first);
    let (status, _) = get_json(&again, "/health/live").await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn plain_http_on_loopback_serves_behind_a_proxy() {
    let app = spawn_app_with(Backend::Sqlite, |c| c.tls_mode = TlsMode::None);
    assert!(app.base_url.starts_with("http://"));
    let (status, body) = get_json(&app, "/health/ready").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
}
