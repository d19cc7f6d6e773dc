//! A tenant's overview: its counts, what waits for an admin, and the
//! password-strength trend.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use upsignon_store::queries::{devices, recovery, tenants};

use crate::Console;
use crate::error::ConsoleError;
use crate::guard;
use crate::html::layout::{self, page};
use crate::pages::statistics;

pub async fn show(
    req: HttpRequest,
    console: web::Data<Console>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let slug = slug.into_inner();
    let (admin, tenant, counts, waiting, resets, chart) =
        guard::signed_in(&req, &console, move |conn, admin| {
            let tenant = admin.tenant(conn, &slug)?;
            let counts = tenants::counts(conn, &tenant.id)?;
            let waiting = devices::waiting_for_tenant(conn, &tenant.id)?.len();
            let resets = recovery::pending_for_tenant(conn, &tenant.id)?.len();
            let chart = statistics::tenant_chart(conn, &tenant.id)?;
            Ok((admin, tenant, counts, waiting, resets, chart))
        })
        .await?;
    let base = format!("/console/t/{}", tenant.slug);
    Ok(layout::ok(page(
        &tenant.name,
        &admin,
        Some(&tenant),
        "",
        None,
        html! {
            ul.cards {
                li { span.big { (counts.users) } " users" }
                li { span.big { (counts.authorized_devices) } " authorised devices" }
                li { span.big { (counts.shared_vaults) } " shared vaults" }
                li { a href={ (base) "/approvals" } { span.big { (waiting + resets) } " waiting for an admin" } }
            }
            p { "Apps reach this tenant at " code { "/" (tenant.slug) "/api2/" } "." }
            h2 { "Password strength, last " (statistics::DAYS) " days" }
            (chart)
        },
    )))
}
