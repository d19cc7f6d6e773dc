//! Admin sign-in over real HTTPS, on SQLite and PostgreSQL, without a
//! browser: the refusals a password form must make (lockout after five
//! failures, a per-address limit, a form without its token), the headers of
//! every console answer, and pages that send a stranger to the sign-in page.

mod common;

use common::{
    ADMIN, ADMIN_PASSWORD, FORM, Site, Visitor, enrolled_admin, form_body, hidden_csrf,
    set_cookies, totp_code,
};
use upsignon_store::queries::{admin_sessions, admins, audit};
use upsignon_testkit::Backend;

async fn five_failures_lock_the_account(backend: Backend) {
    let site = Site::new(backend);
    let (secret, _) = enrolled_admin(&site).await;
    let visitor = Visitor::arrive(&site, "/console/sign-in").await;
    // A right password with a wrong code is a failure too.
    assert_eq!(
        visitor.sign_in(ADMIN_PASSWORD, "123456").await.status(),
        401
    );
    for _ in 0..4 {
        assert_eq!(visitor.sign_in("wrong password", "").await.status(), 401);
    }
    // Locked now: even the right password and code are refused, with a wait.
    let locked = visitor
        .sign_in(ADMIN_PASSWORD, &totp_code(&secret, 1))
        .await;
    assert_eq!(locked.status(), 429);
    let wait: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((14 * 60..=15 * 60).contains(&wait), "{wait}");
    assert!(locked.text().await.unwrap().contains("locked"));
    let mut conn = site.store().connection().unwrap();
    let admin = admins::find_by_email(&mut conn, ADMIN).unwrap().unwrap();
    assert!(admin.locked_until.is_some());
    let log = audit::search(&mut conn, &Default::default(), 50).unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "admin.sign_in_failed")
            .count(),
        4
    );
    assert!(log.iter().any(|e| e.action == "admin.locked_out"));
}

async fn an_address_is_limited_whatever_the_account(backend: Backend) {
    let site = Site::new(backend);
    let visitor = Visitor::arrive(&site, "/console/sign-in").await;
    for attempt in 0..10 {
        let answer = visitor
            .post(
                "/console/sign-in",
                &[
                    ("email", &format!("nobody{attempt}@acme.test")),
                    ("password", "guess"),
                    ("code", "000000"),
                ],
            )
            .await;
        assert_eq!(answer.status(), 401, "attempt {attempt}");
    }
    let blocked = visitor.sign_in(ADMIN_PASSWORD, "000000").await;
    assert_eq!(blocked.status(), 429);
    assert!(blocked.headers().contains_key("retry-after"));
}

