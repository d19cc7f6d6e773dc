//! What is inside a backup, once decrypted and uncompressed: JSON lines.
//! The first is the header, then for each table a start record, its rows
//! (one JSON array each) and an end record with the row count and the
//! SHA-256 of the row lines, then a final record. A missing final record
//! means the file was cut short. `format_version` changes when this layout
//! does; readers refuse versions they do not know.

use serde::{Deserialize, Serialize};

pub const FORMAT_VERSION: u32 = 1;
pub const EXTENSION: &str = "upsignon-backup";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    pub server_version: String,
    /// The newest migration of the database backed up.
    pub schema: String,
    pub backend: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// The site's secrets key (base64), which seals the admins' TOTP
    /// secrets: a restore puts it in `secrets_key_file`, so the restored
    /// admins can sign in on a new machine. Absent in backups of sites
    /// without one, and in backups made before 0.2 (the format stays 1:
    /// older binaries read these backups and ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    Table {
        name: String,
        columns: Vec<String>,
    },
    TableEnd {
        name: String,
        rows: u64,
        sha256: String,
    },
    End {
        tables: u64,
        rows: u64,
    },
}

pub const FORMAT_NAME: &str = "upsignon-backup";
