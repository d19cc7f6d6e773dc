//! Server status: version, schema, backups and their verification, the
//! standby's lag, as the operations side reports them.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;

use crate::Console;
use crate::error::ConsoleError;
use crate::guard;
use crate::html::layout::{self, page};

pub async fn show(
    req: HttpRequest,
    console: web::Data<Console>,
) -> Result<HttpResponse, ConsoleError> {
    let status = console.status.clone();
    let admin = guard::signed_in(&req, &console, |_, admin| {
        // Paths, the primary's address and fix hints are the server's, not a tenant's.
        admin.require_super()?;
        Ok(admin)
    })
    .await?;
    let lines = web::block(move || status.lines())
        .await
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    Ok(layout::ok(page(
        "Server status",
        &admin,
        None,
        "status",
        None,
        html! {
            div.scroll { table.status {
                tbody {
                    tr { th { "Version" } td { (upsignon_api::SERVER_VERSION) } td.ok { "OK" } }
                    @for line in &lines {
                        tr {
                            th { (line.label) }
                            td { (line.value) }
                            @if line.ok { td.ok { "OK" } } @else { td.bad { "Check" } }
                        }
                    }
                }
            } }
            p.hint { "The same checks, and more, from a shell: " code { "upsignon doctor" } "." }
        },
    )))
}