async fn a_code_and_its_session_work_once(backend: Backend) {
    let site = Site::new(backend);
    let (secret, _) = enrolled_admin(&site).await;
    // The one-time code is spent.
    let visitor = Visitor::arrive(&site, "/console/setup").await;
    let again = visitor
        .post(
            "/console/setup",
            &[
                ("email", ADMIN),
                ("code", &site.first_code),
                ("password", "another long password"),
                ("password_again", "another long password"),
            ],
        )
        .await;
    assert_eq!(again.status(), 401);
    // Signing in gives a session; signing out ends it in the database.
    let visitor = Visitor::arrive(&site, "/console/sign-in").await;
    let signed_in = visitor
        .sign_in(ADMIN_PASSWORD, &totp_code(&secret, 1))
        .await;
    assert_eq!(signed_in.status(), 303);
    let cookie = set_cookies(&signed_in);
    assert!(cookie.starts_with("__Host-upsignon-console="));
    let set_cookie = signed_in.headers()["set-cookie"].to_str().unwrap();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    // The same code cannot sign in twice.
    let replay = visitor
        .sign_in(ADMIN_PASSWORD, &totp_code(&secret, 1))
        .await;
    assert_eq!(replay.status(), 401);
    let home = site
        .http
        .get(site.url("/console/"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    let page = home.text().await.unwrap();
    let out = site
        .http
        .post(site.url("/console/sign-out"))
        .header("Cookie", &cookie)
        .header("Content-Type", FORM)
        .body(form_body(&[("csrf", &hidden_csrf(&page))]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let mut conn = site.store().connection().unwrap();
    assert_eq!(
        admin_sessions::delete_expired(&mut conn, i64::MAX).unwrap(),
        1,
        "only the set-up session is left"
    );
    let after = site
        .http
        .get(site.url("/console/"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 303);
    assert_eq!(after.headers()["location"], "/console/sign-in");
}

async fn a_password_alone_never_opens_the_second_factor_enrolment(backend: Backend) {
    let site = Site::new(backend);
    // The first sign-in sets the password; the browser leaves before the QR code.
    let visitor = Visitor::arrive(&site, "/console/setup").await;
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
    // Whoever knows the password cannot sign in to enrol their own phone.
    let visitor = Visitor::arrive(&site, "/console/sign-in").await;
    assert_eq!(visitor.sign_in(ADMIN_PASSWORD, "").await.status(), 401);
    // An uppercase email is the same admin (and the same refusal).
    let upper = visitor
        .post(
            "/console/sign-in",
            &[
                ("email", "IT@ACME.TEST"),
                ("password", ADMIN_PASSWORD),
                ("code", ""),
            ],
        )
        .await;
    assert_eq!(upper.status(), 401);
    let mut conn = site.store().connection().unwrap();
    let admin = admins::find_by_email(&mut conn, ADMIN).unwrap().unwrap();
    assert_eq!(
        admin.failed_sign_ins, 2,
        "both attempts counted against the admin"
    );
}

async fn strangers_are_sent_to_sign_in_and_headers_are_strict(backend: Backend) {
    let site = Site::new(backend);
    for page in [
        "/console/",
        "/console/t/acme/users",
        "/console/audit",
        "/console/audit.csv",
        "/console/status",
    ] {
        let answer = site.http.get(site.url(page)).send().await.unwrap();
        assert_eq!(answer.status(), 303, "{page}");
        assert_eq!(answer.headers()["location"], "/console/sign-in", "{page}");
    }
    let answer = site
        .http
        .get(site.url("/console/sign-in"))
        .send()
        .await
        .unwrap();
    let headers = answer.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("script-src"), "no script is allowed at all");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers.contains_key("strict-transport-security"));
    // A sign-in form without the pre-session cookie is refused.
    let forged = site
        .http
        .post(site.url("/console/sign-in"))
        .header("Content-Type", FORM)
        .body(form_body(&[
            ("csrf", "0"),
            ("email", ADMIN),
            ("password", "x"),
            ("code", "1"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}

/// `n` sign-ins with the same email and wrong passwords, released at the
/// same instant from one address (each from its own connection, with its
/// own form token); the statuses.
fn burst_of_sign_ins(site: &Site, n: usize, email: impl Fn(usize) -> String + Sync) -> Vec<u16> {
    let url = site.url("/console/sign-in");
    site.app.burst(
        n,
        |_, http| {
            let url = url.clone();
            async move {
                let page = http.get(&url).send().await.unwrap();
                let cookies = set_cookies(&page);
                (cookies, hidden_csrf(&page.text().await.unwrap()))
            }
        },
        |i, http, (cookies, csrf)| {
            let (url, email) = (url.clone(), email(i));
            async move {
                http.post(&url)
                    .header("Cookie", cookies)
                    .header("Content-Type", FORM)
                    .body(form_body(&[
                        ("csrf", &csrf),
                        ("email", &email),
                        ("password", &format!("guess {i}")),
                        ("code", "000000"),
                    ]))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        },
    )
}

async fn a_burst_of_wrong_sign_ins_gets_five_guesses_and_locks(backend: Backend) {
    let site = Site::new(backend);
    enrolled_admin(&site).await;
    let statuses = burst_of_sign_ins(&site, 12, |_| ADMIN.to_string());
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    let mut conn = site.store().connection().unwrap();
    let admin = admins::find_by_email(&mut conn, ADMIN).unwrap().unwrap();
    assert!(admin.locked_until.is_some());
    let log = audit::search(&mut conn, &Default::default(), 50).unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "admin.locked_out")
            .count(),
        1
    );
}

async fn a_burst_from_one_address_gets_ten_guesses(backend: Backend) {
    let site = Site::new(backend);
    let statuses = burst_of_sign_ins(&site, 14, |i| format!("nobody{i}@acme.test"));
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        4,
        "{statuses:?}"
    );
}

upsignon_testkit::backend_tests!(
    async five_failures_lock_the_account,
    a_burst_of_wrong_sign_ins_gets_five_guesses_and_locks,
    a_burst_from_one_address_gets_ten_guesses,
    an_address_is_limited_whatever_the_account,
    a_code_and_its_session_work_once,
    a_password_alone_never_opens_the_second_factor_enrolment,
    strangers_are_sent_to_sign_in_and_headers_are_strict
);
