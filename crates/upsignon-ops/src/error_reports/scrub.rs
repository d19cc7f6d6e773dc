//! Removes personal data from error reports before they are sent. The
//! event is walked as JSON, so a field the SDK adds in a later version is
//! scrubbed too: every string loses its email addresses and IP addresses,
//! device names are blanked wherever a key names them, and the request's
//! body, cookies and auth headers are dropped. Each kind can be let
//! through by name (`sentry_send_fields`).

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::LazyLock;

use regex::{Captures, Regex};
use sentry::protocol::{Breadcrumb, Event};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The kinds of personal data an operator may let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Emails,
    IpAddresses,
    DeviceNames,
    RequestBodies,
    Cookies,
    AuthHeaders,
}

impl Field {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "emails" => Field::Emails,
            "ip_addresses" => Field::IpAddresses,
            "device_names" => Field::DeviceNames,
            "request_bodies" => Field::RequestBodies,
            "cookies" => Field::Cookies,
            "auth_headers" => Field::AuthHeaders,
            _ => return None,
        })
    }
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,}").expect("valid pattern")
});
/// Candidates only: each match is kept unless it parses as an address.
static IP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}")
        .expect("valid pattern")
});

const AUTH_HEADERS: [&str; 3] = ["authorization", "proxy-authorization", "x-api-key"];
const COOKIE_HEADERS: [&str; 2] = ["cookie", "set-cookie"];
const IP_HEADERS: [&str; 5] = [
    "x-forwarded-for",
    "x-real-ip",
    "forwarded",
    "true-client-ip",
    "cf-connecting-ip",
];

pub struct Scrubber {
    keep: HashSet<Field>,
}

impl Scrubber {
    /// Lets through the fields named in `sentry_send_fields` (the config
    /// has checked the names; unknown ones are ignored).
    pub fn new(send_fields: &[String]) -> Self {
        Self {
            keep: send_fields.iter().filter_map(|f| Field::parse(f)).collect(),
        }
    }

    fn keeps(&self, field: Field) -> bool {
        self.keep.contains(&field)
    }

    /// Whether the SDK should collect request details at all (it then
    /// collects all of them, and [`Scrubber::event`] removes the rest).
    pub fn collects_request_details(&self) -> bool {
        [
            Field::IpAddresses,
            Field::RequestBodies,
            Field::Cookies,
            Field::AuthHeaders,
        ]
        .iter()
        .any(|f| self.keeps(*f))
    }

    pub fn event(&self, mut event: Event<'static>) -> Event<'static> {
        // The URL is typed (a host that is not a name fails to parse), so
        // it is scrubbed on its own: no query string, no IP as host.
        let url = event
            .request
            .as_mut()
            .and_then(|r| r.url.take())
            .map(|url| self.url(url));
        let id = event.event_id;
        let mut scrubbed: Event<'static> = self.through_json(&event).unwrap_or_else(|| {
            // Never send what could not be scrubbed: only the bare facts.
            let mut bare = Event::new();
            bare.event_id = id;
            bare.level = event.level;
            bare.release = event.release.clone();
            bare.environment = event.environment.clone();
            bare.message = Some("an error occurred (its details could not be scrubbed)".into());
            bare
        });
        if let Some(request) = scrubbed.request.as_mut() {
            request.url = url;
            if !self.keeps(Field::RequestBodies) {
                request.data = None;
            }
            if !self.keeps(Field::Cookies) {
                request.cookies = None;
            }
        }
        scrubbed
    }

    fn url(&self, mut url: sentry::protocol::Url) -> sentry::protocol::Url {
        url.set_query(None);
        let host_is_ip = url
            .host_str()
            .is_some_and(|h| h.trim_matches(['[', ']']).parse::<IpAddr>().is_ok());
        if host_is_ip && !self.keeps(Field::IpAddresses) {
            let _ = url.set_host(Some("ip.invalid"));
        }
        url
    }

    pub fn breadcrumb(&self, crumb: Breadcrumb) -> Breadcrumb {
        let fallback = Breadcrumb {
            ty: crumb.ty.clone(),
            category: crumb.category.clone(),
            level: crumb.level,
            ..Default::default()
        };
        self.through_json(&crumb).unwrap_or(fallback)
    }

    fn through_json<T: Serialize + DeserializeOwned>(&self, item: &T) -> Option<T> {
        let mut value = serde_json::to_value(item).ok()?;
        self.value(&mut value, None);
        serde_json::from_value(value).ok()
    }

    /// Scrubs `value` in place; `key` is the name it has in its parent.
    fn value(&self, value: &mut Value, key: Option<&str>) {
        match value {
            Value::String(text) => {
                if key.is_some_and(is_device_name_key) && !self.keeps(Field::DeviceNames) {
                    *text = "[device name]".to_string();
                } else {
                    *text = self.text(text);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.value(v, key)),
            Value::Object(map) => self.object(map),
            _ => {}
        }
    }

    fn object(&self, map: &mut Map<String, Value>) {
        map.retain(|key, _| self.keeps_key(key));
        for (key, value) in map.iter_mut() {
            self.value(value, Some(key));
        }
    }

    /// Keys dropped with their value wherever they appear (headers, the
    /// request's environment, the user).
    fn keeps_key(&self, key: &str) -> bool {
        let key = key.to_ascii_lowercase();
        let dropped = |names: &[&str], field| names.contains(&key.as_str()) && !self.keeps(field);
        !(dropped(&AUTH_HEADERS, Field::AuthHeaders)
            || dropped(&COOKIE_HEADERS, Field::Cookies)
            || dropped(&IP_HEADERS, Field::IpAddresses)
            || dropped(&["remote_addr", "ip_address"], Field::IpAddresses)
            || dropped(&["email", "user_email", "useremail"], Field::Emails))
    }

    /// Replaces email and IP addresses in free text.
    fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        if !self.keeps(Field::Emails) && EMAIL.is_match(&out) {
            out = EMAIL.replace_all(&out, "[email]").into_owned();
        }
        if !self.keeps(Field::IpAddresses) && IP.is_match(&out) {
            let original = out.clone();
            out = IP
                .replace_all(&original, |c: &Captures| {
                    let found = c.get(0).expect("the whole match");
                    if is_address(&original, found.start(), found.end()) {
                        "[ip]".to_string()
                    } else {
                        found.as_str().to_string()
                    }
                })
                .into_owned();
        }
        out
    }
}

