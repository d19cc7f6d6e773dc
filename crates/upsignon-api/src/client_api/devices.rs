//! `get-authorized-devices`, `rename-device` and `revoke-device`: a user
//! manages their own devices (and only theirs). Revocation forgets the
//! device's key and ends its sessions, so it can do nothing more from its
//! next request on.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use upsignon_domain::DeviceStatus;
use upsignon_store::Store;
use upsignon_store::queries::devices;

use super::ApiError;
use super::audit::record;
use super::context::{blocking, now_ms, tenant_slug, with_session};
use crate::AppContext;

pub(crate) async fn list(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    let body = with_session(&req, &ctx, move |conn, session| {
        let listed: Vec<_> = devices::for_user(conn, &session.user_id)?
            .into_iter()
            .map(|d| {
                json!({
                    "deviceId": d.device_uid,
                    "deviceName": d.name,
                    "deviceType": d.device_type,
                    "osFamily": d.os_family,
                    "osNameAndVersion": d.os_version,
                    "appVersion": d.app_version,
                    "status": d.status,
                    "createdAt": d.created_at,
                    "authorizedAt": d.authorized_at,
                    "revokedAt": d.revoked_at,
                    "current": d.id == session.device_id,
                })
            })
            .collect();
        Ok(json!({ "devices": listed }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RenameRequest {
    device_to_rename: String,
    new_name: String,
}

pub(crate) async fn rename(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<RenameRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let name = request.new_name.trim().to_string();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(ApiError::BadRequest {
            code: "invalid_field",
            detail: "newName must be 1 to 128 characters".to_string(),
        });
    }
    with_session(&req, &ctx, move |conn, session| {
        if !devices::rename(conn, &session.user_id, &request.device_to_rename, &name)? {
            return Err(ApiError::forbidden("unknown_device"));
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RevokeRequest {
    device_to_delete: String,
}

pub(crate) async fn revoke(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<RevokeRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let ip = super::audit::client_ip_text(&req, &ctx);
    with_session(&req, &ctx, move |conn, session| {
        let device = devices::find_by_uid(conn, &session.user_id, &request.device_to_delete)?
            .ok_or(ApiError::forbidden("unknown_device"))?;
        let status = DeviceStatus::parse(&device.status).ok_or_else(|| {
            ApiError::Internal(format!("unknown device status {}", device.status))
        })?;
        let revoked = status
            .transition(DeviceStatus::RevokedByUser)
            .map_err(|_| ApiError::forbidden("revoked"))?;
        Store::transaction_on(conn, |conn| {
            devices::revoke(conn, &device.id, revoked.as_str(), now_ms())?;
            record(
                conn,
                &session,
                "device.revoke",
                Some(&device.device_uid),
                ip.as_deref(),
                None,
            )
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MetadataRequest {
    #[serde(flatten)]
    device: super::identify::DeviceRef,
    device_challenge_response: Option<String>,
    device_name: Option<String>,
    os_name_and_version: Option<String>,
    app_version: Option<String>,
}

/// `update-device-metadata` (device key, two-step): the app reports its
/// new name, OS version or app version.
pub(crate) async fn update_metadata(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<MetadataRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let too_long = [
        &request.device_name,
        &request.os_name_and_version,
        &request.app_version,
    ]
    .into_iter()
    .flatten()
    .any(|v| v.trim().is_empty() || v.chars().count() > 128);
    if too_long {
        return Err(ApiError::BadRequest {
            code: "invalid_field",
            detail: "deviceName, osNameAndVersion and appVersion are 1 to 128 characters"
                .to_string(),
        });
    }
    let slug = tenant_slug(&req);
    blocking(&ctx, move |store| {
        let mut conn = store.connection()?;
        let found = super::identify::find(&mut conn, &slug, &request.device)?;
        super::identify::require_authorized(&found.device)?;
        super::identify::prove_device(
            &mut conn,
            &found.device,
            request.device_challenge_response.as_deref(),
        )?;
        devices::update_metadata(
            &mut conn,
            &found.device.id,
            request.device_name.as_deref(),
            request.os_name_and_version.as_deref(),
            request.app_version.as_deref(),
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
