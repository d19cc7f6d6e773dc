//! The page shell: head, the admin's navigation, the tenant's tabs, and a
//! notice line; and the bare page used for messages and errors.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, HttpResponseBuilder};
use maud::{DOCTYPE, Markup, html};
use upsignon_store::queries::tenants::TenantRow;

use crate::guard::SignedIn;

/// The tabs of a tenant's pages: (path under the tenant, label).
pub const TENANT_TABS: &[(&str, &str)] = &[
    ("", "Overview"),
    ("/users", "Users"),
    ("/approvals", "Approvals"),
    ("/allowed-emails", "Allowed emails"),
    ("/shared-vaults", "Shared vaults"),
    ("/statistics", "Statistics"),
    ("/settings", "Settings"),
];

pub fn html_response(builder: &mut HttpResponseBuilder, page: Markup) -> HttpResponse {
    builder
        .insert_header(ContentType::html())
        .body(page.into_string())
}

pub fn ok(page: Markup) -> HttpResponse {
    html_response(&mut HttpResponse::Ok(), page)
}

fn head(title: &str) -> Markup {
    html! {
        (DOCTYPE)
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { (title) " · UpSignOn console" }
        link rel="stylesheet" href="/console/static/console.css";
    }
}

/// A signed-in page. `tenant` adds the tenant's tabs, `active` marks the
/// current one (a path of [`TENANT_TABS`] or a global section).
pub fn page(
    title: &str,
    admin: &SignedIn,
    tenant: Option<&TenantRow>,
    active: &str,
    notice: Option<&str>,
    body: Markup,
) -> Markup {
    html! {
        (head(title))
        body {
            header.top {
                a.brand href="/console/" { "UpSignOn console" }
                nav.global {
                    a href="/console/" class=[(active == "tenants").then_some("on")] { "Tenants" }
                    a href="/console/admins" class=[(active == "admins").then_some("on")] { "Admins" }
                    a href="/console/audit" class=[(active == "audit").then_some("on")] { "Audit log" }
                    a href="/console/status" class=[(active == "status").then_some("on")] { "Server status" }
                }
                form.signout method="post" action="/console/sign-out" {
                    input type="hidden" name="csrf" value=(admin.csrf);
                    span.who { (admin.admin.email) }
                    button type="submit" { "Sign out" }
                }
            }
            @if let Some(tenant) = tenant {
                nav.tabs aria-label="Tenant pages" {
                    span.tenant { (tenant.name) }
                    @for (path, label) in TENANT_TABS {
                        a href={ "/console/t/" (tenant.slug) (path) }
                          class=[(active == *path).then_some("on")] { (label) }
                    }
                }
            }
            main {
                h1 { (title) }
                @if let Some(notice) = notice {
                    p.notice role="status" { (notice) }
                }
                (body)
            }
        }
    }
}

/// A page outside the signed-in area (sign-in, set-up, errors).
pub fn bare_page(title: &str, body: Markup) -> Markup {
    html! {
        (head(title))
        body.bare {
            main.narrow {
                p.brand { "UpSignOn console" }
                h1 { (title) }
                (body)
            }
        }
    }
}

pub fn message_page(title: &str, text: &str) -> Markup {
    bare_page(
        title,
        html! {
            p { (text) }
            p { a href="/console/" { "Back to the console" } }
        },
    )
}

/// A hidden CSRF field.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A one-button form posting to `action` (revoke, approve, delete...).
pub fn action_button(action: &str, csrf: &str, label: &str, danger: bool) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf_field(csrf))
            button type="submit" class=[danger.then_some("danger")] { (label) }
        }
    }
}
