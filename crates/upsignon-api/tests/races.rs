//! Requests released at the same instant (threads behind one barrier, each
//! with its own connection) against the real server on both backends: a
//! signed device challenge opens one session however many requests carry
//! it, and a shared vault never ends up without an owner.

mod common;

use common::{PASSWORD, Site, cheap_kdf};
use serde_json::json;
use upsignon_client::TenantApi;
use upsignon_client::crypto::{DeviceKey, SharingKey};
use upsignon_store::queries::shared_vaults;
use upsignon_testkit::{Backend, backend_tests};

fn racing_site(backend: Backend) -> Site {
    Site::with_config(backend, |config| {
        config.rate_limit_account_per_minute = 0;
        config.database_pool_size = 8;
        config.workers = 2;
    })
}

/// The id of the user with `email`, as `asking` sees it.
async fn id_of(asking: &upsignon_client::Device, email: &str) -> String {
    let found = asking
        .manage("get-recipient-public-key", json!({"emailAddress": email}))
        .await
        .unwrap();
    found["id"].as_str().unwrap().to_string()
}

async fn a_signed_challenge_opens_one_session_however_many_carry_it(backend: Backend) {
    let site = racing_site(backend);
    let mut device = site.enrolled("acme", "user@acme.test", "Laptop").await;
    let keys = device
        .create_vault(PASSWORD, &cheap_kdf(), b"v", &SharingKey::generate())
        .await
        .unwrap();
    let id = json!({"userEmail": "user@acme.test", "deviceId": device.uid});
    let challenges = site
        .api("acme")
        .call("get-authentication-challenges", &id, None, None)
        .await
        .unwrap();
    assert_eq!(challenges.status, 200, "{:?}", challenges.body);
    let key = DeviceKey::from_seed_b64(&device.seed_b64()).unwrap();
    let body = json!({
        "userEmail": "user@acme.test",
        "deviceId": device.uid,
        "deviceChallengeResponse": key
            .sign_challenge(challenges.body["deviceChallenge"].as_str().unwrap())
            .unwrap(),
        "passwordChallengeResponse": keys
            .password_response(challenges.body["passwordChallenge"].as_str().unwrap())
            .unwrap(),
    });
    let base = site.app.base_url.clone();
    let answers = site.app.burst(
        12,
        |_, _| async {},
        |_, http, ()| {
            let (api, body) = (TenantApi::new(http, &base, "acme"), body.clone());
            async move { api.call("authenticate", &body, None, None).await.unwrap() }
        },
    );
    let opened = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(opened, 1, "one challenge, one session: {answers:?}");
    assert!(
        answers
            .iter()
            .all(|a| a.status == 200 || a.body["error"] == "bad_device_challenge_response"),
        "{answers:?}"
    );
}

async fn two_owners_removing_each_other_at_once_leave_an_owner(backend: Backend) {
    let site = racing_site(backend);
    let (alice_key, bob_key) = (SharingKey::generate(), SharingKey::generate());
    let mut alice = site.enrolled("acme", "alice@acme.test", "Laptop").await;
    alice
        .create_vault(PASSWORD, &cheap_kdf(), b"a", &alice_key)
        .await
        .unwrap();
    let mut bob = site.enrolled("acme", "bob@acme.test", "Laptop").await;
    bob.create_vault("bob's password", &cheap_kdf(), b"b", &bob_key)
        .await
        .unwrap();
    let alice_id = id_of(&bob, "alice@acme.test").await;
    let base = site.app.base_url.clone();
    for round in 0..6 {
        let (team, key) = alice
            .create_shared_vault(
                &format!("Team {round}"),
                b"s",
                &alice_key,
                json!({"accounts": []}),
            )
            .await
            .unwrap();
        let bob_id = alice
            .share(&team, &key, "bob@acme.test", "owner")
            .await
            .unwrap();
        let sessions = [
            (alice.session().unwrap().to_string(), bob_id.clone()),
            (bob.session().unwrap().to_string(), alice_id.clone()),
        ];
        let statuses = site.app.burst(
            2,
            |_, _| async {},
            |i, http, ()| {
                let api = TenantApi::new(http, &base, "acme");
                let (session, target) = sessions[i].clone();
                let body = json!({"sharedVaultId": team, "recipientId": target});
                async move {
                    api.call(
                        "remove-recipient-from-shared-vault",
                        &body,
                        Some(&session),
                        None,
                    )
                    .await
                    .unwrap()
                    .status
                }
            },
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 204).count(),
            1,
            "round {round}: {statuses:?}"
        );
        let members =
            shared_vaults::members(&mut site.app.store.connection().unwrap(), &team).unwrap();
        assert!(
            members.iter().any(|(m, _)| m.access_level == "owner"),
            "round {round}: {members:?}"
        );
    }
}

