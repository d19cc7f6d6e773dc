//! Password-strength statistics: the tenant's history as a chart, and one
//! chart per personal vault and per shared vault.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use upsignon_domain::stats::{DAY_MS, Report, StrengthCounts, daily_totals};
use upsignon_store::AnyConnection;
use upsignon_store::queries::stats::{self, StatsRow};
use upsignon_store::queries::{shared_vaults, users};

use crate::Console;
use crate::error::ConsoleError;
use crate::guard;
use crate::html::chart::strength_chart;
use crate::html::layout::{self, page};
use crate::session::now_ms;

/// Days of history the charts show.
pub const DAYS: usize = 30;

pub fn report(row: &StatsRow) -> Report {
    Report {
        owner: row
            .user_id
            .clone()
            .or_else(|| row.shared_vault_id.clone())
            .unwrap_or_default(),
        at_ms: row.recorded_at,
        counts: StrengthCounts {
            accounts: row.nb_accounts.into(),
            strong: row.nb_strong.into(),
            medium: row.nb_medium.into(),
            weak: row.nb_weak.into(),
            duplicated: row.nb_duplicated.into(),
        },
    }
}

/// The tenant's chart over the last [`DAYS`] days.
pub fn tenant_chart(conn: &mut AnyConnection, tenant_id: &str) -> Result<Markup, ConsoleError> {
    let now = now_ms();
    // Reports older than the window still count as each vault's latest.
    let rows = stats::for_tenant(conn, tenant_id, 0)?;
    let reports: Vec<Report> = rows.iter().map(report).collect();
    Ok(strength_chart(
        "Whole tenant",
        &daily_totals(&reports, now, DAYS),
    ))
}

pub async fn show(
    req: HttpRequest,
    console: web::Data<Console>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let slug = slug.into_inner();
    let (admin, tenant, tenant_chart, vault_charts) =
        guard::signed_in(&req, &console, move |conn, admin| {
            let tenant = admin.tenant(conn, &slug)?;
            let chart = tenant_chart(conn, &tenant.id)?;
            let rows = stats::for_tenant(conn, &tenant.id, now_ms() - 365 * DAY_MS)?;
            let mut charts = Vec::new();
            for user in users::list_for_tenant(conn, &tenant.id, "", 200)? {
                let mine: Vec<Report> = rows
                    .iter()
                    .filter(|r| r.user_id.as_deref() == Some(user.id.as_str()))
                    .map(report)
                    .collect();
                if !mine.is_empty() {
                    charts.push((format!("Vault of {}", user.email), mine));
                }
            }
            for vault in shared_vaults::for_tenant(conn, &tenant.id)? {
                let mine: Vec<Report> = rows
                    .iter()
                    .filter(|r| r.shared_vault_id.as_deref() == Some(vault.id.as_str()))
                    .map(report)
                    .collect();
                if !mine.is_empty() {
                    charts.push((format!("Shared vault {}", vault.name), mine));
                }
            }
            Ok((admin, tenant, chart, charts))
        })
        .await?;
    let now = now_ms();
    Ok(layout::ok(page(
        "Statistics",
        &admin,
        Some(&tenant),
        "/statistics",
        None,
        html! {
            p { "Password strength as the apps report it (the server never sees the passwords). Each day counts every vault's latest report." }
            h2 { "Whole tenant, last " (DAYS) " days" }
            (tenant_chart)
            @for (title, reports) in &vault_charts {
                h2 { (title) }
                (strength_chart(title, &daily_totals(reports, now, DAYS)))
            }
            @if vault_charts.is_empty() { p { "No vault has reported statistics yet." } }
        },
    )))
}
