//! `get-authentication-challenges`, `authenticate` and `disconnect`: the
//! device signs a fresh challenge and answers the vault's password
//! challenge (the server compares a hash, never sees the password), and
//! gets a short session.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use upsignon_domain::TenantPolicy;
use upsignon_store::AnyConnection;
use upsignon_store::queries::tenants::TenantRow;
use upsignon_store::queries::{sessions, vaults};

use super::ApiError;
use super::context::{bearer, blocking, limit, now_ms, tenant_slug, with_session};
use super::identify::{DeviceRef, find, issue_challenge, require_authorized, verify_challenge};
use crate::AppContext;
use crate::proofs::{constant_time_eq, random_token, sha256_hex};

pub(crate) async fn challenges(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<DeviceRef>,
) -> Result<HttpResponse, ApiError> {
    let device = body.into_inner();
    limit(&req, &ctx, &device.user_email)?;
    let slug = tenant_slug(&req);
    let body = blocking(&ctx, move |store| {
        let mut conn = store.connection()?;
        let found = find(&mut conn, &slug, &device)?;
        require_authorized(&found.device)?;
        let challenge = issue_challenge(&mut conn, &found.device.id)?;
        let Some(check) = vaults::password_check(&mut conn, &found.user.id)? else {
            return Err(ApiError::Forbidden {
                code: "empty_data",
                extra: json!({ "deviceChallenge": challenge }),
            });
        };
        let kdf: Value = serde_json::from_str(&check.kdf).unwrap_or(Value::Null);
        Ok(json!({
            "deviceChallenge": challenge,
            "passwordChallenge": check.challenge,
            "kdf": kdf,
        }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuthenticateRequest {
    #[serde(flatten)]
    device: DeviceRef,
    device_challenge_response: String,
    password_challenge_response: String,
}

pub(crate) async fn authenticate(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<AuthenticateRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    limit(&req, &ctx, &request.device.user_email)?;
    let slug = tenant_slug(&req);
    let body = blocking(&ctx, move |store| {
        let mut conn = store.connection()?;
        let found = find(&mut conn, &slug, &request.device)?;
        require_authorized(&found.device)?;
        verify_challenge(&mut conn, &found.device, &request.device_challenge_response)?;
        let check = vaults::password_check(&mut conn, &found.user.id)?
            .ok_or(ApiError::forbidden("empty_data"))?;
        let given = sha256_hex(&request.password_challenge_response);
        if !constant_time_eq(given.as_bytes(), check.response_hash.as_bytes()) {
            return Err(ApiError::unauthorized("bad_password"));
        }
        let token = open_session(&mut conn, &found.tenant, &found.user.id, &found.device.id)?;
        let lifetime = TenantPolicy::from_settings(&found.tenant.settings).session_lifetime_ms();
        Ok(json!({
            "deviceSession": token,
            "expiresInSecs": lifetime / 1000,
        }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Starts a session; only the token's hash is stored.
pub(crate) fn open_session(
    conn: &mut AnyConnection,
    tenant: &TenantRow,
    user_id: &str,
    device_id: &str,
) -> Result<String, ApiError> {
    let lifetime = TenantPolicy::from_settings(&tenant.settings).session_lifetime_ms();
    let token = random_token().map_err(ApiError::Internal)?;
    let now = now_ms();
    sessions::insert(
        conn,
        &sessions::SessionRow {
            token_hash: sha256_hex(&token),
            tenant_id: tenant.id.clone(),
            user_id: user_id.to_string(),
            device_id: device_id.to_string(),
            expires_at: now + lifetime,
            created_at: now,
        },
    )?;
    Ok(token)
}

pub(crate) async fn disconnect(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer(&req).unwrap_or_default();
    with_session(&req, &ctx, move |conn, _| {
        sessions::delete(conn, &sha256_hex(&token))?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
