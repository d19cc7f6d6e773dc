//! Console admins: the list; super-admins invite (a one-time code, shown
//! once to the inviting super-admin) and remove admins.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;
use upsignon_domain::Email;
use upsignon_store::queries::admins::{self, AdminRow, SignInCodeRow};
use upsignon_store::queries::{admin_sessions, tenants};

use crate::error::{ConsoleError, redirect};
use crate::guard::{self, SUPER_ADMIN, TENANT_ADMIN};
use crate::html::format::date_time;
use crate::html::layout::{self, action_button, csrf_field, page};
use crate::pages::sign_in::CsrfForm;
use crate::session::now_ms;
use crate::{Console, audit, one_time_code};

/// How long an invitation code stays valid.
pub const INVITATION_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

pub async fn list(
    req: HttpRequest,
    console: web::Data<Console>,
) -> Result<HttpResponse, ConsoleError> {
    list_page(&req, &console, None).await
}

async fn list_page(
    req: &HttpRequest,
    console: &web::Data<Console>,
    notice: Option<String>,
) -> Result<HttpResponse, ConsoleError> {
    let (admin, rows, all_tenants) = guard::signed_in(req, console, |conn, admin| {
        let all_tenants = tenants::list(conn)?;
        let visible: Vec<&str> = all_tenants
            .iter()
            .filter(|t| admin.may_manage(&t.id))
            .map(|t| t.slug.as_str())
            .collect();
        let mut rows = Vec::new();
        for other in admins::list(conn)? {
            let mut slugs = admins::tenant_slugs(conn, &other.id)?;
            slugs.retain(|s| visible.contains(&s.as_str()));
            let visible = admin.is_super()
                || other.id == admin.admin.id
                || admins::tenant_ids(conn, &other.id)?
                    .iter()
                    .any(|t| admin.may_manage(t));
            if visible {
                rows.push((other, slugs));
            }
        }
        Ok((admin, rows, all_tenants))
    })
    .await?;
    Ok(layout::ok(page(
        "Admins",
        &admin,
        None,
        "admins",
        notice.as_deref(),
        html! {
            div.scroll { table {
                thead { tr { th { "Email" } th { "Role" } th { "Tenants" } th { "Last sign-in" } th {} } }
                tbody {
                    @for (other, slugs) in &rows {
                        tr {
                            td { (other.email) }
                            td { (role_label(&other.role)) }
                            td { @if other.role == SUPER_ADMIN { "all" } @else { (slugs.join(", ")) } }
                            td { (date_time(other.last_sign_in_at)) }
                            td {
                                @if admin.is_super() && other.id != admin.admin.id {
                                    (action_button(&format!("/console/admins/{}/delete", other.id), &admin.csrf, "Remove", true))
                                }
                            }
                        }
                    }
                }
            } }
            @if admin.is_super() {
                h2 { "Invite an admin" }
                form.row method="post" action="/console/admins" {
                    (csrf_field(&admin.csrf))
                    label { "Email" input type="email" name="email" required; }
                    label { "Role"
                        select name="role" {
                            option value=(TENANT_ADMIN) { "Tenant admin" }
                            option value=(SUPER_ADMIN) { "Super-admin (all tenants)" }
                        }
                    }
                    label { "Tenant (for a tenant admin)"
                        select name="tenant" {
                            @for tenant in &all_tenants { option value=(tenant.slug) { (tenant.name) } }
                        }
                    }
                    button type="submit" { "Invite" }
                }
            }
        },
    )))
}

fn role_label(role: &str) -> &'static str {
    if role == SUPER_ADMIN {
        "Super-admin"
    } else {
        "Tenant admin"
    }
}

#[derive(Deserialize)]
pub struct Invitation {
    #[serde(default)]
    csrf: String,
    email: String,
    role: String,
    tenant: Option<String>,
}

pub async fn invite(
    req: HttpRequest,
    console: web::Data<Console>,
    form: web::Form<Invitation>,
) -> Result<HttpResponse, ConsoleError> {
    let form = form.into_inner();
    guard::check_form(&req, &form.csrf)?;
    let code = one_time_code::new().map_err(ConsoleError::Internal)?;
    let stored = one_time_code::hash(&code);
    let outcome = guard::signed_in(&req, &console, move |conn, admin| {
        admin.require_super()?;
        let email = match Email::parse(form.email.trim()) {
            Ok(email) => email,
            Err(e) => return Ok(Err(format!("{e}. Type the admin's address."))),
        };
        if admins::find_by_email(conn, email.as_str())?.is_some() {
            return Ok(Err(format!("{} is an admin already.", email.as_str())));
        }
        let role = if form.role == SUPER_ADMIN {
            SUPER_ADMIN
        } else {
            TENANT_ADMIN
        };
        let tenant = match (role, form.tenant.as_deref()) {
            (TENANT_ADMIN, Some(slug)) => {
                Some(tenants::find_by_slug(conn, slug)?.ok_or(ConsoleError::NotFound)?)
            }
            (TENANT_ADMIN, None) => {
                return Ok(Err("Choose the tenant this admin manages.".to_string()));
            }
            _ => None,
        };
        let now = now_ms();
        let row = AdminRow {
            id: uuid::Uuid::new_v4().to_string(),
            email: email.as_str().to_string(),
            password_hash: None,
            totp_secret: None,
            role: role.to_string(),
            created_at: now,
            last_sign_in_at: None,
            failed_sign_ins: 0,
            locked_until: None,
            totp_last_step: None,
        };
        upsignon_store::Store::transaction_on(conn, |conn| {
            admins::insert(conn, &row)?;
            if let Some(tenant) = &tenant {
                admins::grant_tenant(conn, &row.id, &tenant.id)?;
            }
            admins::insert_sign_in_code(
                conn,
                &SignInCodeRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    admin_id: row.id.clone(),
                    code_hash: stored.clone(),
                    expires_at: now + INVITATION_LIFETIME_MS,
                    used_at: None,
                    created_at: now,
                },
            )?;
            audit::record(
                conn,
                &admin,
                tenant.as_ref().map(|t| t.id.as_str()),
                "admin.invite",
                Some(&row.email),
                Some(role.to_string()),
            )
        })?;
        Ok(Ok(row.email))
    })
    .await?;
    let notice = match outcome {
        Ok(email) => format!(
            "Invited {email}. Give them this one-time code, valid 24 hours, to use at /console/setup: {code}"
        ),
        Err(problem) => problem,
    };
    list_page(&req, &console, Some(notice)).await
}

pub async fn remove(
    req: HttpRequest,
    console: web::Data<Console>,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    let id = id.into_inner();
    let form = form.into_inner();
    guard::check_form(&req, &form.csrf)?;
    guard::signed_in(&req, &console, move |conn, admin| {
        admin.require_super()?;
        if id == admin.admin.id {
            return Err(ConsoleError::Forbidden);
        }
        let other = admins::find(conn, &id)?.ok_or(ConsoleError::NotFound)?;
        upsignon_store::Store::transaction_on(conn, |conn| {
            admin_sessions::delete_for_admin(conn, &other.id)?;
            admins::delete(conn, &other.id)?;
            audit::record(conn, &admin, None, "admin.remove", Some(&other.email), None)
        })
    })
    .await?;
    Ok(redirect("/console/admins"))
}
