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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_utc() {
        assert_eq!(date_time(Some(1_763_800_000_000)), "2025-11-22 08:26 UTC");
        assert_eq!(date_time(None), "-");
        assert_eq!(date(1_763_800_000_000), "2025-11-22");
    }
}
