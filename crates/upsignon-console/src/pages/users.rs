//! Users of a tenant: search, each user's devices, revoking a device and
//! deleting a user (with everything that is theirs).

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;
use upsignon_domain::DeviceStatus;
use upsignon_store::queries::{devices, users};

use crate::error::{ConsoleError, redirect};
use crate::guard;
use crate::html::format::date_time;
use crate::html::layout::{self, action_button, page};
use crate::pages::device_actions;
use crate::pages::sign_in::CsrfForm;
use crate::{Console, audit};

/// Users shown per page of search results.
const LIMIT: i64 = 100;

#[derive(Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

pub async fn list(
    req: HttpRequest,
    console: web::Data<Console>,
    slug: web::Path<String>,
    query: web::Query<Search>,
) -> Result<HttpResponse, ConsoleError> {
    let slug = slug.into_inner();
    let search = query.into_inner().q;
    let needle = search.clone();
    let (admin, tenant, found) = guard::signed_in(&req, &console, move |conn, admin| {
        let tenant = admin.tenant(conn, &slug)?;
        let mut found = Vec::new();
        for user in users::list_for_tenant(conn, &tenant.id, needle.trim(), LIMIT)? {
            let devices = devices::for_user(conn, &user.id)?;
            found.push((user, devices));
        }
        Ok((admin, tenant, found))
    })
    .await?;
    let base = format!("/console/t/{}", tenant.slug);
    Ok(layout::ok(page(
        "Users",
        &admin,
        Some(&tenant),
        "/users",
        None,
        html! {
            form.row method="get" action={ (base) "/users" } role="search" {
                label { "Email contains" input type="search" name="q" value=(search); }
                button type="submit" { "Search" }
            }
            @if found.is_empty() { p { "No user matches." } }
            @for (user, user_devices) in &found {
                section.user {
                    h2 { (user.email) }
                    p.meta { "Since " (date_time(Some(user.created_at)))
                        @if user.deactivated { " · deactivated" } }
                    div.scroll { table {
                        thead { tr { th { "Device" } th { "System" } th { "App" } th { "Status" } th { "Last seen" } th {} } }
                        tbody {
                            @for device in user_devices {
                                tr data-device=(device.id) {
                                    td { (device.name) }
                                    td { (device.os_family) " " (device.os_version.as_deref().unwrap_or("")) }
                                    td { (device.app_version.as_deref().unwrap_or("-")) }
                                    td.status { (device.status) }
                                    td { (date_time(device.last_seen_at)) }
                                    td {
                                        @if !DeviceStatus::parse(&device.status).is_some_and(DeviceStatus::is_revoked) {
                                            (action_button(&format!("{base}/devices/{}/revoke", device.id), &admin.csrf, "Revoke", true))
                                        }
                                    }
                                }
                            }
                        }
                    } }
                    (action_button(&format!("{base}/users/{}/delete", user.id), &admin.csrf, "Delete user and their vault", true))
                }
            }
        },
    )))
}

pub async fn revoke_device(
    req: HttpRequest,
    console: web::Data<Console>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    let to = DeviceStatus::RevokedByAdmin;
    device_actions::change(req, console, path, form, to, "/users").await
}

pub async fn delete_user(
    req: HttpRequest,
    console: web::Data<Console>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    let (slug, user_id) = path.into_inner();
    let form = form.into_inner();
    guard::check_form(&req, &form.csrf)?;
    let back = guard::signed_in(&req, &console, move |conn, admin| {
        let tenant = admin.tenant(conn, &slug)?;
        let user = users::find(conn, &tenant.id, &user_id)?.ok_or(ConsoleError::NotFound)?;
        upsignon_store::Store::transaction_on(conn, |conn| {
            users::delete(conn, &tenant.id, &user.id)?;
            audit::record(
                conn,
                &admin,
                Some(&tenant.id),
                "user.delete",
                Some(&user.email),
                None,
            )
        })?;
        Ok(format!("/console/t/{}/users", tenant.slug))
    })
    .await?;
    Ok(redirect(&back))
}
