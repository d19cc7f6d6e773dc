//! The primary's replication endpoint, `GET /replication/snapshot`: a
//! fresh encrypted snapshot (a backup file) streamed to a standby that
//! proves the shared `replication_secret`. The route exists only when the
//! secret is configured; anyone without it gets 401 and a log line.

use std::fs::File;
use std::io::Read;
use std::sync::Arc;

use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse, get};
use serde_json::json;
use upsignon_config::Secret;

use crate::{AppContext, request_client_ip};

const CHUNK: usize = 64 * 1024;

/// Makes snapshots; the ops crate provides it (it owns the backup format).
pub trait SnapshotSource: Send + Sync {
    /// Writes a snapshot and returns it open, already unlinked from the
    /// filesystem, so nothing is left behind whatever happens to the request.
    fn snapshot(&self) -> Result<File, String>;
}

/// What the endpoint needs: the secret to check and where snapshots come from.
#[derive(Clone)]
pub struct Replication {
    pub secret: Secret,
    pub source: Arc<dyn SnapshotSource>,
}

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(snapshot);
}

#[get("/replication/snapshot")]
async fn snapshot(req: HttpRequest, ctx: web::Data<AppContext>) -> HttpResponse {
    let Some(replication) = ctx.replication.clone() else {
        return HttpResponse::NotFound().json(json!({ "error": "not_found" }));
    };
    if !proves_secret(&req, &replication.secret) {
        let ip = request_client_ip(&req, &ctx.trusted_proxies);
        tracing::warn!(
            client_ip = ip.map(|ip| ip.to_string()).unwrap_or_default(),
            "replication request refused: wrong or missing replication secret"
        );
        return HttpResponse::Unauthorized().json(json!({ "error": "unauthorized" }));
    }
    let source = replication.source.clone();
    let file = match web::block(move || source.snapshot()).await {
        Ok(Ok(file)) => file,
        Ok(Err(error)) => {
            tracing::error!(%error, "cannot make a replication snapshot");
            return HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "60"))
                .json(json!({ "error": "snapshot_failed" }));
        }
        Err(_) => return HttpResponse::InternalServerError().json(json!({ "error": "internal" })),
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    tracing::info!(bytes = length, "replication snapshot sent to a standby");
    HttpResponse::Ok()
        .content_type("application/octet-stream")
        .no_chunking(length)
        .streaming(chunks(file))
}

/// The file, 64 KiB at a time, read off the async workers.
fn chunks(file: File) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let read = web::block(move || {
            let mut buf = vec![0; CHUNK];
            let n = file.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((file, buf))
        })
        .await;
        match read {
            Ok(Ok((_, buf))) if buf.is_empty() => None,
            Ok(Ok((file, buf))) => Some((Ok(Bytes::from(buf)), Some(file))),
            Ok(Err(e)) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    })
}

/// `Authorization: Bearer <secret>`, compared in constant time.
fn proves_secret(req: &HttpRequest, secret: &Secret) -> bool {
    let Some(given) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    crate::proofs::constant_time_eq(given.as_bytes(), secret.expose().as_bytes())
}
