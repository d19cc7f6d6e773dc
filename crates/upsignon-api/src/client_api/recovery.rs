//! A forgotten master password: `backup-password` (each device keeps its
//! own encrypted copy on the server), `request-password-reset` (granted by
//! an admin, or at once with an emailed token when the tenant allows it),
//! `get-password-backup` (the device gets its copy back with the token).
//! The server never holds anything that opens the copy.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use upsignon_domain::enrolment::{CodeRefusal, RESET_TOKEN_LIFETIME_MS, check_code};
use upsignon_domain::{DeviceStatus, TenantPolicy};
use upsignon_store::Store;
use upsignon_store::queries::{devices, recovery};

use super::ApiError;
use super::context::{blocking, limit, now_ms, tenant_slug, with_session};
use super::identify::{DeviceRef, find, prove_device, require_authorized};
use crate::AppContext;
use crate::mail::MailMessage;
use crate::proofs::{constant_time_eq, random_code, sha256_hex};

const PENDING: &str = "PENDING_ADMIN_CHECK";
const GRANTED: &str = "GRANTED";
const USED: &str = "USED";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BackupRequest {
    backups: Vec<DeviceBackup>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceBackup {
    device_id: String,
    encrypted_password: String,
}

pub(crate) async fn backup(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<BackupRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    with_session(&req, &ctx, move |conn, session| {
        Store::transaction_on(conn, |conn| {
            for item in &request.backups {
                let device = devices::find_by_uid(conn, &session.user_id, &item.device_id)?
                    .filter(|d| DeviceStatus::parse(&d.status) == Some(DeviceStatus::Authorized))
                    .ok_or(ApiError::forbidden("unknown_device"))?;
                recovery::put_backup(
                    conn,
                    &device.id,
                    &session.user_id,
                    &item.encrypted_password,
                    now_ms(),
                )?;
            }
            Ok::<_, ApiError>(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResetRequest {
    #[serde(flatten)]
    device: DeviceRef,
    device_challenge_response: Option<String>,
}

pub(crate) async fn request_reset(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<ResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    limit(&req, &ctx, &request.device.user_email)?;
    let slug = tenant_slug(&req);
    let can_mail = ctx.mailer.is_some();
    let (status, mail) = blocking(&ctx, move |store| {
        let mut conn = store.connection()?;
        let found = find(&mut conn, &slug, &request.device)?;
        require_authorized(&found.device)?;
        prove_device(
            &mut conn,
            &found.device,
            request.device_challenge_response.as_deref(),
        )?;
        if recovery::backup(&mut conn, &found.device.id)?.is_none() {
            return Err(ApiError::forbidden("backup_not_setup"));
        }
        let policy = TenantPolicy::from_settings(&found.tenant.settings);
        let now = now_ms();
        let mut row = recovery::ResetRow {
            id: uuid::Uuid::new_v4().to_string(),
            device_id: found.device.id.clone(),
            status: PENDING.to_string(),
            token_hash: None,
            expires_at: None,
            failed_attempts: 0,
            created_at: now,
        };
        let mut mail = None;
        if policy.password_reset_without_admin && can_mail {
            let token = random_code().map_err(ApiError::Internal)?;
            row.status = GRANTED.to_string();
            row.token_hash = Some(sha256_hex(&token));
            row.expires_at = Some(now + RESET_TOKEN_LIFETIME_MS);
            mail = Some(reset_message(&found.user.email, &found.device.name, &token));
        }
        recovery::put_reset(&mut conn, &row)?;
        let status = if mail.is_some() {
            "mail_sent"
        } else {
            "pending_admin_check"
        };
        Ok((status, mail))
    })
    .await?;
    if let (Some(message), Some(mailer)) = (mail, ctx.mailer.clone()) {
        web::block(move || mailer.send(&message))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(|e| ApiError::Internal(format!("cannot send the reset token: {e}")))?;
    }
    Ok(HttpResponse::Ok().json(json!({ "resetStatus": status })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetBackupRequest {
    #[serde(flatten)]
    device: DeviceRef,
    device_challenge_response: Option<String>,
    reset_token: String,
}

pub(crate) async fn get_backup(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<GetBackupRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    limit(&req, &ctx, &request.device.user_email)?;
    let slug = tenant_slug(&req);
    let backup = blocking(&ctx, move |store| {
        let mut conn = store.connection()?;
        let found = find(&mut conn, &slug, &request.device)?;
        require_authorized(&found.device)?;
        prove_device(
            &mut conn,
            &found.device,
            request.device_challenge_response.as_deref(),
        )?;
        let reset = recovery::reset_for_device(&mut conn, &found.device.id)?
            .filter(|r| r.status != USED)
            .ok_or(ApiError::forbidden("no_request"))?;
        if reset.status == PENDING {
            return Err(ApiError::forbidden("not_admin_authorized"));
        }
        let given = sha256_hex(request.reset_token.trim().to_uppercase().as_str());
        let matches = reset
            .token_hash
            .as_deref()
            .is_some_and(|stored| constant_time_eq(given.as_bytes(), stored.as_bytes()));
        let expires_at = reset.expires_at.unwrap_or(0);
        if let Err(refusal) = check_code(expires_at, reset.failed_attempts, now_ms(), matches) {
            if refusal == CodeRefusal::Wrong {
                recovery::count_failed_reset(&mut conn, &reset.id)?;
            }
            return Err(ApiError::forbidden(match refusal {
                CodeRefusal::Expired => "expired",
                CodeRefusal::TooManyAttempts => "too_many_attempts",
                CodeRefusal::Wrong => "bad_token",
            }));
        }
        let backup = recovery::backup(&mut conn, &found.device.id)?
            .ok_or(ApiError::forbidden("backup_not_setup"))?;
        recovery::set_reset_status(&mut conn, &reset.id, USED)?;
        Ok(backup)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "encryptedPasswordBackup": backup })))
}

fn reset_message(email: &str, device_name: &str, token: &str) -> MailMessage {
    let minutes = RESET_TOKEN_LIFETIME_MS / 60_000;
    MailMessage {
        to: email.to_string(),
        subject: format!("UpSignOn: token {token} to reset your password"),
        text: format!(
            "You asked to reset your master password from the device \"{device_name}\". Enter this token in the app: {token}\n\nIt is valid for {minutes} minutes. If you did not ask for it, tell your administrator.\n"
        ),
        html: format!(
            "<p>You asked to reset your master password from the device <b>{}</b>. Enter this token in the app:</p><p style=\"font-size:1.5em;letter-spacing:0.2em\"><b>{token}</b></p><p>It is valid for {minutes} minutes. If you did not ask for it, tell your administrator.</p>",
            super::request_device_access::escape_html(device_name)
        ),
    }
}
