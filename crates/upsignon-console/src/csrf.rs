//! CSRF defences: every form carries a token bound to the session (or, on
//! the sign-in forms, to a random pre-session cookie), compared in constant
//! time; and a POST whose `Origin` or `Sec-Fetch-Site` says it came from
//! another site is refused before anything else.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::ORIGIN;
use upsignon_api::proofs::{constant_time_eq, random_token, sha256_hex};

use crate::error::ConsoleError;

const FORM_COOKIE: &str = "__Host-upsignon-form";

/// The token forms of a signed-in page carry.
pub fn for_session(session_token: &str) -> String {
    sha256_hex(&format!("csrf:{session_token}"))
}

/// The token of the sign-in forms, and the cookie to set when the browser
/// has none yet.
pub fn anonymous(req: &HttpRequest) -> Result<(String, Option<Cookie<'static>>), ConsoleError> {
    if let Some(existing) = req.cookie(FORM_COOKIE) {
        return Ok((sha256_hex(&format!("form:{}", existing.value())), None));
    }
    let value = random_token().map_err(ConsoleError::Internal)?;
    let token = sha256_hex(&format!("form:{value}"));
    let cookie = Cookie::build(FORM_COOKIE, value)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    Ok((token, Some(cookie)))
}

/// Checks a sign-in form's token against the pre-session cookie.
pub fn check_anonymous(req: &HttpRequest, given: &str) -> Result<(), ConsoleError> {
    check_origin(req)?;
    let cookie = req.cookie(FORM_COOKIE).ok_or(ConsoleError::Csrf)?;
    check(&sha256_hex(&format!("form:{}", cookie.value())), given)
}

pub fn check(expected: &str, given: &str) -> Result<(), ConsoleError> {
    if constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(ConsoleError::Csrf)
    }
}

/// Refuses a request a browser marks as sent from another site.
pub fn check_origin(req: &HttpRequest) -> Result<(), ConsoleError> {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    // `same-origin`, or `none` when the user typed the address; a sibling
    // subdomain (`same-site`) is another site too.
    if header("sec-fetch-site").is_some_and(|site| site == "cross-site" || site == "same-site") {
        return Err(ConsoleError::Csrf);
    }
    // Browsers send `Origin: null` under `Referrer-Policy: no-referrer`;
    // the token still has to match.
    if let Some(origin) = header(ORIGIN.as_str()).filter(|o| *o != "null") {
        // HTTP/2 carries the host in `:authority`, which connection_info reads.
        let info = req.connection_info();
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        if origin_host != info.host() {
            return Err(ConsoleError::Csrf);
        }
    }
    Ok(())
}
