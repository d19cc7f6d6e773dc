//! Devices, audit events, statistics and the URL list through the
//! reference client, on both backends: a user sees and manages only their
//! own devices, a revoked device can do nothing more at once, app events
//! land in the tenant's audit log with the client IP, and vault updates
//! keep a history of password-strength counts.

mod common;

use common::{PASSWORD, Site, cheap_kdf};
use serde_json::json;
use upsignon_client::Write;
use upsignon_client::crypto::SharingKey;
use upsignon_store::queries::{audit, stats, users};
use upsignon_testkit::{Backend, backend_tests};

async fn a_user_manages_their_devices_and_revocation_is_immediate(backend: Backend) {
    let site = Site::new(backend);
    let mut laptop = site.enrolled("acme", "user@acme.test", "Laptop").await;
    laptop
        .create_vault(PASSWORD, &cheap_kdf(), b"items", &SharingKey::generate())
        .await
        .unwrap();
    let mut phone = site.enrolled("acme", "user@acme.test", "Phone").await;
    let phone_keys = phone.sign_in(PASSWORD).await.unwrap();
    let mut colleague = site.enrolled("acme", "colleague@acme.test", "Desk").await;
    colleague
        .create_vault(
            "another password",
            &cheap_kdf(),
            b"theirs",
            &SharingKey::generate(),
        )
        .await
        .unwrap();

    let listed = laptop.devices().await.unwrap();
    let names: Vec<_> = listed
        .iter()
        .map(|d| d["deviceName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Laptop", "Phone"], "only this user's devices");
    assert_eq!(listed[0]["current"], true);
    assert_eq!(listed[1]["current"], false);

    laptop
        .rename_device(&phone.uid, "Work phone")
        .await
        .unwrap();
    assert_eq!(
        laptop.devices().await.unwrap()[1]["deviceName"],
        "Work phone"
    );
    let error = laptop
        .rename_device(&colleague.uid, "Mine now")
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("unknown_device"), "{error}");
    let error = laptop.revoke_device(&colleague.uid).await.unwrap_err();
    assert_eq!(error.code(), Some("unknown_device"), "{error}");

    laptop.revoke_device(&phone.uid).await.unwrap();
    let error = phone.read_vault(&phone_keys, None).await.unwrap_err();
    assert_eq!(
        error.code(),
        Some("invalid_session"),
        "the session ended with the revocation: {error}"
    );
    let error = phone.sign_in(PASSWORD).await.unwrap_err();
    assert_eq!(error.code(), Some("revoked"), "{error}");
    let error = phone.request_access().await.unwrap_err();
    assert_eq!(
        error.code(),
        Some("revoked"),
        "a revoked device cannot ask again: {error}"
    );
    let error = laptop.revoke_device(&phone.uid).await.unwrap_err();
    assert_eq!(error.code(), Some("revoked"), "{error}");
    assert_eq!(
        laptop.devices().await.unwrap()[1]["status"],
        "REVOKED_BY_USER"
    );
    colleague.log_event("vault_unlocked", None).await.unwrap();

    laptop
        .update_metadata("Laptop (2026)", "Debian 13.1", "8.0.0")
        .await
        .unwrap();
    let mine = &laptop.devices().await.unwrap()[0];
    assert_eq!(
        (
            mine["deviceName"].as_str(),
            mine["osNameAndVersion"].as_str(),
            mine["appVersion"].as_str()
        ),
        (Some("Laptop (2026)"), Some("Debian 13.1"), Some("8.0.0"))
    );
}

