//! The console's URL map under `/console/`, and the headers every console
//! answer carries (a Content-Security-Policy that allows no script at all).

use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, web};

use crate::Console;
use crate::error::ConsoleError;
use crate::pages::{
    admins, allowed_emails, approvals, audit_log, overview, settings, setup, shared_vaults,
    sign_in, statistics, status, tenants, users,
};

/// No script, no framing, styles and images from the console only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const CSS: &str = include_str!("../static/console.css");

/// Adds the console to an actix application (the server calls it when it
/// builds its app).
pub fn configure(console: web::Data<Console>) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg| {
        cfg.service(
            web::scope("/console")
                .app_data(console.clone())
                .app_data(
                    web::FormConfig::default()
                        .limit(16 * 1024)
                        .error_handler(|error, _| ConsoleError::BadForm(error.to_string()).into()),
                )
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|error, _| ConsoleError::BadForm(error.to_string()).into()),
                )
                .wrap(actix_web::middleware::from_fn(
                    crate::form_text::refuse_control_characters,
                ))
                .wrap(
                    DefaultHeaders::new()
                        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
                        .add(("Cross-Origin-Opener-Policy", "same-origin"))
                        .add(("Cross-Origin-Resource-Policy", "same-origin")),
                )
                .route("", web::get().to(home))
                .route("/", web::get().to(tenants::list))
                .route("/static/console.css", web::get().to(css))
                .route("/sign-in", web::get().to(sign_in::form))
                .route("/sign-in", web::post().to(sign_in::submit))
                .route("/sign-out", web::post().to(sign_in::sign_out))
                .route("/setup", web::get().to(setup::form))
                .route("/setup", web::post().to(setup::submit))
                .route("/setup/totp", web::get().to(setup::totp_form))
                .route("/setup/totp", web::post().to(setup::totp_submit))
                .route("/tenants", web::post().to(tenants::create))
                .route("/admins", web::get().to(admins::list))
                .route("/admins", web::post().to(admins::invite))
                .route("/admins/{id}/delete", web::post().to(admins::remove))
                .route("/audit", web::get().to(audit_log::show))
                .route("/audit.csv", web::get().to(audit_log::export))
                .route("/status", web::get().to(status::show))
                .service(tenant_pages()),
        );
    }
}

fn tenant_pages() -> actix_web::Scope {
    web::scope("/t/{slug}")
        .route("", web::get().to(overview::show))
        .route("/users", web::get().to(users::list))
        .route("/users/{id}/delete", web::post().to(users::delete_user))
        .route("/devices/{id}/revoke", web::post().to(users::revoke_device))
        .route(
            "/devices/{id}/approve",
            web::post().to(approvals::approve_device),
        )
        .route("/approvals", web::get().to(approvals::list))
        .route("/resets/{id}/grant", web::post().to(approvals::grant_reset))
        .route("/allowed-emails", web::get().to(allowed_emails::list))
        .route("/allowed-emails", web::post().to(allowed_emails::add))
        .route(
            "/allowed-emails/{id}/delete",
            web::post().to(allowed_emails::remove),
        )
        .route("/shared-vaults", web::get().to(shared_vaults::list))
        .route("/statistics", web::get().to(statistics::show))
        .route("/settings", web::get().to(settings::show))
        .route("/settings", web::post().to(settings::save))
}

async fn home() -> HttpResponse {
    crate::error::redirect("/console/")
}

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(CSS)
}
