//! `delete-account`: a user deletes their account and everything of it
//! (vault, devices, sessions, backups, statistics, memberships). Refused
//! while they are the only owner of a shared vault others still use: they
//! hand it over first. Shared vaults left without members go too.

use actix_web::{HttpRequest, HttpResponse, web};
use upsignon_domain::AccessLevel;
use upsignon_store::Store;
use upsignon_store::queries::{shared_vaults as shared, users};

use super::ApiError;
use super::audit::{client_ip_text, record};
use super::context::with_session;
use crate::AppContext;

pub(crate) async fn delete(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    let ip = client_ip_text(&req, &ctx);
    with_session(&req, &ctx, move |conn, session| {
        Store::transaction_on(conn, |conn| {
            let mut emptied = Vec::new();
            for (vault, _) in shared::for_user(conn, &session.user_id)? {
                // Two co-owners deleting their accounts at once: one waits.
                shared::lock(conn, &session.tenant.id, &vault.id)?;
                let members = shared::members(conn, &vault.id)?;
                let others: Vec<_> = members
                    .iter()
                    .filter(|(m, _)| m.user_id != session.user_id)
                    .collect();
                let another_owner = others
                    .iter()
                    .any(|(m, _)| AccessLevel::parse(&m.access_level) == Some(AccessLevel::Owner));
                if others.is_empty() {
                    emptied.push(vault.id);
                } else if !another_owner {
                    return Err(ApiError::forbidden("last_owner_error"));
                }
            }
            for id in emptied {
                shared::delete(conn, &id)?;
            }
            record(
                conn,
                &session,
                "account.delete",
                Some(&session.user_email),
                ip.as_deref(),
                None,
            )?;
            users::delete(conn, &session.tenant.id, &session.user_id)?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
