//! Shared vaults through the reference client, on both backends: the key
//! is wrapped to each member, rights are enforced by the server (reader,
//! editor, owner), a vault always keeps an owner, versions protect
//! concurrent writes, and only URL and login are stored in clear.

mod common;

use common::{PASSWORD, Site, cheap_kdf};
use serde_json::json;
use upsignon_client::Write;
use upsignon_client::crypto::SharingKey;
use upsignon_testkit::{Backend, backend_tests};

async fn a_vault_shared_as_reader_then_editor(backend: Backend) {
    let site = Site::new(backend);
    let (alice_key, bob_key, carol_key) = (
        SharingKey::generate(),
        SharingKey::generate(),
        SharingKey::generate(),
    );
    let mut alice = site.enrolled("acme", "alice@acme.test", "Laptop").await;
    let alice_vault = alice
        .create_vault(PASSWORD, &cheap_kdf(), b"a", &alice_key)
        .await
        .unwrap();
    let mut bob = site.enrolled("acme", "bob@acme.test", "Laptop").await;
    let bob_vault = bob
        .create_vault("bob's password", &cheap_kdf(), b"b", &bob_key)
        .await
        .unwrap();
    let mut carol = site.enrolled("other", "carol@other.test", "Laptop").await;
    carol
        .create_vault("carol's password", &cheap_kdf(), b"c", &carol_key)
        .await
        .unwrap();

    let details = json!({"accounts": [{"id": "a1", "urls": ["https://intranet.acme.test"], "login": "ops-team"}]});
    let (team, key) = alice
        .create_shared_vault("Team", b"team secret: hunter2-shared", &alice_key, details)
        .await
        .unwrap();

    let found = alice
        .manage(
            "get-matching-email-addresses-for-sharing",
            json!({"emailAddressSearch": "bob"}),
        )
        .await
        .unwrap();
    assert_eq!(found["emails"], json!(["bob@acme.test"]));
    let error = alice
        .manage(
            "get-matching-email-addresses-for-sharing",
            json!({"emailAddressSearch": "ca"}),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("search_too_short"), "{error}");
    let error = alice
        .share(&team, &key, "carol@other.test", "reader")
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        Some("unknown_recipient"),
        "another tenant's user: {error}"
    );

    let bob_id = alice
        .share(&team, &key, "bob@acme.test", "reader")
        .await
        .unwrap();
    let before = bob.read_vault(&bob_vault, None).await.unwrap().unwrap();
    let copy = bob.read_shared_vault(&team, &bob_key).await.unwrap();
    assert_eq!(
        (copy.access_level.as_str(), copy.plaintext.as_slice()),
        ("reader", &b"team secret: hunter2-shared"[..])
    );
    let error = bob
        .write_shared_vault(&team, &key, 1, b"reader writes")
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("not_an_editor"), "{error}");
    for (route, body) in [
        (
            "rename-shared-vault",
            json!({"sharedVaultId": team, "newName": "Mine"}),
        ),
        (
            "update-recipient-rights-on-shared-vault",
            json!({"sharedVaultId": team, "recipientId": bob_id, "accessLevel": "owner"}),
        ),
        ("delete-shared-vault", json!({"sharedVaultId": team})),
    ] {
        let error = bob.manage(route, body).await.unwrap_err();
        assert_eq!(error.code(), Some("not_an_owner"), "{route}: {error}");
    }
    let recipients = bob
        .manage(
            "get-recipients-for-shared-vault",
            json!({"sharedVaultId": team}),
        )
        .await
        .unwrap();
    assert_eq!(recipients["recipients"].as_array().unwrap().len(), 2);

    alice
        .manage(
            "update-recipient-rights-on-shared-vault",
            json!({"sharedVaultId": team, "recipientId": bob_id, "accessLevel": "editor"}),
        )
        .await
        .unwrap();
    assert_eq!(
        bob.write_shared_vault(&team, &key, 1, b"edited by bob")
            .await
            .unwrap(),
        Write::Written { version: 2 }
    );
    let stats = json!({
        "nbAccounts": 3, "nbCodes": 0, "nbAccountsStrong": 1, "nbAccountsMedium": 1,
        "nbAccountsWeak": 1, "nbAccountsWithDuplicatedPassword": 0, "nbAccountsWithNoPassword": 0,
    });
    let with_stats = json!({"sharedVaultId": team, "newEncryptedData": key.seal(b"edited again").unwrap(), "version": 2, "vaultStats": stats});
    assert_eq!(
        bob.manage("update-shared-vault-data", with_stats)
            .await
            .unwrap()["version"],
        3
    );
    let history = upsignon_store::queries::stats::for_shared_vault(
        &mut site.app.store.connection().unwrap(),
        &team,
    )
    .unwrap();
    assert_eq!(
        history.iter().map(|s| s.nb_weak).collect::<Vec<_>>(),
        [1],
        "stats per shared vault"
    );
    assert_eq!(
        alice
            .write_shared_vault(&team, &key, 1, b"stale")
            .await
            .unwrap(),
        Write::Outdated { current: 3 }
    );
    assert_eq!(
        alice
            .read_shared_vault(&team, &alice_key)
            .await
            .unwrap()
            .plaintext,
        b"edited again"
    );
    let after = bob
        .read_vault(&bob_vault, before.etag.as_deref())
        .await
        .unwrap();
    assert!(
        after.is_some(),
        "a shared vault's change changes the ETag of get-vault-data"
    );

    let alice_id = alice
        .manage(
            "get-recipient-public-key",
            json!({"emailAddress": "alice@acme.test"}),
        )
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let error = alice
        .manage(
            "update-recipient-rights-on-shared-vault",
            json!({"sharedVaultId": team, "recipientId": alice_id, "accessLevel": "reader"}),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("last_owner_error"), "{error}");
    let error = alice
        .manage(
            "remove-recipient-from-shared-vault",
            json!({"sharedVaultId": team, "recipientId": alice_id}),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("last_owner_error"), "{error}");

    let error = carol
        .read_shared_vault(&team, &carol_key)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("not_a_member"), "{error}");
    bob.manage(
        "remove-recipient-from-shared-vault",
        json!({"sharedVaultId": team, "recipientId": bob_id}),
    )
    .await
    .unwrap();
    let error = bob.read_shared_vault(&team, &bob_key).await.unwrap_err();
    assert_eq!(
        error.code(),
        Some("not_a_member"),
        "a member who left reads nothing: {error}"
    );

    let stored = site.all_stored_text();
    assert!(
        stored.contains("https://intranet.acme.test") && stored.contains("ops-team"),
        "URL and login are in clear"
    );
    for secret in ["hunter2-shared", "edited by bob", "team secret"] {
        assert!(!stored.contains(secret), "{secret:?} is stored in clear");
    }

    alice
        .manage("delete-shared-vault", json!({"sharedVaultId": team}))
        .await
        .unwrap();
    let error = alice
        .read_shared_vault(&team, &alice_key)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("not_a_member"), "{error}");
    let own = alice.read_vault(&alice_vault, None).await.unwrap().unwrap();
    assert_eq!(own.plaintext, b"a", "the personal vault is untouched");
}

async fn an_account_listed_twice_is_refused_and_nothing_is_stored(backend: Backend) {
    let site = Site::new(backend);
    let mut owner = site.enrolled("acme", "owner@acme.test", "Laptop").await;
    owner
        .create_vault(PASSWORD, &cheap_kdf(), b"own", &SharingKey::generate())
        .await
        .unwrap();
    let body = json!({
        "sharedVaultName": "Team",
        "encryptedData": "x1.AA",
        "encryptedSharedVaultKey": "k",
        "contentDetails": {"accounts": [{"id": "a", "urls": []}, {"id": "a", "urls": []}]},
    });
    let answer = site
        .api("acme")
        .call("create-shared-vault", &body, owner.session(), None)
        .await
        .unwrap();
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (400, Some("invalid_field"))
    );
    assert!(
        !site.all_stored_text().contains("Team"),
        "no shared vault was created"
    );
}

backend_tests!(
    async a_vault_shared_as_reader_then_editor,
    an_account_listed_twice_is_refused_and_nothing_is_stored
);