async fn deleting_an_account_removes_everything_of_it(backend: Backend) {
    let site = Site::new(backend);
    let (alice_key, bob_key) = (SharingKey::generate(), SharingKey::generate());
    let mut alice = site.enrolled("acme", "alice@acme.test", "Laptop").await;
    alice
        .create_vault(PASSWORD, &cheap_kdf(), b"alice items", &alice_key)
        .await
        .unwrap();
    let mut bob = site.enrolled("acme", "bob@acme.test", "Laptop").await;
    bob.create_vault("bob's password", &cheap_kdf(), b"bob items", &bob_key)
        .await
        .unwrap();
    let (team, key) = alice
        .create_shared_vault("Team", b"shared", &alice_key, json!({"accounts": []}))
        .await
        .unwrap();
    alice
        .share(&team, &key, "bob@acme.test", "reader")
        .await
        .unwrap();
    let (solo, _) = bob
        .create_shared_vault("Bob only", b"solo", &bob_key, json!({"accounts": []}))
        .await
        .unwrap();

    let error = alice.delete_account().await.unwrap_err();
    assert_eq!(
        error.code(),
        Some("last_owner_error"),
        "hand the shared vault over first: {error}"
    );

    let bob_session = bob.session().unwrap().to_string();
    bob.delete_account().await.unwrap();
    let gone = site
        .api("acme")
        .call("get-vault-data", &json!({}), Some(&bob_session), None)
        .await
        .unwrap();
    assert_eq!(
        (gone.status, gone.body["error"].as_str()),
        (401, Some("invalid_session"))
    );
    let recipients = alice
        .manage(
            "get-recipients-for-shared-vault",
            json!({"sharedVaultId": team}),
        )
        .await
        .unwrap();
    assert_eq!(
        recipients["recipients"].as_array().unwrap().len(),
        1,
        "bob left the team vault"
    );
    let mut conn = site.app.store.connection().unwrap();
    assert!(
        users::find_by_email(&mut conn, "t-acme", "bob@acme.test")
            .unwrap()
            .is_none()
    );
    drop(conn);
    let stored = site.all_stored_text();
    assert!(
        !stored.contains(&solo),
        "bob's own shared vault went with him"
    );
    assert!(!stored.contains("bob items"), "and his vault");
    assert!(
        stored.contains("account.delete"),
        "the deletion is in the audit log"
    );
    let keys = alice.sign_in(PASSWORD).await.unwrap();
    assert_eq!(
        alice
            .read_vault(&keys, None)
            .await
            .unwrap()
            .unwrap()
            .plaintext,
        b"alice items"
    );
}

async fn events_statistics_and_urls(backend: Backend) {
    let site = Site::new(backend);
    {
        let mut conn = site.app.store.connection().unwrap();
        diesel::connection::SimpleConnection::batch_execute(
            &mut *conn,
            r#"UPDATE tenants SET settings = '{"csv_export":true,"url_list":[{"name":"Intranet","url":"https://intranet.acme.test","usesHttpBasic":false}]}' WHERE slug = 'acme'"#,
        )
        .unwrap();
    }
    let mut laptop = site.enrolled("acme", "user@acme.test", "Laptop").await;
    let keys = laptop
        .create_vault(PASSWORD, &cheap_kdf(), b"items", &SharingKey::generate())
        .await
        .unwrap();
    let urls = laptop.url_list().await.unwrap();
    assert_eq!(urls[0]["url"], "https://intranet.acme.test");

    laptop
        .log_event("csv_export", Some("12 accounts"))
        .await
        .unwrap();
    let error = laptop.log_event("anything goes", None).await.unwrap_err();
    assert_eq!(error.code(), Some("unknown_event"), "{error}");
    let mut conn = site.app.store.connection().unwrap();
    let entries = audit::for_tenant(&mut conn, "t-acme", 10).unwrap();
    let export = entries
        .iter()
        .find(|e| e.action == "app.csv_export")
        .expect("the export event");
    assert_eq!(export.actor, "user@acme.test");
    assert_eq!(export.ip.as_deref(), Some("127.0.0.1"));
    assert!(
        audit::for_tenant(&mut conn, "t-other", 10)
            .unwrap()
            .is_empty()
    );

    let counts = |weak: u32| {
        json!({
            "nbAccounts": 10, "nbCodes": 1, "nbAccountsStrong": 10 - weak, "nbAccountsMedium": 0,
            "nbAccountsWeak": weak, "nbAccountsWithDuplicatedPassword": 2, "nbAccountsWithNoPassword": 0,
        })
    };
    assert_eq!(
        laptop
            .write_vault_with_stats(&keys, 1, b"v2", counts(4))
            .await
            .unwrap(),
        Write::Written { version: 2 }
    );
    assert_eq!(
        laptop
            .write_vault_with_stats(&keys, 1, b"stale", counts(9))
            .await
            .unwrap(),
        Write::Outdated { current: 2 },
    );
    assert_eq!(
        laptop
            .write_vault_with_stats(&keys, 2, b"v3", counts(1))
            .await
            .unwrap(),
        Write::Written { version: 3 }
    );
    let user = users::find_by_email(&mut conn, "t-acme", "user@acme.test")
        .unwrap()
        .unwrap();
    let history: Vec<_> = stats::for_user(&mut conn, &user.id)
        .unwrap()
        .iter()
        .map(|s| s.nb_weak)
        .collect();
    assert_eq!(history, [4, 1], "a refused write records no statistics");
}

backend_tests!(
    async a_user_manages_their_devices_and_revocation_is_immediate,
    events_statistics_and_urls,
    deleting_an_account_removes_everything_of_it
);
