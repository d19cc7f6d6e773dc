use std::fmt;

/// The name of a tenant in URLs (`/{slug}/api2/...`): 1 to 64 characters of
/// lower-case letters, digits and dashes, not starting or ending with a dash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a valid tenant name: use 1 to 64 lower-case letters, digits or dashes, such as acme or acme-paris"
)]
pub struct TenantSlugError(String);

/// Path segments the server uses itself, which no tenant may take.
const RESERVED: &[&str] = &[
    "health",
    "console",
    "version",
    "metrics",
    "openapi.json",
    "admin",
    "api2",
    "static",
];

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, TenantSlugError> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !RESERVED.contains(&raw);
        if ok {
            Ok(Self(raw.to_string()))
        } else {
            Err(TenantSlugError(raw.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_url_friendly_names_only() {
        assert!(TenantSlug::parse("acme-paris-2").is_ok());
        for bad in [
            "",
            "Acme",
            "-acme",
            "acme-",
            "ac me",
            "health",
            "console",
            "a/b",
            &"x".repeat(65),
        ] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad:?}");
        }
    }
}