async fn the_last_owner_cannot_re_add_themself_with_less_access(backend: Backend) {
    let site = racing_site(backend);
    let alice_key = SharingKey::generate();
    let mut alice = site.enrolled("acme", "alice@acme.test", "Laptop").await;
    alice
        .create_vault(PASSWORD, &cheap_kdf(), b"a", &alice_key)
        .await
        .unwrap();
    let (team, _) = alice
        .create_shared_vault("Team", b"s", &alice_key, json!({"accounts": []}))
        .await
        .unwrap();
    let alice_id = id_of(&alice, "alice@acme.test").await;
    let error = alice
        .manage(
            "add-recipient-to-shared-vault",
            json!({"sharedVaultId": team, "recipientId": alice_id,
                   "encryptedSharedVaultKey": "x", "accessLevel": "reader"}),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("last_owner_error"), "{error}");
    alice.read_shared_vault(&team, &alice_key).await.unwrap();
}

/// Twelve wrong codes sent at once, each with its own signed challenge: no
/// more are judged than `CODE_MAX_ATTEMPTS`, and the right code is refused
/// after them.
async fn a_burst_of_wrong_device_codes_gets_five_attempts(backend: Backend) {
    let site = racing_site(backend);
    let device =
        upsignon_client::Device::new(site.api("acme"), "user@acme.test", "Laptop").unwrap();
    assert_eq!(device.request_access().await.unwrap(), "MAIL_SENT");
    let code = site.code_for("user@acme.test");
    let key = DeviceKey::from_seed_b64(&device.seed_b64()).unwrap();
    let (base, uid) = (site.app.base_url.clone(), device.uid.clone());
    let answers = site.app.burst(
        12,
        |_, http| {
            let api = TenantApi::new(http, &base, "acme");
            let body = json!({"userEmail": "user@acme.test", "deviceId": uid, "deviceValidationCode": "WRONG123"});
            async move {
                let first = api.call("check-device", &body, None, None).await.unwrap();
                first.body["deviceChallenge"].as_str().unwrap().to_string()
            }
        },
        |_, http, challenge| {
            let api = TenantApi::new(http, &base, "acme");
            let body = json!({"userEmail": "user@acme.test", "deviceId": uid,
                "deviceValidationCode": "WRONG123",
                "deviceChallengeResponse": key.sign_challenge(&challenge).unwrap()});
            async move { api.call("check-device", &body, None, None).await.unwrap() }
        },
    );
    // A check consumes every challenge it can take, so some of the burst
    // lose theirs; none may be judged beyond the limit.
    assert!(
        answers.iter().all(|a| [
            "bad_code",
            "too_many_attempts",
            "bad_device_challenge_response"
        ]
        .contains(&a.body["error"].as_str().unwrap_or_default())),
        "{answers:?}"
    );
    let mut judged = answers
        .iter()
        .filter(|a| a.body["error"] == "bad_code")
        .count();
    // Then one after another until refused: the attempts add up exactly.
    for _ in 0..10 {
        match device.confirm_code("WRONG123").await.unwrap_err().code() {
            Some("bad_code") => judged += 1,
            Some("too_many_attempts") => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        judged,
        upsignon_domain::enrolment::CODE_MAX_ATTEMPTS as usize
    );
    let error = device.confirm_code(&code).await.unwrap_err();
    assert_eq!(error.code(), Some("too_many_attempts"), "{error}");
}

backend_tests!(
    async a_signed_challenge_opens_one_session_however_many_carry_it,
    a_burst_of_wrong_device_codes_gets_five_attempts,
    two_owners_removing_each_other_at_once_leave_an_owner,
    the_last_owner_cannot_re_add_themself_with_less_access
);
