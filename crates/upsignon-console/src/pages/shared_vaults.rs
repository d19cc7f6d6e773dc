//! Shared vaults of a tenant: members and their rights, the URL and login
//! of each account (kept in clear by design), and the latest strength
//! figures.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use upsignon_store::queries::{shared_vaults, stats};

use crate::Console;
use crate::error::ConsoleError;
use crate::guard;
use crate::html::format::date_time;
use crate::html::layout::{self, page};

pub async fn list(
    req: HttpRequest,
    console: web::Data<Console>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let slug = slug.into_inner();
    let (admin, tenant, vaults) = guard::signed_in(&req, &console, move |conn, admin| {
        let tenant = admin.tenant(conn, &slug)?;
        let mut vaults = Vec::new();
        for vault in shared_vaults::for_tenant(conn, &tenant.id)? {
            let members = shared_vaults::members(conn, &vault.id)?;
            let accounts = shared_vaults::accounts(conn, &vault.id)?;
            let latest = stats::for_shared_vault(conn, &vault.id)?.pop();
            vaults.push((vault, members, accounts, latest));
        }
        Ok((admin, tenant, vaults))
    })
    .await?;
    Ok(layout::ok(page(
        "Shared vaults",
        &admin,
        Some(&tenant),
        "/shared-vaults",
        None,
        html! {
            @if vaults.is_empty() { p { "No shared vault yet." } }
            @for (vault, members, accounts, latest) in &vaults {
                section.vault {
                    h2 { (vault.name) }
                    p.meta { "Updated " (date_time(Some(vault.updated_at)))
                        @if let Some(s) = latest {
                            " · " (s.nb_accounts) " accounts: " (s.nb_strong) " strong, " (s.nb_medium) " medium, " (s.nb_weak) " weak, " (s.nb_duplicated) " duplicated"
                        }
                    }
                    h3 { "Members" }
                    ul { @for (member, email) in members { li { (email) " · " (member.access_level) } } }
                    h3 { "Accounts" }
                    @if accounts.is_empty() { p { "None listed." } }
                    @else {
                        div.scroll { table {
                            thead { tr { th { "URLs" } th { "Login" } } }
                            tbody { @for account in accounts { tr { td { (urls(&account.urls)) } td { (account.login.as_deref().unwrap_or("-")) } } } }
                        } }
                    }
                }
            }
        },
    )))
}

/// The stored JSON list of URLs, as one line.
fn urls(stored: &str) -> String {
    serde_json::from_str::<Vec<String>>(stored)
        .map(|list| list.join(", "))
        .unwrap_or_else(|_| stored.to_string())
}
