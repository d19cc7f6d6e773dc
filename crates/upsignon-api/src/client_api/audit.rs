//! `log-event`: the app reports a security-relevant event (an export, an
//! unlock from a new place...) into the tenant's audit log, with the
//! client IP. Server-side actions are recorded through [`record`] too.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use upsignon_store::AnyConnection;
use upsignon_store::queries::audit;

use super::ApiError;
use super::context::{SignedIn, now_ms, with_session};
use crate::{AppContext, request_client_ip};

/// Events an app may report; anything else is refused, so the log stays
/// a list of known actions.
const APP_EVENTS: &[&str] = &[
    "csv_export",
    "vault_unlocked",
    "password_copied",
    "autofill_used",
    "master_password_changed",
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Request {
    event: String,
    details: Option<String>,
}

pub(crate) async fn log_event(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<Request>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    if !APP_EVENTS.contains(&request.event.as_str()) {
        return Err(ApiError::BadRequest {
            code: "unknown_event",
            detail: format!("event must be one of {}", APP_EVENTS.join(", ")),
        });
    }
    if request
        .details
        .as_ref()
        .is_some_and(|d| d.chars().count() > 500)
    {
        return Err(ApiError::BadRequest {
            code: "invalid_field",
            detail: "details is at most 500 characters".to_string(),
        });
    }
    let ip = client_ip_text(&req, &ctx);
    with_session(&req, &ctx, move |conn, session| {
        let action = format!("app.{}", request.event);
        record(
            conn,
            &session,
            &action,
            None,
            ip.as_deref(),
            request.details.as_deref(),
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Appends an entry for the signed-in user to their tenant's audit log.
pub(crate) fn record(
    conn: &mut AnyConnection,
    session: &SignedIn,
    action: &str,
    target: Option<&str>,
    ip: Option<&str>,
    details: Option<&str>,
) -> Result<(), ApiError> {
    audit::insert(
        conn,
        &audit::AuditRow {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: Some(session.tenant.id.clone()),
            actor_kind: "user".to_string(),
            actor: session.user_email.clone(),
            action: action.to_string(),
            target: target.map(str::to_string),
            ip: ip.map(str::to_string),
            details: details.map(str::to_string),
            created_at: now_ms(),
        },
    )?;
    Ok(())
}

/// The client's IP as the request log sees it (trusted proxies honoured).
pub(crate) fn client_ip_text(req: &HttpRequest, ctx: &AppContext) -> Option<String> {
    request_client_ip(req, &ctx.trusted_proxies).map(|ip| ip.to_string())
}
