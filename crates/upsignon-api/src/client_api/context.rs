//! What every client-API action starts with: run the database work off
//! the async workers, find the tenant of the URL, and check the session.

use actix_web::{HttpRequest, web};
use upsignon_domain::DeviceStatus;
use upsignon_store::queries::{devices, sessions, settings, tenants, users};
use upsignon_store::{AnyConnection, Store};

use super::ApiError;
use crate::AppContext;
use crate::proofs::sha256_hex;

pub(crate) fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Runs `work` on a blocking thread with the store. When it has not
/// finished within `handler_timeout_secs` the client gets 503 `timeout`
/// (a stuck database never holds an app forever); the work itself runs to
/// its end, and the version checks make the app's retry safe.
pub(crate) async fn blocking<T: Send + 'static>(
    ctx: &AppContext,
    work: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = ctx.store.clone();
    let done = web::block(move || work(&store));
    match actix_web::rt::time::timeout(ctx.handler_timeout, done).await {
        Ok(finished) => finished.map_err(|e| ApiError::Internal(e.to_string()))?,
        Err(_) => {
            tracing::warn!(
                secs = ctx.handler_timeout.as_secs(),
                "client API request timed out"
            );
            Err(ApiError::Unavailable { reason: "timeout" })
        }
    }
}

/// Runs `work` on a blocking thread with one connection and the request's
/// checked session: the start of every signed-in action. Transactions run
/// on the same connection (`Store::transaction_on`).
pub(crate) async fn with_session<T: Send + 'static>(
    req: &HttpRequest,
    ctx: &AppContext,
    work: impl FnOnce(&mut AnyConnection, SignedIn) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let slug = tenant_slug(req);
    let token = bearer(req);
    blocking(ctx, move |store| {
        let mut conn = store.connection()?;
        let session = signed_in(&mut conn, &slug, token)?;
        work(&mut conn, session)
    })
    .await
}

/// Counts a sign-in style request (device authorisation, code checks,
/// authentication, password reset) against the rate limits: per client
/// address, and per account (`tenant:email`). Refused: 429 with Retry-After.
pub(crate) fn limit(req: &HttpRequest, ctx: &AppContext, email: &str) -> Result<(), ApiError> {
    let ip = crate::request_client_ip(req, &ctx.trusted_proxies);
    let account = format!("{}:{}", tenant_slug(req), email.trim());
    ctx.limits.check(ip, &account).map_err(|refused| {
        ctx.metrics.rate_limited(refused.scope());
        tracing::warn!(scope = refused.scope(), "rate limit: request refused");
        ApiError::TooMany {
            retry_after_secs: refused.retry_after_secs(),
        }
    })
}

/// The tenant slug of the URL (`/{tenant}/api2/...`).
pub(crate) fn tenant_slug(req: &HttpRequest) -> String {
    req.match_info()
        .get("tenant")
        .unwrap_or_default()
        .to_string()
}

/// The tenant named in the URL, refusing unknown and moved tenants, and
/// every request while the server is in maintenance.
pub(crate) fn tenant(conn: &mut AnyConnection, slug: &str) -> Result<tenants::TenantRow, ApiError> {
    if settings::get(conn, upsignon_store::MAINTENANCE_SETTING)?.is_some() {
        return Err(ApiError::Unavailable {
            reason: "maintenance",
        });
    }
    let tenant = tenants::find_by_slug(conn, slug)?.ok_or(ApiError::UnknownTenant)?;
    if tenant.stopped {
        return Err(ApiError::Moved {
            new_url: tenant.new_url,
        });
    }
    Ok(tenant)
}

/// The bearer token of `Authorization: Bearer <token>`.
pub(crate) fn bearer(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_string)
}

/// A checked session: the user and device it belongs to.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    pub tenant: tenants::TenantRow,
    pub user_id: String,
    pub user_email: String,
    pub device_id: String,
}

/// Checks the session for this tenant: it exists, has not expired, and its
/// device is still authorised and its user active (revocation is
/// effective on the next request).
pub(crate) fn signed_in(
    conn: &mut AnyConnection,
    slug: &str,
    token: Option<String>,
) -> Result<SignedIn, ApiError> {
    let tenant = tenant(conn, slug)?;
    let token = token.ok_or(ApiError::unauthorized("no_session"))?;
    let session = sessions::find(conn, &sha256_hex(&token))?
        .filter(|s| s.tenant_id == tenant.id)
        .ok_or(ApiError::unauthorized("invalid_session"))?;
    if session.expires_at <= now_ms() {
        sessions::delete(conn, &session.token_hash)?;
        return Err(ApiError::unauthorized("session_expired"));
    }
    let device = devices::find(conn, &session.device_id)?
        .ok_or(ApiError::unauthorized("invalid_session"))?;
    if DeviceStatus::parse(&device.status) != Some(DeviceStatus::Authorized) {
        return Err(ApiError::unauthorized("revoked"));
    }
    let user = users::find(conn, &tenant.id, &session.user_id)?
        .ok_or(ApiError::unauthorized("invalid_session"))?;
    if user.deactivated {
        return Err(ApiError::forbidden("user_deactivated"));
    }
    Ok(SignedIn {
        tenant,
        user_id: session.user_id,
        user_email: user.email,
        device_id: session.device_id,
    })
}
