//! `upsignon backup`, `restore`, `backup verify` and `backup list`: online,
//! consistent, portable (SQLite <-> PostgreSQL) logical backups, gzip
//! compressed and encrypted with age to the key in `backup_key_file`, so
//! the standard `age -d -i KEYFILE` tool can also open them. Written to a
//! unique temporary name, fsynced and renamed: a file with a final name is
//! whole. Each backup carries the secrets key, so a restore on a new
//! machine serves the admins it restores. Read and restored in one pass.

mod error;
pub mod figures;
mod format;
mod key;
pub mod leftovers;
mod list;
mod pipe;
mod read;
mod replace;
mod restore;
mod retention;
pub mod schedule;
mod write;

pub use error::BackupError;
pub use format::{EXTENSION, FORMAT_VERSION, Header};
pub use key::{Keys, generate_key_file_text, load_identity, write_new_key_file};
pub use list::{Listed, list};
pub use read::{Item, VerifyReport, read_records, verify};
pub use replace::replace_database;
pub(crate) use restore::{IfNotEmpty, restore_into_store};
pub use restore::{RestoreReport, restore, restore_with_progress};
pub use retention::{Retention, to_delete};
pub use write::{BackupReport, Progress, backup, backup_named, backup_with_progress, default_name};
