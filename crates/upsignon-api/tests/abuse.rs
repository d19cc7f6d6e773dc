//! Abuse resistance, on both backends, through the real server: a brute
//! force of the emailed device code is stopped after a handful of guesses,
//! the per-address and per-account limits answer 429 with Retry-After,
//! bodies nested too deep or too large are refused before any handler
//! parses them, a handler that cannot answer in time gets 503, and every
//! one of those answers carries the security headers.

mod common;

use std::time::{Duration, Instant};

use common::{PASSWORD, Site, add_tenants, cheap_kdf};
use serde_json::{Value, json};
use upsignon_client::crypto::SharingKey;
use upsignon_client::{ClientError, Device};
use upsignon_testkit::{Backend, TestApp, backend_tests, spawn_app_with};

/// The most wrong codes the server checks before the code is void.
const CODE_MAX_ATTEMPTS: usize = 5;

async fn a_brute_force_of_the_emailed_code_is_stopped_long_before_it_can_succeed(backend: Backend) {
    let site = Site::new(backend);
    let attacker = Device::new(site.api("acme"), "victim@acme.test", "Attacker").unwrap();
    assert_eq!(attacker.request_access().await.unwrap(), "MAIL_SENT");
    let real_code = site.code_for("victim@acme.test");

    let (mut checked, mut void, mut limited, mut attempts) = (0, 0, 0, 0);
    for guess in 0..1_000u32 {
        let guess = format!("{guess:08}");
        if guess == real_code {
            continue;
        }
        attempts += 1;
        match attacker.confirm_code(&guess).await.unwrap_err() {
            ClientError::Refused { code, .. } if code == "bad_code" => checked += 1,
            ClientError::Refused { code, .. } if code == "too_many_attempts" => void += 1,
            ClientError::Refused { status: 429, .. } => {
                limited += 1;
                break;
            }
            other => panic!("unexpected answer to a wrong code: {other}"),
        }
    }
    // Each guess is two requests (challenge, then code) and the account may
    // make 20 a minute: 5 guesses are compared, the next ones hear that the
    // code is void, and the 10th guess is refused by the rate limit.
    assert_eq!(
        checked, CODE_MAX_ATTEMPTS,
        "only this many guesses are ever compared"
    );
    assert_eq!(void, 4, "then the code is void");
    assert_eq!(limited, 1, "and the account is rate limited");
    assert!(
        attempts <= 20,
        "stopped after {attempts} attempts out of 1000"
    );
    // Even the right code no longer opens the device.
    let error = attacker.confirm_code(&real_code).await.unwrap_err();
    assert!(
        matches!(
            error.code(),
            Some("too_many_attempts" | "too_many_requests")
        ),
        "{error}"
    );
}

/// A server on `backend` with the two limits given.
fn limited_site(backend: Backend, per_ip: u32, per_account: u32) -> TestApp {
    let app = spawn_app_with(backend, |config| {
        config.rate_limit_ip_per_minute = per_ip;
        config.rate_limit_account_per_minute = per_account;
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    });
    add_tenants(&app);
    app
}

async fn post(
    app: &TestApp,
    route: &str,
    body: &Value,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/acme/api2/{route}")))
        .json(body);
    if let Some(ip) = forwarded_for {
        request = request.header("X-Forwarded-For", ip);
    }
    request.send().await.unwrap()
}

fn access_request(email: &str) -> Value {
    json!({
        "userEmail": email,
        "deviceId": format!("device-of-{email}"),
        "devicePublicKey": "not checked before the limit",
        "deviceName": "Laptop",
        "osFamily": "linux",
    })
}

async fn one_address_is_limited_across_accounts_and_others_are_not(backend: Backend) {
    let app = limited_site(backend, 30, 0);
    let mut refused_at = None;
    for n in 0..40 {
        let response = post(
            &app,
            "request-device-access",
            &access_request(&format!("u{n}@acme.test")),
            Some("203.0.113.5"),
        )
        .await;
        if response.status() == 429 {
            let retry: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry), "Retry-After {retry}");
            assert_security_headers(&response);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "too_many_requests");
            refused_at = Some(n);
            break;
        }
    }
    assert_eq!(
        refused_at,
        Some(30),
        "the 31st request of the minute is refused"
    );
    let other = post(
        &app,
        "request-device-access",
        &access_request("u0@acme.test"),
        Some("203.0.113.6"),
    )
    .await;
    assert_ne!(other.status(), 429, "another address is not affected");
}

