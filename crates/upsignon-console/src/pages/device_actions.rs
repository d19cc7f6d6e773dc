//! An admin moves a device of a tenant along its state machine: approve a
//! waiting device, or revoke one. One path for both, so both get the same
//! tenant scoping, transaction and audit entry.

use actix_web::{HttpRequest, HttpResponse, web};
use upsignon_domain::DeviceStatus;
use upsignon_store::AnyConnection;
use upsignon_store::queries::devices;

use crate::error::{ConsoleError, redirect};
use crate::guard;
use crate::pages::sign_in::CsrfForm;
use crate::session::now_ms;
use crate::{Console, audit};

/// Moves the device of the URL (`/t/{slug}/devices/{id}/...`) to `to`, when
/// the state machine allows it; then back to the tenant page `back`.
pub async fn change(
    req: HttpRequest,
    console: web::Data<Console>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
    to: DeviceStatus,
    back: &'static str,
) -> Result<HttpResponse, ConsoleError> {
    let (slug, device_id) = path.into_inner();
    guard::check_form(&req, &form.into_inner().csrf)?;
    let can_mail = console.mailer.is_some();
    let back = guard::signed_in(&req, &console, move |conn, admin| {
        let tenant = admin.tenant(conn, &slug)?;
        let device =
            devices::find_in_tenant(conn, &tenant.id, &device_id)?.ok_or(ConsoleError::NotFound)?;
        let status = DeviceStatus::parse(&device.status).ok_or(ConsoleError::NotFound)?;
        // With SMTP, a device must prove its emailed code before an admin
        // may approve it: approval adds to the code, never replaces it.
        let skips_code = can_mail && status == DeviceStatus::Pending && !to.is_revoked();
        if status.transition(to).is_err() || skips_code {
            return Err(ConsoleError::Conflict);
        }
        upsignon_store::Store::transaction_on(conn, |conn| {
            apply_status(conn, &device.id, status, to)?;
            let action = match to {
                DeviceStatus::Authorized => "device.approve",
                _ => "device.revoke",
            };
            let name = Some(device.name.clone());
            audit::record(
                conn,
                &admin,
                Some(&tenant.id),
                action,
                Some(&device.id),
                name,
            )
        })?;
        Ok(format!("/console/t/{}{back}", tenant.slug))
    })
    .await?;
    Ok(redirect(&back))
}

/// Writes the new status only over the one that was read: a device revoked
/// meanwhile (by its user) is never authorised again.
fn apply_status(
    conn: &mut AnyConnection,
    device_id: &str,
    from: DeviceStatus,
    to: DeviceStatus,
) -> Result<(), ConsoleError> {
    if to.is_revoked() {
        devices::revoke(conn, device_id, to.as_str(), now_ms())?;
    } else {
        devices::delete_code(conn, device_id)?;
        if !devices::authorize_if_status(conn, device_id, from.as_str(), now_ms())? {
            return Err(ConsoleError::Conflict);
        }
    }
    Ok(())
}
