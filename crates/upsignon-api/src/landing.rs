//! The page at `/`: what this server is, its version, and where to go next
//! (the admin console, the health endpoint, the API document). Someone who
//! opens the "Server URL" that `install` printed lands here instead of on a
//! JSON error. Nothing secret, no script, no request to the database.

use actix_web::{HttpResponse, get, web};

use crate::SERVER_VERSION;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(landing);
}

#[get("/")]
async fn landing() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        // The default policy allows nothing; this page has inline style.
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ))
        .body(page())
}

fn page() -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>UpSignOn PRO server</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}code{{background:#f2f2f2;padding:0 .2rem}}</style>
</head>
<body>
<h1>UpSignOn PRO server</h1>
<p>Version {SERVER_VERSION}. This server keeps the end-to-end encrypted vaults of the UpSignOn PRO apps; the apps reach it at <code>/TENANT/api2/</code>.</p>
<ul>
<li><a href="/console/">Admin console</a>: sign in, approve devices, manage tenants.</li>
<li><a href="/health/ready">Health</a>: whether the server is ready (for monitoring).</li>
<li><a href="/openapi.json">API document</a> (OpenAPI).</li>
</ul>
</body>
</html>
"#
    )
}
