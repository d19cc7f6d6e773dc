use actix_web::{HttpResponse, get, web};
use serde_json::json;

use crate::{AppContext, SERVER_VERSION};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(live)
        .service(ready)
        .service(version)
        .service(openapi);
}

/// The OpenAPI document of the client API, kept in the repository
/// (`crates/upsignon-api/openapi.json`) and checked against the server's
/// answers by the tests.
pub const OPENAPI: &str = include_str!("../openapi.json");

#[get("/openapi.json")]
async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}

/// The process is up and answering.
#[get("/health/live")]
async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "live" }))
}

/// The server can serve: the database answers, its schema is exactly the
/// one this binary expects, no maintenance is under way and it is not a
/// standby (a standby answers 503 with how old its data is). Load balancers
/// and `upgrade` poll it.
#[get("/health/ready")]
async fn ready(ctx: web::Data<AppContext>) -> HttpResponse {
    if let Some(report) = ctx.role.report() {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        return HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "60"))
            .json(json!({
                "status": "not_ready",
                "reason": "standby",
                "version": SERVER_VERSION,
                "instance": ctx.instance,
                "schema": ctx.store.expected_schema(),
                "standby": {
                    "primary": report.primary,
                    "last_pull_unix": report.last_pull_unix,
                    "data_as_of_unix": report.data_as_of_unix,
                    "data_age_secs": report.data_age_secs(now),
                    "last_error": report.last_error,
                },
            }));
    }
    let store = ctx.store.clone();
    let status = web::block(move || {
        let status = store.schema_status()?;
        let maintenance = store.maintenance()?;
        Ok::<_, upsignon_store::StoreError>((status, maintenance))
    })
    .await;
    let (reason, schema) = match status {
        Ok(Ok((status, Some(_)))) => ("maintenance", status.head().map(str::to_string)),
        Ok(Ok((status, None))) if status.is_in_sync() => {
            let schema = status.head().unwrap_or_default().to_string();
            return HttpResponse::Ok()
                .json(json!({ "status": "ready", "version": SERVER_VERSION, "schema": schema, "instance": ctx.instance }));
        }
        Ok(Ok((status, None))) => ("schema_out_of_sync", status.head().map(str::to_string)),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check: database unreachable");
            ("database_unreachable", None)
        }
        Err(_) => ("database_unreachable", None),
    };
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "5"))
        .json(json!({ "status": "not_ready", "reason": reason, "version": SERVER_VERSION, "schema": schema, "instance": ctx.instance }))
}

/// What is running: the server version and the schema it was built for.
#[get("/version")]
async fn version(ctx: web::Data<AppContext>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "version": SERVER_VERSION,
        "schema": ctx.store.expected_schema(),
    }))
}
