//! `check-device`: the device proves it holds its key (a signed fresh
//! challenge), then gives the emailed code. A good code authorises it; a
//! wrong one counts towards the limit.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use upsignon_domain::enrolment::{CODE_MAX_ATTEMPTS, CodeRefusal, check_code};
use upsignon_domain::{DeviceStatus, TenantPolicy};
use upsignon_store::queries::devices;

use super::ApiError;
use super::context::{blocking, limit, now_ms, tenant_slug};
use super::identify::{DeviceRef, find, issue_challenge, verify_challenge};
use crate::AppContext;
use crate::proofs::{constant_time_eq, sha256_hex};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Request {
    #[serde(flatten)]
    device: DeviceRef,
    device_validation_code: String,
    device_challenge_response: Option<String>,
}

pub(crate) async fn handle(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<Request>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    limit(&req, &ctx, &request.device.user_email)?;
    let slug = tenant_slug(&req);
    let body = blocking(&ctx, move |store| {
        let mut conn = store.connection()?;
        let found = find(&mut conn, &slug, &request.device)?;
        let device = found.device;
        match DeviceStatus::parse(&device.status) {
            Some(DeviceStatus::Authorized) => {
                return Ok(json!({ "authorizationStatus": "AUTHORIZED" }));
            }
            Some(DeviceStatus::PendingAdminApproval) => {
                return Ok(json!({ "authorizationStatus": "PENDING_ADMIN_APPROVAL" }));
            }
            Some(status) if status.is_revoked() => return Err(ApiError::forbidden("revoked")),
            _ => {}
        }
        let Some(signature) = request.device_challenge_response else {
            let challenge = issue_challenge(&mut conn, &device.id)?;
            return Err(ApiError::Unauthorized {
                code: "device_challenge_required",
                extra: json!({ "deviceChallenge": challenge }),
            });
        };
        verify_challenge(&mut conn, &device, &signature)?;
        let stored = devices::code(&mut conn, &device.id)?.ok_or(ApiError::forbidden("no_code"))?;
        let given = sha256_hex(
            request
                .device_validation_code
                .trim()
                .to_uppercase()
                .as_str(),
        );
        let matches = constant_time_eq(given.as_bytes(), stored.code_hash.as_bytes());
        // Counted before it is judged, in one conditional update: requests
        // sent at once get no more attempts than one after another.
        if !devices::claim_code_attempt(&mut conn, &device.id, CODE_MAX_ATTEMPTS)? {
            return Err(ApiError::forbidden(CodeRefusal::TooManyAttempts.code()));
        }
        if let Err(refusal) =
            check_code(stored.expires_at, stored.failed_attempts, now_ms(), matches)
        {
            return Err(ApiError::forbidden(refusal.code()));
        }
        drop(conn);
        let next = if TenantPolicy::from_settings(&found.tenant.settings).admin_approves_new_devices
        {
            DeviceStatus::PendingAdminApproval
        } else {
            DeviceStatus::Authorized
        };
        // Only from the status read above: a device revoked while this check
        // was in flight stays revoked.
        let moved = store.transaction(|conn| {
            devices::delete_code(conn, &device.id)?;
            devices::advance_status(conn, &device.id, &device.status, next.as_str(), now_ms())
        })?;
        if !moved {
            // Revoked meanwhile, or a concurrent check with the same code
            // got there first: answer what the device is now.
            let mut conn = store.connection()?;
            let now = find(&mut conn, &slug, &request.device)?.device.status;
            return match DeviceStatus::parse(&now) {
                Some(status @ (DeviceStatus::Authorized | DeviceStatus::PendingAdminApproval)) => {
                    Ok(json!({ "authorizationStatus": status.as_str() }))
                }
                _ => Err(ApiError::forbidden("revoked")),
            };
        }
        Ok(json!({ "authorizationStatus": next.as_str() }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
