//! Sign-in (email, password, TOTP code) and sign-out. Failures count per
//! address and per email-and-address (in memory: ten and five per fifteen
//! minutes), and per admin (in the database: twenty, which takes several
//! addresses, lock the account for fifteen minutes). Every refusal gets the
//! same answer, so it never tells whether an email is an admin's; every
//! checked attempt at a known admin is audited.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;
use upsignon_store::queries::admin_sessions;
use upsignon_store::queries::admins::{self, AdminRow};

use crate::error::{ConsoleError, redirect};
use crate::guard::{self, client_ip, totp_enrolled};
use crate::html::layout::{self, bare_page, csrf_field};
use crate::session::{self, now_ms};
use crate::{Console, audit, csrf, password, totp};
use upsignon_store::AnyConnection;

/// Failed sign-ins, from any addresses, that lock an account for
/// `LOCK_MS`: more than one address may make at one email
/// (`limiter::MAX_FAILURES_PER_ACCOUNT`), so it takes several addresses.
pub const ACCOUNT_MAX_FAILURES: i32 = 20;
pub const LOCK_MS: i64 = 15 * 60 * 1000;

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    email: String,
    password: String,
    code: String,
}

pub async fn form(req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    form_page(&req, None, actix_web::http::StatusCode::OK)
}

fn form_page(
    req: &HttpRequest,
    error: Option<&str>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let (token, cookie) = csrf::anonymous(req)?;
    let page = bare_page(
        "Sign in",
        html! {
            @if let Some(error) = error { p.error role="alert" { (error) } }
            form method="post" action="/console/sign-in" {
                (csrf_field(&token))
                label { "Email" input type="email" name="email" autocomplete="username" required; }
                label { "Password" input type="password" name="password" autocomplete="current-password" required; }
                label { "Code from your authenticator app" input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}"; }
                button type="submit" { "Sign in" }
            }
            p.hint { "First sign-in? " a href="/console/setup" { "Use the one-time code" } " printed by " code { "upsignon install" } " or given by a super-admin." }
        },
    );
    let mut response = HttpResponse::build(status);
    if let Some(cookie) = cookie {
        response.cookie(cookie);
    }
    Ok(layout::html_response(&mut response, page))
}

/// What the checks decided. A locked account is refused like a wrong
/// password: the answer never tells whether an email is an admin's.
enum Outcome {
    SignedIn { token: String },
    Refused,
}

/// The one answer to every refused sign-in, known email or not.
const REFUSED: &str = "Wrong email, password or code, or too many failed sign-ins for this account: check them and try again in 15 minutes. A super-admin sees every failed sign-in in the audit log.";

