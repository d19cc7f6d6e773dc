//! The audit log: filter by tenant, actor and action; export as CSV. Read
//! only: nothing in the console edits or deletes an entry.

use actix_web::http::header::{CONTENT_DISPOSITION, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;
use upsignon_store::queries::audit::{self, AuditFilter, AuditRow};
use upsignon_store::queries::tenants::{self, TenantRow};

use crate::Console;
use crate::error::ConsoleError;
use crate::guard::{self, SignedIn};
use crate::html::format::{date_time, percent_encode};
use crate::html::layout::{self, page};

/// Entries shown on the page; the CSV export goes further.
const PAGE_LIMIT: i64 = 200;
const EXPORT_LIMIT: i64 = 100_000;

#[derive(Deserialize, Clone, Default)]
pub struct Query {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
}

/// The entries this admin may read: a tenant admin only their tenants'.
fn search(
    conn: &mut upsignon_store::AnyConnection,
    admin: &SignedIn,
    query: &Query,
    limit: i64,
) -> Result<(Vec<AuditRow>, Vec<TenantRow>), ConsoleError> {
    let visible: Vec<TenantRow> = tenants::list(conn)?
        .into_iter()
        .filter(|t| admin.may_manage(&t.id))
        .collect();
    let tenant_ids = if query.tenant.is_empty() {
        (!admin.is_super()).then(|| visible.iter().map(|t| t.id.clone()).collect())
    } else {
        let tenant = admin.tenant(conn, &query.tenant)?;
        Some(vec![tenant.id])
    };
    let filter = AuditFilter {
        tenant_ids,
        actor_contains: query.actor.trim().to_string(),
        action: query.action.trim().to_string(),
        since: None,
    };
    Ok((audit::search(conn, &filter, limit)?, visible))
}

pub async fn show(
    req: HttpRequest,
    console: web::Data<Console>,
    query: web::Query<Query>,
) -> Result<HttpResponse, ConsoleError> {
    let query = query.into_inner();
    let wanted = query.clone();
    let (admin, rows, visible) = guard::signed_in(&req, &console, move |conn, admin| {
        let (rows, visible) = search(conn, &admin, &wanted, PAGE_LIMIT)?;
        Ok((admin, rows, visible))
    })
    .await?;
    let slug_of = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| visible.iter().find(|t| &t.id == id))
            .map_or("-".to_string(), |t| t.slug.clone())
    };
    let export = format!(
        "/console/audit.csv?tenant={}&actor={}&action={}",
        percent_encode(&query.tenant),
        percent_encode(&query.actor),
        percent_encode(&query.action)
    );
    Ok(layout::ok(page(
        "Audit log",
        &admin,
        None,
        "audit",
        None,
        html! {
            form.row method="get" action="/console/audit" role="search" {
                label { "Tenant"
                    select name="tenant" {
                        option value="" { "All" }
                        @for t in &visible { option value=(t.slug) selected[t.slug == query.tenant] { (t.name) } }
                    }
                }
                label { "Who (contains)" input type="search" name="actor" value=(query.actor); }
                label { "Action" input type="search" name="action" value=(query.action) placeholder="e.g. device.revoke"; }
                button type="submit" { "Filter" }
                a.button href=(export) { "Export CSV" }
            }
            div.scroll { table.audit {
                thead { tr { th { "When" } th { "Who" } th { "Action" } th { "Target" } th { "Tenant" } th { "From" } th { "Details" } } }
                tbody {
                    @for row in &rows {
                        tr {
                            td { (date_time(Some(row.created_at))) }
                            td { (row.actor_kind) ": " (row.actor) }
                            td { code { (row.action) } }
                            td { (row.target.as_deref().unwrap_or("-")) }
                            td { (slug_of(&row.tenant_id)) }
                            td { (row.ip.as_deref().unwrap_or("-")) }
                            td { (row.details.as_deref().unwrap_or("")) }
                        }
                    }
                }
            } }
            @if rows.len() as i64 == PAGE_LIMIT { p.hint { "The newest " (PAGE_LIMIT) " entries are shown; narrow the filter or export the CSV for more." } }
        },
    )))
}

pub async fn export(
    req: HttpRequest,
    console: web::Data<Console>,
    query: web::Query<Query>,
) -> Result<HttpResponse, ConsoleError> {
    let query = query.into_inner();
    let csv = guard::signed_in(&req, &console, move |conn, admin| {
        let (rows, visible) = search(conn, &admin, &query, EXPORT_LIMIT)?;
        crate::audit::record(
            conn,
            &admin,
            None,
            "audit.export",
            None,
            Some(format!("{} entries", rows.len())),
        )?;
        Ok(to_csv(&rows, &visible))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(ContentType(mime_csv()))
        .insert_header((
            CONTENT_DISPOSITION,
            "attachment; filename=\"upsignon-audit.csv\"",
        ))
        .body(csv))
}

fn mime_csv() -> actix_web::mime::Mime {
    "text/csv; charset=utf-8"
        .parse()
        .unwrap_or(actix_web::mime::TEXT_PLAIN_UTF_8)
}

fn to_csv(rows: &[AuditRow], tenants: &[TenantRow]) -> String {
    let mut out = String::from("time_utc,actor_kind,actor,action,target,tenant,ip,details\r\n");
    for row in rows {
        let tenant = row
            .tenant_id
            .as_ref()
            .and_then(|id| tenants.iter().find(|t| &t.id == id))
            .map_or("", |t| t.slug.as_str());
        let fields = [
            date_time(Some(row.created_at)),
            row.actor_kind.clone(),
            row.actor.clone(),
            row.action.clone(),
            row.target.clone().unwrap_or_default(),
            tenant.to_string(),
            row.ip.clone().unwrap_or_default(),
            row.details.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Quotes a field, and defuses text a spreadsheet would run as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    format!("\"{}\"", value.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=cmd()"), "\"'=cmd()\"");
    }
}
