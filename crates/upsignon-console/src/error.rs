//! What can go wrong in a console request, and the page each case shows.
//! Internal causes are logged, never shown.

use actix_web::http::StatusCode;
use actix_web::http::header::{LOCATION, RETRY_AFTER};
use actix_web::{HttpResponse, ResponseError};

use crate::html::layout;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No session, or it expired: back to the sign-in page.
    #[error("not signed in")]
    NotSignedIn,
    /// Signed in, but the second factor is not enrolled yet.
    #[error("second factor not enrolled")]
    NeedsTotp,
    /// The admin may not see or do this (another tenant, not a super-admin).
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// A form without its CSRF token, or from another site.
    #[error("missing or wrong form token")]
    Csrf,
    /// Too many failures from this address or for this account.
    #[error("too many attempts")]
    TooMany {
        retry_after_secs: u64,
        message: String,
    },
    /// The item is not in a state that allows this (a revoked device
    /// approved, a device approved before it proved its code).
    #[error("conflict")]
    Conflict,
    /// A form with missing or unreadable fields.
    #[error("unreadable form: {0}")]
    BadForm(String),
    /// A form field holding a control character (NUL, ESC, DEL...).
    #[error("a form field holds a control character")]
    ControlCharacter,
    #[error("the database is unreachable")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<upsignon_store::StoreError> for ConsoleError {
    fn from(error: upsignon_store::StoreError) -> Self {
        if error.is_unreachable() {
            ConsoleError::Unavailable
        } else {
            ConsoleError::Internal(error.to_string())
        }
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotSignedIn | Self::NeedsTotp => StatusCode::SEE_OTHER,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadForm(_) | Self::ControlCharacter => StatusCode::BAD_REQUEST,
            Self::Conflict => StatusCode::CONFLICT,
            Self::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, text) = match self {
            Self::NotSignedIn => return redirect("/console/sign-in"),
            Self::NeedsTotp => return redirect("/console/setup/totp"),
            Self::Forbidden => (
                "Not allowed",
                "Your admin account does not manage this. Go back to the tenants you manage."
                    .to_string(),
            ),
            Self::NotFound => (
                "Not found",
                "This page or item does not exist (it may have been deleted).".to_string(),
            ),
            Self::Csrf => (
                "Form refused",
                "The form was not sent from this console page, or it has expired. Reload the page and send it again.".to_string(),
            ),
            Self::TooMany { message, .. } => ("Too many attempts", message.clone()),
            Self::Conflict => (
                "Not possible now",
                "This item is not in a state that allows it (for instance a device must first confirm the code it was emailed). Reload the page to see its current state.".to_string(),
            ),
            Self::BadForm(_) => (
                "Form incomplete",
                "The form arrived with missing or unreadable fields. Reload the page, fill it in and send it again.".to_string(),
            ),
            Self::ControlCharacter => (
                "Form refused",
                "A field holds a control character (such as a NUL byte or an escape), which no field may hold, and nothing was saved. Go back, remove it (retyping the value is the surest way) and send the form again.".to_string(),
            ),
            Self::Unavailable => (
                "Database unreachable",
                "The server cannot reach its database right now. Try again in a minute; if it lasts, run `upsignon doctor` on the server.".to_string(),
            ),
            Self::Internal(cause) => {
                tracing::error!(%cause, "console request failed");
                (
                    "Something went wrong",
                    "The server could not complete this request; the details are in its log. Try again, and tell the server's sysadmin if it persists.".to_string(),
                )
            }
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Self::TooMany {
            retry_after_secs, ..
        } = self
        {
            response.insert_header((RETRY_AFTER, retry_after_secs.to_string()));
        }
        layout::html_response(&mut response, layout::message_page(title, &text))
    }
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, to.to_string()))
        .finish()
}
