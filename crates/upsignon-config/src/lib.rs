//! Owns the server's configuration: its type, its defaults, how it is layered
//! (built-in defaults, then the TOML file, then `UPSIGNON_*` environment
//! variables) and its validation, so that every other crate receives values
//! that are already known to be usable. It must not open sockets, databases or
//! files other than the config file itself: it describes, it does not act.

mod database_url;
mod load;
mod paths;
mod secret;
mod settings;
mod suggest;
pub mod url_password;

pub use database_url::{DatabaseUrl, DatabaseUrlError};
pub use load::{ConfigError, DEFAULT_CONFIG_PATH, from_toml, load};
pub use paths::{
    SYSTEM_BACKUP_DIR, SYSTEM_CONFIG_FILE, SYSTEM_STATE_DIR, default_config_file,
    default_state_dir, running_as_root, user_config_file,
};
pub use secret::Secret;
pub use settings::{Config, LogFormat, SENTRY_FIELDS, TlsMode};
