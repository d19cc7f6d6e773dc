//! The site the console tests start from: the real server (no SMTP, so
//! new devices wait for an admin), a tenant `acme` allowing `*@acme.test`
//! with its first super-admin made the way `install` makes it, and a
//! second tenant `other` with a device of its own.

#![allow(dead_code, unused_imports)]

use upsignon_client::crypto::{KdfParams, SharingKey, VaultKeys};
use upsignon_client::{Device, TenantApi};
use upsignon_domain::{Email, TenantSlug};
use upsignon_ops::install::{AdminOutcome, ensure_tenant_and_admin};
use upsignon_store::queries::{tenants, users};
use upsignon_testkit::{Backend, TestApp, spawn_app};

pub use self::visitor::*;

pub const ADMIN: &str = "it@acme.test";
pub const ADMIN_PASSWORD: &str = "console password 1";
pub const VAULT_PASSWORD: &str = "correct horse battery staple";

/// A signed-in console page as text, for its forms' token.
pub async fn page(site: &Site, path: &str, cookie: &str) -> String {
    site.http
        .get(site.url(path))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub struct Site {
    pub app: TestApp,
    /// Does not follow redirects.
    pub http: reqwest::Client,
    /// The super-admin's one-time code, as `install` printed it.
    pub first_code: String,
}

impl Site {
    pub fn new(backend: Backend) -> Site {
        Self::on(spawn_app(backend))
    }

    /// With SMTP (a real listener on loopback), kept in `mail`.
    pub fn with_smtp(backend: Backend, mail: &upsignon_testkit::SmtpSink) -> Site {
        let url = mail.url();
        Self::on(upsignon_testkit::spawn_app_with(backend, |config| {
            config.smtp_url = Some(upsignon_config::Secret::new(url));
            config.smtp_from = Some("upsignon@example.com".to_string());
        }))
    }

    /// Behind a trusted proxy on 127.0.0.1: a request's `X-Forwarded-For`
    /// names its client address.
    pub fn behind_proxy(backend: Backend) -> Site {
        Self::on(upsignon_testkit::spawn_app_with(backend, |config| {
            config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        }))
    }

    fn on(app: TestApp) -> Site {
        let made = ensure_tenant_and_admin(
            &app.store,
            &TenantSlug::parse("acme").unwrap(),
            "Acme",
            Some(&Email::parse(ADMIN).unwrap()),
        )
        .unwrap();
        let Some(AdminOutcome::Created { code, .. }) = made.admin else {
            panic!("the first admin is created");
        };
        ensure_tenant_and_admin(
            &app.store,
            &TenantSlug::parse("other").unwrap(),
            "Other",
            None,
        )
        .unwrap();
        let mut conn = app.store.connection().unwrap();
        for (slug, pattern) in [("acme", "*@acme.test"), ("other", "*@other.test")] {
            let tenant = tenants::find_by_slug(&mut conn, slug).unwrap().unwrap();
            users::allow_pattern(&mut conn, &uuid(), &tenant.id, pattern, 1).unwrap();
        }
        Site {
            http: app.client_without_redirects(),
            app,
            first_code: code,
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.app.url(path)
    }

    pub fn api(&self, tenant: &str) -> TenantApi {
        TenantApi::new(self.app.client.clone(), &self.app.base_url, tenant)
    }

    /// A device that asked for access: without SMTP it waits for an admin.
    pub async fn waiting_device(&self, tenant: &str, email: &str, name: &str) -> Device {
        let device = Device::new(self.api(tenant), email, name).unwrap();
        assert_eq!(device.request_access().await.unwrap(), "PENDING_APPROVAL");
        device
    }

    pub fn store(&self) -> &upsignon_store::Store {
        &self.app.store
    }
}

pub fn uuid() -> String {
    format!("{:032x}", rand_u128())
}

fn rand_u128() -> u128 {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    u128::from_le_bytes(bytes)
}

pub fn cheap_kdf() -> KdfParams {
    KdfParams::with_cost(1024, 1).unwrap()
}

/// Creates the device's vault with password-strength counts (`weak` weak
/// accounts out of 10) and returns the vault keys.
pub async fn vault_with_stats(device: &mut Device, weak: u32) -> VaultKeys {
    let keys = device
        .create_vault(VAULT_PASSWORD, &cheap_kdf(), b"v1", &SharingKey::generate())
        .await
        .unwrap();
    device
        .write_vault_with_stats(
            &keys,
            1,
            b"v2",
            serde_json::json!({
                "nbAccounts": 10, "nbCodes": 0, "nbAccountsStrong": 10 - weak, "nbAccountsMedium": 0,
                "nbAccountsWeak": weak, "nbAccountsWithDuplicatedPassword": 1, "nbAccountsWithNoPassword": 0,
            }),
        )
        .await
        .unwrap();
    keys
}

/// The current TOTP code of a base32 secret, for the step after `offset`
/// steps from now (a code is accepted once, so a second sign-in in the same
/// 30 seconds uses the next step's code).
pub fn totp_code(secret_base32: &str, offset: i64) -> String {
    let secret = upsignon_console::totp::from_base32(secret_base32).expect("a base32 secret");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    upsignon_console::totp::code_at_step(&secret, upsignon_console::totp::step_at(now) + offset)
}

/// `application/x-www-form-urlencoded` text of the pairs.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    let encode = upsignon_console::html::format::percent_encode;
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub const FORM: &str = "application/x-www-form-urlencoded";

mod visitor {
    use super::*;

    /// A browser-like conversation: the pre-session cookie and its form token
    /// from the sign-in page, then posts with them.
    pub struct Visitor<'a> {
        site: &'a Site,
        cookies: String,
        token: String,
    }

    impl<'a> Visitor<'a> {
        pub async fn arrive(site: &'a Site, page: &str) -> Visitor<'a> {
            let answer = site.http.get(site.url(page)).send().await.unwrap();
            assert_eq!(answer.status(), 200);
            let cookies = set_cookies(&answer);
            let html = answer.text().await.unwrap();
            let token = hidden_csrf(&html);
            Visitor {
                site,
                cookies,
                token,
            }
        }

        pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
            let mut fields = fields.to_vec();
            fields.push(("csrf", &self.token));
            self.site
                .http
                .post(self.site.url(path))
                .header("Cookie", &self.cookies)
                .header("Content-Type", FORM)
                .body(form_body(&fields))
                .send()
                .await
                .unwrap()
        }

        pub async fn sign_in(&self, password: &str, code: &str) -> reqwest::Response {
            self.post(
                "/console/sign-in",
                &[("email", ADMIN), ("password", password), ("code", code)],
            )
            .await
        }
    }

    pub fn set_cookies(answer: &reqwest::Response) -> String {
        answer
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn hidden_csrf(html: &str) -> String {
        let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
        html[at..at + 64].to_string()
    }

    /// Completes the first sign-in over HTTP; returns the TOTP key and the
    /// session cookie (signed in, second factor enrolled).
    pub async fn enrolled_admin(site: &Site) -> (String, String) {
        let visitor = Visitor::arrive(site, "/console/setup").await;
        let answer = visitor
            .post(
                "/console/setup",
                &[
                    ("email", ADMIN),
                    ("code", &site.first_code),
                    ("password", ADMIN_PASSWORD),
                    ("password_again", ADMIN_PASSWORD),
                ],
            )
            .await;
        assert_eq!(answer.status(), 303);
        let session = set_cookies(&answer);
        let page = site
            .http
            .get(site.url("/console/setup/totp"))
            .header("Cookie", &session)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let at = page.find("id=\"totp-secret\">").expect("the key") + 17;
        let secret: String = page[at..].chars().take_while(|c| *c != '<').collect();
        let confirm = site
            .http
            .post(site.url("/console/setup/totp"))
            .header("Cookie", &session)
            .header("Content-Type", FORM)
            .body(form_body(&[
                ("csrf", &hidden_csrf(&page)),
                ("code", &totp_code(&secret, 0)),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(confirm.status(), 303);
        assert_eq!(confirm.headers()["location"], "/console/");
        (secret, session)
    }
}
