//! Refuses client-API bodies nested deeper than `json_max_depth` (400
//! `too_deep`) before any handler parses them: a body of a few kilobytes
//! of `[[[[...` must cost a scan, not a deep recursion. The same scan
//! refuses text holding a control character (400 `invalid_field`): no field
//! of the client API is meant to hold one, NUL cannot be stored by
//! PostgreSQL at all, and a value one backend takes and the other refuses
//! would make backups unportable. Tab, line feed and carriage return pass.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use serde_json::json;

use crate::AppContext;

pub(crate) async fn limit_json_depth(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let max_depth = req
        .app_data::<web::Data<AppContext>>()
        .map(|ctx| ctx.json_max_depth);
    let Some(max_depth) = max_depth.filter(|_| has_json_body(&req)) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let body = match req.extract::<web::Bytes>().await {
        Ok(body) => body,
        Err(error) => {
            let status = error.as_response_error().status_code();
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "body_too_large"
            } else {
                "unreadable_body"
            };
            let response = HttpResponse::build(status).json(json!({ "error": code }));
            return Ok(req.into_response(response).map_into_right_body());
        }
    };
    if has_control_character(&body) {
        let response = HttpResponse::BadRequest().json(json!({
            "error": "invalid_field",
            "detail": "text fields may not hold control characters (such as NUL)",
        }));
        return Ok(req.into_response(response).map_into_right_body());
    }
    if nesting_exceeds(&body, max_depth) {
        let response = HttpResponse::BadRequest().json(json!({
            "error": "too_deep",
            "detail": format!("JSON arrays and objects nest at most {max_depth} levels deep"),
        }));
        return Ok(req.into_response(response).map_into_right_body());
    }
    req.set_payload(body.into());
    Ok(next.call(req).await?.map_into_left_body())
}

/// The client API takes JSON bodies on POST.
fn has_json_body(req: &ServiceRequest) -> bool {
    req.method() == Method::POST && req.path().contains("/api2/")
}

/// Whether arrays and objects in `json` nest deeper than `max_depth`.
/// Brackets inside strings do not count; the text need not be valid JSON
/// (the parser refuses that afterwards).
pub(crate) fn nesting_exceeds(json: &[u8], max_depth: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in json {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max_depth {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Whether a JSON string in `json` holds a control character other than
/// tab, line feed and carriage return, escaped (`\u0000`) or raw (which
/// the parser would refuse anyway), or DEL.
pub(crate) fn has_control_character(json: &[u8]) -> bool {
    let forbidden = upsignon_domain::text::is_forbidden_control;
    let mut i = 0;
    while i < json.len() {
        let byte = json[i];
        if byte == b'\\' {
            if json.get(i + 1) == Some(&b'u') {
                let code = json
                    .get(i + 2..i + 6)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok());
                if code.is_some_and(forbidden) {
                    return true;
                }
            }
            i += 2;
            continue;
        }
        if forbidden(u32::from(byte)) {
            return true;
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{has_control_character, nesting_exceeds};

    #[test]
    fn control_characters_are_found_escaped_or_raw() {
        assert!(has_control_character(br#"{"deviceName":"evil\u0000name"}"#));
        assert!(has_control_character(br#"{"a":"\u001B[31m"}"#));
        assert!(has_control_character(br#"{"a":"\u007f"}"#));
        assert!(has_control_character(b"{\"a\":\"x\x01y\"}"));
        assert!(!has_control_character(
            br#"{"a":"tab\tnew\nline\r","b":"\u00e9\u2603"}"#
        ));
        assert!(!has_control_character(br#"{"a":"\\u0000 is text"}"#));
        assert!(!has_control_character(b"{\n\t\"a\": 1\r\n}"));
    }

    #[test]
    fn counts_nesting_of_arrays_and_objects() {
        assert!(!nesting_exceeds(br#"{"a":[1,{"b":[]}]}"#, 4));
        assert!(nesting_exceeds(br#"{"a":[1,{"b":[]}]}"#, 3));
        assert!(!nesting_exceeds(b"[]", 1));
        assert!(nesting_exceeds(&[b'['; 10_000], 32));
    }

    #[test]
    fn brackets_in_strings_do_not_count() {
        assert!(!nesting_exceeds(br#"{"a":"[[[[[[\"[[[["}"#, 1));
        assert!(nesting_exceeds(br#"{"a":"\\",  "b":[[]]}"#, 2));
    }
}
