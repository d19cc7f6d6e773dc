//! The client API end to end, through the reference client doing the real
//! cryptography, against the real server on both backends: enrolment with
//! the emailed code (read from a real SMTP listener), vault creation,
//! sign-in from a second device, sync with ETags, conflicts, sign-out; and
//! the refusals, each with its stable code and nothing written.

mod common;

use common::{PASSWORD, Site, cheap_kdf};
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};
use upsignon_client::crypto::SharingKey;
use upsignon_client::{Device, Write};
use upsignon_testkit::{Backend, backend_tests};

async fn a_user_enrols_two_devices_and_syncs_without_the_server_seeing_anything(backend: Backend) {
    let logs = common::capture_logs();
    let site = Site::new(backend);
    let config = site
        .api("acme")
        .call("bank-config", &json!({}), None, None)
        .await
        .unwrap();
    assert_eq!(config.status, 200);
    assert_eq!(config.body["bankName"], "Acme");
    assert_eq!(config.body["offlineMode"], true);
    assert_eq!(config.body["csvExport"], false);

    let mut laptop = site.enrolled("acme", "user@acme.test", "Laptop").await;
    let sharing = SharingKey::generate();
    let secret_items =
        b"{\"items\":[{\"site\":\"intranet\",\"password\":\"hunter2-very-secret\"}]}";
    let keys = laptop
        .create_vault(PASSWORD, &cheap_kdf(), secret_items, &sharing)
        .await
        .unwrap();
    let first = laptop.read_vault(&keys, None).await.unwrap().unwrap();
    assert_eq!(first.version, 1);
    assert_eq!(first.plaintext, secret_items);
    assert_eq!(
        laptop
            .read_vault(&keys, first.etag.as_deref())
            .await
            .unwrap(),
        None,
        "an unchanged vault costs a 304"
    );
    let second_items = b"{\"items\":[\"second version, also secret\"]}";
    assert_eq!(
        laptop.write_vault(&keys, 1, second_items).await.unwrap(),
        Write::Written { version: 2 }
    );

    let mut phone = site.enrolled("acme", "user@acme.test", "Phone").await;
    let phone_keys = phone.sign_in(PASSWORD).await.unwrap();
    let synced = phone.read_vault(&phone_keys, None).await.unwrap().unwrap();
    assert_eq!(
        (synced.version, synced.plaintext.as_slice()),
        (2, &second_items[..])
    );

    // The laptop still believes version 1: its write is refused, not applied.
    assert_eq!(
        laptop.write_vault(&keys, 1, b"stale").await.unwrap(),
        Write::Outdated { current: 2 }
    );
    let after = phone.read_vault(&phone_keys, None).await.unwrap().unwrap();
    assert_eq!(
        after.plaintext, second_items,
        "the conflict overwrote nothing"
    );

    let mut intruder = site.enrolled("acme", "user@acme.test", "Tablet").await;
    let error = intruder.sign_in("wrong password").await.unwrap_err();
    assert_eq!(error.code(), Some("bad_password"), "{error}");

    phone.disconnect().await.unwrap();
    let ended = phone
        .api()
        .call("get-vault-data", &json!({}), laptop.session(), None)
        .await
        .unwrap();
    assert_eq!(ended.status, 200, "the laptop's session is its own");
    let answer = site
        .api("acme")
        .call("get-vault-data", &json!({}), Some("not-a-session"), None)
        .await
        .unwrap();
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (401, Some("invalid_session"))
    );

    let stored = site.all_stored_text();
    let logged = logs.text();
    assert!(
        logged.contains("/acme/api2/update-vault-data"),
        "the request log was captured"
    );
    for secret in [
        "hunter2-very-secret",
        "second version",
        PASSWORD,
        "intranet",
    ] {
        assert!(!stored.contains(secret), "{secret:?} is stored in clear");
        assert!(!logged.contains(secret), "{secret:?} is in the logs");
    }
    let token = laptop.session().unwrap();
    assert!(
        !logged.contains(token) && !stored.contains(token),
        "session tokens are neither logged nor stored"
    );
}

async fn without_smtp_a_device_waits_for_an_admin(backend: Backend) {
    let app = upsignon_testkit::spawn_app(backend);
    common::add_tenants(&app);
    let device = Device::new(
        upsignon_client::TenantApi::new(app.client.clone(), &app.base_url, "acme"),
        "user@acme.test",
        "Laptop",
    )
    .unwrap();
    assert_eq!(device.request_access().await.unwrap(), "PENDING_APPROVAL");
    let error = device.confirm_code("ANYTHING").await.unwrap_err();
    assert_eq!(error.code(), Some("bad_code"), "{error}");
}

