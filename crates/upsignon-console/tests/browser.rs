//! The console in a real headless Chromium against the real server, on
//! SQLite and PostgreSQL: first sign-in with the code `install` prints and
//! a TOTP enrolment, device approval, CSV export switched on and seen by
//! the apps, a chart read, a device revoked and refused, the audit log and
//! its CSV, a form posted without its CSRF token, a tenant admin kept out
//! of another tenant, and a later sign-in with password and code.
//! The SQLite run saves screenshots under `target/screenshots/`, or under
//! `docs/screenshots/` with `UPSIGNON_UPDATE_SCREENSHOTS=1` (to refresh the
//! docs' pictures): a plain test run leaves the work tree as it was.

mod common;

use std::path::PathBuf;

use actix_web::rt::System;
use common::{
    ADMIN, ADMIN_PASSWORD, FORM, Site, VAULT_PASSWORD, form_body, totp_code, vault_with_stats,
};
use serde_json::json;
use upsignon_store::queries::devices;
use upsignon_testkit::{Backend, Browser};

const WIDE: (u32, u32) = (1280, 900);
const NARROW: (u32, u32) = (390, 844);
const SESSION_COOKIE: &str = "__Host-upsignon-console";

struct Console<'a> {
    browser: Browser,
    site: &'a Site,
    /// Screenshots are saved from one backend's run only.
    shots: Option<PathBuf>,
}

impl Console<'_> {
    fn open(&self, path: &str) {
        self.browser.goto(&self.site.url(path));
    }

    fn submit(&self, form: &str) {
        self.browser.click(&format!("{form} button[type=submit]"));
    }

    fn shot(&self, name: &str) {
        if let Some(dir) = &self.shots {
            self.browser.screenshot(&dir.join(format!("{name}.png")));
        }
    }

    /// The first sign-in: one-time code and password, then the second
    /// factor from the QR page's key. Returns the TOTP key.
    fn first_sign_in(&self, email: &str, code: &str, shot: bool) -> String {
        self.open("/console/setup");
        if shot {
            self.shot("first-sign-in");
        }
        let b = &self.browser;
        b.fill("input[name=email]", email);
        b.fill("input[name=code]", code);
        b.fill("input[name=password]", ADMIN_PASSWORD);
        b.fill("input[name=password_again]", ADMIN_PASSWORD);
        self.submit("form[action='/console/setup']");
        let secret = b.text("#totp-secret");
        if shot {
            self.shot("second-factor");
        }
        b.fill("input[name=code]", &totp_code(&secret, 0));
        self.submit("form[action='/console/setup/totp']");
        b.find("nav.global");
        secret
    }

    fn sign_in(&self, email: &str, code: &str) {
        self.open("/console/sign-in");
        let b = &self.browser;
        b.fill("input[name=email]", email);
        b.fill("input[name=password]", ADMIN_PASSWORD);
        b.fill("input[name=code]", code);
        self.submit("form[action='/console/sign-in']");
    }

    fn sign_out(&self) {
        self.submit("form.signout");
        self.browser.find("form[action='/console/sign-in']");
    }

    fn heading(&self) -> String {
        self.browser.text("main h1")
    }

    fn session_cookie(&self) -> String {
        self.browser
            .cookie(SESSION_COOKIE)
            .expect("the console session cookie")
    }
}

fn screenshots_dir() -> PathBuf {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    match std::env::var("UPSIGNON_UPDATE_SCREENSHOTS").as_deref() {
        Ok("1") => workspace.join("docs/screenshots"),
        _ => workspace.join("target/screenshots"),
    }
}

