//! Who may enrol: exact addresses or whole domains (`*@example.com`).

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;
use upsignon_domain::Email;
use upsignon_store::queries::users;

use crate::error::{ConsoleError, redirect};
use crate::guard;
use crate::html::format::date_time;
use crate::html::layout::{self, action_button, csrf_field, page};
use crate::pages::sign_in::CsrfForm;
use crate::session::now_ms;
use crate::{Console, audit};

pub async fn list(
    req: HttpRequest,
    console: web::Data<Console>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    list_page(&req, &console, slug.into_inner(), None).await
}

async fn list_page(
    req: &HttpRequest,
    console: &web::Data<Console>,
    slug: String,
    notice: Option<String>,
) -> Result<HttpResponse, ConsoleError> {
    let (admin, tenant, patterns) = guard::signed_in(req, console, move |conn, admin| {
        let tenant = admin.tenant(conn, &slug)?;
        let patterns = users::allowed_emails(conn, &tenant.id)?;
        Ok((admin, tenant, patterns))
    })
    .await?;
    let base = format!("/console/t/{}/allowed-emails", tenant.slug);
    Ok(layout::ok(page(
        "Allowed emails",
        &admin,
        Some(&tenant),
        "/allowed-emails",
        notice.as_deref(),
        html! {
            p { "Only these addresses may enrol a device. " code { "*@example.com" } " allows a whole domain." }
            form.row method="post" action=(base) {
                (csrf_field(&admin.csrf))
                label { "Address or *@domain" input type="text" name="pattern" required maxlength="254"; }
                button type="submit" { "Allow" }
            }
            @if patterns.is_empty() { p { "No address is allowed yet: nobody can enrol." } }
            @else {
                div.scroll { table {
                    thead { tr { th { "Pattern" } th { "Added" } th {} } }
                    tbody {
                        @for pattern in &patterns {
                            tr {
                                td { code { (pattern.pattern) } }
                                td { (date_time(Some(pattern.created_at))) }
                                td { (action_button(&format!("{base}/{}/delete", pattern.id), &admin.csrf, "Remove", true)) }
                            }
                        }
                    }
                } }
            }
        },
    )))
}

/// An address, or `*@` and a domain (checked as the address `x@domain`).
fn parse_pattern(raw: &str) -> Result<String, String> {
    let raw = raw.trim().to_lowercase();
    let check = match raw.strip_prefix("*@") {
        Some(domain) => format!("x@{domain}"),
        None => raw.clone(),
    };
    Email::parse(&check).map(|_| raw).map_err(|e| {
        format!(
            "{e}. Type an address such as user@example.com, or *@example.com for a whole domain."
        )
    })
}

#[derive(Deserialize)]
pub struct NewPattern {
    #[serde(default)]
    csrf: String,
    pattern: String,
}

pub async fn add(
    req: HttpRequest,
    console: web::Data<Console>,
    slug: web::Path<String>,
    form: web::Form<NewPattern>,
) -> Result<HttpResponse, ConsoleError> {
    let slug = slug.into_inner();
    let form = form.into_inner();
    guard::check_form(&req, &form.csrf)?;
    let page_slug = slug.clone();
    let outcome = guard::signed_in(&req, &console, move |conn, admin| {
        let tenant = admin.tenant(conn, &slug)?;
        let pattern = match parse_pattern(&form.pattern) {
            Ok(pattern) => pattern,
            Err(problem) => return Ok(Err(problem)),
        };
        if users::allowed_patterns(conn, &tenant.id)?.contains(&pattern) {
            return Ok(Err(format!("{pattern} is allowed already.")));
        }
        let id = uuid::Uuid::new_v4().to_string();
        upsignon_store::Store::transaction_on(conn, |conn| {
            users::allow_pattern(conn, &id, &tenant.id, &pattern, now_ms())?;
            audit::record(
                conn,
                &admin,
                Some(&tenant.id),
                "allowed_email.add",
                Some(&pattern),
                None,
            )
        })?;
        Ok(Ok(()))
    })
    .await?;
    match outcome {
        Ok(()) => Ok(redirect(&format!("/console/t/{page_slug}/allowed-emails"))),
        Err(problem) => {
            let mut response = list_page(&req, &console, page_slug, Some(problem)).await?;
            *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            Ok(response)
        }
    }
}

pub async fn remove(
    req: HttpRequest,
    console: web::Data<Console>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    let (slug, id) = path.into_inner();
    let form = form.into_inner();
    guard::check_form(&req, &form.csrf)?;
    let back = guard::signed_in(&req, &console, move |conn, admin| {
        let tenant = admin.tenant(conn, &slug)?;
        let pattern = users::allowed_emails(conn, &tenant.id)?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(ConsoleError::NotFound)?;
        upsignon_store::Store::transaction_on(conn, |conn| {
            users::remove_allowed_email(conn, &tenant.id, &pattern.id)?;
            audit::record(
                conn,
                &admin,
                Some(&tenant.id),
                "allowed_email.remove",
                Some(&pattern.pattern),
                None,
            )
        })?;
        Ok(format!("/console/t/{}/allowed-emails", tenant.slug))
    })
    .await?;
    Ok(redirect(&back))
}
