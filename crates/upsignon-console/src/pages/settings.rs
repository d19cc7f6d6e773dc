//! A tenant's policies, as the apps receive them in the tenant
//! configuration (`bank-config`, vault answers) on their next request.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use upsignon_domain::TenantPolicy;
use upsignon_domain::policy::{MASTER_PASSWORD_MIN_LENGTH, SESSION_MINUTES};
use upsignon_store::queries::tenants;

use crate::error::ConsoleError;
use crate::guard;
use crate::html::layout::{self, csrf_field, page};
use crate::{Console, audit};

pub async fn show(
    req: HttpRequest,
    console: web::Data<Console>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    settings_page(&req, &console, slug.into_inner(), None, None).await
}

async fn settings_page(
    req: &HttpRequest,
    console: &web::Data<Console>,
    slug: String,
    notice: Option<String>,
    shown: Option<TenantPolicy>,
) -> Result<HttpResponse, ConsoleError> {
    let (admin, tenant) = guard::signed_in(req, console, move |conn, admin| {
        let tenant = admin.tenant(conn, &slug)?;
        Ok((admin, tenant))
    })
    .await?;
    let policy = shown.unwrap_or_else(|| TenantPolicy::from_settings(&tenant.settings));
    Ok(layout::ok(page(
        "Settings",
        &admin,
        Some(&tenant),
        "/settings",
        notice.as_deref(),
        html! {
            form.settings method="post" action={ "/console/t/" (tenant.slug) "/settings" } {
                (csrf_field(&admin.csrf))
                fieldset {
                    legend { "Apps" }
                    (checkbox("offline_mode", "Offline mode: apps keep a copy to read when the server is away", policy.offline_mode))
                    (checkbox("csv_export", "CSV export: apps may export a vault as a CSV file", policy.csv_export))
                    (checkbox("prevent_update_popup", "Do not prompt users to update their app", policy.prevent_update_popup))
                }
                fieldset {
                    legend { "Devices and passwords" }
                    (checkbox("admin_approves_new_devices", "Device approval: a new device also waits for an admin's approval", policy.admin_approves_new_devices))
                    (checkbox("password_reset_without_admin", "Forgotten passwords: email a reset token at once, without an admin", policy.password_reset_without_admin))
                    label { "Minimum master password length ("
                        (MASTER_PASSWORD_MIN_LENGTH.start()) "–" (MASTER_PASSWORD_MIN_LENGTH.end()) ")"
                        input type="number" name="master_password_min_length" min=(MASTER_PASSWORD_MIN_LENGTH.start()) max=(MASTER_PASSWORD_MIN_LENGTH.end()) value=(policy.master_password_min_length) required; }
                    label { "App session length in minutes ("
                        (SESSION_MINUTES.start()) "–" (SESSION_MINUTES.end()) ")"
                        input type="number" name="session_minutes" min=(SESSION_MINUTES.start()) max=(SESSION_MINUTES.end()) value=(policy.session_minutes) required; }
                }
                button type="submit" { "Save" }
            }
        },
    )))
}

fn checkbox(name: &str, label: &str, checked: bool) -> Markup {
    html! {
        label.check {
            input type="checkbox" name=(name) value="on" checked[checked];
            (label)
        }
    }
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    offline_mode: Option<String>,
    csv_export: Option<String>,
    prevent_update_popup: Option<String>,
    admin_approves_new_devices: Option<String>,
    password_reset_without_admin: Option<String>,
    master_password_min_length: String,
    session_minutes: String,
}

impl SettingsForm {
    fn policy(&self) -> TenantPolicy {
        TenantPolicy {
            offline_mode: self.offline_mode.is_some(),
            csv_export: self.csv_export.is_some(),
            prevent_update_popup: self.prevent_update_popup.is_some(),
            admin_approves_new_devices: self.admin_approves_new_devices.is_some(),
            password_reset_without_admin: self.password_reset_without_admin.is_some(),
            // Unreadable numbers become 0, which validation refuses.
            master_password_min_length: self.master_password_min_length.trim().parse().unwrap_or(0),
            session_minutes: self.session_minutes.trim().parse().unwrap_or(0),
        }
    }
}

pub async fn save(
    req: HttpRequest,
    console: web::Data<Console>,
    slug: web::Path<String>,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, ConsoleError> {
    let slug = slug.into_inner();
    let form = form.into_inner();
    guard::check_form(&req, &form.csrf)?;
    let wanted = form.policy();
    let page_slug = slug.clone();
    let outcome = guard::signed_in(&req, &console, move |conn, admin| {
        let tenant = admin.tenant(conn, &slug)?;
        let policy = match wanted.validated() {
            Ok(policy) => policy,
            Err(problem) => return Ok(Err(problem.to_string())),
        };
        let before = TenantPolicy::from_settings(&tenant.settings);
        let changes = changed_keys(&before, &policy);
        upsignon_store::Store::transaction_on(conn, |conn| {
            tenants::set_settings(conn, &tenant.id, &policy.merge_into(&tenant.settings))?;
            audit::record(
                conn,
                &admin,
                Some(&tenant.id),
                "settings.update",
                Some(&tenant.slug),
                Some(changes.clone()),
            )
        })?;
        Ok(Ok(changes))
    })
    .await?;
    match outcome {
        Ok(changes) => {
            settings_page(
                &req,
                &console,
                page_slug,
                Some(format!(
                    "Saved ({changes}). Apps receive the change on their next request."
                )),
                None,
            )
            .await
        }
        Err(problem) => {
            let mut response = settings_page(
                &req,
                &console,
                page_slug,
                Some(format!("Not saved: {problem}.")),
                Some(wanted),
            )
            .await?;
            *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            Ok(response)
        }
    }
}

/// `csv_export: false -> true, ...` for the audit log; `no change` if none.
fn changed_keys(before: &TenantPolicy, after: &TenantPolicy) -> String {
    let (Ok(serde_json::Value::Object(before)), Ok(serde_json::Value::Object(after))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return String::new();
    };
    let changes: Vec<String> = after
        .iter()
        .filter(|(key, value)| before.get(*key) != Some(value))
        .map(|(key, value)| {
            format!(
                "{key}: {} -> {value}",
                before.get(key).unwrap_or(&serde_json::Value::Null)
            )
        })
        .collect();
    if changes.is_empty() {
        "no change".to_string()
    } else {
        changes.join(", ")
    }
}
