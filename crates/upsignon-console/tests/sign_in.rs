//! Admin sign-in over real HTTPS, on SQLite and PostgreSQL, without a
//! browser: the refusals a password form must make (five guesses per email
//! and address, ten per address, an account lock that takes several
//! addresses, one answer whether the email is an admin's or not, a form
//! without its token), the headers of every console answer, and pages that
//! send a stranger to the sign-in page.

mod common;

use common::{
    ADMIN, ADMIN_PASSWORD, FORM, Site, Visitor, enrolled_admin, form_body, hidden_csrf,
    set_cookies, totp_code,
};
use upsignon_store::queries::{admin_sessions, admins, audit};
use upsignon_testkit::Backend;

/// One sign-in from `address` (through the trusted proxy): the sign-in
/// page for its cookie and token, then the form. Status and page, the
/// page without its form token.
/// The sign-in page, fetched from `address` (through the trusted proxy):
/// its pre-session cookie and form token.
async fn sign_in_page(http: &reqwest::Client, url: &str, address: &str) -> (String, String) {
    let page = http
        .get(url)
        .header("X-Forwarded-For", address)
        .send()
        .await
        .unwrap();
    let cookies = set_cookies(&page);
    (cookies, hidden_csrf(&page.text().await.unwrap()))
}

/// The sign-in form, sent from `address` with the page's cookie and token.
async fn post_sign_in(
    http: &reqwest::Client,
    url: &str,
    address: &str,
    (cookies, csrf): (String, String),
    [email, password, code]: [&str; 3],
) -> reqwest::Response {
    http.post(url)
        .header("X-Forwarded-For", address)
        .header("Cookie", cookies)
        .header("Content-Type", FORM)
        .body(form_body(&[
            ("csrf", &csrf),
            ("email", email),
            ("password", password),
            ("code", code),
        ]))
        .send()
        .await
        .unwrap()
}

/// One sign-in from `address`: status and page, the page without its form
/// token.
async fn sign_in_from(
    site: &Site,
    address: &str,
    email: &str,
    password: &str,
    code: &str,
) -> (u16, String) {
    let url = site.url("/console/sign-in");
    let page = sign_in_page(&site.http, &url, address).await;
    let answer = post_sign_in(&site.http, &url, address, page, [email, password, code]).await;
    let status = answer.status().as_u16();
    let html = answer.text().await.unwrap();
    let html = match html.contains("name=\"csrf\"") {
        true => html.replace(&hidden_csrf(&html), ""),
        false => html,
    };
    (status, html)
}

const STRANGER: &str = "203.0.113.7";
const ADMIN_ADDRESS: &str = "198.51.100.2";

fn audited(site: &Site, action: &str) -> usize {
    let mut conn = site.store().connection().unwrap();
    audit::search(&mut conn, &Default::default(), 100)
        .unwrap()
        .iter()
        .filter(|e| e.action == action)
        .count()
}

async fn a_stranger_runs_out_of_guesses_and_the_admin_still_signs_in(backend: Backend) {
    let site = Site::behind_proxy(backend);
    let (secret, _) = enrolled_admin(&site).await;
    // A right password with a wrong code is a failure too.
    let (status, page) = sign_in_from(&site, STRANGER, ADMIN, ADMIN_PASSWORD, "123456").await;
    assert_eq!(status, 401);
    assert!(page.contains("Wrong email, password or code"), "{page}");
    for _ in 0..4 {
        let (status, _) = sign_in_from(&site, STRANGER, ADMIN, "wrong password", "").await;
        assert_eq!(status, 401);
    }
    // That address is out of guesses at this email, even with the right
    // password and code, and is told nothing more.
    let code = totp_code(&secret, 1);
    let (status, refused) = sign_in_from(&site, STRANGER, ADMIN, ADMIN_PASSWORD, &code).await;
    assert_eq!((status, refused), (401, page));
    // The admin, from their own address, is not locked out.
    let (status, _) = sign_in_from(&site, ADMIN_ADDRESS, ADMIN, ADMIN_PASSWORD, &code).await;
    assert_eq!(status, 303, "the admin was locked out by a stranger");
    let mut conn = site.store().connection().unwrap();
    let admin = admins::find_by_email(&mut conn, ADMIN).unwrap().unwrap();
    assert_eq!(admin.locked_until, None);
    assert_eq!(audited(&site, "admin.sign_in_failed"), 5);
    assert_eq!(audited(&site, "admin.locked_out"), 0);
}

