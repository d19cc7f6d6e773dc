//! How times and counts read on the pages.

use time::OffsetDateTime;
use time::macros::format_description;

/// `2026-11-23 14:05 UTC`; `-` for none.
pub fn date_time(ms: Option<i64>) -> String {
    let Some(ms) = ms else {
        return "-".to_string();
    };
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| "-".to_string())
}

/// `2026-11-23`.
pub fn date(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format_description!("[year]-[month]-[day]")).ok())
        .unwrap_or_else(|| "-".to_string())
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for
/// query strings, form bodies and `otpauth://` URIs).
pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_utc() {
        assert_eq!(date_time(Some(1_763_800_000_000)), "2025-11-22 08:26 UTC");
        assert_eq!(date_time(None), "-");
        assert_eq!(date(1_763_800_000_000), "2025-11-22");
    }

    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(percent_encode("a b@c~d"), "a%20b%40c~d");
    }
}