pub async fn submit(
    req: HttpRequest,
    console: web::Data<Console>,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, ConsoleError> {
    csrf::check_anonymous(&req, &form.csrf)?;
    let peer = req.peer_addr().map(|a| a.ip());
    let ip = client_ip(&req, &console);
    let limiter_ip = ip.as_deref().and_then(|ip| ip.parse().ok()).or(peer);
    // Counted before it is checked, in one step: a burst sent at the same
    // instant gets no more guesses than one request after another.
    if let Some(ip) = limiter_ip
        && let Err(wait) = console.limiter.begin_attempt(ip)
    {
        return Err(too_many(wait));
    }
    let form = form.into_inner();
    // Per email and address: a stranger who knows an admin's email runs out
    // of guesses at it from their own address; the admin's is unaffected.
    let pair = limiter_ip.map(|ip| (form.email.trim().to_lowercase(), ip));
    let pair_open = pair
        .clone()
        .is_none_or(|pair| console.account_limiter.begin_attempt(pair).is_ok());
    let secrets = console.secrets.clone();
    let outcome = guard::run(&console, move |conn| {
        check(conn, &form, &secrets, ip, pair_open)
    })
    .await?;
    match outcome {
        Outcome::SignedIn { token } => {
            // This attempt did not fail; earlier failures are not forgotten.
            if let Some(ip) = limiter_ip {
                console.limiter.give_back(&ip);
            }
            if let Some(pair) = &pair {
                console.account_limiter.give_back(pair);
            }
            let mut response = redirect("/console/");
            response
                .add_cookie(&session::cookie(&token))
                .map_err(|e| ConsoleError::Internal(e.to_string()))?;
            Ok(response)
        }
        Outcome::Refused => form_page(
            &req,
            Some(REFUSED),
            actix_web::http::StatusCode::UNAUTHORIZED,
        ),
    }
}

/// Password, then code. An admin whose second factor is not enrolled yet
/// cannot sign in here: only the first sign-in with a one-time code opens
/// the enrolment page (a password alone never does). Every refusal costs
/// one password hash, so its time tells nothing either.
fn check(
    conn: &mut AnyConnection,
    form: &SignInForm,
    secrets: &crate::SecretBox,
    ip: Option<String>,
    pair_open: bool,
) -> Result<Outcome, ConsoleError> {
    let refuse = || {
        password::verify(&form.password, None);
        Ok(Outcome::Refused)
    };
    if !pair_open {
        return refuse();
    }
    let now = now_ms();
    let admin = admins::find_by_email(conn, &form.email.trim().to_lowercase())?;
    // Counted before it is checked, atomically: concurrent guesses each take
    // one of ACCOUNT_MAX_FAILURES, and none is checked once another locked
    // the account. Only failures that passed both address limits get here,
    // so no single address can lock an admin out.
    let attempt = match &admin {
        Some(admin) => upsignon_store::Store::transaction_on(conn, |conn| {
            admins::claim_sign_in_attempt(conn, &admin.id, now, ACCOUNT_MAX_FAILURES, now + LOCK_MS)
        })?,
        None => admins::Attempt::Counted,
    };
    if attempt == admins::Attempt::Locked {
        return refuse();
    }
    let password_ok = password::verify(
        &form.password,
        admin.as_ref().and_then(|a| a.password_hash.as_deref()),
    );
    let Some(admin) = admin else {
        return Ok(Outcome::Refused);
    };
    if !password_ok {
        count_failed_sign_in(conn, &admin, attempt, ip, "wrong password")?;
        return Ok(Outcome::Refused);
    }
    if !totp_enrolled(&admin) {
        count_failed_sign_in(conn, &admin, attempt, ip, "second factor not enrolled")?;
        return Ok(Outcome::Refused);
    }
    let secret = admin
        .totp_secret
        .as_deref()
        .map(|s| secrets.open(s))
        .transpose()
        .map_err(|e| ConsoleError::Internal(e.to_string()))?
        .unwrap_or_default();
    let step = totp::verify(&secret, &form.code, now / 1000, admin.totp_last_step);
    upsignon_store::Store::transaction_on(conn, |conn| {
        // A step is used once, even by two requests racing with one code.
        let used = match step {
            Some(step) => admins::use_totp_step(conn, &admin.id, step)?,
            None => false,
        };
        if !used {
            count_failed_sign_in(
                conn,
                &admin,
                attempt,
                ip.clone(),
                "wrong second-factor code",
            )?;
            return Ok(Outcome::Refused);
        }
        admins::record_sign_in(conn, &admin.id, now)?;
        let token = session::open(conn, &admin.id, ip.clone())?;
        audit::record_as(
            conn,
            &admin.email,
            ip.clone(),
            None,
            "admin.sign_in",
            None,
            None,
        )?;
        Ok(Outcome::SignedIn { token })
    })
}

/// Audits a failed attempt (counted before it was checked, by
/// `claim_sign_in_attempt`).
fn count_failed_sign_in(
    conn: &mut upsignon_store::AnyConnection,
    admin: &AdminRow,
    attempt: admins::Attempt,
    ip: Option<String>,
    reason: &str,
) -> Result<(), ConsoleError> {
    let action = if attempt == admins::Attempt::Last {
        "admin.locked_out"
    } else {
        "admin.sign_in_failed"
    };
    audit::record_as(
        conn,
        &admin.email,
        ip,
        None,
        action,
        None,
        Some(reason.to_string()),
    )
}

pub fn too_many(wait_secs: u64) -> ConsoleError {
    ConsoleError::TooMany {
        retry_after_secs: wait_secs,
        message: format!(
            "Too many failed sign-ins from your address. Wait {} minute(s) and try again.",
            wait_secs.div_ceil(60)
        ),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn sign_out(
    req: HttpRequest,
    console: web::Data<Console>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    let form = form.into_inner();
    guard::check_form(&req, &form.csrf)?;
    guard::signed_in_for_setup(&req, &console, move |conn, admin| {
        admin_sessions::delete(conn, &admin.token_hash)?;
        audit::record(conn, &admin, None, "admin.sign_out", None, None)
    })
    .await?;
    let mut response = redirect("/console/sign-in");
    response
        .add_cookie(&session::clearing_cookie())
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    Ok(response)
}