async fn one_account_is_limited_from_every_address(backend: Backend) {
    let app = limited_site(backend, 0, 3);
    for n in 0..3 {
        let ip = format!("198.51.100.{n}");
        let response = post(
            &app,
            "request-device-access",
            &access_request("one@acme.test"),
            Some(&ip),
        )
        .await;
        assert_ne!(response.status(), 429);
    }
    let response = post(
        &app,
        "check-device",
        &json!({"userEmail": "ONE@acme.test", "deviceId": "d", "deviceValidationCode": "x"}),
        Some("198.51.100.99"),
    )
    .await;
    assert_eq!(
        response.status(),
        429,
        "same account, new address, other route"
    );
    let response = post(
        &app,
        "request-device-access",
        &access_request("two@acme.test"),
        Some("198.51.100.99"),
    )
    .await;
    assert_ne!(response.status(), 429, "another account is not affected");
}

async fn bodies_too_deep_or_too_large_are_refused_before_parsing(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.json_max_depth = 16;
        config.body_limit_bytes = 64 * 1024;
    });
    add_tenants(&app);
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let response = app
        .client
        .post(app.url("/acme/api2/bank-config"))
        .header("Content-Type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_security_headers(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "too_deep");

    let shallow = format!("{{\"a\":{}1{}}}", "[".repeat(15), "]".repeat(15));
    let response = app
        .client
        .post(app.url("/acme/api2/bank-config"))
        .header("Content-Type", "application/json")
        .body(shallow)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "15 levels are fine");

    let large = json!({ "newEncryptedData": "x".repeat(100 * 1024), "version": 1 });
    let response = post(&app, "update-vault-data", &large, None).await;
    assert_eq!(response.status(), 413);
    assert_security_headers(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "body_too_large");

    let response = app.client.get(app.url("/nowhere")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_security_headers(&response);
}

async fn a_handler_that_cannot_answer_in_time_gets_503(backend: Backend) {
    let site = Site::with_config(backend, |config| config.handler_timeout_secs = 1);
    let mut device = site.enrolled("acme", "slow@acme.test", "Laptop").await;
    let keys = device
        .create_vault(PASSWORD, &cheap_kdf(), b"v1", &SharingKey::generate())
        .await
        .unwrap();
    // Another connection holds the vaults table for a few seconds.
    let store = site.app.store.clone();
    let (locked, wait_for_lock) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let mut conn = store.connection().unwrap();
        let lock = match store.backend() {
            upsignon_store::Backend::Postgres => "BEGIN; LOCK TABLE vaults IN EXCLUSIVE MODE;",
            upsignon_store::Backend::Sqlite => {
                "BEGIN IMMEDIATE; UPDATE vaults SET version = version;"
            }
        };
        diesel::connection::SimpleConnection::batch_execute(&mut *conn, lock).unwrap();
        locked.send(()).unwrap();
        std::thread::sleep(Duration::from_secs(3));
        diesel::connection::SimpleConnection::batch_execute(&mut *conn, "ROLLBACK").unwrap();
    });
    wait_for_lock.recv().unwrap();
    let started = Instant::now();
    let error = device.write_vault(&keys, 1, b"v2").await.unwrap_err();
    let waited = started.elapsed();
    holder.join().unwrap();
    match error {
        ClientError::Refused { status, body, .. } => {
            assert_eq!(status, 503);
            assert_eq!(body["reason"], "timeout");
        }
        other => panic!("expected 503, got {other}"),
    }
    assert!(
        waited < Duration::from_millis(2_900),
        "answered after {waited:?}"
    );
    // The write handed to the database before the deadline may still land
    // once the lock goes; either way the vault is whole and versioned, so
    // the app's retry gets 409 and refetches.
    let copy = device.read_vault(&keys, None).await.unwrap().unwrap();
    assert!(
        matches!(
            (copy.version, copy.plaintext.as_slice()),
            (1, b"v1") | (2, b"v2")
        ),
        "version {} holds {:?}",
        copy.version,
        String::from_utf8_lossy(&copy.plaintext)
    );
}

fn assert_security_headers(response: &reqwest::Response) {
    let headers = response.headers();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("strict-transport-security", "max-age=31536000"),
        (
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        ),
    ] {
        assert_eq!(
            headers.get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{name} on a {} answer",
            response.status()
        );
    }
}

backend_tests!(
    async a_brute_force_of_the_emailed_code_is_stopped_long_before_it_can_succeed,
    one_address_is_limited_across_accounts_and_others_are_not,
    one_account_is_limited_from_every_address,
    bodies_too_deep_or_too_large_are_refused_before_parsing,
    a_handler_that_cannot_answer_in_time_gets_503
);