/// Whether `text[start..end]` is an IP address standing alone: it parses,
/// holds a digit, and is not part of a longer word (`module::path`).
fn is_address(text: &str, start: usize, end: usize) -> bool {
    let candidate = &text[start..end];
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let before = text[..start].chars().next_back().is_some_and(word);
    let after = text[end..].chars().next().is_some_and(word);
    !before
        && !after
        && candidate.chars().any(|c| c.is_ascii_hexdigit())
        && candidate.parse::<IpAddr>().is_ok()
}

fn is_device_name_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace(['_', '-'], "");
    key == "devicename" || key == "device"
}

#[cfg(test)]
mod tests {
    use super::*;
    use sentry::protocol::{Exception, Request};

    fn event() -> Event<'static> {
        let mut event = Event::new();
        event.release = Some("upsignon@1.2.3".into());
        event.message = Some(
            "user a.user@example.com failed from 192.0.2.7 and 2001:db8::1 at 12:30:45 in upsignon_ops::serve".into(),
        );
        event.exception.values.push(Exception {
            ty: "ApiError".into(),
            value: Some("device of b.user@example.org".into()),
            ..Default::default()
        });
        let mut request = Request {
            data: Some(r#"{"newEncryptedData":"secret"}"#.into()),
            cookies: Some("__Host-upsignon-console=abc".into()),
            url: "https://192.0.2.80:8443/acme/api2/x?token=t".parse().ok(),
            ..Default::default()
        };
        for (k, v) in [
            ("Authorization", "Bearer s3cr3t"),
            ("Cookie", "__Host-upsignon-console=abc"),
            ("X-Forwarded-For", "198.51.100.9"),
            ("User-Agent", "app"),
        ] {
            request.headers.insert(k.into(), v.into());
        }
        request
            .env
            .insert("REMOTE_ADDR".into(), "198.51.100.9".into());
        event.request = Some(request);
        event
            .extra
            .insert("device_name".into(), "Laptop of the finance team".into());
        event
    }

    fn sent(scrubber: &Scrubber) -> String {
        serde_json::to_string(&scrubber.event(event())).unwrap()
    }

    #[test]
    fn removes_every_kind_of_personal_data_by_default() {
        let text = sent(&Scrubber::new(&[]));
        for secret in [
            "a.user@example.com",
            "b.user@example.org",
            "192.0.2.7",
            "2001:db8::1",
            "198.51.100.9",
            "s3cr3t",
            "upsignon-console=abc",
            "newEncryptedData",
            "Laptop of the finance team",
            "token=t",
            "192.0.2.80",
        ] {
            assert!(!text.contains(secret), "{secret} left in {text}");
        }
        for kept in [
            "[email]",
            "[ip]",
            "12:30:45",
            "User-Agent",
            "/acme/api2/x",
            "upsignon_ops::serve",
        ] {
            assert!(text.contains(kept), "{kept} missing from {text}");
        }
    }

    #[test]
    fn lets_through_only_the_fields_opted_in() {
        let text = sent(&Scrubber::new(&["emails".into(), "cookies".into()]));
        assert!(text.contains("a.user@example.com"));
        assert!(text.contains("upsignon-console=abc"));
        assert!(!text.contains("s3cr3t"));
        assert!(!text.contains("192.0.2.7"));
        assert!(!text.contains("Laptop of the finance team"));
        let text = sent(&Scrubber::new(&[
            "ip_addresses".into(),
            "device_names".into(),
        ]));
        assert!(text.contains("198.51.100.9") && text.contains("2001:db8::1"));
        assert!(text.contains("Laptop of the finance team"));
        assert!(!text.contains("a.user@example.com"));
    }
}
