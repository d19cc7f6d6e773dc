//! While the server stops (SIGTERM), every answer says `Connection: close`:
//! an app that just got its answer opens a new connection for its next
//! request (refused, so it retries elsewhere) instead of writing into a
//! kept-alive connection the server is about to close.

use std::sync::atomic::Ordering;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::AppContext;

pub(crate) async fn close_when_draining(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let draining = req
        .app_data::<web::Data<AppContext>>()
        .map(|ctx| ctx.draining.clone());
    let mut response = next.call(req).await?;
    if draining.is_some_and(|d| d.load(Ordering::Relaxed)) {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}
