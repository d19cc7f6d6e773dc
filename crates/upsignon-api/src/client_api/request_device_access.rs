//! `request-device-access`: a new device asks for access for an allowed
//! email. The server records the device (pending) with its public key and
//! emails a one-time code; without SMTP the device waits for an admin.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use upsignon_domain::DeviceStatus;
use upsignon_domain::enrolment::{CODE_LIFETIME_MS, email_is_allowed};
use upsignon_store::AnyConnection;
use upsignon_store::queries::{devices, users};

use super::ApiError;
use super::context::{blocking, limit, now_ms, tenant, tenant_slug};
use super::identify::parse_email;
use crate::AppContext;
use crate::mail::MailMessage;
use crate::proofs::{is_public_key, random_code, sha256_hex};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Request {
    user_email: String,
    device_id: String,
    device_public_key: String,
    device_name: String,
    device_type: Option<String>,
    os_family: String,
    os_name_and_version: Option<String>,
    app_version: Option<String>,
}

/// What the transaction decided.
enum Outcome {
    AlreadyAuthorized,
    CodeToSend { email: String, code: String },
}

pub(crate) async fn handle(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<Request>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    limit(&req, &ctx, &request.user_email)?;
    check_fields(&request)?;
    let slug = tenant_slug(&req);
    let device_name = request.device_name.clone();
    let outcome = blocking(&ctx, move |store| {
        store.transaction_with(|conn| record(conn, &slug, &request))
    })
    .await?;
    let status = match outcome {
        Outcome::AlreadyAuthorized => "AUTHORIZED",
        Outcome::CodeToSend { email, code } => match &ctx.mailer {
            Some(mailer) => {
                let mailer = mailer.clone();
                let message = code_message(&email, &device_name, &code);
                web::block(move || mailer.send(&message))
                    .await
                    .map_err(|e| ApiError::Internal(e.to_string()))?
                    .map_err(|e| ApiError::Internal(format!("cannot send the device code: {e}")))?;
                "MAIL_SENT"
            }
            None => "PENDING_APPROVAL",
        },
    };
    Ok(HttpResponse::Ok().json(json!({ "authorizationStatus": status })))
}

pub(crate) fn check_fields(request: &Request) -> Result<(), ApiError> {
    let too_long = [
        ("deviceId", &request.device_id, 128),
        ("deviceName", &request.device_name, 128),
        ("osFamily", &request.os_family, 32),
    ]
    .into_iter()
    .find(|(_, value, max)| value.is_empty() || value.chars().count() > *max);
    if let Some((field, _, max)) = too_long {
        return Err(ApiError::BadRequest {
            code: "invalid_field",
            detail: format!("{field} must be 1 to {max} characters"),
        });
    }
    if !is_public_key(&request.device_public_key) {
        return Err(ApiError::BadRequest {
            code: "invalid_public_key",
            detail: "devicePublicKey must be an Ed25519 public key in base64".to_string(),
        });
    }
    Ok(())
}

fn record(conn: &mut AnyConnection, slug: &str, request: &Request) -> Result<Outcome, ApiError> {
    let tenant = tenant(conn, slug)?;
    let email = parse_email(&request.user_email)?;
    if !email_is_allowed(&email, &users::allowed_patterns(conn, &tenant.id)?) {
        return Err(ApiError::forbidden("email_address_not_allowed"));
    }
    let now = now_ms();
    let user = match users::find_by_email(conn, &tenant.id, email.as_str())? {
        Some(user) => user,
        None => {
            let user = users::UserRow {
                id: uuid::Uuid::new_v4().to_string(),
                tenant_id: tenant.id.clone(),
                email: email.as_str().to_string(),
                sharing_public_key: None,
                signing_public_key: None,
                settings_override: "{}".to_string(),
                deactivated: false,
                created_at: now,
            };
            users::insert(conn, &user)?;
            user
        }
    };
    if user.deactivated {
        return Err(ApiError::forbidden("user_deactivated"));
    }
    let device = match devices::find_by_uid(conn, &user.id, &request.device_id)? {
        Some(device) => device,
        None => {
            let device = new_device(&tenant.id, &user.id, request, now);
            devices::insert(conn, &device)?;
            device
        }
    };
    let status = DeviceStatus::parse(&device.status);
    if status.is_some_and(DeviceStatus::is_revoked) {
        return Err(ApiError::forbidden("revoked"));
    }
    if device.public_key.as_deref() != Some(request.device_public_key.as_str()) {
        return Err(ApiError::forbidden("device_key_mismatch"));
    }
    if status == Some(DeviceStatus::Authorized) {
        return Ok(Outcome::AlreadyAuthorized);
    }
    let code = random_code().map_err(ApiError::Internal)?;
    devices::put_code(
        conn,
        &devices::DeviceCodeRow {
            device_id: device.id,
            code_hash: sha256_hex(&code),
            expires_at: now + CODE_LIFETIME_MS,
            failed_attempts: 0,
            created_at: now,
        },
    )?;
    Ok(Outcome::CodeToSend {
        email: user.email,
        code,
    })
}

fn new_device(tenant_id: &str, user_id: &str, request: &Request, now: i64) -> devices::DeviceRow {
    devices::DeviceRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant_id.to_string(),
        user_id: user_id.to_string(),
        device_uid: request.device_id.clone(),
        name: request.device_name.clone(),
        device_type: request.device_type.clone(),
        os_family: request.os_family.clone(),
        os_version: request.os_name_and_version.clone(),
        app_version: request.app_version.clone(),
        public_key: Some(request.device_public_key.clone()),
        status: DeviceStatus::Pending.as_str().to_string(),
        created_at: now,
        authorized_at: None,
        revoked_at: None,
        last_seen_at: None,
    }
}

fn code_message(email: &str, device_name: &str, code: &str) -> MailMessage {
    let minutes = CODE_LIFETIME_MS / 60_000;
    MailMessage {
        to: email.to_string(),
        subject: format!("UpSignOn: code {code} to authorise a device"),
        text: format!(
            "Your code to authorise the device \"{device_name}\": {code}\n\nIt is valid for {minutes} minutes. If you did not ask for it, ignore this message: no device gets access without it.\n"
        ),
        html: format!(
            "<p>Your code to authorise the device <b>{}</b>:</p><p style=\"font-size:1.5em;letter-spacing:0.2em\"><b>{code}</b></p><p>It is valid for {minutes} minutes. If you did not ask for it, ignore this message: no device gets access without it.</p>",
            escape_html(device_name)
        ),
    }
}

pub(crate) fn escape_html(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}
