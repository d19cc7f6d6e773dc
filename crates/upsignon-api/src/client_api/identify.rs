//! Finding the device a signed request speaks for, and checking its
//! signature of a fresh challenge (a challenge is used at most once).

use serde::Deserialize;
use upsignon_domain::enrolment::CHALLENGE_LIFETIME_MS;
use upsignon_domain::{DeviceStatus, Email};
use upsignon_store::AnyConnection;
use upsignon_store::queries::{devices, tenants, users};

use super::ApiError;
use super::context::{now_ms, tenant};
use crate::proofs::{random_challenge, signature_is_valid};

/// The fields every device request carries.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeviceRef {
    pub user_email: String,
    pub device_id: String,
}

pub(crate) struct Found {
    pub tenant: tenants::TenantRow,
    pub user: users::UserRow,
    pub device: devices::DeviceRow,
}

pub(crate) fn parse_email(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw).map_err(|e| ApiError::BadRequest {
        code: "invalid_email",
        detail: e.to_string(),
    })
}

/// The tenant, user and device named by a request. The same answer for an
/// unknown user and an unknown device, so emails cannot be probed.
pub(crate) fn find(
    conn: &mut AnyConnection,
    slug: &str,
    device: &DeviceRef,
) -> Result<Found, ApiError> {
    let tenant = tenant(conn, slug)?;
    let email = parse_email(&device.user_email)?;
    let unknown = || ApiError::forbidden("unknown_device");
    let user = users::find_by_email(conn, &tenant.id, email.as_str())?.ok_or_else(unknown)?;
    if user.deactivated {
        return Err(ApiError::forbidden("user_deactivated"));
    }
    let device = devices::find_by_uid(conn, &user.id, &device.device_id)?.ok_or_else(unknown)?;
    Ok(Found {
        tenant,
        user,
        device,
    })
}

/// Refuses a device that may not authenticate, with the reason apps show.
pub(crate) fn require_authorized(device: &devices::DeviceRow) -> Result<(), ApiError> {
    match DeviceStatus::parse(&device.status) {
        Some(DeviceStatus::Authorized) => Ok(()),
        Some(DeviceStatus::RevokedByUser) => Err(ApiError::forbidden("revoked")),
        Some(DeviceStatus::RevokedByAdmin) => Err(ApiError::forbidden("revoked_by_admin")),
        Some(DeviceStatus::PendingAdminApproval) => {
            Err(ApiError::forbidden("pending_admin_authorization"))
        }
        _ => Err(ApiError::forbidden("pending_authorization")),
    }
}

/// Stores and returns a fresh challenge for the device to sign.
pub(crate) fn issue_challenge(
    conn: &mut AnyConnection,
    device_id: &str,
) -> Result<String, ApiError> {
    let challenge = random_challenge().map_err(ApiError::Internal)?;
    let now = now_ms();
    devices::insert_challenge(
        conn,
        &devices::ChallengeRow {
            id: uuid::Uuid::new_v4().to_string(),
            device_id: device_id.to_string(),
            challenge: challenge.clone(),
            expires_at: now + CHALLENGE_LIFETIME_MS,
            created_at: now,
        },
    )?;
    Ok(challenge)
}

/// Consumes the device's pending challenges and checks `signature` signs
/// one of them with the device's key.
pub(crate) fn verify_challenge(
    conn: &mut AnyConnection,
    device: &devices::DeviceRow,
    signature: &str,
) -> Result<(), ApiError> {
    let challenges = devices::take_challenges(conn, &device.id, now_ms())?;
    let key = device.public_key.as_deref().unwrap_or_default();
    if challenges
        .iter()
        .any(|c| signature_is_valid(key, c, signature))
    {
        Ok(())
    } else {
        Err(ApiError::unauthorized("bad_device_challenge_response"))
    }
}

/// The two-step proof of signed routes: without a response, a fresh
/// challenge comes back in a 401 `device_challenge_required`; with one,
/// it must sign a pending challenge.
pub(crate) fn prove_device(
    conn: &mut AnyConnection,
    device: &devices::DeviceRow,
    response: Option<&str>,
) -> Result<(), ApiError> {
    match response {
        Some(signature) => verify_challenge(conn, device, signature),
        None => {
            let challenge = issue_challenge(conn, &device.id)?;
            Err(ApiError::Unauthorized {
                code: "device_challenge_required",
                extra: serde_json::json!({ "deviceChallenge": challenge }),
            })
        }
    }
}
