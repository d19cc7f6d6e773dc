//! The console's home: the tenants this admin manages, with their counts;
//! super-admins also create tenants here.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;
use upsignon_domain::TenantSlug;
use upsignon_store::queries::tenants::{self, TenantRow};

use crate::error::{ConsoleError, redirect};
use crate::guard;
use crate::html::layout::{self, csrf_field, page};
use crate::session::now_ms;
use crate::{Console, audit};

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
    let (admin, rows) = guard::signed_in(req, console, |conn, admin| {
        let mut rows = Vec::new();
        for tenant in tenants::list(conn)? {
            if admin.may_manage(&tenant.id) {
                let counts = tenants::counts(conn, &tenant.id)?;
                rows.push((tenant, counts));
            }
        }
        Ok((admin, rows))
    })
    .await?;
    Ok(layout::ok(page(
        "Tenants",
        &admin,
        None,
        "tenants",
        notice.as_deref(),
        html! {
            div.scroll { table {
                thead { tr { th { "Tenant" } th { "Address" } th.num { "Users" } th.num { "Devices" } th.num { "Waiting" } th.num { "Shared vaults" } } }
                tbody {
                    @for (tenant, counts) in &rows {
                        tr {
                            td { a href={ "/console/t/" (tenant.slug) } { (tenant.name) } }
                            td { code { "/" (tenant.slug) "/" } }
                            td.num { (counts.users) }
                            td.num { (counts.authorized_devices) }
                            td.num { (counts.pending_devices) }
                            td.num { (counts.shared_vaults) }
                        }
                    }
                }
            } }
            @if rows.is_empty() { p { "You do not manage any tenant yet. A super-admin can grant you one." } }
            @if admin.is_super() {
                h2 { "New tenant" }
                form.row method="post" action="/console/tenants" {
                    (csrf_field(&admin.csrf))
                    label { "Name" input type="text" name="name" required maxlength="100"; }
                    label { "Address (lowercase letters, digits, dashes)" input type="text" name="slug" required maxlength="63"; }
                    button type="submit" { "Create tenant" }
                }
            }
        },
    )))
}

#[derive(Deserialize)]
pub struct NewTenant {
    #[serde(default)]
    csrf: String,
    name: String,
    slug: String,
}

pub async fn create(
    req: HttpRequest,
    console: web::Data<Console>,
    form: web::Form<NewTenant>,
) -> Result<HttpResponse, ConsoleError> {
    let form = form.into_inner();
    guard::check_form(&req, &form.csrf)?;
    let result = guard::signed_in(&req, &console, move |conn, admin| {
        admin.require_super()?;
        let slug = match TenantSlug::parse(form.slug.trim()) {
            Ok(slug) => slug,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let name = form.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Ok(Err("The name must be 1 to 100 characters.".to_string()));
        }
        if tenants::find_by_slug(conn, slug.as_str())?.is_some() {
            return Ok(Err(format!(
                "A tenant with the address /{}/ exists already.",
                slug.as_str()
            )));
        }
        let row = TenantRow {
            id: uuid::Uuid::new_v4().to_string(),
            slug: slug.as_str().to_string(),
            name: name.to_string(),
            settings: "{}".to_string(),
            stopped: false,
            new_url: None,
            created_at: now_ms(),
        };
        upsignon_store::Store::transaction_on(conn, |conn| {
            tenants::insert(conn, &row)?;
            audit::record(
                conn,
                &admin,
                Some(&row.id),
                "tenant.create",
                Some(&row.slug),
                None,
            )
        })?;
        Ok(Ok(row.slug))
    })
    .await?;
    match result {
        Ok(slug) => Ok(redirect(&format!("/console/t/{slug}"))),
        Err(problem) => {
            let mut response = list_page(&req, &console, Some(problem)).await?;
            *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            Ok(response)
        }
    }
}
