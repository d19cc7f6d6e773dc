use std::net::SocketAddr;

use upsignon_api::tls::TlsError;
use upsignon_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error(transparent)]
    Standby(Box<crate::standby::StandbyError>),
    #[error(
        "cannot listen on {address}: {reason}\nAnother process may use that port, or binding below 1024 needs privileges; change `listen` (UPSIGNON_LISTEN)."
    )]
    Bind { address: SocketAddr, reason: String },
    #[error(
        "cannot create the state directory {path}: {reason}\nCreate it (owned by the server's user, mode 750) or set state_dir (UPSIGNON_STATE_DIR) to a writable place."
    )]
    StateDir {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error(transparent)]
    SecretsKey(#[from] crate::secrets_key::SecretsKeyError),
    #[error(
        "there is no console admin with the email {email}\nList them with `upsignon admin list`."
    )]
    UnknownAdmin { email: String },
    #[error(
        "sentry_dsn is not a valid Sentry DSN ({reason})\nCopy the DSN from the Sentry project's settings (https://KEY@HOST/PROJECT_ID), or unset sentry_dsn to send no error reports."
    )]
    SentryDsn { reason: String },
    #[error("the HTTP server stopped with an error: {0}")]
    Server(String),
    #[error(
        "refusing to revert migrations without --yes: {plan}\nRe-run with --yes to proceed; take a backup first if the data matters."
    )]
    NeedsConfirmation { plan: String },
}

impl From<crate::standby::StandbyError> for OpsError {
    fn from(error: crate::standby::StandbyError) -> Self {
        OpsError::Standby(Box::new(error))
    }
}
