//! Console sessions: a random token in a `__Host-` cookie (Secure,
//! HttpOnly, SameSite=Strict, Path=/), only its SHA-256 in the database;
//! 30 minutes idle, 12 hours at most.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use upsignon_api::proofs::{random_token, sha256_hex};
use upsignon_store::AnyConnection;
use upsignon_store::queries::admin_sessions::{self, AdminSessionRow};

use crate::error::ConsoleError;

pub const COOKIE: &str = "__Host-upsignon-console";
pub const IDLE_MS: i64 = 30 * 60 * 1000;
pub const ABSOLUTE_MS: i64 = 12 * 60 * 60 * 1000;

pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Opens a session for the admin; returns the token for the cookie.
pub fn open(
    conn: &mut AnyConnection,
    admin_id: &str,
    ip: Option<String>,
) -> Result<String, ConsoleError> {
    let token = random_token().map_err(ConsoleError::Internal)?;
    let now = now_ms();
    admin_sessions::delete_expired(conn, now)?;
    admin_sessions::insert(
        conn,
        &AdminSessionRow {
            token_hash: sha256_hex(&token),
            admin_id: admin_id.to_string(),
            ip,
            created_at: now,
            expires_at: now + IDLE_MS,
            last_seen_at: now,
        },
    )?;
    Ok(token)
}

/// The live session of the request's cookie, its idle deadline moved on.
pub fn current(
    conn: &mut AnyConnection,
    token: &str,
) -> Result<Option<AdminSessionRow>, ConsoleError> {
    let now = now_ms();
    let hash = sha256_hex(token);
    let Some(row) = admin_sessions::find_live(conn, &hash, now)? else {
        return Ok(None);
    };
    let deadline = (now + IDLE_MS).min(row.created_at + ABSOLUTE_MS);
    if deadline <= now {
        admin_sessions::delete(conn, &hash)?;
        return Ok(None);
    }
    admin_sessions::touch(conn, &hash, now, deadline)?;
    Ok(Some(row))
}

pub fn token(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE).map(|c| c.value().to_string())
}

pub fn cookie(token: &str) -> Cookie<'static> {
    Cookie::build(COOKIE, token.to_string())
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish()
}

pub fn clearing_cookie() -> Cookie<'static> {
    let mut cookie = cookie("");
    cookie.make_removal();
    cookie
}
