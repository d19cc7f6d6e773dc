//! First sign-in of an admin: the one-time code (printed by `install`, or
//! shown to the super-admin who invited them) and a new password; then the
//! second factor, enrolled by scanning a QR code and typing one code.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{PreEscaped, html};
use serde::Deserialize;
use upsignon_store::queries::admins;

use crate::error::{ConsoleError, redirect};
use crate::guard::{self, client_ip, totp_enrolled};
use crate::html::layout::{self, bare_page, csrf_field};
use crate::pages::sign_in::too_many;
use crate::session::{self, now_ms};
use crate::{Console, audit, csrf, one_time_code, password, totp};

const ISSUER: &str = "UpSignOn console";

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
    email: String,
    code: String,
    password: String,
    password_again: String,
}

pub async fn form(req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    form_page(&req, None, StatusCode::OK)
}

fn form_page(
    req: &HttpRequest,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let (token, cookie) = csrf::anonymous(req)?;
    let page = bare_page(
        "First sign-in",
        html! {
            p { "Enter the one-time code you were given, and choose your password ("
                (password::MIN_LENGTH) " characters or more)." }
            @if let Some(error) = error { p.error role="alert" { (error) } }
            form method="post" action="/console/setup" {
                (csrf_field(&token))
                label { "Email" input type="email" name="email" autocomplete="username" required; }
                label { "One-time code" input type="text" name="code" autocomplete="off" required; }
                label { "New password" input type="password" name="password" autocomplete="new-password" required; }
                label { "New password again" input type="password" name="password_again" autocomplete="new-password" required; }
                button type="submit" { "Continue" }
            }
        },
    );
    let mut response = HttpResponse::build(status);
    if let Some(cookie) = cookie {
        response.cookie(cookie);
    }
    Ok(layout::html_response(&mut response, page))
}

