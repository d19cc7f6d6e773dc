use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use serde_json::json;

use crate::AppContext;

/// Seconds a client is told to wait before asking a standby again.
const RETRY_AFTER_SECS: &str = "60";

/// On a standby, every route but health and version answers 503 with a
/// machine-readable reason, so apps stay in offline read mode and nothing
/// is ever written to a database the next pull replaces.
pub(crate) async fn refuse_on_standby(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let standby = req
        .app_data::<web::Data<AppContext>>()
        .is_some_and(|ctx| ctx.role.is_standby());
    if standby && !answers_on_standby(req.path()) {
        let response = HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", RETRY_AFTER_SECS))
            .json(json!({ "error": "unavailable", "reason": "standby" }));
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn answers_on_standby(path: &str) -> bool {
    path.starts_with("/health/") || path == "/version" || path == "/metrics"
}

#[cfg(test)]
mod tests {
    use super::answers_on_standby;

    #[test]
    fn only_health_version_and_metrics_answer_on_a_standby() {
        for path in ["/health/live", "/health/ready", "/version", "/metrics"] {
            assert!(answers_on_standby(path), "{path}");
        }
        for path in ["/replication/snapshot", "/t/acme/config", "/", "/healthz"] {
            assert!(!answers_on_standby(path), "{path}");
        }
    }
}