async fn refusals_have_stable_codes_and_write_nothing(backend: Backend) {
    // This test makes more sign-in attempts on one account in a few
    // seconds than the default limit allows (tests/abuse.rs covers it).
    let site = Site::with_config(backend, |config| config.rate_limit_account_per_minute = 0);
    let acme = site.api("acme");

    let unknown = site
        .api("nobody")
        .call("bank-config", &json!({}), None, None)
        .await
        .unwrap();
    assert_eq!(
        (unknown.status, unknown.body["error"].as_str()),
        (404, Some("unknown_tenant"))
    );

    let outsider = Device::new(acme.clone(), "someone@other.test", "Laptop").unwrap();
    let error = outsider.request_access().await.unwrap_err();
    assert_eq!(error.code(), Some("email_address_not_allowed"), "{error}");

    let device = Device::new(acme.clone(), "user@acme.test", "Laptop").unwrap();
    assert_eq!(device.request_access().await.unwrap(), "MAIL_SENT");
    let code = site.code_for("user@acme.test");
    let wrong = if code.starts_with('A') {
        "BBBBBBBB"
    } else {
        "AAAAAAAA"
    };
    for _ in 0..5 {
        let error = device.confirm_code(wrong).await.unwrap_err();
        assert_eq!(error.code(), Some("bad_code"), "{error}");
    }
    let error = device.confirm_code(&code).await.unwrap_err();
    assert_eq!(
        error.code(),
        Some("too_many_attempts"),
        "the code is void after 5 misses: {error}"
    );
    assert_eq!(
        device.request_access().await.unwrap(),
        "MAIL_SENT",
        "a new request sends a new code"
    );
    device
        .confirm_code(&site.code_for("user@acme.test"))
        .await
        .unwrap();

    // A device of acme is unknown to the other tenant, and its session is void there.
    let mut enrolled = device;
    let keys = enrolled
        .create_vault(PASSWORD, &cheap_kdf(), b"items", &SharingKey::generate())
        .await
        .unwrap();
    let other = site.api("other");
    let cross = other
        .call("get-vault-data", &json!({}), enrolled.session(), None)
        .await
        .unwrap();
    assert_eq!(
        (cross.status, cross.body["error"].as_str()),
        (401, Some("invalid_session"))
    );
    let cross = other
        .call(
            "get-authentication-challenges",
            &json!({"userEmail": "user@acme.test", "deviceId": enrolled.uid}),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (cross.status, cross.body["error"].as_str()),
        (403, Some("unknown_device"))
    );
    let cross = other
        .call(
            "update-vault-data",
            &json!({"newEncryptedData": "x", "version": 1}),
            enrolled.session(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(cross.status, 401);

    // A replayed authentication is refused: each challenge signs in once.
    let challenges = acme
        .call(
            "get-authentication-challenges",
            &json!({"userEmail": "user@acme.test", "deviceId": enrolled.uid}),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(challenges.status, 200);
    let replay_body = json!({
        "userEmail": "user@acme.test",
        "deviceId": enrolled.uid,
        "deviceChallengeResponse": "c2lnbmF0dXJl",
        "passwordChallengeResponse": keys.password_response(challenges.body["passwordChallenge"].as_str().unwrap()).unwrap(),
    });
    let forged = acme
        .call("authenticate", &replay_body, None, None)
        .await
        .unwrap();
    assert_eq!(
        (forged.status, forged.body["error"].as_str()),
        (401, Some("bad_device_challenge_response"))
    );
    enrolled.sign_in(PASSWORD).await.unwrap();

    // Malformed input.
    let raw = site
        .app
        .client
        .post(site.app.url("/acme/api2/update-vault-data"))
        .bearer_auth(enrolled.session().unwrap())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let body: Value = raw.json().await.unwrap();
    assert_eq!(body["error"], "malformed_json");
    let huge = json!({"newEncryptedData": "x".repeat(6 * 1024 * 1024), "version": 1});
    let too_big = acme
        .call("update-vault-data", &huge, enrolled.session(), None)
        .await
        .unwrap();
    assert_eq!(
        (too_big.status, too_big.body["error"].as_str()),
        (413, Some("body_too_large"))
    );
    let wrong_type = acme
        .call(
            "update-vault-data",
            &json!({"newEncryptedData": 5, "version": "one"}),
            enrolled.session(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (wrong_type.status, wrong_type.body["error"].as_str()),
        (400, Some("invalid_field"))
    );
    let current = enrolled.read_vault(&keys, None).await.unwrap().unwrap();
    assert_eq!(
        (current.version, current.plaintext.as_slice()),
        (1, &b"items"[..]),
        "nothing was written"
    );

    // Maintenance (a rollback under way): 503 with a reason, apps stay offline.
    site.app
        .store
        .set_maintenance("rollback to 0.1.0", 1)
        .unwrap();
    let paused = acme
        .call("get-vault-data", &json!({}), enrolled.session(), None)
        .await
        .unwrap();
    assert_eq!(
        (paused.status, paused.body["reason"].as_str()),
        (503, Some("maintenance"))
    );
    site.app.store.clear_maintenance().unwrap();

    // An expired session is refused.
    site.app
        .store
        .connection()
        .unwrap()
        .batch_execute("UPDATE device_sessions SET expires_at = 0")
        .unwrap();
    let expired = acme
        .call("get-vault-data", &json!({}), enrolled.session(), None)
        .await
        .unwrap();
    assert_eq!(
        (expired.status, expired.body["error"].as_str()),
        (401, Some("session_expired"))
    );
}

backend_tests!(
    async a_user_enrols_two_devices_and_syncs_without_the_server_seeing_anything,
    refusals_have_stable_codes_and_write_nothing,
    without_smtp_a_device_waits_for_an_admin
);
