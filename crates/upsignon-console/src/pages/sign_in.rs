//! Sign-in (email, password, TOTP code) and sign-out. Failures count per
//! address (in memory) and per admin (in the database: five in a row lock
//! the account for fifteen minutes); every outcome for a known admin is
//! audited.

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

pub const MAX_FAILURES: i32 = 5;
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

/// What the checks decided.
enum Outcome {
    SignedIn { token: String },
    Refused,
    Locked { minutes: i64 },
}

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
    let secrets = console.secrets.clone();
    let outcome = guard::run(&console, move |conn| check(conn, &form, &secrets, ip)).await?;
    match outcome {
        Outcome::SignedIn { token } => {
            // This attempt did not fail; earlier failures are not forgotten.
            if let Some(ip) = limiter_ip {
                console.limiter.give_back(ip);
            }
            let mut response = redirect("/console/");
            response
                .add_cookie(&session::cookie(&token))
                .map_err(|e| ConsoleError::Internal(e.to_string()))?;
            Ok(response)
        }
        Outcome::Refused => form_page(
            &req,
            Some("Wrong email, password or code. Check them and try again."),
            actix_web::http::StatusCode::UNAUTHORIZED,
        ),
        Outcome::Locked { minutes } => Err(ConsoleError::TooMany {
            retry_after_secs: (minutes * 60) as u64,
            message: format!(
                "This admin account is locked after {MAX_FAILURES} failed sign-ins. Try again in {minutes} minute(s), or ask a super-admin to check the audit log."
            ),
        }),
    }
}

/// Password, then code. An admin whose second factor is not enrolled yet
/// cannot sign in here: only the first sign-in with a one-time code opens
/// the enrolment page (a password alone never does).
fn check(
    conn: &mut AnyConnection,
    form: &SignInForm,
    secrets: &crate::SecretBox,
    ip: Option<String>,
) -> Result<Outcome, ConsoleError> {
    let now = now_ms();
    let admin = admins::find_by_email(conn, &form.email.trim().to_lowercase())?;
    if let Some(locked_until) = admin.as_ref().and_then(|a| a.locked_until)
        && locked_until > now
    {
        return Ok(Outcome::Locked {
            minutes: (locked_until - now + 59_999) / 60_000,
        });
    }
    // Counted before it is checked, atomically: concurrent guesses each take
    // one of MAX_FAILURES, and none is checked once another locked the account.
    let attempt = match &admin {
        Some(admin) => upsignon_store::Store::transaction_on(conn, |conn| {
            admins::claim_sign_in_attempt(conn, &admin.id, now, MAX_FAILURES, now + LOCK_MS)
        })?,
        None => admins::Attempt::Counted,
    };
    if attempt == admins::Attempt::Locked {
        let until = admin
            .as_ref()
            .map(|a| admins::find(conn, &a.id))
            .transpose()?
            .flatten()
            .and_then(|a| a.locked_until)
            .unwrap_or(now + LOCK_MS);
        return Ok(Outcome::Locked {
            minutes: (until - now + 59_999) / 60_000,
        });
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