async fn a_locked_account_and_an_unknown_email_get_the_same_answers(backend: Backend) {
    let site = Site::behind_proxy(backend);
    enrolled_admin(&site).await;
    let mut admin_answers = Vec::new();
    let mut nobody_answers = Vec::new();
    for _ in 0..7 {
        admin_answers.push(sign_in_from(&site, "203.0.113.1", ADMIN, "guess", "000000").await);
        nobody_answers
            .push(sign_in_from(&site, "203.0.113.2", "nobody@acme.test", "guess", "000000").await);
    }
    assert_eq!(admin_answers, nobody_answers);
    assert!(admin_answers.iter().all(|(status, _)| *status == 401));
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
fn burst_of_sign_ins(
    site: &Site,
    n: usize,
    email: impl Fn(usize) -> String + Sync,
    address: impl Fn(usize) -> String + Sync,
) -> Vec<u16> {
    let url = site.url("/console/sign-in");
    site.app.burst(
        n,
        |i, http| {
            let (url, address) = (url.clone(), address(i));
            async move { sign_in_page(&http, &url, &address).await }
        },
        |i, http, page| {
            let (url, email, address) = (url.clone(), email(i), address(i));
            async move {
                let guess = format!("guess {i}");
                let fields = [email.as_str(), guess.as_str(), "000000"];
                post_sign_in(&http, &url, &address, page, fields)
                    .await
                    .status()
                    .as_u16()
            }
        },
    )
}

async fn a_burst_at_one_admin_from_one_address_gets_five_guesses(backend: Backend) {
    let site = Site::behind_proxy(backend);
    enrolled_admin(&site).await;
    // Twelve at once: ten pass the address limit (the other two get 429),
    // five of those are checked, and all ten get the same refusal.
    let statuses = burst_of_sign_ins(&site, 12, |_| ADMIN.to_string(), |_| STRANGER.to_string());
    let count = |status| statuses.iter().filter(|s| **s == status).count();
    assert_eq!((count(401), count(429)), (10, 2), "{statuses:?}");
    assert_eq!(audited(&site, "admin.sign_in_failed"), 5);
    let mut conn = site.store().connection().unwrap();
    let admin = admins::find_by_email(&mut conn, ADMIN).unwrap().unwrap();
    assert_eq!(
        admin.locked_until, None,
        "one address cannot lock an admin out"
    );
}

async fn a_burst_from_several_addresses_locks_the_account_once(backend: Backend) {
    let site = Site::behind_proxy(backend);
    let (secret, _) = enrolled_admin(&site).await;
    // Four addresses, eight guesses each, all at once: five per address
    // are checked, and the twentieth locks the account.
    let statuses = burst_of_sign_ins(
        &site,
        32,
        |_| ADMIN.to_string(),
        |i| format!("203.0.113.{}", 10 + i % 4),
    );
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(audited(&site, "admin.sign_in_failed"), 19);
    assert_eq!(audited(&site, "admin.locked_out"), 1);
    let mut conn = site.store().connection().unwrap();
    let admin = admins::find_by_email(&mut conn, ADMIN).unwrap().unwrap();
    assert!(admin.locked_until.is_some());
    // Locked now for everyone, with the same answer as any refusal.
    let code = totp_code(&secret, 1);
    let (status, page) = sign_in_from(&site, ADMIN_ADDRESS, ADMIN, ADMIN_PASSWORD, &code).await;
    assert_eq!(status, 401);
    assert!(
        page.contains("too many failed sign-ins for this account"),
        "{page}"
    );
}

async fn a_burst_from_one_address_gets_ten_guesses(backend: Backend) {
    let site = Site::new(backend);
    let statuses = burst_of_sign_ins(
        &site,
        14,
        |i| format!("nobody{i}@acme.test"),
        |_| STRANGER.to_string(),
    );
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
    async a_stranger_runs_out_of_guesses_and_the_admin_still_signs_in,
    a_locked_account_and_an_unknown_email_get_the_same_answers,
    a_burst_at_one_admin_from_one_address_gets_five_guesses,
    a_burst_from_several_addresses_locks_the_account_once,
    a_burst_from_one_address_gets_ten_guesses,
    an_address_is_limited_whatever_the_account,
    a_code_and_its_session_work_once,
    a_password_alone_never_opens_the_second_factor_enrolment,
    strangers_are_sent_to_sign_in_and_headers_are_strict
);