fn console_in_a_browser(backend: Backend) {
    let site = Site::new(backend);
    let rt = System::new();
    let mut laptop = rt.block_on(site.waiting_device("acme", "user@acme.test", "Laptop"));
    let other_device = rt.block_on(site.waiting_device("other", "user@other.test", "Phone"));
    let console = Console {
        browser: Browser::launch(WIDE.0, WIDE.1),
        site: &site,
        shots: (backend == Backend::Sqlite).then(screenshots_dir),
    };
    let b = &console.browser;

    console.open("/console/");
    b.find("form[action='/console/sign-in']");
    console.shot("sign-in");
    let secret = console.first_sign_in(ADMIN, &site.first_code, true);
    assert_eq!(console.heading(), "Tenants");
    assert!(b.text("main table").contains("Acme"));

    // A device of a tenant without SMTP waits here; approving lets it sync.
    console.open("/console/t/acme/approvals");
    assert!(b.text("main table").contains("user@acme.test"));
    console.shot("approvals");
    console.submit("tr[data-device] form");
    b.wait_for("the device to leave the waiting list", |b| {
        !b.has("tr[data-device]")
    });
    let keys = rt.block_on(vault_with_stats(&mut laptop, 3));

    // CSV export: off by default, switched on here, seen by the apps at once.
    let bank_config = || {
        rt.block_on(site.api("acme").call("bank-config", &json!({}), None, None))
            .unwrap()
            .body
    };
    assert_eq!(bank_config()["csvExport"], json!(false));
    console.open("/console/t/acme/settings");
    assert!(!b.is_selected("input[name=csv_export]"));
    b.click("input[name=csv_export]");
    console.submit("form.settings");
    assert!(b.text("p.notice").contains("csv_export: false -> true"));
    assert!(b.is_selected("input[name=csv_export]"));
    console.shot("settings");
    assert_eq!(bank_config()["csvExport"], json!(true));

    // The chart shows what the app reported.
    console.open("/console/t/acme/statistics");
    assert_eq!(
        b.attribute("figure.chart svg", "data-latest-weak")
            .as_deref(),
        Some("3")
    );
    console.shot("statistics");
    console.open("/console/t/acme");
    console.shot("overview");

    // Revoking the device in the console ends its access at once.
    console.open("/console/t/acme/users");
    console.shot("users");
    console.submit("tr[data-device] form");
    b.wait_for("the device to show as revoked", |b| {
        b.source().contains("REVOKED_BY_ADMIN")
    });
    let refused = rt
        .block_on(laptop.read_vault(&keys, None))
        .expect_err("a revoked device reads nothing");
    assert!(refused.code().is_some(), "{refused}");
    let refused = rt
        .block_on(laptop.sign_in(VAULT_PASSWORD))
        .expect_err("a revoked device cannot sign in");
    assert_eq!(refused.code(), Some("revoked_by_admin"));

    // A form posted without its CSRF token, or from another site, is refused
    // and changes nothing.
    let cookie = format!("{SESSION_COOKIE}={}", console.session_cookie());
    let csrf = b.attribute("input[name=csrf]", "value").unwrap();
    let post = |path: &str, form: &[(&str, &str)], origin: Option<&str>| {
        let mut request = site
            .app
            .client
            .post(site.url(path))
            .header("Cookie", cookie.clone())
            .header("Content-Type", FORM)
            .body(form_body(form));
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        rt.block_on(async { request.send().await })
            .unwrap()
            .status()
            .as_u16()
    };
    let settings_off = [
        ("session_minutes", "60"),
        ("master_password_min_length", "12"),
    ];
    assert_eq!(post("/console/t/acme/settings", &settings_off, None), 403);
    let mut with_token = settings_off.to_vec();
    with_token.push(("csrf", &csrf));
    assert_eq!(
        post(
            "/console/t/acme/settings",
            &with_token,
            Some("https://evil.example")
        ),
        403
    );
    assert_eq!(bank_config()["csvExport"], json!(true), "nothing changed");

    // The audit log has every action, on the page and in the CSV.
    console.open("/console/audit");
    let log = b.text("main table");
    for action in [
        "admin.password_set",
        "device.approve",
        "settings.update",
        "device.revoke",
    ] {
        assert!(log.contains(action), "{action} missing from\n{log}");
    }
    console.shot("audit-log");
    let export = site
        .app
        .client
        .get(site.url("/console/audit.csv?tenant=acme"))
        .header("Cookie", cookie.clone());
    let csv = rt
        .block_on(async {
            let answer = export.send().await?;
            assert_eq!(answer.status(), 200);
            answer.text().await
        })
        .unwrap();
    assert!(csv.starts_with("time_utc,actor_kind,actor,action"));
    assert!(csv.contains("\"settings.update\""), "{csv}");

    console.open("/console/status");
    assert!(b.text("main table").contains("schema"));
    console.shot("server-status");

    // A tenant admin of acme, invited here, sees nothing of `other`.
    console.open("/console/admins");
    b.fill("input[name=email]", "helpdesk@acme.test");
    b.click("select[name=tenant] option[value=acme]");
    console.submit("form[action='/console/admins']");
    let notice = b.text("p.notice");
    let code = notice
        .rsplit(' ')
        .next()
        .expect("the invitation code")
        .to_string();
    console.shot("admins");
    console.sign_out();
    console.first_sign_in("helpdesk@acme.test", &code, false);
    assert!(!b.text("main").contains("Other"), "only acme is listed");
    console.open("/console/t/other/users");
    assert_eq!(
        console.heading(),
        "Not allowed",
        "a tenant admin is kept out"
    );
    console.open("/console/t/acme/users");
    assert_eq!(console.heading(), "Users");
    let helpdesk_cookie = format!("{SESSION_COOKIE}={}", console.session_cookie());
    let helpdesk_csrf = b.attribute("input[name=csrf]", "value").unwrap();
    let other_id = {
        let mut conn = site.store().connection().unwrap();
        let other = upsignon_store::queries::tenants::find_by_slug(&mut conn, "other")
            .unwrap()
            .unwrap();
        devices::waiting_for_tenant(&mut conn, &other.id).unwrap()[0]
            .0
            .id
            .clone()
    };
    for path in [
        format!("/console/t/other/devices/{other_id}/approve"),
        format!("/console/t/acme/devices/{other_id}/approve"),
    ] {
        let request = site
            .app
            .client
            .post(site.url(&path))
            .header("Cookie", helpdesk_cookie.clone())
            .header("Content-Type", FORM)
            .body(form_body(&[("csrf", helpdesk_csrf.as_str())]));
        let status = rt
            .block_on(async { request.send().await })
            .unwrap()
            .status()
            .as_u16();
        assert!(status == 403 || status == 404, "{path}: {status}");
    }
    assert_eq!(
        rt.block_on(other_device.request_access()).unwrap(),
        "PENDING_APPROVAL",
        "the other tenant's device is still waiting"
    );

    // A later sign-in asks for the password and a fresh code.
    console.sign_out();
    console.sign_in(ADMIN, "000000");
    assert!(b.text("p.error").contains("Wrong email, password or code"));
    b.find("input[name=email]");
    console.sign_in(ADMIN, &totp_code(&secret, 1));
    b.wait_for("the tenants page after sign-in", |b| b.has("nav.global"));
    assert_eq!(console.heading(), "Tenants");

    if console.shots.is_some() {
        b.set_size(NARROW.0, NARROW.1);
        for (path, name) in [
            ("/console/", "tenants"),
            ("/console/t/acme", "overview"),
            ("/console/t/acme/users", "users"),
            ("/console/t/acme/settings", "settings"),
            ("/console/t/acme/statistics", "statistics"),
            ("/console/audit", "audit-log"),
        ] {
            console.open(path);
            console.shot(&format!("{name}-390"));
        }
    }
}

upsignon_testkit::backend_tests!(console_in_a_browser);
