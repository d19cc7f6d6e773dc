//! What waits for an admin: devices that asked for access (a tenant without
//! SMTP cannot email codes, and a tenant may require approval of every new
//! device) and forgotten-password requests. Approving a device authorises
//! it at once; granting a reset emails the user a token, or shows it here
//! once when the server has no SMTP.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use upsignon_api::MailMessage;
use upsignon_api::proofs::{random_code, sha256_hex};
use upsignon_domain::DeviceStatus;
use upsignon_store::queries::{devices, recovery};

use crate::error::ConsoleError;
use crate::guard;
use crate::html::format::date_time;
use crate::html::layout::{self, action_button, page};
use crate::pages::device_actions;
use crate::pages::sign_in::CsrfForm;
use crate::session::now_ms;
use crate::{Console, audit};

/// How long a token granted by an admin stays valid.
pub const GRANTED_TOKEN_LIFETIME_MS: i64 = 60 * 60 * 1000;

pub async fn list(
    req: HttpRequest,
    console: web::Data<Console>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    list_page(&req, &console, slug.into_inner(), None).await
}

async fn list_page(
    req: &HttpRequest,
    console: &web::Data<Console>,
    slug: String,
    notice: Option<String>,
) -> Result<HttpResponse, ConsoleError> {
    let can_mail = console.mailer.is_some();
    let (admin, tenant, waiting, resets) = guard::signed_in(req, console, move |conn, admin| {
        let tenant = admin.tenant(conn, &slug)?;
        let waiting: Vec<_> = devices::waiting_for_tenant(conn, &tenant.id)?
            .into_iter()
            .filter(|(d, _)| !can_mail || d.status == DeviceStatus::PendingAdminApproval.as_str())
            .collect();
        let resets = recovery::pending_for_tenant(conn, &tenant.id)?;
        Ok((admin, tenant, waiting, resets))
    })
    .await?;
    let base = format!("/console/t/{}", tenant.slug);
    Ok(layout::ok(page(
        "Approvals",
        &admin,
        Some(&tenant),
        "/approvals",
        notice.as_deref(),
        html! {
            h2 { "Devices asking for access" }
            p.hint { "Approve a device only after checking with its user that they are enrolling it now. Its key fingerprint is shown in the app." }
            @if waiting.is_empty() { p { "No device is waiting." } }
            @else {
                div.scroll { table {
                    thead { tr { th { "User" } th { "Device" } th { "Key fingerprint" } th { "Asked" } th { "Status" } th {} } }
                    tbody {
                        @for (device, email) in &waiting {
                            tr data-device=(device.id) {
                                td { (email) }
                                td { (device.name) " (" (device.os_family) ")" }
                                td { code { (fingerprint(device.public_key.as_deref())) } }
                                td { (date_time(Some(device.created_at))) }
                                td { (device.status) }
                                td { (action_button(&format!("{base}/devices/{}/approve", device.id), &admin.csrf, "Approve", false)) }
                            }
                        }
                    }
                } }
            }
            h2 { "Forgotten-password requests" }
            @if resets.is_empty() { p { "No request is waiting." } }
            @else {
                div.scroll { table {
                    thead { tr { th { "User" } th { "Device" } th { "Asked" } th {} } }
                    tbody {
                        @for reset in &resets {
                            tr {
                                td { (reset.user_email) }
                                td { (reset.device_name) }
                                td { (date_time(Some(reset.created_at))) }
                                td { (action_button(&format!("{base}/resets/{}/grant", reset.id), &admin.csrf, "Grant", false)) }
                            }
                        }
                    }
                } }
            }
        },
    )))
}

/// The first 16 hex digits of the SHA-256 of the device's public key.
fn fingerprint(public_key: Option<&str>) -> String {
    public_key.map_or_else(|| "-".to_string(), |key| sha256_hex(key)[..16].to_string())
}

pub async fn approve_device(
    req: HttpRequest,
    console: web::Data<Console>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    let to = DeviceStatus::Authorized;
    device_actions::change(req, console, path, form, to, "/approvals").await
}

pub async fn grant_reset(
    req: HttpRequest,
    console: web::Data<Console>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    let (slug, reset_id) = path.into_inner();
    let form = form.into_inner();
    guard::check_form(&req, &form.csrf)?;
    let token = random_code().map_err(ConsoleError::Internal)?;
    let granted_token = token.clone();
    let granted = guard::signed_in(&req, &console, move |conn, admin| {
        let tenant = admin.tenant(conn, &slug)?;
        let pending = recovery::pending_for_tenant(conn, &tenant.id)?
            .into_iter()
            .find(|r| r.id == reset_id)
            .ok_or(ConsoleError::NotFound)?;
        let lifetime = GRANTED_TOKEN_LIFETIME_MS;
        upsignon_store::Store::transaction_on(conn, |conn| {
            if !recovery::grant_reset(
                conn,
                &tenant.id,
                &pending.id,
                &sha256_hex(&granted_token),
                now_ms() + lifetime,
            )? {
                return Err(ConsoleError::NotFound);
            }
            audit::record(
                conn,
                &admin,
                Some(&tenant.id),
                "password_reset.grant",
                Some(&pending.user_email),
                Some(pending.device_name.clone()),
            )
        })?;
        Ok((tenant.slug, pending))
    })
    .await?;
    let (slug, pending) = granted;
    let notice = match console.mailer.clone() {
        Some(mailer) => {
            let message = token_message(&pending.user_email, &pending.device_name, &token);
            web::block(move || mailer.send(&message))
                .await
                .map_err(|e| ConsoleError::Internal(e.to_string()))?
                .map_err(|e| ConsoleError::Internal(format!("cannot send the reset token: {e}")))?;
            format!(
                "Granted: {} received the token by email.",
                pending.user_email
            )
        }
        None => format!(
            "Granted. This server sends no email: give {} this token yourself, valid one hour: {token}",
            pending.user_email
        ),
    };
    list_page(&req, &console, slug, Some(notice)).await
}

fn token_message(email: &str, device_name: &str, token: &str) -> MailMessage {
    MailMessage {
        to: email.to_string(),
        subject: format!("UpSignOn: token {token} to reset your password"),
        text: format!(
            "An administrator granted your request to reset your master password on the device \"{device_name}\". Enter this token in the app: {token}\n\nIt is valid for one hour.\n"
        ),
        html: html! {
            p { "An administrator granted your request to reset your master password on the device " b { (device_name) } ". Enter this token in the app:" }
            p { b { (token) } }
            p { "It is valid for one hour." }
        }
        .into_string(),
    }
}
