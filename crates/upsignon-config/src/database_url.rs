use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Secret;

/// Where the data lives: an embedded SQLite file, or a PostgreSQL server.
///
/// Built only through [`DatabaseUrl::parse`], so a value of this type always
/// names a backend we support. The PostgreSQL URL may carry a password, so it
/// is kept as a [`Secret`] and shown masked.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(Secret),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DatabaseUrlError {
    #[error(
        "database_url '{0}' is not supported: use sqlite://PATH (embedded, the default) or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    )]
    UnknownScheme(String),
    #[error(
        "database_url 'sqlite://' needs a file path, for example sqlite:///var/lib/upsignon/upsignon.db"
    )]
    EmptySqlitePath,
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, DatabaseUrlError> {
        let raw = raw.trim();
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DatabaseUrlError::EmptySqlitePath);
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(Secret::new(raw)));
        }
        let shown = raw.split('@').next_back().unwrap_or_default();
        Err(DatabaseUrlError::UnknownScheme(shown.to_string()))
    }

    pub fn sqlite(path: impl Into<PathBuf>) -> Self {
        Self::Sqlite(path.into())
    }

    /// "sqlite" or "postgresql", for logs and status lines.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgresql",
        }
    }

    /// The URL with any password replaced by a mask: safe to print.
    /// The SQLite file, for the embedded backend.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        match self {
            Self::Sqlite(path) => Some(path),
            Self::Postgres(_) => None,
        }
    }

    /// The full URL, password included: for writing the config file only.
    pub fn expose(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => url.expose().to_string(),
        }
    }

    pub fn masked(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => mask_password(url.expose()),
        }
    }
}

fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "********".to_string();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:********@{host}"),
        None => url.to_string(),
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_backends() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/upsignon/upsignon.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/upsignon/upsignon.db".into())
        );
        let pg = DatabaseUrl::parse("postgres://app:pw@db:5432/upsignon").unwrap();
        assert_eq!(pg.backend_name(), "postgresql");
    }

    #[test]
    fn masks_the_password_everywhere_it_is_shown() {
        let pg = DatabaseUrl::parse("postgres://app:s3cret@db:5432/upsignon").unwrap();
        assert_eq!(pg.masked(), "postgres://app:********@db:5432/upsignon");
        assert!(!format!("{pg} {pg:?}").contains("s3cret"));
        let no_password = DatabaseUrl::parse("postgres://postgres@127.0.0.1/x").unwrap();
        assert_eq!(no_password.masked(), "postgres://postgres@127.0.0.1/x");
    }

    #[test]
    fn refuses_other_schemes_without_echoing_credentials() {
        let err = DatabaseUrl::parse("mysql://root:pw@db/x").unwrap_err();
        assert!(err.to_string().contains("sqlite://PATH"));
        assert!(!err.to_string().contains("pw"));
        assert_eq!(
            DatabaseUrl::parse("sqlite://"),
            Err(DatabaseUrlError::EmptySqlitePath)
        );
    }
}