pub async fn submit(
    req: HttpRequest,
    console: web::Data<Console>,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, ConsoleError> {
    csrf::check_anonymous(&req, &form.csrf)?;
    let ip = client_ip(&req, &console);
    let limiter_ip = ip.as_deref().and_then(|ip| ip.parse().ok());
    let form = form.into_inner();
    if let Err(problem) = password::check_new(&form.password, &form.password_again) {
        return form_page(&req, Some(&problem.to_string()), StatusCode::BAD_REQUEST);
    }
    // Counted before the code is checked, in one step: a burst gets no more
    // tries than one request after another.
    if let Some(ip) = limiter_ip
        && let Err(wait) = console.limiter.begin_attempt(ip)
    {
        return Err(too_many(wait));
    }
    let secrets = console.secrets.clone();
    let token = guard::run(&console, move |conn| {
        let email = form.email.trim().to_lowercase();
        let Some(admin) = admins::find_by_email(conn, &email)? else {
            return Ok(None);
        };
        upsignon_store::Store::transaction_on(conn, |conn| {
            let code = one_time_code::hash(&form.code);
            if !admins::consume_sign_in_code_of(conn, &admin.id, &code, now_ms())? {
                return Ok(None);
            }
            // Hashed only once the code is right: strangers cannot make the
            // server spend Argon2 time.
            let hash = password::hash(&form.password)
                .map_err(|e| ConsoleError::Internal(e.to_string()))?;
            let sealed = secrets
                .seal(&new_totp_secret()?)
                .map_err(|e| ConsoleError::Internal(e.to_string()))?;
            admins::set_password_hash(conn, &admin.id, &hash)?;
            admins::start_second_factor(conn, &admin.id, &sealed)?;
            upsignon_store::queries::admin_sessions::delete_for_admin(conn, &admin.id)?;
            let token = session::open(conn, &admin.id, ip.clone())?;
            audit::record_as(
                conn,
                &admin.email,
                ip.clone(),
                None,
                "admin.password_set",
                None,
                None,
            )?;
            Ok(Some(token))
        })
    })
    .await?;
    let Some(token) = token else {
        return form_page(
            &req,
            Some(
                "This email and one-time code do not match, or the code was used or has expired (codes last 24 hours). Ask a super-admin for a new one.",
            ),
            StatusCode::UNAUTHORIZED,
        );
    };
    if let Some(ip) = limiter_ip {
        console.limiter.give_back(&ip);
    }
    let mut response = redirect("/console/setup/totp");
    response
        .add_cookie(&session::cookie(&token))
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    Ok(response)
}

fn new_totp_secret() -> Result<Vec<u8>, ConsoleError> {
    let mut secret = vec![0u8; 20];
    getrandom::fill(&mut secret).map_err(|e| ConsoleError::Internal(e.to_string()))?;
    Ok(secret)
}

/// The enrolment page: QR code, the secret in text, and the code field.
pub async fn totp_form(
    req: HttpRequest,
    console: web::Data<Console>,
) -> Result<HttpResponse, ConsoleError> {
    totp_page(&req, &console, None).await
}

async fn totp_page(
    req: &HttpRequest,
    console: &web::Data<Console>,
    error: Option<&'static str>,
) -> Result<HttpResponse, ConsoleError> {
    let secrets = console.secrets.clone();
    let found = guard::signed_in_for_setup(req, console, move |conn, admin| {
        if totp_enrolled(&admin.admin) {
            return Ok(None);
        }
        let secret = match admin.admin.totp_secret.as_deref() {
            Some(sealed) => secrets
                .open(sealed)
                .map_err(|e| ConsoleError::Internal(e.to_string()))?,
            None => {
                let secret = new_totp_secret()?;
                let sealed = secrets
                    .seal(&secret)
                    .map_err(|e| ConsoleError::Internal(e.to_string()))?;
                admins::start_second_factor(conn, &admin.admin.id, &sealed)?;
                secret
            }
        };
        Ok(Some((admin, secret)))
    })
    .await?;
    let Some((admin, secret)) = found else {
        return Ok(redirect("/console/"));
    };
    let uri = totp::enrolment_uri(ISSUER, &admin.admin.email, &secret);
    let qr = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| ConsoleError::Internal(e.to_string()))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .build();
    let qr = qr
        .find("<svg")
        .map_or(qr.as_str(), |start| &qr[start..])
        .to_string();
    let page = bare_page(
        "Second factor",
        html! {
            p { "Scan this code with an authenticator app (any app for TOTP codes), then type the 6-digit code it shows. Every sign-in will ask for a code." }
            div.qr { (PreEscaped(qr)) }
            p { "Cannot scan? Enter this key by hand: " code #totp-secret { (totp::base32(&secret)) } }
            @if let Some(error) = error { p.error role="alert" { (error) } }
            form method="post" action="/console/setup/totp" {
                (csrf_field(&admin.csrf))
                label { "Code" input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required; }
                button type="submit" { "Confirm" }
            }
        },
    );
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(layout::html_response(
        &mut HttpResponse::build(status),
        page,
    ))
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    csrf: String,
    code: String,
}

pub async fn totp_submit(
    req: HttpRequest,
    console: web::Data<Console>,
    form: web::Form<TotpForm>,
) -> Result<HttpResponse, ConsoleError> {
    let form = form.into_inner();
    guard::check_form(&req, &form.csrf)?;
    let secrets = console.secrets.clone();
    let accepted = guard::signed_in_for_setup(&req, &console, move |conn, admin| {
        if totp_enrolled(&admin.admin) {
            return Ok(true);
        }
        let sealed = admin
            .admin
            .totp_secret
            .as_deref()
            .ok_or(ConsoleError::NeedsTotp)?;
        let secret = secrets
            .open(sealed)
            .map_err(|e| ConsoleError::Internal(e.to_string()))?;
        let Some(step) = totp::verify(&secret, &form.code, now_ms() / 1000, None) else {
            return Ok(false);
        };
        admins::set_totp(conn, &admin.admin.id, sealed, step)?;
        audit::record(
            conn,
            &admin,
            None,
            "admin.second_factor_enrolled",
            None,
            None,
        )?;
        Ok(true)
    })
    .await?;
    if accepted {
        Ok(redirect("/console/"))
    } else {
        totp_page(
            &req,
            &console,
            Some(
                "That code does not match. Check the time on your phone and type the current code.",
            ),
        )
        .await
    }
}
