//! What the client API answers when it refuses: an HTTP status and a stable
//! `error` code that apps branch on, never internal error text (that goes
//! to the log).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};
use upsignon_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (400).
    #[error("bad request: {code}")]
    BadRequest { code: &'static str, detail: String },
    /// Who is asking is not proven (401), with what the client needs next.
    #[error("unauthorized: {code}")]
    Unauthorized { code: &'static str, extra: Value },
    /// Proven, but refused (403).
    #[error("forbidden: {code}")]
    Forbidden { code: &'static str, extra: Value },
    #[error("unknown tenant")]
    UnknownTenant,
    /// The tenant moved to another server (410), which apps follow.
    #[error("tenant moved")]
    Moved { new_url: Option<String> },
    /// A stale write (409): the client refetches, merges, retries.
    #[error("outdated: current version {current}")]
    Outdated { current: i64 },
    /// The server is in maintenance (a rollback under way): apps retry later
    /// and keep working offline meanwhile.
    #[error("unavailable: {reason}")]
    Unavailable { reason: &'static str },
    /// Too many attempts from this address or on this account (429): the
    /// client waits `retry_after_secs`.
    #[error("too many requests: retry after {retry_after_secs} s")]
    TooMany { retry_after_secs: u64 },
    /// A value larger than the server takes (413).
    #[error("too large: {code}")]
    TooLarge { code: &'static str, detail: String },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// 413 `vault_too_large` when `data` is longer than `max` bytes.
    pub fn check_vault_size(data: &str, max: usize) -> Result<(), ApiError> {
        if data.len() > max {
            return Err(Self::TooLarge {
                code: "vault_too_large",
                detail: format!(
                    "the encrypted vault is {} bytes; this server takes at most {max} (vault_max_bytes)",
                    data.len()
                ),
            });
        }
        Ok(())
    }

    pub fn unauthorized(code: &'static str) -> Self {
        Self::Unauthorized {
            code,
            extra: json!({}),
        }
    }

    pub fn forbidden(code: &'static str) -> Self {
        Self::Forbidden {
            code,
            extra: json!({}),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        if error.is_unreachable() {
            tracing::warn!(%error, "client API request: database unreachable");
            return Self::Unavailable {
                reason: "database_unavailable",
            };
        }
        Self::Internal(error.to_string())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::UnknownTenant => StatusCode::NOT_FOUND,
            Self::Moved { .. } => StatusCode::GONE,
            Self::Outdated { .. } => StatusCode::CONFLICT,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            Self::BadRequest { code, detail } | Self::TooLarge { code, detail } => {
                json!({ "error": code, "detail": detail })
            }
            Self::Unauthorized { code, extra } | Self::Forbidden { code, extra } => {
                let mut body = json!({ "error": code });
                if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
                    body.extend(extra.clone());
                }
                body
            }
            Self::UnknownTenant => json!({ "error": "unknown_tenant" }),
            Self::Moved { new_url } => json!({ "error": "tenant_moved", "newUrl": new_url }),
            Self::Outdated { current } => json!({ "error": "outdated", "currentVersion": current }),
            Self::Unavailable { reason } => {
                return HttpResponse::ServiceUnavailable()
                    .insert_header(("Retry-After", "30"))
                    .json(json!({ "error": "unavailable", "reason": reason }));
            }
            Self::TooMany { retry_after_secs } => {
                return HttpResponse::TooManyRequests()
                    .insert_header(("Retry-After", retry_after_secs.to_string()))
                    .json(
                        json!({ "error": "too_many_requests", "retryAfterSecs": retry_after_secs }),
                    );
            }
            Self::Internal(detail) => {
                tracing::error!(%detail, "client API request failed");
                json!({ "error": "internal" })
            }
        };
        HttpResponse::build(self.status_code()).json(body)
    }
}
