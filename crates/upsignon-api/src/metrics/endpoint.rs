use actix_web::{HttpRequest, HttpResponse, get, web};
use serde_json::json;

use super::Snapshot;
use crate::AppContext;
use crate::client_api::bearer;
use crate::proofs::{constant_time_eq, sha256_hex};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(metrics);
}

/// `GET /metrics` with `Authorization: Bearer <metrics_token>`. Without a
/// configured token the route does not exist (404); a wrong or missing
/// token is 401.
#[get("/metrics")]
async fn metrics(req: HttpRequest, ctx: web::Data<AppContext>) -> HttpResponse {
    let Some(expected) = &ctx.metrics_token else {
        return HttpResponse::NotFound().json(json!({ "error": "not_found" }));
    };
    let given = bearer(&req).unwrap_or_default();
    // Hashes first, so the comparison takes as long whatever the lengths.
    let (given, expected) = (sha256_hex(&given), sha256_hex(expected.expose()));
    if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", "Bearer"))
            .json(json!({ "error": "bad_metrics_token" }));
    }
    let snapshot = snapshot(&ctx).await;
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(ctx.metrics.render(snapshot))
}

/// Reads the scrape-time figures off the async workers (the schema and the
/// backup directory are I/O).
async fn snapshot(ctx: &AppContext) -> Snapshot {
    let store = ctx.store.clone();
    let backups = ctx.backups.clone();
    let (schema, backups) = web::block(move || {
        let schema = store
            .schema_status()
            .ok()
            .and_then(|s| s.head().map(str::to_string));
        (schema, backups.map(|b| b.figures()))
    })
    .await
    .unwrap_or((None, None));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Snapshot {
        pool: ctx.store.pool_usage(),
        schema,
        backups,
        standby_age_secs: ctx
            .role
            .report()
            // A standby with no data yet lags without bound.
            .map(|report| {
                report
                    .data_age_secs(now)
                    .map_or(f64::INFINITY, |s| s as f64)
            }),
    }
}
