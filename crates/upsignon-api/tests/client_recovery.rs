//! A forgotten master password through the reference client, on both
//! backends: the device's own encrypted copy comes back only after a
//! granted reset (emailed token when the tenant allows it, an admin
//! otherwise), once, and only to that device.

mod common;

use common::{PASSWORD, Site, cheap_kdf};
use diesel::connection::SimpleConnection;
use upsignon_client::crypto::SharingKey;
use upsignon_testkit::{Backend, backend_tests};

async fn a_forgotten_password_comes_back_to_its_device(backend: Backend) {
    // Two enrolments and three reset rounds for one account in a few
    // seconds: more than the default limit of 20 a minute.
    let site = Site::with_config(backend, |config| config.rate_limit_account_per_minute = 0);
    let mut laptop = site.enrolled("acme", "user@acme.test", "Laptop").await;
    laptop
        .create_vault(PASSWORD, &cheap_kdf(), b"items", &SharingKey::generate())
        .await
        .unwrap();
    let phone = site.enrolled("acme", "user@acme.test", "Phone").await;
    let error = phone.request_password_reset().await.unwrap_err();
    assert_eq!(error.code(), Some("backup_not_setup"), "{error}");

    laptop.backup_password(PASSWORD).await.unwrap();
    assert_eq!(
        laptop.request_password_reset().await.unwrap(),
        "pending_admin_check"
    );
    let error = laptop.recover_password("ANYTHING").await.unwrap_err();
    assert_eq!(error.code(), Some("not_admin_authorized"), "{error}");

    site.app
        .store
        .connection()
        .unwrap()
        .batch_execute(r#"UPDATE tenants SET settings = '{"password_reset_without_admin":true}' WHERE slug = 'acme'"#)
        .unwrap();
    assert_eq!(laptop.request_password_reset().await.unwrap(), "mail_sent");
    let mail = site.mail.wait_for("user@acme.test");
    let subject = mail
        .data
        .lines()
        .find(|l| l.starts_with("Subject:"))
        .unwrap();
    let words: Vec<&str> = subject.split_whitespace().collect();
    let token = words[words.iter().position(|w| *w == "token").unwrap() + 1];
    let error = laptop.recover_password("WRONGTOK").await.unwrap_err();
    assert_eq!(error.code(), Some("bad_token"), "{error}");
    assert_eq!(laptop.recover_password(token).await.unwrap(), PASSWORD);
    let error = laptop.recover_password(token).await.unwrap_err();
    assert_eq!(
        error.code(),
        Some("no_request"),
        "a token works once: {error}"
    );
    laptop.sign_in(PASSWORD).await.unwrap();

    assert!(
        !site.all_stored_text().contains(PASSWORD),
        "the backup is opaque"
    );
}

backend_tests!(async a_forgotten_password_comes_back_to_its_device);
