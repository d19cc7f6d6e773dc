//! Refuses console forms whose text holds a control character (400, the
//! "Form refused" page, which says why) before any page reads them: no console field is
//! meant to hold one, and NUL cannot be stored by PostgreSQL at all. Tab,
//! line feed and carriage return pass.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};

use crate::error::ConsoleError;

pub(crate) async fn refuse_control_characters(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if req.method() != Method::POST {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let refused = |req: ServiceRequest, error: ConsoleError| {
        let response = error.error_response();
        Ok(req.into_response(response).map_into_right_body())
    };
    let body = match req.extract::<web::Bytes>().await {
        Ok(body) => body,
        Err(error) => return refused(req, ConsoleError::BadForm(error.to_string())),
    };
    if has_control_character(&body) {
        return refused(req, ConsoleError::ControlCharacter);
    }
    req.set_payload(body.into());
    Ok(next.call(req).await?.map_into_left_body())
}

/// Whether a form body (`application/x-www-form-urlencoded`) holds a
/// control character, percent-encoded or raw, other than tab, line feed
/// and carriage return.
pub(crate) fn has_control_character(body: &[u8]) -> bool {
    let forbidden = |c: u8| upsignon_domain::text::is_forbidden_control(u32::from(c));
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'%' {
            let code = body
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok());
            if code.is_some_and(forbidden) {
                return true;
            }
        } else if forbidden(body[i]) {
            return true;
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::has_control_character;

    #[test]
    fn encoded_or_raw_control_characters_are_found() {
        assert!(has_control_character(b"email=a%00b&csrf=x"));
        assert!(has_control_character(b"name=%1b%5B31m"));
        assert!(has_control_character(b"name=%7F"));
        assert!(has_control_character(b"name=a\x01"));
        assert!(!has_control_character(b"name=A%09B%0D%0A%C3%A9+x&c=%25"));
        assert!(!has_control_character(b"name=%2500"));
    }
}
