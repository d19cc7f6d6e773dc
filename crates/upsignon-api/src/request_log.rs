use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::{AppContext, request_client_ip};

/// Logs one line per request: method, path (never the query string, which
/// may carry tokens), status, latency and client IP.
pub(crate) async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let trusted = req
        .app_data::<web::Data<AppContext>>()
        .map(|ctx| ctx.trusted_proxies.clone())
        .unwrap_or_default();
    let ip = request_client_ip(req.request(), &trusted);
    let response = next.call(req).await?;
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        client_ip = ip.map(|ip| ip.to_string()).unwrap_or_default(),
        "request"
    );
    Ok(response)
}
